"""Colours shared by the charts: colour-blind-safe, readable in grey, with text that keeps its contrast.

Plain constants (no matplotlib import), so a province page's kernel can shade its HTML charts
without loading a plotting library; ``tests/test_colours.py`` checks them against matplotlib.
"""

from __future__ import annotations

#: Okabe-Ito: distinguishable by colour-blind readers; paired with marker shapes where it matters.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: matplotlib's viridis at the middle of the ten classes 0-10, 10-20, ..., 90-100 (dark to light:
#: ordered in grey and for colour-blind readers).
VIRIDIS_10 = ["#471365", "#463480", "#3b528b", "#2f6c8e", "#25848e", "#1e9c89", "#2fb47c", "#5ec962", "#9bd93c",
              "#dfe318"]


def score_class(score: float) -> int:
    """The ten-point class (0 for 0-10, ..., 9 for 90-100) of a 0-100 score."""
    return min(int(score // 10), 9) if score > 0 else 0


def score_colour(score: float) -> str:
    """The viridis shade of a 0-100 score's class."""
    return VIRIDIS_10[score_class(score)]


def band_colours(bands_table) -> dict[str, str]:
    """Each readiness band's colour: the heatmap's viridis class at the band's mid-point, so one
    colour means one level on the map, the heatmap and their legends (Low darkest, Very high lightest)."""
    return {str(r.band): score_colour((float(r.lower) + float(r.upper)) / 2) for r in bands_table.itertuples()}


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour (sRGB channels linearised first)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever contrasts more with ``background``."""
    return "#000000" if contrast_ratio("#000000", background) >= contrast_ratio("#ffffff", background) else "#ffffff"

