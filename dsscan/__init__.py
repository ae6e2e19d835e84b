"""dsscan: data-security policy scanner for bank and insurer data environments (NFRA 2024)."""

__version__ = "0.1.0"
