"""Running it all: notebooks and their golden copies, the province batch and its PDFs, the
``report`` command and its run record, environment files.
"""

__all__ = ["batch", "engine", "envfiles", "kernelstate", "notebooks", "pdf", "run", "runrecord", "simulation",
           "sitepages"]
