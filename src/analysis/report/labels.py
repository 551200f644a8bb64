"""Every label a reader sees outside the page's sentences, in Thai and English.

Headings, chart labels, quarantine reasons and verdicts live in ``templates/labels.yaml``; a test
fails when one lacks a language, or a quarantine reason or verdict of the pipeline has no label.
"""

from __future__ import annotations

import functools
from pathlib import Path

from analysis.core.paths import read_yaml

LANGS = ("th", "en")
LABELS_FILE = Path(__file__).with_name("templates") / "labels.yaml"


@functools.cache
def labels() -> dict[str, dict[str, dict[str, str]]]:
    """All labels: group -> key -> language -> text."""
    return read_yaml(LABELS_FILE)


def label(group: str, key: str, lang: str) -> str:
    """One label in one language.

    >>> label("reasons", "too_few_items", "th")
    'ตอบน้อยเกินไป'
    """
    return labels()[group][key][lang]


def group(name: str, lang: str) -> dict[str, str]:
    """Every label of a group in one language, e.g. ``group("chart", "en")["nation"]``."""
    return {key: texts[lang] for key, texts in labels()[name].items()}
