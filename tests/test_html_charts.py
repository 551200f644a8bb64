"""The province page's HTML charts: values in the right place, missing data said, data text escaped."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from analysis.report import html_charts
from analysis.report.province import load_province


@pytest.fixture(scope="module")
def chiang_mai(outputs):
    return load_province("TH-50", outputs)


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr><th scope=\"row\".*?</tr>", html)


def test_pillar_marks_sit_at_their_values(chiang_mai) -> None:
    d = chiang_mai
    html = html_charts.pillar_comparison(d, "en")
    rows = _rows(html)
    assert len(rows) == 6
    for p, row in zip(d.codebook.pillars, rows, strict=True):
        v, lo, hi = (float(d.province[f"{p.id}{s}"]) for s in ("", "_low", "_high"))
        # the first interval and marker drawn in a row are the province's
        left, width = map(float, re.search(r"left:([\d.]+)%;width:([\d.]+)%", row).groups())
        assert left == pytest.approx(lo, abs=0.01) and left + width == pytest.approx(hi, abs=0.02)
        marker = float(re.search(r"left:calc\(([\d.]+)% - 5px\)", row).group(1))
        assert marker == pytest.approx(v, abs=0.01)
        assert f"{v:.1f} ({lo:.1f}–{hi:.1f})" in row
        assert f"{float(d.national()[p.id]):.1f}" in row


def test_no_responding_agency(chiang_mai) -> None:
    d = chiang_mai
    ids = [p.id for p in d.codebook.pillars]
    province = d.province.copy()
    province[ids + [f"{i}_low" for i in ids] + [f"{i}_high" for i in ids]] = np.nan
    empty = dataclasses.replace(d, agencies=d.agencies.iloc[0:0], province=province)
    heat = html_charts.agency_heatmap(empty, "th")
    assert heat.count("ไม่ตอบ</td>") == 19 * 6
    assert "คัดออก</td>" not in heat and "หน่วยงานไม่ได้ส่งแบบสำรวจ" in heat, "legend says what the cells mean"
    chart = html_charts.pillar_comparison(empty, "en")
    for row in _rows(chart):
        assert "no data" in row
        assert row.count("left:calc(") == 2, "region and nation still drawn, the province not"


@pytest.mark.parametrize("lang", ["th", "en"])
def test_excluded_agencies_are_told_apart_from_silent_ones_in_the_heatmap(chiang_mai, lang: str) -> None:
    """An agency whose only response was excluded says "excluded" in its cells, not "no response";
    one that sent nothing still says "no response"; the legend explains each; a responding agency
    with a duplicate excluded is still shown with its scores."""
    d = chiang_mai
    missing = d.agency_types[~d.agency_types["code"].isin(d.agencies["agency"])]
    assert len(missing) >= 2
    excluded, silent = missing.iloc[0], missing.iloc[1]
    responded = d.agencies["agency"].iloc[0]
    quarantine = pd.DataFrame({"province": "TH-50", "agency": [excluded["code"], responded],
                               "primary_reason": ["too_few_items", "straight_lining"]})
    heat = html_charts.agency_heatmap(dataclasses.replace(d, quarantine=quarantine), lang)
    rows = {re.search(r'<th scope="row"[^>]*>(.*?)</th>', r).group(1): r for r in _rows(heat)}
    name = "name_th" if lang == "th" else "name_en"
    word = {"th": ("คัดออก", "ไม่ตอบ"), "en": ("excluded", "no response")}[lang]
    assert rows[excluded[name]].count(f">{word[0]}</td>") == 6 and word[1] not in rows[excluded[name]]
    assert rows[silent[name]].count(f">{word[1]}</td>") == 6 and word[0] not in rows[silent[name]]
    assert heat.count(f">{word[1]}</td>") == 6 * (len(missing) - 1)
    agency = d.agency_types.set_index("code").loc[responded, name]
    assert word[0] not in rows[agency] and word[1] not in rows[agency]
    legend = heat[heat.index("</table>"):]
    assert ("ถูกคัดออกในขั้นตอนตรวจสอบข้อมูล" if lang == "th" else "excluded when the data were checked") in legend
    assert ("ไม่ได้ส่งแบบสำรวจ" if lang == "th" else "did not respond") in legend
    # without any excluded agency the legend does not mention them
    plain = html_charts.agency_heatmap(dataclasses.replace(d, quarantine=quarantine.iloc[0:0]), lang)
    assert f">{word[0]}<" not in plain


def test_missing_interval_bound_draws_the_point_only(chiang_mai) -> None:
    province = chiang_mai.province.copy()
    province["P1_low"] = np.nan
    row = _rows(html_charts.pillar_comparison(dataclasses.replace(chiang_mai, province=province), "en"))[0]
    assert f"{province['P1']:.1f} (" not in row and not re.search(r"\bnan\b", row)
    assert row.count("border-top:2px") == 2 and row.count("left:calc(") == 3


def test_heatmap_cells_and_escaping(chiang_mai) -> None:
    d = chiang_mai
    heat = html_charts.agency_heatmap(d, "en")
    rows = _rows(heat)
    assert len(rows) == 19
    scores = d.agencies.set_index("agency")["P1"]
    responded = int(scores.notna().sum())
    assert sum(bool(re.search(r"<td style=\"background:#[0-9a-f]{6};color:#(?:000000|ffffff)\">\d+</td>", r))
               for r in rows) == responded
    pillars = [p.model_copy(update={"name_en": "<script>alert(1)</script>"}) for p in d.codebook.pillars]
    hostile = dataclasses.replace(d, codebook=d.codebook.model_copy(update={"pillars": pillars}))
    for html in (html_charts.agency_heatmap(hostile, "en"), html_charts.pillar_comparison(hostile, "en")):
        assert "<script>" not in html and "&lt;script&gt;" in html



def test_tile_map_links_every_surveyed_province(outputs, codebook) -> None:
    """The overview's map: one link per surveyed province to its Thai page, no script, a legend,
    and a viewBox so it scales to a phone; figure_html passes it through with its description."""
    from analysis.instrument.reference import load_provinces
    from analysis.report import charts, national

    scores = pd.read_parquet(outputs / "index" / "province_scores.parquet")
    tiles = national.load_tiles()
    svg = charts.tile_map(scores, tiles, codebook.bands_table())
    links = re.findall(r'<a href="provinces/(TH-\d\d)\.th\.html"', svg)
    surveyed = set(load_provinces(in_survey_only=True)["iso_code"])
    assert len(links) == 76 and set(links) == surveyed  # every page the batch writes, once
    assert svg.count("<rect") == len(tiles) + len(codebook.bands_table()) + 1 + int(
        scores["band"].isna().any())
    assert "<script" not in svg and re.search(r'viewBox="0 0 \d+ \d+"', svg) and 'width="100%"' in svg
    for b in codebook.bands_table().itertuples():
        assert f"{b.name_th} · {b.name_en}" in svg
    html = charts.figure_html(svg, 'map "of" <provinces>')
    assert html.startswith('<figure') and 'aria-label="map &quot;of&quot; &lt;provinces&gt;"' in html
    assert "<img" not in html


def test_overview_dot_charts_place_every_province(outputs, codebook) -> None:
    """The overview's interval and rank charts, drawn in HTML: a row per province with data, its
    marks at its values, its values printed; names escaped; no picture."""
    from analysis.report import charts

    p = pd.read_parquet(outputs / "index" / "province_scores.parquet")
    cat = charts.caterpillar_html(p, codebook.bands_table())
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", cat)
    has = p.dropna(subset=["index"]).sort_values("index", ascending=False)
    assert len(rows) == len(has)
    for r, row in zip(has.itertuples(), rows, strict=True):
        assert r.name_en in row and f"{r.index:.1f} ({r.index_low:.1f}–{r.index_high:.1f})" in row
        left = float(re.search(r'class="m" style="left:([\d.]+)%"', row).group(1))
        assert left == pytest.approx(r.index, abs=0.006)
        lo, width = map(float, re.search(r'class="r" style="left:([\d.]+)%;width:([\d.]+)%"', row).groups())
        assert lo == pytest.approx(r.index_low, abs=0.006) and lo + width == pytest.approx(r.index_high, abs=0.02)
        assert row.count('class="g"') == len(codebook.bands_table()) - 1, "a dotted line at each band cut-off"
    ranks = charts.rank_bands_html(p)
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", ranks)
    ranked = p.dropna(subset=["rank"]).sort_values(["rank", "province"])
    assert len(rows) == len(ranked)
    n = int(ranked["rank"].max())
    first, last = rows[0], rows[-1]
    assert 'class="m" style="left:0%"' in first and 'class="m" style="left:100%"' in last
    r = ranked.iloc[0]
    assert f"{int(r['rank'])} ({int(r['rank_low'])}–{int(r['rank_high'])} · " in first
    assert f"{int(r['mc_rank_p05'])}–{int(r['mc_rank_p95'])})" in first
    assert f">{n}</span>" in ranks, "the axis ends at the last rank"
    for html in (cat, ranks):
        assert "<img" not in html and "<script" not in html and "<style" not in html
        assert len(html.encode()) < 40_000, "light: the PNG each replaces weighed about 200 KB"
    p.loc[p.index[0], "name_en"] = "<b>x</b>"
    assert "&lt;b&gt;x&lt;/b&gt;" in charts.caterpillar_html(p, codebook.bands_table())


def test_sobol_table_names_its_columns(outputs) -> None:
    from analysis.report import national

    sobol = national.sobol_table(pd.read_parquet(outputs / "index" / "sobol.parquet"))
    html = national.sobol_html(sobol, glossary_root="")
    assert "<th>S1</th>" not in html and "<th>ST</th>" not in html
    assert "first-order" in html and "total effect" in html and "ผลหลัก" in html and "ผลรวม" in html
    assert "variance of the rank shift" in html
    assert 'href="glossary.th.html#term-sobol"' in html and 'href="glossary.en.html#term-sobol"' in html
    assert not re.search(r"<td>-\d", html), "no negative index shown"
