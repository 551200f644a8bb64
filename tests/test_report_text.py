"""The words of the province pages: every label in both languages, every section rendered for a
full, a minimal and an empty province, in each language, with data text escaped."""

from __future__ import annotations

import dataclasses
import re

import jinja2
import numpy as np
import pandas as pd
import pytest

from analysis.cleaning.clean import REASONS
from analysis.report import text
from analysis.report.labels import LANGS, labels
from analysis.report.province import load_province

VERDICTS = ("above", "below", "not different", "not tested")  # analysis.stats.multilevel.compare_to_national


@pytest.fixture(scope="module")
def full(outputs):
    return load_province("TH-50", outputs)


@pytest.fixture(scope="module")
def minimal(full):
    """One responding agency: a score, no interval, no r_wg, not tested against the nation."""
    province = full.province.copy()
    province["n_agencies"] = 1
    for col in [c for c in province.index if c.endswith(("_low", "_high")) and not c.startswith("rank")]:
        province[col] = np.nan
    vs = full.vs_nation.copy()
    vs["label"] = "not tested"
    return dataclasses.replace(full, province=province, agencies=full.agencies.head(1), rwg=None, vs_nation=vs)


@pytest.fixture(scope="module")
def empty(full):
    """No usable response: three rows quarantined, for two reasons."""
    province = full.province.copy()
    province["n_agencies"] = 0
    province[[c for c in province.index if isinstance(province[c], float)]] = np.nan
    quarantine = pd.DataFrame({"province": "TH-50", "primary_reason": ["too_few_items", "too_few_items",
                                                                        "straight_lining"]})
    return dataclasses.replace(full, province=province, agencies=full.agencies.iloc[0:0], rwg=None,
                               vs_nation=None, quarantine=quarantine)


def test_every_label_has_both_languages() -> None:
    for group, entries in labels().items():
        for key, texts in entries.items():
            assert set(texts) == set(LANGS), f"{group}.{key}"
            assert all(isinstance(t, str) and t.strip() for t in texts.values()), f"{group}.{key}"


def test_every_reason_and_verdict_has_a_label() -> None:
    assert set(labels()["reasons"]) == set(REASONS)
    assert set(labels()["verdicts"]) == set(VERDICTS)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("which", ["full", "minimal", "empty"])
def test_every_section_renders(request, which: str, lang: str) -> None:
    d = request.getfixturevalue(which)
    out = {s: text.render(s, d, lang) for s in text.SECTIONS}
    joined = "\n".join(out.values()) + text.methods(d, lang)
    assert not re.search(r"\{\{|\{%|\bNone\b|\bnan\b", joined), joined
    assert out["headline"] and out["agencies"] and out["caveats"]
    if which == "empty":
        assert out["comparison"] == out["pillars"] == out["recommendations"] == ""
        assert ("ตอบน้อยเกินไป 2 รายการ" if lang == "th" else "too few items 2") in out["headline"]
    else:
        assert out["comparison"] and out["pillars"] and out["recommendations"].startswith("1. ")
    if which == "minimal":
        assert ("ทดสอบไม่ได้" if lang == "th" else "could not be tested") in out["comparison"]
        assert ("1 จาก 19" if lang == "th" else "1 of the 19") in out["agencies"]
        assert ("ไม่มีช่วงความเชื่อมั่น" if lang == "th" else "no interval") in out["headline"]


def test_full_province_in_numbers(full) -> None:
    en = text.render("headline", full, "en")
    p = full.province
    assert f"**{p['index']:.1f} out of 100**" in en
    assert f"ranks **{int(p['rank'])} of {full.n_ranked} provinces**" in en
    th = text.render("headline", full, "th")
    assert f"**{p['index']:.1f} คะแนน**" in th and f"อันดับที่ {int(p['rank'])} จาก {full.n_ranked} จังหวัด" in th


def test_text_from_data_is_escaped(full) -> None:
    province = full.province.copy()
    province["name_en"] = "<script>alert(1)</script>"
    hostile = dataclasses.replace(full, province=province)
    out = text.render("headline", hostile, "en")
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_a_missing_context_value_fails_loudly(full) -> None:
    with pytest.raises(jinja2.UndefinedError, match="no attribute .name."):
        text.environment().get_template("province.en.md.j2").module.headline({"has_data": True})


@pytest.mark.parametrize("lang", LANGS)
def test_methods_name_the_estimator_shown(full, lang: str) -> None:
    """The page says which estimator its scores come from: empirical Bayes or the plain mean."""
    import dataclasses

    plain = dataclasses.replace(full, province=full.province.copy())
    plain.province["estimator"] = "direct"
    eb, direct = text.methods(full, lang), text.methods(plain, lang)
    assert full.province["estimator"] == "eb"
    assert ("Fay-Herriot" in eb) and ("BCa" in direct) and ("Fay-Herriot" not in direct)
