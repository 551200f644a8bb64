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


def test_differences_come_from_the_rounded_numbers_shown() -> None:
    """52.149 against 46.451 is shown as 52.1 and 46.5, so the gap reads 5.6 (not 5.7)."""
    assert text.shown_difference(52.149, 46.451) == pytest.approx(5.6)
    assert f"{52.149 - 46.451:.1f}" == "5.7"
    assert text.shown_difference(46.451, 52.149) == pytest.approx(-5.6)
    assert text.shown_difference(46.46, 46.54) == 0.0


def _with_national(d, nat_index: float, index: float):
    """``d`` with the national mean and the province's index replaced."""
    aggregates = d.aggregates.copy()
    aggregates.loc[aggregates["level"] == "national", "index"] = nat_index
    province = d.province.copy()
    province["index"] = index
    return dataclasses.replace(d, aggregates=aggregates, province=province)


@pytest.mark.parametrize("lang", LANGS)
def test_comparison_quotes_the_gap_between_the_numbers_it_shows(full, lang: str) -> None:
    out = text.render("comparison", _with_national(full, 46.451, 52.149), lang)
    if lang == "en":
        assert "5.6 points above the national mean (46.5)" in out and "5.7" not in out
    else:
        assert "สูงกว่าค่าเฉลี่ยประเทศ (46.5) 5.6 คะแนน" in out and "5.7" not in out
    level = text.render("comparison", _with_national(full, 46.46, 46.54), lang)
    assert ("level with the national mean (46.5)" if lang == "en" else "เท่ากับค่าเฉลี่ยประเทศ (46.5)") in level


def test_interval_and_verdict_relation() -> None:
    assert text.interval_vs_test(47.7, 58.9, 46.5, "not different") == "interval_above"
    assert text.interval_vs_test(33.6, 45.1, 46.5, "not different") == "interval_below"
    assert text.interval_vs_test(46.5, 57.8, 46.5, "not different") == "agree", "touching is not excluding"
    assert text.interval_vs_test(46.46, 57.8, 46.54, "not different") == "agree", "as shown, 46.5 = 46.5"
    assert text.interval_vs_test(47.7, 58.9, 46.5, "above") == "agree"
    assert text.interval_vs_test(45.0, 58.9, 46.5, "above") == "test_only"
    assert text.interval_vs_test(None, None, 46.5, "not different") == "agree"
    assert text.interval_vs_test(47.7, 58.9, 46.5, "not tested") == "agree"


@pytest.mark.parametrize("lang", LANGS)
def test_interval_excluding_the_nation_is_reconciled_with_the_adjusted_test(full, lang: str) -> None:
    """The interval lies above the national mean but the Benjamini-Hochberg-adjusted test says "not
    different": the page says both, in plain words, and what the adjustment does."""
    nat = float(full.national()["index"])
    province = full.province.copy()
    province["index_low"], province["index_high"] = nat + 1.2, nat + 11.0
    vs = full.vs_nation.copy()
    vs["label"] = "not different"
    d = dataclasses.replace(full, province=province, vs_nation=vs)
    out = text.render("comparison", d, lang)
    shown = f"({nat + 1.2:.1f}–{nat + 11.0:.1f})"
    if lang == "en":
        assert "cannot be told apart from the national mean" in out
        assert f"Its 95 % interval {shown} lies wholly above the national mean, which on its own suggests a " \
               "difference; but tested together with all" in out and "not clear enough to be sure" in out
        assert "a few will look different by chance alone" in out and "Benjamini-Hochberg" in out
    else:
        assert "ยังไม่อาจสรุปได้ว่าแตกต่าง" in out
        assert f"ช่วงความเชื่อมั่น 95% ของจังหวัด {shown} อยู่สูงกว่าค่าเฉลี่ยประเทศทั้งช่วง" in out
        assert "ความแตกต่างยังไม่ชัดเจนพอที่จะสรุปได้" in out and "โดยบังเอิญ" in out
    # when interval and test agree, no reconciling sentence
    vs["label"] = "above"
    agree = text.render("comparison", dataclasses.replace(d, vs_nation=vs), lang)
    assert "not clear enough" not in agree and "ยังไม่ชัดเจนพอ" not in agree


@pytest.mark.parametrize("lang", LANGS)
def test_excluded_agencies_are_told_apart_from_silent_ones(full, lang: str) -> None:
    """An agency whose only response was excluded is not said to have not responded; no English
    "quarantine" is left in the Thai text."""
    missing = full.agency_types[~full.agency_types["code"].isin(full.agencies["agency"])]
    assert len(missing) >= 2
    excluded, silent = missing.iloc[0], missing.iloc[1]
    quarantine = pd.DataFrame({"province": ["TH-50"], "agency": [excluded["code"]],
                               "primary_reason": ["too_few_items"]})
    d = dataclasses.replace(full, quarantine=quarantine)
    out = text.render("agencies", d, lang)
    name = "name_th" if lang == "th" else "name_en"
    reason = "ตอบน้อยเกินไป" if lang == "th" else "too few items"
    head, _, tail = out.partition("ถูกคัดออก" if lang == "th" else "excluded")
    assert silent[name] in head and excluded[name] not in head
    assert f"{excluded[name]} ({reason})" in tail
    if lang == "th":
        caveats = text.render("caveats", d, lang)
        assert "quarantine" not in (out + caveats).lower() and "คัดออก" in caveats
