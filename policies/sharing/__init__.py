"""Rego policies (data files; the package marker lets importlib.resources find them)."""
