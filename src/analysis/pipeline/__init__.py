"""Running it all: notebooks and their golden copies, the province batch, the ``report`` command
and its run record, environment files.
"""

__all__ = ["batch", "envfiles", "notebooks", "run", "runrecord", "simulation"]
