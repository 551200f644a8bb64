"""Analysis package for Thailand's Digital Government Readiness Survey.

Modules are small and named for what they do: ``codebook`` (the questionnaire as data),
``reference`` (provinces and agencies), ``sample`` (the calibrated sample export),
``safeio`` (atomic, formula-safe writing).
"""

__version__ = "0.1.0"
