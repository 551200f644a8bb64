"""Matplotlib charts of the national overview: Sarabun for Thai text, a colour-blind-safe palette, PNGs
with alternative text. (The province page's charts are HTML: :mod:`analysis.report.html_charts`.)"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib import font_manager
from matplotlib.patches import Patch, Rectangle

from analysis.report.colours import PALETTE
from analysis.report.markup import esc


def use_thai_font() -> str:
    """Register Sarabun (from the ``fontpkg-sarabun`` wheel) and make it matplotlib's default font."""
    import fontpkg_sarabun

    for style in ("Regular", "Bold"):  # the two weights the charts use; parsing all 16 costs ~0.3 s a kernel
        font_manager.fontManager.addfont(str(Path(fontpkg_sarabun.ROOT, "files", f"Sarabun-{style}.ttf")))
    try:  # in a notebook: figures are laid out with tight_layout, so skip the inline backend's second draw
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            shell.run_line_magic("config", "InlineBackend.print_figure_kwargs = {'bbox_inches': None}")
    except ImportError:
        pass
    mpl.rcParams.update({
        "font.family": "Sarabun",
        "axes.prop_cycle": cycler(color=PALETTE),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": 100,
        "savefig.dpi": 110,
        "svg.hashsalt": "dgr",
        "axes.unicode_minus": False,
    })
    return "Sarabun"


def figure_html(fig, alt: str) -> str:
    """The figure as an ``<img>`` with alternative text (for screen readers), closed afterwards.

    IPython's inline PNG output has no place for alternative text, and nbconvert then labels every
    image "No description has been provided"; an HTML output carries the description. The PNG
    has no timestamp or software stamp, so the same figure gives the same bytes.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=mpl.rcParams["figure.dpi"], metadata={"Software": None})
    plt.close(fig)
    width = round(fig.get_figwidth() * mpl.rcParams["figure.dpi"])
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}" width="{width}" style="max-width:100%">'


def caterpillar(provinces, bands_table, title: str = "Province readiness index · ดัชนีความพร้อมรายจังหวัด"):
    """Every province's index with its 95 % interval, ordered; dotted lines at the band cut-offs."""

    order = provinces.dropna(subset=["index"]).sort_values("index")  # provinces without data have no point
    fig, ax = plt.subplots(figsize=(7.5, 12))
    y = np.arange(len(order))
    ax.errorbar(order["index"], y, xerr=[order["index"] - order["index_low"], order["index_high"] - order["index"]],
                fmt="o", color=PALETTE[0], ecolor="grey", markersize=3, capsize=0)
    ax.set_yticks(y, order["name_th"] + " · " + order["name_en"], fontsize=6.5)
    for lower in bands_table["lower"][1:]:
        ax.axvline(lower, color="black", linewidth=0.6, linestyle=":")
    ax.set_xlim(0, 100)
    ax.set_xlabel("index (0-100), 95 % interval · ดัชนี (0-100) และช่วงความเชื่อมั่น 95%")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def rank_bands(provinces):
    """Median rank and 5-95 % rank band over modelling choices, with the sampling 90 % rank interval."""

    order = provinces.dropna(subset=["rank"]).sort_values("rank")
    fig, ax = plt.subplots(figsize=(7.5, 12))
    y = np.arange(len(order))[::-1]
    ax.hlines(y + 0.15, order["rank_low"], order["rank_high"], color="grey", linewidth=2,
              label="90 % rank interval · ช่วงอันดับ 90%")
    ax.hlines(y - 0.15, order["mc_rank_p05"], order["mc_rank_p95"], color=PALETTE[1], linewidth=2,
              label="modelling choices 5-95 % · ทางเลือกการคำนวณ")
    ax.plot(order["rank"], y, "o", color=PALETTE[0], markersize=3, label="rank · อันดับ")
    ax.set_yticks(y, order["name_th"] + " · " + order["name_en"], fontsize=6.5)
    ax.set_xlim(0, len(provinces) + 1)
    ax.set_xlabel("rank (1 = most ready) · อันดับ")
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    ax.set_title("Rank uncertainty · ความไม่แน่นอนของอันดับ")
    fig.tight_layout()
    return fig


def regions_strip(provinces):
    """Province indices by region, one column per region, with the regional mean marked."""

    provinces = provinces.dropna(subset=["index"])
    regions = provinces.groupby("region_en")["index"].mean().sort_values().index.tolist()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    rng = np.random.default_rng(0)  # fixed jitter: the chart is reproducible
    for i, reg in enumerate(regions):
        sub = provinces[provinces["region_en"] == reg]
        ax.plot(i + rng.uniform(-0.15, 0.15, len(sub)), sub["index"], "o", color=PALETTE[i % len(PALETTE)],
                alpha=0.8, markersize=5)
        ax.hlines(sub["index"].mean(), i - 0.3, i + 0.3, color="black", linewidth=2)
    th = provinces.drop_duplicates("region_en").set_index("region_en")["region_th"]
    ax.set_xticks(range(len(regions)), [f"{r}\n{th[r]}" for r in regions], fontsize=8)
    ax.set_ylabel("index · ดัชนี")
    ax.set_title("Provinces by region (bar: regional mean) · จังหวัดจำแนกตามภาค")
    fig.tight_layout()
    return fig


def tile_map(provinces, tiles, bands_table):
    """A tile-grid map: one square per province, coloured by readiness band (ordered light to dark)."""

    colours = dict(zip(bands_table["band"], ["#fde725", "#5ec962", "#21918c", "#3b528b"], strict=False))
    no_data = "#ffffff"  # surveyed, but no usable response: white with a grey hatch
    data = tiles.merge(provinces[["province", "abbr_en", "band"]], left_on="iso_code", right_on="province", how="left")
    fig, ax = plt.subplots(figsize=(6, 9))
    for r in data.itertuples():
        surveyed = isinstance(r.province, str)
        colour = colours.get(r.band, no_data if surveyed else "#d9d9d9")
        ax.add_patch(Rectangle((r.col, -r.row), 0.95, 0.95, facecolor=colour, edgecolor="#999999" if colour == no_data
                               else "white", hatch="///" if colour == no_data else None))
        label = r.abbr_en if isinstance(r.abbr_en, str) else "BKK"
        ax.text(r.col + 0.47, -r.row + 0.47, label, ha="center", va="center", fontsize=6,
                color="white" if r.band in ("high", "very_high") else "black")
    ax.set_xlim(data["col"].min() - 0.5, data["col"].max() + 1.5)
    ax.set_ylim(-data["row"].max() - 0.5, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Patch(facecolor=colours[b], label=f"{en} · {th}") for b, en, th in
               zip(bands_table["band"], bands_table["name_en"], bands_table["name_th"], strict=True)]
    if provinces["band"].isna().any():
        handles.append(Patch(facecolor=no_data, edgecolor="#999999", hatch="///", label="no data · ไม่มีข้อมูล"))
    handles.append(Patch(facecolor="#d9d9d9", label="not surveyed · ไม่อยู่ในการสำรวจ"))
    ax.legend(handles=handles, frameon=False, loc="lower right", fontsize=8)
    ax.set_title("Readiness band by province · ระดับความพร้อมรายจังหวัด")
    fig.tight_layout()
    return fig
