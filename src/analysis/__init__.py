"""Analysis package for Thailand's Digital Government Readiness Survey.

Sub-packages follow the data flow, each importing only from those before it (a test enforces it):

``core`` (paths, safe writing, CPU-independent arithmetic) -> ``instrument`` (codebook, reference
data, scoring) -> ``cleaning`` (raw exports to clean responses) -> ``indicators`` (the readiness
index and its uncertainty) -> ``stats`` (reliability of that index) -> ``report`` (province and
national pages) -> ``pipeline`` (notebooks, batch, the ``report`` command). ``synthetic`` (the
bundled sample's generative model) uses only ``core`` and ``instrument``.
"""

__all__ = ["cleaning", "core", "indicators", "instrument", "pipeline", "report", "stats", "synthetic"]
__version__ = "0.1.0"
