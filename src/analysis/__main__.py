"""Command line: ``python -m analysis <command>``.

Commands: ``report`` (the whole pipeline), ``batch`` (the province pages), ``pdf`` (the pages as A4
PDFs), ``sample`` (regenerate the bundled sample export), ``golden`` (re-execute the committed
notebooks from their text twins), ``xlsform`` (the questionnaire as an XLSForm for KoboToolbox / ODK).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command's ``main``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "sample": "analysis.synthetic.sample",
        "golden": "analysis.pipeline.notebooks",
        "report": "analysis.pipeline.run",
        "batch": "analysis.pipeline.batch",
        "pdf": "analysis.pipeline.pdf",
        "xlsform": "analysis.instrument.xlsform",
    }
    if not argv or argv[0] not in commands:
        print(f"usage: python -m analysis {{{','.join(commands)}}} [options]", file=sys.stderr)
        return 2
    import importlib

    return int(importlib.import_module(commands[argv[0]]).main(argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
