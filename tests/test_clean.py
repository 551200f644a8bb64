"""Cleaning the bundled sample: every injected defect is caught by its rule, nothing leaks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.cleaning.clean import pseudonym, run_cleaning
from analysis.core.paths import sample_dir


@pytest.fixture(scope="module")
def cleaned(codebook, tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs") / "clean"
    return run_cleaning([sample_dir() / "survey_export.csv"], out, codebook), out


@pytest.fixture(scope="module")
def manifest():
    return json.loads((sample_dir() / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def truth():
    return pd.read_csv(sample_dir() / "truth" / "agencies.csv")


def test_accounting(cleaned, manifest) -> None:
    result, out = cleaned
    log = json.loads((out / "cleaning_log.json").read_text(encoding="utf-8"))
    assert log["raw_rows"] == manifest["raw_rows"]
    assert log["raw_rows"] == log["clean_rows"] + log["quarantined_rows"] + log["superseded_rows"]
    ids = pd.concat([result.clean["submission_id"], result.quarantine["submission_id"],
                     result.superseded["submission_id"]])
    assert ids.is_unique and len(ids) == log["raw_rows"]
    assert log["encodings"] == ["utf-8-sig"]


def test_clean_rows_are_the_truths_responding_agencies(cleaned, truth) -> None:
    result, _ = cleaned
    expected = truth.loc[truth["expected_status"] == "clean"]
    assert set(result.clean["submission_id"]) == set(expected["final_submission_id"])
    got = set(zip(result.clean["province"], result.clean["agency"], strict=True))
    assert got == set(zip(expected["province"], expected["agency"], strict=True))


def _ids(manifest, kind):
    return {r if isinstance(r, str) else r["submission_id"] for r in manifest["defects"][kind]["rows"]}


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("bangkok", "outside_survey"), ("test", "test_submission"), ("unknown_province", "province_unknown"),
     ("partial_only", "too_few_items"), ("straight_lining", "straight_lining")],
)
def test_quarantine_rule_matches_manifest(cleaned, manifest, kind, reason) -> None:
    result, _ = cleaned
    q = result.quarantine
    assert set(q.loc[q["primary_reason"] == reason, "submission_id"]) == _ids(manifest, kind)


def test_resubmissions_superseded_by_the_final_one(cleaned, manifest) -> None:
    result, _ = cleaned
    expected = {r["submission_id"]: r["superseded_by"] for r in manifest["defects"]["resubmission"]["rows"]}
    assert dict(zip(result.superseded["submission_id"], result.superseded["superseded_by"], strict=True)) == expected
    # the pseudonymous key links a re-submission to its replacement (same respondent)
    keys = result.clean.set_index("submission_id")["respondent_key"]
    same = (result.superseded["respondent_key"].to_numpy() == keys[result.superseded["superseded_by"]].to_numpy())
    assert same.all()


def test_text_rules_match_manifest(cleaned, manifest) -> None:
    result, _ = cleaned
    rules = result.log["rules"]
    zw = manifest["defects"]["zero_width"]["rows"]
    for col in ("province", "agency"):
        assert rules["zero_width_or_odd_space"][col] == sum(r["column"] == col for r in zw)
    assert rules["sara_e_fixed"]["agency"] == manifest["defects"]["sara_e"]["count"]
    fuzzy = {(m["submission_id"], m["province"]) for m in rules["province_fuzzy_matches"]}
    assert fuzzy == {(r["submission_id"], r["province"]) for r in manifest["defects"]["province_misspelt"]["rows"]}
    assert rules["dates_unparsed"] == 0


def test_out_of_range_answers_set_missing_and_flagged(cleaned, manifest) -> None:
    result, _ = cleaned
    flags = result.answer_flags[result.answer_flags["flag"] == "out_of_range"]
    assert {(r.submission_id, r.item) for r in flags.itertuples()} == {
        (c["submission_id"], c["item"]) for c in manifest["out_of_range"]["cells"]}
    clean = result.clean.set_index("submission_id")
    for c in manifest["out_of_range"]["cells"]:
        if c["submission_id"] in clean.index:
            assert pd.isna(clean.at[c["submission_id"], c["item"]])
    assert result.log["rules"]["answers_unrecognised"] == 0


def test_clean_answers_equal_the_model_answers(cleaned, export, codebook) -> None:
    """Where the sample wrote a model answer as typed, cleaning reads back the same code."""
    result, _ = cleaned
    codes = export.codes.set_index(["province", "agency"])
    clean = result.clean.set_index(["province", "agency"])
    straight = set(result.quarantine.loc[result.quarantine["primary_reason"] == "straight_lining", "submission_id"])
    assert not straight & set(clean["submission_id"])
    model = codes.loc[clean.index, codebook.item_ids]
    got = clean[codebook.item_ids]
    both = got.notna()
    assert both.to_numpy().mean() > 0.95
    assert (got[both] == model[both]).to_numpy()[both.to_numpy()].all()


def test_no_personal_data_in_outputs(cleaned, export) -> None:
    _, out = cleaned
    raw = export.raw
    needles = set(raw["respondent_name"]) | set(raw["respondent_email"]) | set(raw["respondent_phone"])
    digit_phones = {re.sub(r"\D", "", p)[-9:] for p in raw["respondent_phone"]}
    files = [p for p in Path(out).rglob("*") if p.is_file()]
    assert files
    for p in files:
        data = p.read_bytes()
        text = data.decode("utf-8", errors="ignore")
        for n in needles:
            assert n.encode("utf-8") not in data, f"{p.name} contains personal data {n!r}"
        assert not digit_phones & set(re.findall(r"\d{9}", re.sub(r"[\s\-+]", "", text))), p.name
    clean = pd.read_parquet(Path(out) / "clean_responses.parquet")
    assert not {"respondent_name", "respondent_phone", "respondent_email", "respondent_position"} & set(clean.columns)


def test_formula_comments_neutralised_in_csv(cleaned, manifest) -> None:
    result, out = cleaned
    csv = pd.read_csv(Path(out) / "clean_responses.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for col in csv.columns:
        assert not csv[col].str.match(r"^[=+\-@\t\r]").any(), col
    parquet = pd.read_parquet(Path(out) / "clean_responses.parquet").set_index("submission_id")
    html = [s for s in _ids(manifest, "html_comment") if s in parquet.index]
    assert html and all("<" in parquet.at[s, "comments"] or "&" in parquet.at[s, "comments"] for s in html)


def test_pseudonym_is_keyed() -> None:
    s = pd.Series(["สมชาย ใจดี|812345678"])
    assert pseudonym(s, "k1").iloc[0] == pseudonym(s, "k1").iloc[0]
    assert pseudonym(s, "k1").iloc[0] != pseudonym(s, "k2").iloc[0]
    assert re.fullmatch(r"[0-9a-f]{16}", pseudonym(s, "k1").iloc[0])


def test_deterministic_outputs(codebook, cleaned, tmp_path) -> None:
    _, out = cleaned
    run_cleaning([sample_dir() / "survey_export.csv"], tmp_path / "clean", codebook)
    for name in ("clean_responses.csv", "quarantine.csv", "superseded.csv", "cleaning_log.json", "answer_flags.csv"):
        assert (tmp_path / "clean" / name).read_bytes() == (Path(out) / name).read_bytes(), name


def test_answer_flags_hold_only_flagged_answers(cleaned, manifest) -> None:
    result, _ = cleaned
    assert set(result.answer_flags["flag"]) == {"out_of_range"}
    assert len(result.answer_flags) == manifest["out_of_range"]["count"]
