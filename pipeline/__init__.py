"""Kwali: reproducible, local batch coding of Dutch qualitative research material.

``pipeline`` is the library: typed data in, typed data out. It never imports Prefect.
"""

__version__ = "0.1.0"
