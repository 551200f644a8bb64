"""Personal data typed into free text never reaches outputs/, and real data is not cleaned silently
with the public pseudonym key."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from analysis.cleaning.clean import PseudonymKeyWarning, run_cleaning
from analysis.cleaning.privacy import scrub
from analysis.core.paths import sample_dir


@pytest.mark.parametrize(("text", "kind"), [
    ("โทรกลับ 081-234-5678", "phone"), ("โทร 0812345678 ครับ", "phone"), ("+66 81 234 5678", "phone"),
    ("tel. +66-2-123-4567", "phone"), ("สำนักงาน 02 123 4567", "phone"), ("เบอร์ ๐๘๑๒๓๔๕๖๗๘", "phone"),
    ("0066 81 234 5678", "phone"), ("somchai.j@dga.or.th", "e-mail"), ("ส่งที่ it_team+survey@province.go.th", "e-mail"),
    ("1-2345-67890-12-3", "national-id"), ("บัตรประชาชน 1234567890123", "national-id"),
    ("LINE ID: dga_team", "line-id"), ("line @abc99", "line-id"), ("ไลน์ไอดี somchai", "line-id"),
    ("ไลน์: somchai.k", "line-id"),
])
def test_each_kind_of_personal_data_is_removed(text: str, kind: str) -> None:
    out, counts = scrub(text)
    assert f"[{kind}]" in out and counts[kind] == 1, out
    assert not any(ch.isdigit() for ch in out.replace(f"[{kind}]", "")) or kind == "e-mail", out


@pytest.mark.parametrize("text", [
    "งบ < 5,000 บาท & ไม่เพียงพอ > ต้องการเพิ่ม", "ปี 2561-2562", "ร้อยละ 54.5", "ราคา 1,234,567 บาท",
    "online service and deadline 2018", "line manager approved", "ค่า 10.5 ล้าน", "ISO 27001:2013",
    "=HYPERLINK(\"http://example.invalid\",\"ดู\")", "อบรม 3 รุ่น รุ่นละ 40 คน",
])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert scrub(text) == (text, scrub(text)[1]) and sum(scrub(text)[1].values()) == 0


def test_the_respondents_own_name_is_removed() -> None:
    out, counts = scrub("ติดต่อคุณสมชาย ใจดี หรือคุณสมชาย", "สมชาย  ใจดี")
    assert "สมชาย" not in out and "ใจดี" not in out and counts["name"] >= 2


def _export_with(tmp_path: Path, comments: dict[int, str]) -> Path:
    raw = pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for row, text in comments.items():
        raw.loc[row, "comments"] = text.replace("{name}", raw.loc[row, "respondent_name"])
    path = tmp_path / "export.csv"
    raw.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_cleaning_removes_personal_data_from_comments_and_counts_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DGR_PSEUDONYM_KEY", "a-secret-for-this-test")
    path = _export_with(tmp_path, {0: "โทร 089-999-1234 หรือ x.y@example.org", 5: "ติดต่อ {name} ไลน์ @abc123",
                                   9: "บัตร 3-1012-34567-89-0"})
    res = run_cleaning([path], tmp_path / "out")
    redactions = res.log["privacy"]["free_text_redactions"]
    assert redactions["phone"] >= 2 and redactions["e-mail"] >= 1 and redactions["line-id"] >= 1
    assert redactions["national-id"] >= 1
    assert res.log["privacy"]["pseudonym_key"] == "DGR_PSEUDONYM_KEY"
    for f in (tmp_path / "out").rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for needle in ("089-999-1234", "x.y@example.org", "abc123", "3-1012-34567-89-0", "234 5678"):
                assert needle.encode() not in data, f"{f.name}: {needle}"
    log = json.loads((tmp_path / "out" / "cleaning_log.json").read_text(encoding="utf-8"))
    assert log["privacy"]["free_text_redactions"] == redactions


def test_real_data_with_the_default_key_warns(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DGR_PSEUDONYM_KEY", raising=False)
    path = _export_with(tmp_path, {})
    with pytest.warns(PseudonymKeyWarning, match="DGR_PSEUDONYM_KEY"):
        run_cleaning([path], tmp_path / "out")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PseudonymKeyWarning)
        run_cleaning([sample_dir() / "survey_export.csv"], tmp_path / "sample")  # the bundled sample: no warning
