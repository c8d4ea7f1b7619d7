"""The ``kwali`` command line. Each command is a module here; importing it registers it."""

from flows.cli import codebook, run, tag  # noqa: F401  (registers the commands)
from flows.cli import review  # noqa: F401  (registers review and users)
from flows.cli.common import app

__all__ = ["app"]
