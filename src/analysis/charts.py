"""Chart conventions: Sarabun for Thai text, a colour-blind-safe palette, reproducible PNGs."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

#: Okabe-Ito: distinguishable by colour-blind readers; paired with hatching/markers where it matters.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_thai_font() -> str:
    """Register Sarabun (from the ``fontpkg-sarabun`` wheel) and make it matplotlib's default font."""
    import fontpkg_sarabun

    for ttf in sorted(Path(fontpkg_sarabun.ROOT, "files").glob("Sarabun-*.ttf")):
        font_manager.fontManager.addfont(str(ttf))
    mpl.rcParams.update({
        "font.family": "Sarabun",
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": 100,
        "savefig.dpi": 110,
        "svg.hashsalt": "dgr",
        "axes.unicode_minus": False,
    })
    return "Sarabun"
