"""Prefect orchestration for Kwali: thin flows whose tasks each call one ``pipeline`` function.

Importing this package switches Prefect's analytics off before Prefect itself is imported:
interview data is personal data and nothing leaves the machine.
"""

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
