"""``python -m flows.cli``."""

from flows.cli import app

if __name__ == "__main__":  # not when a spawned worker process (Dask) re-imports the main module
    app()
