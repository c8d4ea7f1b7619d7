"""The ``kwali`` command line. Each command is a module here; importing it registers it."""

from flows.cli import codebook, exchange, report, review, run, serve, tag  # noqa: F401  (registers the commands)
from flows.cli import learn  # noqa: F401  (kwali learn)
from flows.cli.common import app

__all__ = ["app"]
