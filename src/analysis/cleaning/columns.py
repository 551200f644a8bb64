"""Which source column of an export holds which item or field: the column mapping.

Survey platforms name their columns in their own ways: Google Forms by the question text
("1. หน่วยงานมีแผน…", "ประทับเวลา"), KoboToolbox and ODK by group paths ("P1/p1_1_1", "P1-p1_1_1")
with their own metadata ("_uuid", "SubmissionDate", "KEY"), LimeSurvey by full question text with
one column per option of a multiple choice ("… [Citizen portal]"). :func:`map_columns` matches each
source column to an item of the codebook, a field of the export (``province``, ``agency``, …), one
option of a multi-select item, or a platform column that is not read. The rules are data
(``params/columns.yaml``); a researcher can override any of them in ``params/column_map.yaml``.

A match is never a guess: a header that fits two items, or two columns of equal standing that fit
one item, is an :class:`~analysis.cleaning.errors.ExportError` listing the candidates and saying how
to settle it in the mapping file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process

from analysis.cleaning.errors import ExportError
from analysis.cleaning.normalise import clean_text
from analysis.core.paths import params_dir, read_yaml
from analysis.instrument.codebook import Codebook

#: Strength of each way a column can be matched; where two columns claim one target, the stronger
#: wins and the weaker is listed as not read; equal strength is an error.
METHODS = {
    "mapping file": 0,
    "name": 1,
    "group path": 2,
    "platform metadata": 3,
    "option column": 4,
    "question text": 5,
    "label": 6,
    "question text, close match": 7,
}
#: A header matches a question text it does not equal only from this rapidfuzz ratio (0-100) on, and
#: when it beats the next item by the margin; otherwise it is unmatched (or, within the margin, an error).
FUZZY_MIN, FUZZY_MARGIN = 92.0, 5.0
#: How many rows at the top of a sheet are searched for the header (title rows above it are skipped).
HEADER_SEARCH_ROWS = 30

_NUMBERING = re.compile(r"^(?:ข้อ(?:ที่)?\s*|q(?:uestion)?\s*)?\d+(?:\.\d+)*\s*[.):\-]?\s+|^(?:ข้อ(?:ที่)?|q)\s*\d+\s*")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def header_key(text: Any) -> str:
    """The form a header is compared in: cleaned text, lower case, no numbering prefix, no trailing
    ``:`` or ``*`` (a required-question mark).

    >>> header_key("  ข้อ 3. หน่วยงานมีแผน\\u200b *")
    'หน่วยงานมีแผน'
    >>> header_key("1.2.1) Does the agency have a plan?")
    'does the agency have a plan?'
    >>> header_key("p1_1_1")
    'p1_1_1'
    """
    s = clean_text(text).casefold().rstrip(" :*").strip()
    if not _IDENT.match(s):
        s = _NUMBERING.sub("", s, count=1).strip()
    return s


@cache
def load_column_rules(path: str | None = None) -> dict[str, Any]:
    """The column rules (default ``params/columns.yaml``)."""
    return read_yaml(Path(path) if path else params_dir() / "columns.yaml")


def load_mapping_file(path: str | Path | None = None) -> dict[str, str]:
    """Researcher overrides: ``params/column_map.yaml`` (optional), ``columns: {source header: target}``.

    A target is an item id, a field name (``province``, ``submitted_at``, …), ``item_id/option_code``
    for one option column of a multi-select item, or ``ignore``. Headers are compared as
    :func:`header_key` compares them.
    """
    p = Path(path) if path else params_dir() / "column_map.yaml"
    if not p.is_file():
        if path:
            raise FileNotFoundError(f"mapping file {p} not found (give the path of a YAML file with `columns:`)")
        return {}
    data = read_yaml(p) or {}
    return {header_key(k): str(v).strip() for k, v in (data.get("columns") or {}).items()}


@dataclass(frozen=True)
class Match:
    """One source column's target: ``kind`` is item, field, option, ignore or none."""

    kind: str
    target: str = ""
    option: str = ""
    method: str = ""
    detail: str = ""
    rank: int = 0  # order within a platform's list of columns for one field (first present wins)


@dataclass
class ColumnMap:
    """The mapping of one header row: ``table`` has one row per source column (``position`` 1-based,
    ``source``, ``kind``, ``target``, ``option``, ``method``, ``detail``)."""

    platform: str
    platform_name: str
    table: pd.DataFrame
    missing_items: list[str] = field(default_factory=list)
    utc_time: bool = False

    def source_of(self, target: str) -> int | None:
        """The 0-based position of the column read as item or field ``target`` (``None`` if absent)."""
        t = self.table[(self.table["kind"].isin(["item", "field"])) & (self.table["target"] == target)]
        return int(t["position"].iloc[0]) - 1 if len(t) else None

    def option_columns(self, item_id: str) -> dict[str, int]:
        """Option code to 0-based position of the per-option columns of a multi-select item."""
        t = self.table[(self.table["kind"] == "option") & (self.table["target"] == item_id)]
        return {r.option: int(r.position) - 1 for r in t.itertuples()}

    @property
    def unmatched(self) -> list[str]:
        """Headers matched to nothing (blank headers excluded)."""
        return self.table.loc[self.table["kind"] == "none", "source"].tolist()


def detect_platform(headers: list[str], rules: dict[str, Any] | None = None) -> str:
    """The survey platform that wrote a header row (a key of ``platforms`` in ``params/columns.yaml``),
    ``unknown`` when none fits.

    >>> detect_platform(["start", "end", "province", "_uuid", "_submission_time"])
    'kobotoolbox'
    >>> detect_platform(["ประทับเวลา", "จังหวัด"])
    'google_forms'
    """
    rules = rules or load_column_rules()
    present = {clean_text(h) for h in headers}
    for name, p in rules["platforms"].items():
        if p.get("detect") and all(d in present for d in p["detect"]):
            return str(name)
        if p.get("detect_any") and any(d in present for d in p["detect_any"]):
            return str(name)
    return "unknown"


class _Matcher:
    """The lookup tables of one codebook and rule set."""

    def __init__(self, codebook: Codebook, rules: dict[str, Any], platform: str, overrides: dict[str, str]):
        self.cb = codebook
        self.items = {it.id.casefold(): it.id for it in codebook.items}
        self.fields = {f.casefold(): f for f in rules["fields"]}
        self.multi = {it.id: {o.code for o in it.options or []} for it in codebook.items if it.type == "multi_select"}
        self.texts: dict[str, set[str]] = {}
        for it in codebook.items:
            for t in (it.text_th, it.text_en):
                self.texts.setdefault(header_key(t), set()).add(it.id)
        self.options = {it.id: {header_key(n): o.code for o in it.options or []
                                for n in (o.code, o.label_th, o.label_en)}
                        for it in codebook.items if it.type == "multi_select"}
        self.labels = {header_key(lab): f for f, labs in rules["labels"].items() for lab in labs}
        plat = rules["platforms"].get(platform, {})
        self.platform_fields = {clean_text(c): (f, rank) for f, cols in (plat.get("fields") or {}).items()
                                for rank, c in enumerate(cols)}
        self.platform_ignore = {clean_text(c) for c in plat.get("ignore") or []}
        self.overrides = overrides
        self._text_keys = list(self.texts)

    def match(self, header: str) -> Match:
        """The target of one header (before conflicts between columns are settled)."""
        raw, key = clean_text(header), header_key(header)
        if not raw:
            return Match("blank")
        for step in (self._override, self._name, self._platform, self._path, self._text, self._option_text,
                     self._label, self._fuzzy):
            m = step(raw, key)
            if m is not None:
                return m
        return Match("none")

    def _target(self, target: str, method: str, detail: str = "") -> Match | None:
        t = target.strip()
        if t.casefold() == "ignore":
            return Match("ignore", method=method, detail=detail or "ignored by the mapping file")
        if t.casefold() in self.items:
            return Match("item", self.items[t.casefold()], method=method, detail=detail)
        if t.casefold() in self.fields:
            return Match("field", self.fields[t.casefold()], method=method, detail=detail)
        if "/" in t:
            item, _, opt = t.partition("/")
            if item in self.multi and opt in self.multi[item]:
                return Match("option", item, opt, method=method, detail=detail)
        return None

    def _override(self, raw: str, key: str) -> Match | None:
        if key not in self.overrides:
            return None
        m = self._target(self.overrides[key], "mapping file")
        if m is None:
            raise ValueError(f"params/column_map.yaml maps '{raw}' to '{self.overrides[key]}', which is no item, "
                             "field, item/option or 'ignore'")
        return m

    def _name(self, raw: str, key: str) -> Match | None:
        if not _IDENT.match(key) or key == "ignore":
            return None
        m = self._target(key, "name")
        if m is not None and m.kind == "field" and raw != m.target:
            # "Province" is a form's label for the field as much as "จังหวัด" is: it must not win over it
            return Match("field", m.target, method="label")
        return m

    def _platform(self, raw: str, key: str) -> Match | None:
        if raw in self.platform_fields:
            f, rank = self.platform_fields[raw]
            return Match("field", f, method="platform metadata", rank=rank)
        if raw in self.platform_ignore:
            return Match("ignore", method="platform metadata", detail="platform metadata, not used")
        return None

    def _path(self, raw: str, key: str) -> Match | None:
        """KoboToolbox ``group/name`` and ``group/item/option``; ODK ``group-name``."""
        for sep in ("/", "-"):
            parts = raw.split(sep)
            if len(parts) < 2 or not all(_IDENT.match(p) for p in parts):
                continue
            if len(parts) >= 3 and parts[-2] in self.multi and parts[-1] in self.multi[parts[-2]]:
                return Match("option", parts[-2], parts[-1], method="option column", detail=f"group path, '{sep}'")
            m = self._target(parts[-1], "group path", detail=f"'{sep}' separated")
            if m is not None and m.kind != "ignore":
                return m
        return None

    def _text(self, raw: str, key: str) -> Match | None:
        ids = self.texts.get(key)
        if not ids:
            return None
        if len(ids) > 1:
            raise _Ambiguous(sorted(ids))
        return Match("item", next(iter(ids)), method="question text")

    def _option_text(self, raw: str, key: str) -> Match | None:
        """LimeSurvey: ``question text [option label]``."""
        m = re.match(r"^(.*?)\s*\[([^\[\]]+)\]$", raw)
        if not m:
            return None
        ids = [i for i in self.texts.get(header_key(m.group(1)), set()) if i in self.options]
        opt_key = header_key(m.group(2))
        hits = [(i, self.options[i][opt_key]) for i in ids if opt_key in self.options[i]]
        if len(hits) > 1:
            raise _Ambiguous([f"{i}/{o}" for i, o in hits])
        return Match("option", hits[0][0], hits[0][1], method="option column", detail="question [option]") if hits \
            else None

    def _label(self, raw: str, key: str) -> Match | None:
        f = self.labels.get(key)
        return Match("field", f, method="label") if f else None

    def _fuzzy(self, raw: str, key: str) -> Match | None:
        if len(key) < 20:  # short headers are names and labels, not question texts
            return None
        best = process.extract(key, self._text_keys, scorer=fuzz.ratio, limit=5)
        if not best or best[0][1] < FUZZY_MIN:
            return None
        top = self.texts[best[0][0]]
        rivals = [(c, s) for c, s, _ in best[1:] if self.texts[c] != top and s >= best[0][1] - FUZZY_MARGIN]
        if len(top) > 1 or rivals:
            raise _Ambiguous(sorted(top | {i for c, _ in rivals for i in self.texts[c]}))
        return Match("item", next(iter(top)), method="question text, close match",
                     detail=f"similarity {best[0][1]:.0f}")


class _Ambiguous(Exception):
    def __init__(self, candidates: list[str]):
        super().__init__(candidates)
        self.candidates = candidates


def _settle(rows: list[dict[str, Any]], path: str | Path, row: int | None) -> None:
    """Where several columns claim one target, keep the strongest (platform order within metadata);
    equal strength is an error."""
    claims: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if r["kind"] in ("item", "field", "option"):
            claims.setdefault((r["target"], r["option"]), []).append(r)
    for (target, option), rs in claims.items():
        if len(rs) < 2:
            continue
        rs.sort(key=lambda r: (METHODS[r["method"]], r["_rank"], r["position"]))
        best, second = rs[0], rs[1]
        if (METHODS[best["method"]], best["_rank"]) == (METHODS[second["method"]], second["_rank"]):
            name = f"{target}/{option}" if option else target
            cols = "; ".join(f"column {r['position']} '{r['source']}' ({r['method']})" for r in rs)
            raise ExportError(path, f"several columns match '{name}': {cols}. Say which to read in "
                                    f"params/column_map.yaml (columns: {{'<header>': {name}}}, the others: ignore)",
                              row=row)
        for r in rs[1:]:
            r.update(kind="ignore", detail=f"'{target}' is read from column {best['position']} "
                                           f"'{best['source']}' ({best['method']})", target="", option="")


def map_columns(headers: list[str], codebook: Codebook, *, path: str | Path = "export", row: int | None = None,
                rules: dict[str, Any] | None = None, overrides: dict[str, str] | None = None) -> ColumnMap:
    """Match each source column of a header row to an item, a field, an option column or nothing.

    Parameters
    ----------
    headers
        The header row as text.
    codebook
        The questionnaire whose items are looked for.
    path, row
        The file and header row, named in error messages.
    rules
        ``params/columns.yaml`` (default).
    overrides
        ``params/column_map.yaml`` (default): source header to target.

    Returns
    -------
    ColumnMap
        The platform detected, one row per source column with how it was matched, the items that no
        column holds, and whether the chosen time column is in UTC.

    Raises
    ------
    ExportError
        A header that fits several items, several columns of equal standing for one target, or a
        required field (province, agency) or every item missing.

    References
    ----------
    KoboToolbox, "Exporting and downloading your data" (group paths, ``_uuid``, ``_submission_time``
    in UTC); ODK Central and Briefcase CSV exports (``SubmissionDate``, ``KEY``, ``-`` group
    separator); LimeSurvey manual, "Export responses" (full question text, ``[option]`` columns);
    Google Forms help, "View & manage form responses" (``Timestamp`` / ``ประทับเวลา`` column).

    Examples
    --------
    >>> from analysis.instrument.codebook import load_codebook
    >>> cm = map_columns(["ประทับเวลา", "จังหวัด", "หน่วยงาน", "P1/p1_1_1"], load_codebook())
    >>> cm.platform, cm.table["target"].tolist(), cm.table["method"].tolist()
    ('google_forms', ['submitted_at', 'province', 'agency', 'p1_1_1'], ['platform metadata', 'label', 'label', \
'group path'])
    """
    rules = rules or load_column_rules()
    platform = detect_platform(headers, rules)
    matcher = _Matcher(codebook, rules, platform, load_mapping_file() if overrides is None else overrides)
    rows: list[dict[str, Any]] = []
    for pos, h in enumerate(headers, start=1):
        try:
            m = matcher.match(h)
        except _Ambiguous as e:
            raise ExportError(path, f"header '{clean_text(h)}' fits several items ({', '.join(e.candidates)}); say "
                                    "which it is in params/column_map.yaml", row=row, column=clean_text(h)) from None
        rows.append({"position": pos, "source": clean_text(h), "kind": m.kind, "target": m.target,
                     "option": m.option, "method": m.method, "detail": m.detail, "_rank": m.rank})
    _settle(rows, path, row)
    table = pd.DataFrame(rows).drop(columns="_rank")
    _check_required(table, codebook, rules, path, row)
    held = set(table.loc[table["kind"].isin(["item", "option"]), "target"])
    missing = [i for i in codebook.item_ids if i not in held]
    time_col = table[(table["kind"] == "field") & (table["target"] == "submitted_at")]["source"].tolist()
    utc = bool(time_col) and time_col[0] in (rules["platforms"].get(platform, {}).get("utc") or [])
    return ColumnMap(platform, rules["platforms"].get(platform, {}).get("name", "unknown"), table, missing, utc)


def _check_required(table: pd.DataFrame, codebook: Codebook, rules: dict[str, Any], path: str | Path,
                    row: int | None) -> None:
    fields = set(table.loc[table["kind"] == "field", "target"])
    missing = [f for f, spec in rules["fields"].items() if spec.get("required") and f not in fields]
    if missing:
        raise ExportError(path, f"required columns missing: {', '.join(missing)} (no header is the field's name, a "
                                "platform's name for it or a usual label such as 'จังหวัด', 'หน่วยงาน'; name them "
                                "in params/column_map.yaml)", row=row)
    if not (table["kind"].isin(["item", "option"])).any():
        raise ExportError(path, f"no column matches an item of the questionnaire ({len(codebook.items)} items, ids "
                                "such as p1_1_1, or their Thai or English question text); map them in "
                                "params/column_map.yaml", row=row)


def header_score(headers: list[str], codebook: Codebook, rules: dict[str, Any] | None = None,
                 overrides: dict[str, str] | None = None) -> tuple[int, bool]:
    """How much of a row looks like the export's header: ``(columns matched, has province and agency
    and an item)``; never raises (used to find the header below title rows)."""
    rules = rules or load_column_rules()
    matcher = _Matcher(codebook, rules, detect_platform(headers, rules),
                       load_mapping_file() if overrides is None else overrides)
    kinds: list[tuple[str, str]] = []
    for h in headers:
        try:
            m = matcher.match(h)
        except (_Ambiguous, ValueError):
            continue
        kinds.append((m.kind, m.target))
    targets = {t for k, t in kinds if k == "field"}
    has_item = any(k in ("item", "option") for k, _ in kinds)
    n = sum(k not in ("none", "blank") for k, _ in kinds)
    return n, {"province", "agency"} <= targets and has_item
