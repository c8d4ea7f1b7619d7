"""Exchange with other qualitative-analysis tools: REFI-QDA projects (.qdpx) and codebooks.

- ``export_qdpx`` / ``import_qdpx``: a study to and from NVivo, ATLAS.ti, MAXQDA, QualCoder;
- ``export_codebook`` / ``import_codebook``: codebooks as REFI .qdc, CSV, QualCoder lists, YAML.
"""

from pipeline.exchange.codebook_io import export_codebook, import_codebook, write_codebook_yaml
from pipeline.exchange.qde_xml import InvalidExchangeFile
from pipeline.exchange.qdpx_export import ExportSummary, export_qdpx
from pipeline.exchange.qdpx_import import ImportSummary, import_qdpx

__all__ = ["ExportSummary", "ImportSummary", "InvalidExchangeFile", "export_codebook", "export_qdpx",
           "import_codebook", "import_qdpx", "write_codebook_yaml"]
