"""Chart colours: the constants match matplotlib's viridis; text keeps WCAG contrast on every shade."""

from __future__ import annotations

import matplotlib as mpl
import pytest

from analysis.report.colours import VIRIDIS_10, contrast_ratio, score_class, score_colour, text_on


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
