"""Content detectors: find unmasked personal and institutional identifiers in sampled data.

Core only (no I/O): samplers read stores and hand values over as text —

    scanner = ContentScanner(config)
    records = scanner.scan_column("customers.id_number", values, name="id_number")
    records += scanner.scan_text("logs/app.log", text)
    asset["content"] = content_block(records, {"rows": 500, "columns": 12})
"""

from dsscan.detection.block import content_block
from dsscan.detection.detectors import DETECTORS
from dsscan.detection.scanner import ContentScanner

__all__ = ["DETECTORS", "ContentScanner", "content_block"]
