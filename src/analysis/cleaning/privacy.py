"""Personal data typed into free text, removed before it reaches ``outputs/``.

Respondents write their phone number, e-mail, LINE id, national ID or name into the comments
("+66 81 234 5678 โทรกลับ"). :func:`scrub` replaces each with a marker (``[phone]``, ``[e-mail]``,
``[national-id]``, ``[line-id]``, ``[name]``) and counts what it removed, for the cleaning log.

Hand-written patterns: the PII libraries (presidio, scrubadub) rely on English NLP models that
cannot be installed here and know neither Thai phone and ID formats nor Thai digits. The
patterns err on the side of removing: any run of 9-10 digits that looks like a Thai phone number,
any 13-digit run (the national ID's length, with or without its 1-4-5-2-1 dashes).
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

_D = "[0-9๐-๙]"  # Arabic or Thai digit
_SEP = r"[\s\-.]?"
PATTERNS: dict[str, re.Pattern[str]] = {
    "e-mail": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE),
    # "LINE ID: x", "line: x", "line @x", "ไลน์ x", "ไอดีไลน์ x" (a bare English "line" is a word, not an id)
    "line-id": re.compile(r"(?i)(?:\bline\s*id\s*[:：]?|\bline\s*[:：]|\bline\s+(?=@)"
                          r"|ไลน์\s*ไอดี\s*[:：]?|ไอดีไลน์\s*[:：]?|ไลน์\s*[:：]?)\s*@?[A-Za-z0-9._-]{3,}"),
    "national-id": re.compile(rf"(?<!{_D}){_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{5}}{_SEP}{_D}{{2}}{_SEP}{_D}(?!{_D})"),
    # +66 or 0, then 8-9 more digits, in any grouping of spaces, dashes or dots
    "phone": re.compile(rf"(?<![0-9๐-๙+])(?:\+66|0066|66(?=[\s\-.]?[689])|[0๐])(?:{_SEP}{_D}){{8,9}}(?!{_D})"),
}


def _name_parts(name: str) -> list[str]:
    """The respondent's full name and each part of three or more letters (longest first)."""
    name = re.sub(r"\s+", " ", str(name)).strip()
    if not name:
        return []
    parts = {name, *(p for p in re.split(r"[\s.]+", name) if len(p) >= 3)}
    return sorted(parts, key=len, reverse=True)


def scrub(text: str, own_name: str = "") -> tuple[str, Counter[str]]:
    """``text`` with personal data replaced by markers, and how many of each kind were removed.

    ``own_name`` is the respondent's name from the same row: it, and each of its parts of three or
    more letters, is removed where it appears.

    >>> scrub("+66 81 234 5678 โทรกลับ")[0]
    '[phone] โทรกลับ'
    >>> scrub("ติดต่อ somchai.j@dga.or.th หรือไลน์ @somchai99 คุณสมชาย", "สมชาย ใจดี")[0]
    'ติดต่อ [e-mail] หรือ[line-id] คุณ[name]'
    >>> scrub("งบ 5,000 บาท ปี 2561 ร้อยละ 54")[0]
    'งบ 5,000 บาท ปี 2561 ร้อยละ 54'
    """
    counts: Counter[str] = Counter()
    out = str(text)
    for kind, pattern in PATTERNS.items():
        out, n = pattern.subn(f"[{kind}]", out)
        counts[kind] += n
    for part in _name_parts(own_name):
        n = out.count(part)
        if n:
            out = out.replace(part, "[name]")
            counts["name"] += n
    return out, counts


def scrub_column(texts: pd.Series, names: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """:func:`scrub` every text with the name of its own row; the total count of each kind."""
    total: Counter[str] = Counter()
    out = []
    for text, name in zip(texts.fillna("").astype(str), names.fillna("").astype(str), strict=True):
        clean, counts = scrub(text, name) if text else (text, Counter())
        total.update(counts)
        out.append(clean)
    return pd.Series(out, index=texts.index, dtype=object), {k: int(total.get(k, 0)) for k in [*PATTERNS, "name"]}
