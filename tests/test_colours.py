"""Chart colours: the constants match matplotlib's viridis; text keeps WCAG contrast on every shade."""

from __future__ import annotations

import re

import matplotlib as mpl
import pandas as pd
import pytest

from analysis.report.colours import (
    VIRIDIS_10,
    band_colours,
    contrast_ratio,
    relative_luminance,
    score_class,
    score_colour,
    text_on,
)


def test_viridis_classes_are_matplotlibs_viridis() -> None:
    expected = [mpl.colors.to_hex(mpl.colormaps["viridis"]((k + 0.5) / 10)) for k in range(10)]
    assert expected == VIRIDIS_10


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    # WCAG 2: black on white is 21:1; #767676 is the lightest grey passing 4.5:1 on white, #777777 fails
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#ffffff", "#767676") == contrast_ratio("#767676", "#ffffff")


def test_text_on_every_shade_passes_wcag_aa() -> None:
    for shade in VIRIDIS_10:
        assert contrast_ratio(text_on(shade), shade) >= 4.5, shade
    assert text_on(VIRIDIS_10[0]) == "#ffffff" and text_on(VIRIDIS_10[-1]) == "#000000"


@pytest.mark.parametrize(("score", "cls"), [(0, 0), (9.99, 0), (10, 1), (45, 4), (90, 9), (100, 9), (-1, 0)])
def test_score_class_edges(score: float, cls: int) -> None:
    assert score_class(score) == cls
    assert score_colour(score) == VIRIDIS_10[cls]


def test_band_colours_are_the_heatmaps_at_band_mid_points(codebook) -> None:
    bands = codebook.bands_table()
    colours = band_colours(bands)
    assert list(colours) == list(bands["band"])
    for r in bands.itertuples():
        mid = (r.lower + r.upper) / 2
        assert colours[r.band] == score_colour(mid)  # one colour, one level: map, heatmap and legends
    assert len(set(colours.values())) == len(colours)
    # ordered like the heatmap: each band lighter than the one below
    lum = [relative_luminance(colours[b]) for b in bands["band"]]
    assert lum == sorted(lum)


def _text_pairs(svg: str) -> list[tuple[str, str]]:
    """(text colour, background) for every label the tile map draws on a tile or beside a legend key."""
    pairs = []
    for tile in re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"[^>]*/>((?:<text [^>]*>[^<]*</text>)*)', svg):
        fill, texts = tile
        inks = re.findall(r'<text [^>]*fill="(#[0-9a-f]{6})"', texts)
        # a legend key's text sits beside its swatch, on the page's white
        pairs += [(ink, "#ffffff" if 'text-anchor="start"' in texts else fill) for ink in inks]
    return pairs


def test_every_text_the_charts_draw_passes_wcag_aa(outputs, codebook) -> None:
    from analysis.report import charts, html_charts, national
    from analysis.report.province import load_province

    scores = pd.read_parquet(outputs / "index" / "province_scores.parquet")
    svg = charts.tile_map(scores, national.load_tiles(), codebook.bands_table())
    pairs = _text_pairs(svg)
    assert len(pairs) >= 2 * 77
    heat = html_charts.agency_heatmap(load_province("TH-50", outputs), "th")
    pairs += [(ink, bg) for bg, ink in re.findall(r'background:(#[0-9a-f]{6});color:(#[0-9a-f]{6})', heat)]
    assert len(pairs) > 2 * 77 + 10
    bad = [(ink, bg, round(contrast_ratio(ink, bg), 2)) for ink, bg in pairs if contrast_ratio(ink, bg) < 4.5]
    assert not bad, bad


def test_overview_dot_chart_ink_and_the_how_to_read_box_pass_wcag_aa() -> None:
    """The HTML dot charts' marks (on white and on the striped rows) at least 4.5:1, like text; the
    "how to read this" box's links and text on its tint, the heatmap's "excluded" label on white."""
    from analysis.report.charts import CHOICES_BAND, DOT, SAMPLING

    for ink in (DOT, SAMPLING, CHOICES_BAND):
        for ground in ("#ffffff", "#f6f8fa"):
            assert contrast_ratio(ink, ground) >= 4.5, (ink, ground)
    assert contrast_ratio("#0b57a4", "#eef4fb") >= 4.5 and contrast_ratio("#1b1b1b", "#eef4fb") >= 4.5
    assert contrast_ratio("#444444", "#ffffff") >= 4.5 and contrast_ratio("#444444", "#eeeeee") >= 4.5
