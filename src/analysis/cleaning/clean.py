"""From raw export rows to validated responses, with quarantine and every row accounted for.

Steps (each rule's threshold in ``params/cleaning.yaml``):

1. normalise the text of every cell (:mod:`analysis.cleaning.normalise`);
2. match province and agency text to codes, parse the submission time and every answer;
3. flag rows that cannot be used: test submissions, Bangkok (outside the survey), unknown,
   ambiguous or blank province or agency, too few items answered, straight-lining;
4. keep one response per (province, agency): the latest complete submission wins and the others
   are listed as superseded, with the id that replaced them;
5. remove personal data, keeping a keyed-hash respondent key that links re-submissions;
6. check the clean table against a pandera schema derived from the codebook.

Every raw row ends in exactly one of clean, quarantined or superseded.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from analysis.cleaning.normalise import (
    AgencyMatcher,
    ProvinceMatcher,
    clean_text,
    has_invisible,
    load_rules,
    parse_answers,
)
from analysis.cleaning.privacy import scrub_column
from analysis.cleaning.reading import ExportInfo, read_exports
from analysis.cleaning.timestamps import parse_timestamps
from analysis.core.paths import sample_dir
from analysis.core.safeio import write_json, write_table
from analysis.instrument.codebook import Codebook, load_codebook
from analysis.instrument.reference import load_agencies, load_provinces
from analysis.instrument.scoring import score_items

#: Key for the pseudonymous respondent key. The default is only for the synthetic sample:
#: set DGR_PSEUDONYM_KEY (a secret) for real data so keys cannot be recomputed from names.
DEFAULT_KEY = "dgr-sample-only-not-secret"

#: Quarantine reasons, in the order a row's primary reason is chosen.
REASONS = {
    "test_submission": "a test submission (respondent or comment says test/ทดสอบ)",
    "outside_survey": "province outside the survey (Bangkok)",
    "province_blank": "province left blank",
    "province_unknown": "province text matches no province",
    "province_ambiguous": "province text is close to more than one province",
    "agency_blank": "agency left blank",
    "agency_unknown": "agency text matches none of the 19 agency types",
    "agency_ambiguous": "agency text is close to more than one agency type",
    "agency_other_province": "agency text names another province than the province column",
    "too_few_items": "fewer items answered than the minimum share",
    "straight_lining": "the same answer to every likert and maturity item",
}


class CleaningError(ValueError):
    """The clean table fails its schema; the message lists row and column of each failure."""


@dataclass
class CleanResult:
    """Everything cleaning produced. ``clean`` holds no personal data."""

    clean: pd.DataFrame
    quarantine: pd.DataFrame
    superseded: pd.DataFrame
    answer_flags: pd.DataFrame
    log: dict[str, Any] = field(default_factory=dict)
    mapping: pd.DataFrame = field(default_factory=pd.DataFrame)  # source column -> item or field, per file


class PseudonymKeyWarning(UserWarning):
    """Real data is being cleaned with the public default pseudonym key."""


def pseudonym_key_source(key: str | None = None) -> str:
    """Where the key of :func:`pseudonym` comes from: ``given``, ``DGR_PSEUDONYM_KEY`` or ``default``."""
    if key:
        return "given"
    return "DGR_PSEUDONYM_KEY" if os.environ.get("DGR_PSEUDONYM_KEY") else "default"


def pseudonym(values: pd.Series, key: str | None = None) -> pd.Series:
    """Keyed hash (HMAC-SHA256, 16 hex digits) of already-normalised identity strings."""
    secret = (key or os.environ.get("DGR_PSEUDONYM_KEY") or DEFAULT_KEY).encode()
    return values.map(lambda v: hmac.new(secret, v.encode("utf-8"), hashlib.sha256).hexdigest()[:16])


def _identity(df: pd.DataFrame) -> pd.Series:
    name = df["respondent_name"].map(lambda s: re.sub(r"\s+", " ", clean_text(s)).lower())
    phone = df["respondent_phone"].map(lambda s: re.sub(r"\D", "", clean_text(s))[-9:])
    return name + "|" + phone


def _straight_lining(scores: pd.DataFrame, codebook: Codebook, min_items: int) -> pd.Series:
    ordinal = [it.id for it in codebook.items if it.type in ("likert", "maturity")]
    s = scores[ordinal]
    answered = s.notna().sum(axis=1)
    spread = s.max(axis=1) - s.min(axis=1)
    return (answered >= min_items) & (spread == 0)


def _text_fixes(raw: pd.DataFrame, rules: dict[str, Any]) -> dict[str, dict[str, int]]:
    cols = ["province", "agency", "comments", "submitted_at"]
    out: dict[str, dict[str, int]] = {"zero_width_or_odd_space": {}, "sara_e_fixed": {}, "thai_digits": {}}
    for c in cols:
        col = raw[c].fillna("").astype(str)
        out["zero_width_or_odd_space"][c] = int(col.map(lambda s: has_invisible(s, rules)).sum())
        out["sara_e_fixed"][c] = int(col.str.contains("เเ", regex=False).sum())
        out["thai_digits"][c] = int(col.str.contains("[๐-๙]", regex=True).sum())
    return out


@dataclass
class _Rows:
    """Per raw row: what cleaning read (``meta``), the answer codes and their status, and why a row
    is kept out (``reasons``); then, after de-duplication, where it ends (``state``)."""

    meta: pd.DataFrame
    codes: pd.DataFrame
    status: pd.DataFrame
    reasons: pd.DataFrame
    state: pd.Series  # clean | quarantined | superseded
    superseded_by: pd.Series
    decided_by: pd.Series


def _identify(df: pd.DataFrame, rules: dict[str, Any], provinces: pd.DataFrame, agencies: pd.DataFrame,
              key: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Who each row is: source, id, time, matched province and agency, pseudonymous respondent key.

    Returns ``(meta, province_matches, agency_matches)``.
    """
    meta = pd.DataFrame(index=df.index)
    meta["source_file"] = df["source_file"]
    meta["source_row"] = df["source_row"]
    meta["submitted_at"], meta["time_status"], meta["time_form"] = _times(df, rules)
    pm = ProvinceMatcher(provinces, rules).match_many(df["province"].fillna("").astype(str))
    am = AgencyMatcher(agencies, provinces, rules).match_many(df["agency"].fillna("").astype(str))
    meta["province_text"] = df["province"].map(clean_text)
    meta["agency_text"] = df["agency"].map(clean_text)
    meta["province"] = pm["code"].astype("string")
    meta["province_match"] = pm["method"]
    meta["agency"] = am["code"].astype("string")
    meta["agency_match"] = am["method"]
    meta["comments"] = df.get("comments", pd.Series("", index=df.index)).map(clean_text)
    meta["respondent_key"] = pseudonym(_identity(df), key)
    meta["submission_id"], meta["id_source"] = _submission_ids(df, meta)
    return meta, pm, am


def _times(df: pd.DataFrame, rules: dict[str, Any]) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parsed submission times (Thai local time), their status and form
    (:func:`analysis.cleaning.timestamps.parse_timestamps`); a platform's UTC column is converted."""
    text = df["submitted_at"].fillna("").astype(str)
    utc = df.get("time_zone", pd.Series("", index=df.index)) == "UTC"
    parts = [parse_timestamps(text[~utc], rules), parse_timestamps(text[utc], rules, assume_utc=True)]
    t = pd.concat([p for p in parts if len(p)]).reindex(df.index) if len(df) else parse_timestamps(text, rules)
    return t["value"].astype("datetime64[ns]"), t["status"], t["form"]


def _submission_ids(df: pd.DataFrame, meta: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each row's submission id, and where it comes from.

    ``given``: the export's own id. Rows that share an id and a province and agency are versions of
    one submission (a cumulative export, an edit) and keep it. ``stand_in``: a blank id (Google Forms
    has none) becomes ``file#r<row>``. ``scoped``: an id that several provinces or agencies share (ids
    that restart in each file) becomes ``file#id``, and ``file#id#r<row>`` if it still collides.
    """
    given = df["submission_id"].map(clean_text)
    file, row = df["source_file"].astype(str), df["source_row"].astype(str)
    ident = meta["province"].fillna("?").astype(str) + "|" + meta["agency"].fillna("?").astype(str)
    ids, how = given.copy(), pd.Series("given", index=df.index, dtype=object)
    blank = given == ""
    ids[blank], how[blank] = file[blank] + "#r" + row[blank], "stand_in"
    shared = ident[~blank].groupby(given[~blank]).transform("nunique").reindex(df.index, fill_value=1) > 1
    ids[shared], how[shared] = file[shared] + "#" + given[shared], "scoped"
    still = shared & (ident[shared].groupby(ids[shared]).transform("nunique").reindex(df.index, fill_value=1) > 1)
    ids[still] = ids[still] + "#r" + row[still]
    return ids, how


def _flag(df: pd.DataFrame, meta: pd.DataFrame, pm: pd.DataFrame, am: pd.DataFrame, scores: pd.DataFrame,
          codebook: Codebook, rules: dict[str, Any], provinces: pd.DataFrame) -> pd.DataFrame:
    """Every quarantine reason of every row (one boolean column per reason of :data:`REASONS`)."""
    q = rules["quality"]
    in_survey = set(provinces.loc[provinces["in_survey"], "iso_code"])
    test_re = re.compile("|".join(q["test_patterns"]), re.IGNORECASE)
    reasons = pd.DataFrame(False, index=df.index, columns=list(REASONS))
    reasons["test_submission"] = (df["respondent_name"].map(clean_text) + " " + meta["comments"]).map(
        lambda s: bool(test_re.search(s)))
    reasons["outside_survey"] = meta["province"].notna() & ~meta["province"].isin(in_survey)
    for what, m in (("province", pm), ("agency", am)):
        for method in ("blank", "unknown", "ambiguous"):
            reasons[f"{what}_{method}"] = m["method"] == method
    reasons["too_few_items"] = meta["answered_share"] < q["min_answered_share"]
    reasons["straight_lining"] = _straight_lining(scores, codebook, q["straight_lining_min_items"])
    named = am["named_province"]
    reasons["agency_other_province"] = named.notna() & meta["province"].notna() & (named != meta["province"])
    return reasons


def _deduplicate(meta: pd.DataFrame, reasons: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Where each row ends, the id that superseded it, and what decided it.

    Among rows whose identity is usable, the latest complete submission of a province and agency
    wins: complete before incomplete, then by parsed submission time, then by file order and row
    (a row whose time is missing counts as earlier than any timed one). Earlier ones are superseded.
    Returns ``(state, superseded_by, decided_by)``; ``decided_by`` is ``complete`` (the winner is
    complete, the row is not), ``later_time``, ``later_file`` or ``later_row`` (times equal or
    missing) for superseded rows.
    """
    n_raw = len(meta)
    identity_bad = reasons.drop(columns=["too_few_items", "straight_lining"]).any(axis=1)
    complete = ~(reasons["too_few_items"] | reasons["straight_lining"])
    order = meta.assign(_complete=complete, _pos=np.arange(n_raw))[~identity_bad]
    order = order.sort_values(["province", "agency", "_complete", "submitted_at", "_pos"], na_position="first")
    keys = [order["province"], order["agency"]]
    is_last = order.groupby(keys, sort=False).cumcount(ascending=False).to_numpy() == 0
    has_complete = order.groupby(keys, sort=False)["_complete"].transform("any").to_numpy()
    winner = order.groupby(keys, sort=False)[["submission_id", "_complete", "submitted_at", "source_file"]
                                             ].transform("last")
    row_state = np.full(n_raw, "quarantined", dtype=object)
    superseded_by = np.full(n_raw, None, dtype=object)
    decided_by = np.full(n_raw, None, dtype=object)
    pos = order["_pos"].to_numpy()
    row_state[pos[has_complete & is_last]] = "clean"
    losers = has_complete & ~is_last
    row_state[pos[losers]] = "superseded"
    superseded_by[pos[losers]] = winner["submission_id"].to_numpy()[losers]
    later_time = (order["submitted_at"].notna() & (winner["submitted_at"] > order["submitted_at"])).to_numpy()
    why = np.where(~order["_complete"].to_numpy() & winner["_complete"].to_numpy(), "complete",
                   np.where(later_time, "later_time",
                            np.where(winner["source_file"].to_numpy() != order["source_file"].to_numpy(),
                                     "later_file", "later_row")))
    decided_by[pos[losers]] = why[losers]
    index = meta.index
    return pd.Series(row_state, index=index), pd.Series(superseded_by, index=index), pd.Series(decided_by, index=index)


def _split(rows: _Rows, df: pd.DataFrame, codebook: Codebook,
           provinces: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The four outputs: clean responses (validated), quarantine, superseded rows, answer flags."""
    meta, state = rows.meta, rows.state
    keep_cols = ["submission_id", "submitted_at", "province", "agency", "respondent_key", "source_file",
                 "source_row", "province_match", "n_answered", "answered_share", "n_out_of_range",
                 "n_unrecognised"]
    region = provinces.set_index("iso_code")["region"]
    clean = pd.concat([meta.loc[state == "clean", keep_cols], rows.codes.loc[state == "clean"],
                       meta.loc[state == "clean", ["comments"]]], axis=1)
    clean.insert(3, "region", clean["province"].map(region))
    clean = clean.sort_values(["province", "agency"]).reset_index(drop=True)
    validate_clean(clean, codebook)

    q_cols = ["submission_id", "source_file", "source_row", "submitted_at", "province_text", "agency_text",
              "province", "agency", "primary_reason", "reasons", "n_answered", "answered_share"]
    quarantine = meta.loc[state == "quarantined", q_cols].reset_index(drop=True)
    superseded = meta.loc[state == "superseded", ["submission_id", "source_file", "source_row",
                                                  "submitted_at", "province", "agency", "n_answered",
                                                  "answered_share", "respondent_key"]].copy()
    superseded["superseded_by"] = rows.superseded_by[state == "superseded"]
    superseded["decided_by"] = rows.decided_by[state == "superseded"]
    superseded = superseded.reset_index(drop=True)

    status = rows.status
    r, c = np.nonzero(status.isin(["out_of_range", "unrecognised"]).to_numpy())
    answers = df[list(status.columns)].to_numpy()[r, c]
    answer_flags = pd.DataFrame({
        "submission_id": meta["submission_id"].to_numpy()[r],
        "source_row": meta["source_row"].to_numpy()[r],
        "item": status.columns.to_numpy()[c],
        "answer": [clean_text(a) for a in answers],
        "flag": status.to_numpy()[r, c],
        "row_status": state.to_numpy()[r],
    })
    return clean, quarantine, superseded, answer_flags


def clean_responses(raw: pd.DataFrame, codebook: Codebook, *, encodings: list[str] | None = None,
                    rules: dict[str, Any] | None = None, key: str | None = None) -> CleanResult:
    """Clean raw rows (as read by :func:`analysis.cleaning.reading.read_exports`).

    Steps: identify each row (:func:`_identify`), parse and score its answers, flag the reasons to
    keep it out (:func:`_flag`), de-duplicate re-submissions (:func:`_deduplicate`), split into the
    outputs (:func:`_split`) and account for every raw row (:func:`_log`). Returns the clean
    responses (one per province and agency, answer codes per item), the quarantined rows with
    reasons, the superseded rows with the id that replaced them, the answer-level flags (out of
    range, unrecognised) and a cleaning log with the accounting.
    """
    rules = rules or load_rules()
    provinces = load_provinces()
    df = raw.copy()
    meta, pm, am = _identify(df, rules, provinces, load_agencies(), key)
    codes, status = parse_answers(df, codebook, rules)
    meta["n_answered"] = codes.notna().sum(axis=1)
    meta["answered_share"] = (meta["n_answered"] / len(codebook.items)).round(4)
    meta["n_out_of_range"] = (status == "out_of_range").sum(axis=1)
    meta["n_unrecognised"] = (status == "unrecognised").sum(axis=1)
    reasons = _flag(df, meta, pm, am, score_items(codes, codebook), codebook, rules, provinces)
    state, superseded_by, decided_by = _deduplicate(meta, reasons)
    meta["comments"], redactions = scrub_column(meta["comments"], df["respondent_name"].map(clean_text))
    reason_list = reasons.apply(lambda r: [k for k in REASONS if r[k]], axis=1)
    meta["reasons"] = reason_list.map(";".join)
    meta["primary_reason"] = reason_list.map(lambda r: r[0] if r else "")
    rows = _Rows(meta, codes, status, reasons, state, superseded_by, decided_by)
    clean, quarantine, superseded, answer_flags = _split(rows, df, codebook, provinces)
    log = _log(rows, clean, quarantine, superseded, raw, rules, encodings or [])
    log["privacy"] = {"free_text_redactions": redactions, "pseudonym_key": pseudonym_key_source(key)}
    return CleanResult(clean=clean, quarantine=quarantine, superseded=superseded, answer_flags=answer_flags, log=log)


def _log(rows: _Rows, clean: pd.DataFrame, quarantine: pd.DataFrame, superseded: pd.DataFrame, raw: pd.DataFrame,
         rules: dict[str, Any], encodings: list[str]) -> dict[str, Any]:
    """The cleaning log: every raw row accounted for, counts per rule, per province and per encoding."""
    meta, status, status_row, reasons = rows.meta, rows.status, rows.state, rows.reasons
    n_raw = len(meta)
    assert n_raw == len(clean) + len(quarantine) + len(superseded), "accounting: a raw row was lost"
    per_province = (pd.DataFrame({"province": meta["province"].fillna("(unmatched)"), "status": status_row})
                    .value_counts().unstack(fill_value=0))
    for col in ("clean", "quarantined", "superseded"):
        if col not in per_province:
            per_province[col] = 0
    per_province["raw"] = per_province[["clean", "quarantined", "superseded"]].sum(axis=1)
    in_clean = status_row == "clean"
    return {
        "raw_rows": int(n_raw),
        "clean_rows": int(len(clean)),
        "quarantined_rows": int(len(quarantine)),
        "superseded_rows": int(len(superseded)),
        "encodings": sorted(set(encodings)),
        "quarantine_reasons": {k: int(v) for k, v in quarantine["primary_reason"].value_counts().sort_index().items()},
        "rules": {
            "flagged_rows_by_reason": {k: int(reasons[k].sum()) for k in REASONS},
            "province_match": {k: int(v) for k, v in meta["province_match"].value_counts().sort_index().items()},
            "agency_match": {k: int(v) for k, v in meta["agency_match"].value_counts().sort_index().items()},
            "province_fuzzy_matches": [
                {"submission_id": r.submission_id, "text": r.province_text, "province": r.province}
                for r in meta[meta["province_match"] == "fuzzy"].itertuples()
            ],
            "dates_unparsed": int((meta["time_status"] == "unparsed").sum()),
            "dates_by_form": {k: int(v) for k, v in meta.loc[meta["time_form"] != "", "time_form"]
                              .value_counts().sort_index().items()},
            "dates_flagged": [
                {"source_file": r.source_file, "source_row": int(r.source_row), "submission_id": r.submission_id,
                 "problem": r.time_status}
                for r in meta[meta["time_status"].isin(["implausible_year", "ambiguous_year", "unparsed"])].itertuples()
            ],
            "dates_buddhist_era": int(raw["submitted_at"].map(
                lambda s: bool(re.search(r"(25\d\d|๒๕[๐-๙][๐-๙])|/\d\d\s|/[๐-๙]{2}\s", str(s)))).sum()),
            "answers_out_of_range": int((status == "out_of_range").to_numpy().sum()),
            "answers_out_of_range_in_clean_rows": int((status[in_clean] == "out_of_range").to_numpy().sum()),
            "answers_unrecognised": int((status == "unrecognised").to_numpy().sum()),
            "answers_blank_in_clean_rows": int((status[in_clean] == "blank").to_numpy().sum()),
            "superseded_resubmissions": int(len(superseded)),
            "superseded_decided_by": {k: int(v) for k, v in
                                      superseded["decided_by"].value_counts().sort_index().items()},
            "submission_ids": {k: int(v) for k, v in meta["id_source"].value_counts().sort_index().items()},
            **_text_fixes(raw, rules),
        },
        "per_province": {
            p: {k: int(per_province.at[p, k]) for k in ("raw", "clean", "quarantined", "superseded")}
            for p in sorted(per_province.index)
        },
    }


def clean_schema(codebook: Codebook) -> pa.DataFrameSchema:
    """A pandera schema for the clean table, derived from the codebook."""
    provinces = load_provinces(in_survey_only=True)
    agencies = load_agencies()
    cols: dict[str, pa.Column] = {
        "submission_id": pa.Column(str, unique=True),
        "submitted_at": pa.Column("datetime64[ns]", nullable=True),
        "province": pa.Column(str, pa.Check.isin(provinces["iso_code"].tolist())),
        "region": pa.Column(str, pa.Check.isin(sorted(provinces["region"].unique()))),
        "agency": pa.Column(str, pa.Check.isin(agencies["code"].tolist())),
        "respondent_key": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}$")),
    }
    for it in codebook.items:
        if it.type == "yes_no":
            check = pa.Check.isin([0.0, 1.0])
        elif it.type in ("count", "percent"):
            check = pa.Check.in_range(0, 100 if it.type == "percent" else np.inf)
        else:
            lo, hi = it.score_range
            check = pa.Check.in_range(lo, hi)
        cols[it.id] = pa.Column(float, check, nullable=True)
    return pa.DataFrameSchema(cols, unique=["province", "agency"], strict=False, coerce=False)


def validate_clean(clean: pd.DataFrame, codebook: Codebook) -> None:
    """Check the clean table; raise :class:`CleaningError` listing each failing row and column."""
    try:
        clean_schema(codebook).validate(clean, lazy=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        lines = [f"  row {r.index}, column '{r.column}': {r.check} (value {r.failure_case!r})"
                 for r in fc.head(20).itertuples()]
        raise CleaningError("clean table fails its schema:\n" + "\n".join(lines)) from None


def response_rates(clean: pd.DataFrame, per_province: int = 19) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Responding agencies of ``per_province`` by province and by region."""
    provinces = load_provinces(in_survey_only=True)
    n = clean.groupby("province").size()
    prov = provinces[["iso_code", "name_th", "name_en", "region", "region_th", "region_en"]].copy()
    prov["responded"] = prov["iso_code"].map(n).fillna(0).astype(int)
    prov["contacted"] = per_province
    prov["response_rate"] = (prov["responded"] / per_province).round(4)
    reg = prov.groupby(["region", "region_th", "region_en"], as_index=False)[["responded", "contacted"]].sum()
    reg["provinces"] = reg["region"].map(prov["region"].value_counts())
    reg["response_rate"] = (reg["responded"] / reg["contacted"]).round(4)
    total = pd.DataFrame([{"region": "all", "region_th": "ทั้งประเทศ", "region_en": "All provinces",
                           "responded": int(prov["responded"].sum()), "contacted": int(prov["contacted"].sum()),
                           "provinces": len(prov)}])
    total["response_rate"] = (total["responded"] / total["contacted"]).round(4)
    return prov, pd.concat([reg, total], ignore_index=True)


def write_clean_outputs(result: CleanResult, out_dir: str | Path) -> Path:
    """Write every cleaning output into ``out_dir``, all or nothing.

    Files go to a staging folder beside ``out_dir`` that replaces it only when complete:
    ``clean_responses`` (Parquet + CSV), ``quarantine``, ``superseded``, ``answer_flags``,
    ``response_rates_province``, ``response_rates_region``, ``column_mapping`` (CSV + Parquet) and
    ``cleaning_log.json``.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        write_table(result.clean, stage / "clean_responses")
        write_table(result.quarantine, stage / "quarantine")
        write_table(result.superseded, stage / "superseded")
        write_table(result.answer_flags, stage / "answer_flags")
        if len(result.mapping):
            write_table(result.mapping, stage / "column_mapping")
        by_province, by_region = response_rates(result.clean)
        write_table(by_province, stage / "response_rates_province")
        write_table(by_region, stage / "response_rates_region")
        write_json(result.log, stage / "cleaning_log.json")
        old = out.with_name(f".{out.name}.old")
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
        stage.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out


def _file_log(info: ExportInfo) -> dict[str, Any]:
    """One file in the cleaning log: format, platform, every sheet accounted for, what the mapping found."""
    m = info.mapping
    return {
        "file": Path(info.path).name, "format": info.format, "encoding": info.encoding, "rows": info.rows,
        "sheet": info.sheet, "platform": info.platform,
        "sheets": [{"sheet": a.sheet, "status": a.status, "reason": a.reason, "header_row": a.header_row,
                    "title_rows": a.title_rows, "blank_rows": a.blank_rows, "data_rows": a.data_rows}
                   for a in info.sheets],
        "columns_by_method": {k: int(v) for k, v in m.loc[m["method"] != "", "method"].value_counts().sort_index()
                              .items()},
        "columns_unmatched": m.loc[m["kind"] == "none", "source"].tolist(),
        "items_missing": list(info.missing_items),
        "notes": list(info.notes),
    }


def run_cleaning(raw_paths: list[str | Path], out_dir: str | Path, codebook: Codebook | None = None,
                 key: str | None = None, column_map: str | Path | None = None) -> CleanResult:
    """Read every export, clean, and write the outputs. A bad file raises before anything is written.

    ``column_map`` is a mapping file of source headers to items or fields (default
    ``params/column_map.yaml`` when it exists); most platform exports need none.
    """
    cb = codebook or load_codebook()
    raw, infos = read_exports(list(raw_paths), cb, column_map=column_map)
    sample = sample_dir().resolve()
    real = [p for p in raw_paths if sample not in Path(p).resolve().parents]
    if real and pseudonym_key_source(key) == "default":
        warnings.warn(
            f"cleaning {Path(real[0]).name} with the PUBLIC default pseudonym key: anyone can recompute the "
            "respondent keys from names and phones. Set DGR_PSEUDONYM_KEY to a secret before cleaning real data.",
            PseudonymKeyWarning, stacklevel=2)
    result = clean_responses(raw, cb, encodings=[i.encoding for i in infos], key=key)
    result.log["files"] = [_file_log(i) for i in infos]
    result.mapping = pd.concat([i.mapping.assign(file=Path(i.path).name) for i in infos], ignore_index=True)[
        ["file", "sheet", "position", "source", "kind", "target", "option", "method", "detail"]]
    write_clean_outputs(result, out_dir)
    return result
