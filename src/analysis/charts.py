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


LABELS = {
    "th": {"province": "จังหวัด", "region": "ภาค", "nation": "ประเทศ", "score": "คะแนน (0-100)",
           "pillars_title": "คะแนนรายด้าน เทียบกับภาคและประเทศ (ช่วงความเชื่อมั่น 95%)",
           "heatmap_title": "คะแนนรายด้านของแต่ละหน่วยงาน", "no_response": "ไม่ตอบ"},
    "en": {"province": "Province", "region": "Region", "nation": "Nation", "score": "score (0-100)",
           "pillars_title": "Pillar scores against region and nation (95 % intervals)",
           "heatmap_title": "Pillar scores of each agency", "no_response": "no response"},
}


def pillar_comparison(d, lang: str = "th"):
    """Province, region and nation on each pillar, with intervals; markers differ as well as colours."""
    import matplotlib.pyplot as plt
    import numpy as np

    from analysis.province_report import pillar_name

    lab = LABELS[lang]
    ids = [p.id for p in d.codebook.pillars]
    series = [(f"{lab['province']}", d.province, "o", PALETTE[0]),
              (f"{lab['region']}", d.region(), "s", PALETTE[1]),
              (f"{lab['nation']}", d.national(), "D", PALETTE[7])]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    y = np.arange(len(ids))[::-1]
    for k, (label, row, marker, colour) in enumerate(series):
        v = np.array([row[i] for i in ids], dtype=float)
        lo = np.array([row[f"{i}_low"] for i in ids], dtype=float)
        hi = np.array([row[f"{i}_high"] for i in ids], dtype=float)
        ax.errorbar(v, y + (1 - k) * 0.22, xerr=[v - lo, hi - v], fmt=marker, color=colour, ecolor=colour,
                    label=label, capsize=2, markersize=6)
    ax.set_yticks(y, [f"{i} {pillar_name(d, i, lang)}" for i in ids])
    ax.set_xlim(0, 100)
    ax.set_xlabel(lab["score"])
    ax.set_title(lab["pillars_title"])
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    ax.grid(axis="x", linewidth=0.3)
    fig.tight_layout()
    return fig


def agency_heatmap(d, lang: str = "th"):
    """Agency x pillar scores (viridis: ordered light-dark, readable in grey and by colour-blind readers)."""
    import matplotlib.pyplot as plt
    import numpy as np

    from analysis.reference import load_agencies

    lab = LABELS[lang]
    agencies = load_agencies()
    ids = [p.id for p in d.codebook.pillars]
    scores = d.agencies.set_index("agency")[ids].reindex(agencies["code"])
    names = agencies["name_th" if lang == "th" else "name_en"].tolist()
    fig, ax = plt.subplots(figsize=(7.5, 7))
    im = ax.imshow(scores.to_numpy(dtype=float), cmap="viridis", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(np.arange(len(ids)), ids)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    for r, row in enumerate(scores.to_numpy(dtype=float)):
        for c, v in enumerate(row):
            txt = lab["no_response"] if np.isnan(v) else f"{v:.0f}"
            ax.text(c, r, txt, ha="center", va="center", fontsize=7,
                    color="black" if np.isnan(v) or v > 60 else "white")
    fig.colorbar(im, ax=ax, label=lab["score"], fraction=0.04)
    ax.set_title(lab["heatmap_title"])
    fig.tight_layout()
    return fig
