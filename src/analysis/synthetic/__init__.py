"""The bundled sample: a synthetic export drawn from a stated generative model calibrated to the
2018 round, with injected defects and the truth that tests check against.
"""

__all__ = ["platforms", "sample"]
