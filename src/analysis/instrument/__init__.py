"""The survey instrument as data: the codebook (``params/questionnaire.yaml``), reference data
(provinces, agencies) and each item's scoring rule.
"""

__all__ = ["codebook", "reference", "scoring", "xlsform"]
