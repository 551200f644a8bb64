"""Exports as researchers really have them: several files, cumulative or restarting ids, blank ids,
labelled answers, decomposed Thai vowels, an agency of another province."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.cleaning.clean import clean_responses, run_cleaning
from analysis.cleaning.normalise import clean_text, parse_answer
from analysis.cleaning.reading import read_exports
from analysis.core.paths import sample_dir


@pytest.fixture(scope="module")
def sample_rows() -> pd.DataFrame:
    """The sample export as text, project layout."""
    return pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def good(sample_rows, codebook) -> pd.DataFrame:
    """Forty sample rows that clean to forty different (province, agency) pairs."""
    raw, _ = read_exports([sample_dir() / "survey_export.csv"], codebook)
    res = clean_responses(raw, codebook)
    ids = res.clean["submission_id"].head(40).tolist()
    return sample_rows[sample_rows["submission_id"].isin(ids)].reset_index(drop=True)


def _write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False, encoding="utf-8")
    return path


def _clean(paths: list[Path], codebook):
    raw, _ = read_exports(paths, codebook)
    return clean_responses(raw, codebook)


def test_ids_restarting_in_each_file_keep_every_valid_row(good, codebook, tmp_path) -> None:
    a, b = good.iloc[:20].copy(), good.iloc[20:].copy()
    a["submission_id"] = [str(i) for i in range(1, 21)]
    b["submission_id"] = [str(i) for i in range(1, 21)]
    res = _clean([_write(a, tmp_path / "week1.csv"), _write(b, tmp_path / "week2.csv")], codebook)
    assert len(res.clean) == 40 and len(res.quarantine) == 0 and len(res.superseded) == 0
    assert set(res.clean["submission_id"]) == {f"{f}#{i}" for f in ("week1.csv", "week2.csv") for i in range(1, 21)}
    assert res.log["rules"]["submission_ids"] == {"scoped": 40}


def test_blank_ids_stand_in_by_file_and_row(good, codebook, tmp_path) -> None:
    df = good.copy()
    df["submission_id"] = ""
    res = _clean([_write(df, tmp_path / "forms.csv")], codebook)
    assert len(res.clean) == 40 and len(res.quarantine) == 0
    assert set(res.clean["submission_id"]) == {f"forms.csv#r{r}" for r in range(2, 42)}


def test_export_without_an_id_column(good, codebook, tmp_path) -> None:
    res = _clean([_write(good.drop(columns="submission_id"), tmp_path / "noid.csv")], codebook)
    assert len(res.clean) == 40 and res.log["rules"]["submission_ids"] == {"stand_in": 40}


def test_cumulative_exports_keep_the_edited_version(good, codebook, tmp_path) -> None:
    """Week 2 repeats week 1 and edits one submission (later time): the edit wins, by time."""
    week1 = good.iloc[:30].copy()
    week2 = good.copy()
    week2.loc[3, "submitted_at"] = "2018-12-31 10:00:00"
    week2.loc[3, "comments"] = "แก้ไขแล้ว"
    res = _clean([_write(week1, tmp_path / "w1.csv"), _write(week2, tmp_path / "w2.csv")], codebook)
    assert len(res.clean) == 40 and len(res.quarantine) == 0 and len(res.superseded) == 30
    edited = res.clean.set_index("submission_id").loc[good.loc[3, "submission_id"]]
    assert edited["comments"] == "แก้ไขแล้ว" and edited["source_file"] == "w2.csv"
    decided = res.superseded.set_index("source_row")["decided_by"]
    assert decided.loc[5] == "later_time"  # row 3 of the frame is line 5 of w1.csv
    assert (res.superseded["decided_by"] == "later_file").sum() == 29


def test_the_later_of_two_files_wins_when_times_tie(good, codebook, tmp_path) -> None:
    a = good.iloc[:5].copy()
    b = a.copy()
    b["comments"] = "second file"
    res = _clean([_write(a, tmp_path / "a.csv"), _write(b, tmp_path / "b.csv")], codebook)
    assert (res.clean["comments"] == "second file").all() and len(res.clean) == 5
    # file order decides, not the file name
    res = _clean([_write(b, tmp_path / "b.csv"), _write(a, tmp_path / "a.csv")], codebook)
    assert (res.clean["source_file"] == "a.csv").all()


def test_an_older_unparsed_time_does_not_beat_a_parsed_newer_one(good, codebook, tmp_path) -> None:
    a = good.iloc[:1].copy()
    a["submitted_at"] = "2018-07-01T09:00:00.000+07:00"
    b = a.copy()
    b["submitted_at"], b["comments"] = "27 ก.ค. 2561 14:03", "newer"
    res = _clean([_write(b, tmp_path / "b.csv"), _write(a, tmp_path / "a.csv")], codebook)
    assert res.clean["comments"].tolist() == ["newer"]
    assert res.superseded["decided_by"].tolist() == ["later_time"]


def test_agency_naming_another_province_is_quarantined(good, codebook, tmp_path) -> None:
    df = good.iloc[:3].copy()
    df.loc[0, "province"] = "ลำพูน"
    df.loc[0, "agency"] = "สำนักงานสถิติจังหวัดเชียงใหม่"
    df.loc[1, "province"] = "ลำพูน"
    df.loc[1, "agency"] = "สำนักงานสถิติจังหวัดลำพูน"
    res = _clean([_write(df, tmp_path / "x.csv")], codebook)
    assert res.quarantine["primary_reason"].tolist() == ["agency_other_province"]
    assert "TH-51" in set(res.clean["province"])


def test_decomposed_sara_am_matches_the_province(good, codebook, tmp_path) -> None:
    df = good.iloc[:1].copy()
    df["province"] = "ล\u0e4d\u0e32พูน"  # NIKHAHIT + SARA AA typed for SARA AM
    res = _clean([_write(df, tmp_path / "x.csv")], codebook)
    assert res.clean["province"].tolist() == ["TH-51"]
    assert clean_text("น\u0e4d\u0e49\u0e32") == clean_text("น้ำ") == "น\u0e49\u0e33"


@pytest.mark.parametrize(("text", "code", "status"), [
    ("เห็นด้วย (4)", 4, "ok"), ("4 - เห็นด้วย", 4, "ok"), ("ระดับ 3", 3, "ok"), ("4. Agree", 4, "ok"),
    ("ระดับที่ 5", 5, "ok"), ("(2)", 2, "ok"), ("๔ - เห็นด้วย", 4, "ok"), ("3.0", 3, "ok"),
    ("Agree (3)", None, "unrecognised"), ("ระดับ 6", None, "out_of_range"), ("1.5", None, "unrecognised"),
])
def test_labelled_likert_answers(codebook, text, code, status) -> None:
    a = parse_answer(codebook.item("p1_1_2"), text, codebook)
    assert a.status == status and (code is None or a.code == code)


@pytest.mark.parametrize(("text", "code", "status"), [
    ("ระดับ 2 รัฐบาลที่ขับเคลื่อนด้วยข้อมูล", 2, "ok"), ("2 - Data-centric", 2, "ok"),
    ("Data-centric (2)", 2, "ok"), ("Smart (2)", None, "unrecognised"), ("ระดับ 5", None, "out_of_range"),
])
def test_labelled_maturity_answers(codebook, text, code, status) -> None:
    a = parse_answer(codebook.item("p1_1_3"), text, codebook)
    assert a.status == status and (code is None or a.code == code)


def test_several_files_are_all_accounted_for(good, codebook, tmp_path) -> None:
    paths = [_write(good.iloc[i:i + 10], tmp_path / f"part{i}.csv") for i in range(0, 40, 10)]
    res = run_cleaning(paths, tmp_path / "out", codebook)
    assert [f["rows"] for f in res.log["files"]] == [10, 10, 10, 10]
    assert res.log["raw_rows"] == 40 == len(res.clean)


def test_implausible_years_are_flagged_in_the_log_never_guessed(good, codebook, tmp_path) -> None:
    """5261 (a typo for 2561), 0561, 2651 (B.E. 2108) and 23/07/40 (1997 or 2040) are left empty and listed."""
    df = good.iloc[:5].copy()
    df["submitted_at"] = ["23/07/5261", "23/07/0561", "23/07/2651 10:00", "23/07/40", "23/07/18 10:00"]
    res = _clean([_write(df, tmp_path / "x.csv")], codebook)
    flagged = {(f["source_row"], f["problem"]) for f in res.log["rules"]["dates_flagged"]}
    assert flagged == {(2, "implausible_year"), (3, "implausible_year"), (4, "implausible_year"),
                       (5, "ambiguous_year")}
    times = res.clean.set_index("source_row")["submitted_at"]
    assert times.loc[[2, 3, 4, 5]].isna().all()
    assert times.loc[6] == pd.Timestamp("2018-07-23 10:00")  # two-digit Gregorian year: 2018, not 1975
    assert len(res.clean) == 5  # a flagged time does not cost the response
