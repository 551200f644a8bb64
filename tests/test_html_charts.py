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
    chart = html_charts.pillar_comparison(empty, "en")
    for row in _rows(chart):
        assert "no data" in row
        assert row.count("left:calc(") == 2, "region and nation still drawn, the province not"


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
