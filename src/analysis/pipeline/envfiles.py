"""Keep ``environment.yml`` (conda users) in step with ``requirements.lock`` (pip, the reference)."""

from __future__ import annotations

import argparse

import yaml

from analysis.core.paths import project_root


def lock_pins(lock_text: str) -> dict[str, str]:
    """``{normalised name: version}`` of every ``name==version`` line of a lock file."""
    pins = {}
    for line in lock_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def environment_pins(env_text: str) -> dict[str, str]:
    """The ``name==version`` pins listed under ``pip:`` in an environment.yml."""
    env = yaml.safe_load(env_text)
    pip_block = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return lock_pins("\n".join(p for p in pip_block if "==" in p))


def render_environment(lock_text: str, python: str = "3.11") -> str:
    """An environment.yml with conda's Python and every pin of the lock, installed by pip."""
    pins = "".join(f"      - {n}=={v}\n" for n, v in sorted(lock_pins(lock_text).items()))
    return (
        "# Generated from requirements.lock by 'make lock'; do not edit by hand.\n"
        "# conda env create -f environment.yml && conda activate dgr-analysis\n"
        "name: dgr-analysis\n"
        "channels:\n  - conda-forge\n"
        f"dependencies:\n  - python={python}\n  - pip\n  - pip:\n{pins}      - -e .\n"
    )


def main(argv: list[str] | None = None) -> int:
    """Write environment.yml from requirements.lock."""
    ap = argparse.ArgumentParser(prog="python -m analysis.pipeline.envfiles", description=main.__doc__)
    ap.parse_args(argv)
    root = project_root()
    text = render_environment((root / "requirements.lock").read_text(encoding="utf-8"))
    (root / "environment.yml").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
