"""Lowest layer: project paths and settings files, atomic and spreadsheet-safe writing, CPU-
independent arithmetic. Imports nothing else from the package.
"""

__all__ = ["numerics", "paths", "safeio"]
