"""Charts of the national overview: the tile map, the every-province interval chart and the rank
chart drawn in markup (inline SVG, HTML) by the reader's browser; matplotlib charts (Sarabun for
Thai text, a colour-blind-safe palette, PNGs with alternative text) for the regions strip and the
analysts' notebooks. (The province page's charts are HTML: :mod:`analysis.report.html_charts`.)"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib import font_manager

from analysis.instrument.reference import load_provinces
from analysis.report.colours import PALETTE, band_colours, text_on
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
    """The figure as an ``<img>`` with alternative text (for screen readers), closed afterwards; a
    chart drawn in markup (:class:`HtmlFigure`) as a ``<figure>`` labelled with the same text.

    IPython's inline PNG output has no place for alternative text, and nbconvert then labels every
    image "No description has been provided"; an HTML output carries the description. The PNG
    has no timestamp or software stamp, so the same figure gives the same bytes.
    """
    if isinstance(fig, HtmlFigure):
        return f'<figure class="dgr-figure" aria-label="{esc(alt)}" style="margin:0">{fig}</figure>'
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


class HtmlFigure(str):
    """A chart drawn in markup (inline SVG) by the reader's browser; :func:`figure_html` passes it through."""


#: the map's colours for a province surveyed without usable data, and for one not surveyed
NO_DATA, NOT_SURVEYED = "#ffffff", "#d9d9d9"
#: tile size and gap of the tile map, in its viewBox units
_TILE, _GAP = 40, 2


def tile_map(provinces, tiles, bands_table) -> HtmlFigure:
    """A tile-grid map as inline SVG: one square per province, placed roughly where it lies, coloured
    by readiness band with the heatmap's colours (:func:`analysis.report.colours.band_colours`), each
    surveyed province's tile a link to its Thai page.

    Labels are the Thai and English abbreviations, black or white, whichever contrasts more with
    the tile (WCAG AA); each link names the province and its band for screen readers and as a
    tooltip. The viewBox scales the map to the width available (360 px up) and it prints as drawn.
    No script.
    """
    colours = band_colours(bands_table)
    names = {str(r.band): f"{r.name_th} · {r.name_en}" for r in bands_table.itertuples()}
    ref = load_provinces().set_index("iso_code")[["name_th", "name_en", "abbr_th", "abbr_en"]]
    band = provinces.set_index("province")["band"]
    step = _TILE + _GAP
    parts = []
    for r in tiles.sort_values(["row", "col"]).itertuples():
        code = str(r.iso_code)
        x, y = r.col * step, r.row * step
        name = ref.loc[code]
        surveyed = code in band.index
        b = band.get(code) if surveyed else None
        fill = colours.get(str(b), NO_DATA) if surveyed else NOT_SURVEYED
        ink = text_on(fill)
        status = (names.get(str(b), "ไม่มีข้อมูล · no data") if surveyed
                  else "ไม่อยู่ในการสำรวจ · not surveyed")
        label = f"{name['name_th']} · {name['name_en']}: {status}"
        dashed = ' stroke="#595959" stroke-dasharray="4 3"' if fill == NO_DATA else ""
        tile = (f'<rect x="{x}" y="{y}" width="{_TILE}" height="{_TILE}" rx="3" fill="{fill}"{dashed}/>'
                f'<text x="{x + _TILE / 2}" y="{y + 18}" fill="{ink}" font-size="15">{esc(name["abbr_th"])}</text>'
                f'<text x="{x + _TILE / 2}" y="{y + 33}" fill="{ink}" font-size="11">{esc(name["abbr_en"])}</text>')
        if surveyed:
            parts.append(f'<a href="provinces/{esc(code)}.th.html" hreflang="th" aria-label="{esc(label)}">'
                         f'<title>{esc(label)}</title>{tile}</a>')
        else:
            parts.append(f'<g role="img" aria-label="{esc(label)}"><title>{esc(label)}</title>{tile}</g>')
    legend = [(colours[str(b)], names[str(b)]) for b in bands_table["band"]]
    if provinces["band"].isna().any():
        legend.append((NO_DATA, "ไม่มีข้อมูล · no data"))
    legend.append((NOT_SURVEYED, "ไม่อยู่ในการสำรวจ · not surveyed"))
    lx, ly = 4 * step + 12, 11 * step + 8  # the sea to the south-east is empty
    keys = []
    for k, (fill, text) in enumerate(legend):
        y = ly + 28 * k
        dashed = ' stroke="#595959" stroke-dasharray="4 3"' if fill == NO_DATA else ""
        keys.append(f'<rect x="{lx}" y="{y}" width="22" height="22" rx="3" fill="{fill}"{dashed}/>'
                    f'<text x="{lx + 30}" y="{y + 16}" fill="#000000" font-size="14" text-anchor="start">'
                    f'{esc(text)}</text>')
    width = (int(tiles["col"].max()) + 1) * step
    height = (int(tiles["row"].max()) + 1) * step
    return HtmlFigure(
        f'<svg class="dgr-map" viewBox="0 0 {width} {height}" width="100%" style="max-width:{width + 60}px;'
        f'height:auto" font-family="Sarabun, sans-serif" text-anchor="middle" role="group">'
        f'{"".join(parts)}<g aria-label="ระดับความพร้อม · readiness band">{"".join(keys)}</g></svg>')


# --- every province in one chart, drawn in HTML ----------------------------------------------------
# A row per province: its names, a plot cell with absolutely placed marks (styled by the classes of
# table.dgr-dots in site.css, so each row carries only its positions), and its values printed. The
# table keeps its drawn size from 520 px up and scrolls sideways in its own box on a phone; every
# value is in text, so a screen reader or a grey photocopy loses nothing (the plot cells are hidden
# from screen readers). Ink: blue #0072B2 and grey #595959 and vermilion #B54A00 on white, each at
# least 4.5:1 (tests/test_colours.py).

#: the colours of the HTML dot charts: the point, the sampling interval, the modelling-choice band
DOT, SAMPLING, CHOICES_BAND = PALETTE[0], "#595959", "#B54A00"


def _pct(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") + "%"


def _dots_table(caption: str, head: tuple[str, str, str], axis: str, rows: list[str], ticks: list[tuple[float, str]],
                legend: str = "") -> HtmlFigure:
    """The frame shared by the HTML dot charts: caption, header (the plot column's header is
    ``head[1]``, markup), rows, an axis of ``ticks`` (position in %, label) and a legend."""
    marks = "".join(f'<span style="left:{_pct(x)}">{esc(t)}</span>' for x, t in ticks)
    return HtmlFigure(
        f'<table class="dgr-dots"><caption>{esc(caption)}</caption>'
        f'<thead><tr><th scope="col">{esc(head[0])}</th><th scope="col" class="p">{head[1]}</th>'
        f'<th scope="col" class="v">{esc(head[2])}</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody>'
        f'<tfoot><tr><td></td><td class="p" aria-hidden="true"><div class="t">{marks}</div>'
        f'<div class="a">{esc(axis)}</div></td><td></td></tr></tfoot></table>'
        + (f'<p class="dgr-legend">{legend}</p>' if legend else ""))


def caterpillar_html(provinces, bands_table) -> HtmlFigure:
    """Every province with data, highest index first: its index as a dot, its 95 % interval as a
    line, the band cut-offs as dotted lines, and the values printed beside it.

    Parameters
    ----------
    provinces : pandas.DataFrame
        ``province_scores`` (``name_th``, ``name_en``, ``index``, ``index_low``, ``index_high``).
    bands_table : pandas.DataFrame
        :meth:`~analysis.instrument.codebook.Codebook.bands_table` (names and cut-offs).

    Returns
    -------
    HtmlFigure
        A ``table.dgr-dots`` (all text escaped), for :func:`figure_html`.
    """
    order = provinces.dropna(subset=["index"]).sort_values(["index", "province"], ascending=[False, True])
    cuts = [float(x) for x in bands_table["lower"][1:]]
    grid = "".join(f'<span class="g" style="left:{_pct(c)}"></span>' for c in cuts)
    rows = []
    for r in order.itertuples():
        lo, hi = float(r.index_low), float(r.index_high)
        has = not (np.isnan(lo) or np.isnan(hi))
        line = f'<span class="r" style="left:{_pct(lo)};width:{_pct(hi - lo)}"></span>' if has else ""
        value = f"{r.index:.1f} ({lo:.1f}–{hi:.1f})" if has else f"{r.index:.1f}"
        rows.append(f'<tr><th scope="row">{esc(r.name_th)} · {esc(r.name_en)}</th><td class="p" aria-hidden="true">'
                    f'<div>{grid}{line}<span class="m" style="left:{_pct(float(r.index))}"></span></div></td>'
                    f'<td class="v">{value}</td></tr>')
    bands = "".join(f'<span style="left:{_pct((float(b.lower) + float(b.upper)) / 2)}">{esc(b.name_th)}<br>'
                    f'<span lang="en">{esc(b.name_en)}</span></span>' for b in bands_table.itertuples())
    edges = [0.0, *cuts, 100.0]
    return _dots_table("ดัชนีของทุกจังหวัดพร้อมช่วงความเชื่อมั่น 95% เส้นประคือเส้นแบ่งระดับ · Every province's index "
                       "with its 95 % interval; dotted lines are the band cut-offs",
                       ("จังหวัด · Province", f'<div class="b">{bands}</div>', "ดัชนี (95%) · Index (95 %)"),
                       "ดัชนี (0–100) · index (0–100)", rows, [(x, f"{x:g}") for x in edges])


def rank_bands_html(provinces) -> HtmlFigure:
    """Every ranked province, most ready first: its rank as a dot, its 90 % rank interval from
    sampling (grey, above) and its 5-95 % rank band over modelling choices (vermilion, below).

    Parameters
    ----------
    provinces : pandas.DataFrame
        ``province_scores`` (``rank``, ``rank_low``, ``rank_high``, ``mc_rank_p05``, ``mc_rank_p95``, names).

    Returns
    -------
    HtmlFigure
        A ``table.dgr-dots`` with a legend (all text escaped), for :func:`figure_html`.
    """
    order = provinces.dropna(subset=["rank"]).sort_values(["rank", "province"])
    n = int(order["rank"].max()) if len(order) else 1

    def x(rank: float) -> float:  # rank 1 at the left edge, the last at the right
        return 0.0 if n <= 1 else (float(rank) - 1) / (n - 1) * 100

    def span(lo: Any, hi: Any, cls: str) -> str:
        if pd.isna(lo) or pd.isna(hi):
            return ""
        return f'<span class="{cls}" style="left:{_pct(x(lo))};width:{_pct(x(hi) - x(lo))}"></span>'

    def rng(lo: Any, hi: Any) -> str:
        return "–" if pd.isna(lo) or pd.isna(hi) else f"{int(lo)}–{int(hi)}"

    rows = []
    for r in order.itertuples():
        rows.append(f'<tr><th scope="row">{esc(r.name_th)} · {esc(r.name_en)}</th><td class="p" aria-hidden="true">'
                    f'<div>{span(r.rank_low, r.rank_high, "r")}{span(r.mc_rank_p05, r.mc_rank_p95, "r c")}'
                    f'<span class="m" style="left:{_pct(x(r.rank))}"></span></div></td>'
                    f'<td class="v">{int(r.rank)} ({rng(r.rank_low, r.rank_high)} · '
                    f'{rng(r.mc_rank_p05, r.mc_rank_p95)})</td></tr>')
    ticks = sorted({1, *range(10, n + 1, 10), n})
    legend = ('<span class="k m"></span> อันดับ · rank &nbsp; <span class="k r"></span> ช่วงอันดับ 90% จากความคลาดเคลื่อน'
              'ของการสำรวจ · 90 % rank interval (sampling) &nbsp; <span class="k r c"></span> ช่วงอันดับเมื่อเปลี่ยนวิธี'
              'คำนวณดัชนี (5–95%) · rank band over modelling choices (5–95 %)')
    return _dots_table("อันดับของทุกจังหวัด (1 = พร้อมที่สุด) พร้อมช่วงอันดับ · Every province's rank (1 = most ready) "
                       "with its rank ranges", ("จังหวัด · Province", "", "อันดับ (90% · ทางเลือก) · Rank (90 % · choices)"),
                       "อันดับ · rank", rows, [(x(t), str(t)) for t in ticks], legend)
