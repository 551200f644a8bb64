"""Thai-specific normalisation rules, one small function each (thresholds in ``params/cleaning.yaml``).

Text: Unicode NFC, zero-width characters and odd spaces, "เเ" typed for "แ", whitespace.
Numbers: Thai digits, thousands separators, units and percent signs.
Names: province text to ISO 3166-2 codes and agency text to the 19 agency codes, exact first,
then a fuzzy match only above a stated similarity that clearly beats the runner-up.
Answers: each item's text to its codebook code, with out-of-range and unrecognised answers
reported, never clipped or guessed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from pythainlp.util import thai_digit_to_arabic_digit
from rapidfuzz import fuzz, process

from analysis.core.paths import params_dir, read_yaml
from analysis.instrument.codebook import OPTION_DELIMITERS, SCALE_RANGE, Codebook, Item


@cache
def load_rules(path: str | None = None) -> dict[str, Any]:
    """The cleaning rules (default ``params/cleaning.yaml``)."""
    p = Path(path) if path else params_dir() / "cleaning.yaml"
    return read_yaml(p)


# --- text -------------------------------------------------------------------------------------


_SARA_AM = re.compile("([\u0e48-\u0e4b]?)\u0e4d([\u0e48-\u0e4b]?)\u0e32")


def clean_text(value: Any, rules: dict[str, Any] | None = None) -> str:
    """NFC-normalise, drop zero-width characters, fix "เเ", turn odd spaces to spaces, trim.

    Missing values become ``""``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    rules = rules or load_rules()
    s = unicodedata.normalize("NFC", str(value))
    for ch in rules["text"]["zero_width"]:
        s = s.replace(ch, "")
    for ch in rules["text"]["spaces"]:
        s = s.replace(ch, " ")
    s = s.replace("เเ", "แ")  # two SARA E typed for SARA AE
    # SARA AM typed as NIKHAHIT + SARA AA ("ลําพูน"), a tone mark before or between them. NFC leaves it:
    # U+0E33 has only a compatibility decomposition. pythainlp.util.normalize repairs it too, but also
    # deletes a tone mark that follows a stray space ("ที ่ทำการ"), losing a letter; so this one rule.
    s = _SARA_AM.sub(r"\1\2ำ", s)
    return re.sub(r"\s+", " ", s).strip()


def has_invisible(value: str, rules: dict[str, Any] | None = None) -> bool:
    """True when ``value`` holds a zero-width character or an odd space that cleaning removes."""
    rules = rules or load_rules()
    return any(ch in value for ch in (*rules["text"]["zero_width"], *rules["text"]["spaces"]))


# --- numbers and dates --------------------------------------------------------------------------

_NUMBER = re.compile(r"^([+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d+(?:\.\d+)?|[+-]?\.\d+)\s*(%|ร้อยละ)?\s*(\D*)$")


def parse_number(text: str) -> float | None:
    """Parse ``"1,234"``, ``"๔๕"``, ``"45%"``, ``"12 บริการ"`` to a float; ``None`` if not a number."""
    s = thai_digit_to_arabic_digit(text).strip()
    s = re.sub(r"^ร้อยละ\s*", "", s)
    m = _NUMBER.match(s)
    if not m:
        return None
    return float(m.group(1).replace(",", ""))


# --- names ---------------------------------------------------------------------------------------


def name_key(text: str) -> str:
    """A matching key: cleaned, lower-case, without spaces, dots, hyphens, "ฯ" or apostrophes."""
    s = clean_text(text).lower()
    return re.sub(r"[\s.\-'’ฯ()]", "", s)


@dataclass(frozen=True)
class NameMatch:
    """How a name was matched: ``code`` (or ``None``), ``method`` and similarity ``score``."""

    code: str | None
    method: str  # exact | fuzzy | unknown | ambiguous | blank
    score: float
    candidate: str | None = None


class NameMatcher:
    """Match free text to codes: exact keys first, then a guarded fuzzy match."""

    def __init__(self, keys: dict[str, str], min_similarity: float, margin: float) -> None:
        self.keys = keys
        self.min_similarity = min_similarity
        self.margin = margin
        self._choices = list(keys)

    def match(self, text: str) -> NameMatch:
        """Match one text (use :meth:`match_many` for columns)."""
        key = self.prepare(text)
        if not key:
            return NameMatch(None, "blank", 0.0)
        if key in self.keys:
            return NameMatch(self.keys[key], "exact", 100.0, key)
        best = process.extract(key, self._choices, scorer=fuzz.ratio, limit=10)
        if not best or best[0][1] < self.min_similarity:
            return NameMatch(None, "unknown", best[0][1] if best else 0.0, best[0][0] if best else None)
        top_code = self.keys[best[0][0]]
        rival = next((s for c, s, _ in best[1:] if self.keys[c] != top_code), 0.0)
        if best[0][1] - rival < self.margin:
            return NameMatch(None, "ambiguous", best[0][1], best[0][0])
        return NameMatch(top_code, "fuzzy", best[0][1], best[0][0])

    def prepare(self, text: str) -> str:
        """The key a text is looked up by."""
        return name_key(text)

    def match_many(self, texts: pd.Series) -> pd.DataFrame:
        """Match a column; each distinct text is matched once. Columns: code, method, score, candidate."""
        uniq = {t: self.match(t) for t in pd.unique(texts)}
        rows = [uniq[t] for t in texts]
        return pd.DataFrame(
            {"code": [r.code for r in rows], "method": [r.method for r in rows],
             "score": [r.score for r in rows], "candidate": [r.candidate for r in rows]},
            index=texts.index,
        )


class ProvinceMatcher(NameMatcher):
    """Province text (Thai or English name, abbreviation, "จ."/"จังหวัด" prefix, ISO code) to ISO code."""

    def __init__(self, provinces: pd.DataFrame, rules: dict[str, Any] | None = None) -> None:
        rules = rules or load_rules()
        keys: dict[str, str] = {}
        for r in provinces.itertuples(index=False):
            names = [r.name_th, r.name_en, r.abbr_th, r.abbr_en, r.iso_code,
                     *(v for v in r.name_variants_en.split("|") if v)]
            for n in names:
                keys[name_key(n)] = r.iso_code
        keys[name_key("กรุงเทพ")] = "TH-10"
        super().__init__(keys, rules["names"]["fuzzy_min_similarity"], rules["names"]["fuzzy_margin"])

    def prepare(self, text: str) -> str:
        stripped = re.sub(r"^(จังหวัด|จ\.)\s*", "", clean_text(text))
        return re.sub(r"(province|prov)$", "", name_key(stripped))


class AgencyMatcher(NameMatcher):
    """Agency text (Thai or English name, abbreviation, code; a trailing province name allowed) to code."""

    def __init__(self, agencies: pd.DataFrame, provinces: pd.DataFrame, rules: dict[str, Any] | None = None) -> None:
        rules = rules or load_rules()
        keys: dict[str, str] = {}
        for r in agencies.itertuples(index=False):
            for n in [r.name_th, r.name_th.removesuffix("จังหวัด"), r.name_en, r.abbr_th, r.code, *r.aliases]:
                keys[name_key(n)] = r.code
        # Longest province names first, so "สำนักงานคลังจังหวัดนครราชสีมา" loses "นครราชสีมา" whole.
        names = {name_key(n): r.iso_code for r in provinces.itertuples() for n in (r.name_th, r.name_en)}
        self._province_names = sorted(names.items(), key=lambda kv: len(kv[0]), reverse=True)
        super().__init__(keys, rules["names"]["fuzzy_min_similarity"], rules["names"]["fuzzy_margin"])

    def prepare(self, text: str) -> str:
        key = name_key(text).replace("สนง", "สำนักงาน")
        if key in self.keys:
            return key
        for p, _ in self._province_names:
            if key.endswith(p) and len(key) > len(p):
                return key[: -len(p)]
        return key

    def named_province(self, text: str) -> str | None:
        """The ISO code of the province whose name ends the agency text ("…จังหวัดลำพูน"), if any."""
        key = name_key(text).replace("สนง", "สำนักงาน")
        if key in self.keys:
            return None
        return next((iso for p, iso in self._province_names if key.endswith(p) and len(key) > len(p)), None)

    def match_many(self, texts: pd.Series) -> pd.DataFrame:
        """As :meth:`NameMatcher.match_many`, with ``named_province``: the province the text names."""
        out = super().match_many(texts)
        named = {t: self.named_province(t) for t in pd.unique(texts)}
        out["named_province"] = [named[t] for t in texts]
        return out


# --- answers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One parsed answer: the codebook ``code`` (NaN when missing) and its ``status``."""

    code: float
    status: str  # ok | blank | out_of_range | unrecognised


def _lookup(rules: dict[str, Any], key: str) -> set[str]:
    return {w.lower() for w in rules["answers"][key]}


def _parse_yes_no(low: str, rules: dict[str, Any]) -> Answer:
    if low in _lookup(rules, "yes_words"):
        return Answer(1.0, "ok")
    if low in _lookup(rules, "no_words"):
        return Answer(0.0, "ok")
    return Answer(math.nan, "unrecognised")


#: Labelled scale answers: "เห็นด้วย (4)", "4 - เห็นด้วย", "4. Agree", "ระดับ 3", "Level 2: Data-centric".
_LABELLED = (
    re.compile(r"^(?P<label>.*?)\s*[(\[]\s*(?P<num>\d+)\s*[)\]]$"),
    re.compile(r"^(?:ระดับ(?:ที่)?|level)\s*(?P<num>\d+)\s*(?:[-–—.):]\s*)?(?P<label>.*)$"),
    re.compile(r"^(?P<num>\d+)\s*[-–—.):]\s*(?P<label>[^\d\s].*)$"),
)


def _parse_scale(item: Item, low: str, codebook: Codebook) -> Answer:
    """A likert or maturity answer: its label in Thai or English, its number within the scale, or both
    ("เห็นด้วย (4)", "4 - เห็นด้วย", "ระดับ 3"). The number is the codebook's value; a label and a
    number that disagree are unrecognised, never one of the two."""
    if item.type == "likert":
        pairs = [(lab.label_th, lab.label_en, lab.value) for lab in codebook.likert_labels]
    else:
        pairs = [(m.name_th, m.name_en, m.value) for m in codebook.maturity_levels]
    labels = {name.lower(): value for th, en, value in pairs for name in (th, en)}
    if low in labels:
        return Answer(float(labels[low]), "ok")
    label = ""
    for pattern in _LABELLED:
        m = pattern.match(low)
        if m:
            low, label = m.group("num"), m.group("label").strip()
            break
    x = parse_number(low)
    if x is None or not float(x).is_integer() or (label and labels.get(label) != x):
        return Answer(math.nan, "unrecognised")
    lo, hi = SCALE_RANGE[item.type]
    return Answer(x, "ok") if lo <= x <= hi else Answer(math.nan, "out_of_range")


def chosen_options(item: Item, text: str, rules: dict[str, Any] | None = None) -> frozenset[str] | None:
    """The option codes a multi-select answer names, or ``None`` when a part names no option.

    Options are named by code, Thai or English label, separated by the codebook's delimiters, or by
    spaces when every word is an option code (KoboToolbox / ODK). A "none of these" answer is the
    empty set.

    >>> from analysis.instrument.codebook import load_codebook
    >>> item = load_codebook().item("p1_2_4")
    >>> sorted(chosen_options(item, "citizen_portal biz_portal") or []) == sorted(
    ...     chosen_options(item, "citizen_portal|biz_portal") or [])
    True
    """
    rules = rules or load_rules()
    low = thai_digit_to_arabic_digit(clean_text(text, rules)).lower()
    if low in _lookup(rules, "none_selected"):
        return frozenset()
    opts = {clean_text(n, rules).lower(): o.code for o in item.options or [] for n in (o.code, o.label_th, o.label_en)}
    parts = [p.strip() for p in re.split(f"[{re.escape(OPTION_DELIMITERS)}]", low) if p.strip()]
    chosen = {opts.get(p) for p in parts}
    codes = {o.code for o in item.options or []}
    if None in chosen and len(parts) == 1 and all(t in codes for t in low.split()):
        chosen = set(low.split())  # KoboToolbox / ODK: option codes separated by spaces
    if None in chosen or not chosen:
        return None
    return frozenset(c for c in chosen if c is not None)


def _parse_multi_select(item: Item, text: str, rules: dict[str, Any]) -> Answer:
    """A multi-select answer: the number of options chosen (:func:`chosen_options`)."""
    chosen = chosen_options(item, text, rules)
    return Answer(math.nan, "unrecognised") if chosen is None else Answer(float(len(chosen)), "ok")


def _parse_quantity(item: Item, low: str) -> Answer:
    """A count or percent: a non-negative number (a percent at most 100)."""
    x = parse_number(low)
    if x is None:
        return Answer(math.nan, "unrecognised")
    if x < 0 or (item.type == "percent" and x > 100):
        return Answer(math.nan, "out_of_range")
    return Answer(x, "ok")


def parse_answer(item: Item, text: str, codebook: Codebook, rules: dict[str, Any] | None = None) -> Answer:
    """Turn one answer as typed into the item's code; out-of-range answers are missing, not clipped."""
    rules = rules or load_rules()
    s = clean_text(text, rules)
    if not s:
        return Answer(math.nan, "blank")
    low = thai_digit_to_arabic_digit(s).lower()
    if item.type == "yes_no":
        return _parse_yes_no(low, rules)
    if item.type in ("likert", "maturity"):
        return _parse_scale(item, low, codebook)
    if item.type == "multi_select":
        return _parse_multi_select(item, s, rules)
    return _parse_quantity(item, low)


def parse_answers(raw: pd.DataFrame, codebook: Codebook, rules: dict[str, Any] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse every item column of ``raw``.

    Returns ``(codes, status)``: two frames indexed like ``raw`` with one column per item. Each
    distinct text of a column is parsed once, so the cost grows with rows only through a lookup.
    """
    rules = rules or load_rules()
    codes, status = {}, {}
    for it in codebook.items:
        col = raw[it.id].fillna("").astype(str)
        parsed = {t: parse_answer(it, t, codebook, rules) for t in pd.unique(col)}
        codes[it.id] = col.map(lambda t, p=parsed: p[t].code).astype(float)
        status[it.id] = col.map(lambda t, p=parsed: p[t].status)
    return pd.DataFrame(codes, index=raw.index), pd.DataFrame(status, index=raw.index)

