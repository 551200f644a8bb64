"""From raw exports to clean responses: reading files, Thai text normalisation and name matching,
validation, de-duplication and quarantine, and a description of the raw export.
"""

__all__ = ["clean", "columns", "describe", "errors", "grids", "normalise", "privacy", "reading", "timestamps"]
