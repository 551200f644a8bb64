"""Chart conventions: Sarabun for Thai text, a colour-blind-safe palette, PNGs with alternative text."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.patches import Patch, Rectangle

from analysis.province_report import esc, pillar_name
from analysis.reference import load_agencies

#: Okabe-Ito: distinguishable by colour-blind readers; paired with hatching/markers where it matters.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


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
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
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


LABELS = {
    "th": {"province": "จังหวัด", "region": "ภาค", "nation": "ประเทศ", "score": "คะแนน (0-100)",
           "pillars_title": "คะแนนรายด้าน เทียบกับภาคและประเทศ (ช่วงความเชื่อมั่น 95%)",
           "heatmap_title": "คะแนนรายด้านของแต่ละหน่วยงาน", "no_response": "ไม่ตอบ", "no_data": "ไม่มีข้อมูล", "agency": "หน่วยงาน"},
    "en": {"province": "Province", "region": "Region", "nation": "Nation", "score": "score (0-100)",
           "pillars_title": "Pillar scores against region and nation (95 % intervals)",
           "heatmap_title": "Pillar scores of each agency", "no_response": "no response", "no_data": "no data", "agency": "Agency"},
}


#: marker shapes of the pillar chart (CSS): they differ in shape as well as colour, so the chart
#: survives grey print and colour-blind reading
_MARKERS = {"circle": "border-radius:50%", "square": "", "diamond": "transform:rotate(45deg) scale(0.85)"}


def _marker(shape: str, colour: str) -> str:
    """An inline marker (legend, values column) matching the chart's."""
    return (f'<span style="display:inline-block;width:0;height:0;border:4px solid {colour};{_MARKERS[shape]};'
            f'margin:0 4px 1px 0"></span>')


def pillar_comparison(d, lang: str = "th") -> str:
    """Province, region and nation on each pillar with 95 % intervals: a dot-and-interval chart in HTML.

    Drawn by the reader's browser from positioned boxes rather than rendered as a picture: the
    labels are real Thai text in the page's Sarabun, the values are printed beside each row (so a
    screen reader or a grey photocopy loses nothing), and no image is rendered in each of the 152
    kernels (a matplotlib figure was a sixth of a page's batch time). Everything is drawn with
    borders, not backgrounds, because browsers drop background colours when printing.
    """
    lab = LABELS[lang]
    series = [(lab["province"], d.province, "circle", PALETTE[0]), (lab["region"], d.region(), "square", PALETTE[1]),
              (lab["nation"], d.national(), "diamond", PALETTE[7])]

    def num(x: float) -> str:
        return "–" if np.isnan(x) else f"{x:.1f}"

    grid = "".join(f'<div style="position:absolute;left:{t}%;top:0;bottom:0;border-left:1px solid #d0d0d0"></div>'
                   for t in range(0, 101, 20))
    rows = []
    for p in d.codebook.pillars:
        marks, values = [], []
        for k, (_, row, shape, colour) in enumerate(series):
            v, lo, hi = (float(row[f"{p.id}{s}"]) for s in ("", "_low", "_high"))
            ci = f" ({num(lo)}–{num(hi)})" if k == 0 and not np.isnan(v) else ""
            values.append(f"{_marker(shape, colour)}{num(v)}{ci}")
            if np.isnan(v):
                continue
            top = 8 + 13 * k
            if not (np.isnan(lo) or np.isnan(hi)):
                marks.append(f'<div style="position:absolute;left:{lo:.2f}%;width:{hi - lo:.2f}%;top:{top}px;'
                             f'border-top:2px solid {colour}"></div>')
            marks.append(f'<div style="position:absolute;left:calc({v:.2f}% - 5px);top:{top - 4}px;width:0;height:0;'
                         f'border:5px solid {colour};{_MARKERS[shape]}"></div>')
        rows.append(f'<tr><th scope="row" style="text-align:left;font-weight:normal;padding-right:8px">'
                    f'{esc(p.id)} {esc(pillar_name(d, p.id, lang))}</th>'
                    f'<td style="width:45%;padding:0" aria-hidden="true"><div style="position:relative;height:42px">'
                    f'{grid}{"".join(marks)}</div></td>'
                    f'<td style="white-space:nowrap;padding-left:8px">{" · ".join(values)}</td></tr>')
    ticks = "".join(f'<span style="position:absolute;left:{t}%;transform:translateX(-50%)">{t}</span>'
                    for t in range(0, 101, 20))
    legend = " ".join(f'<span style="white-space:nowrap;margin-right:12px">{_marker(shape, colour)}{esc(name)}</span>'
                      for name, _, shape, colour in series)
    header = " · ".join(esc(name) for name, *_ in series)
    return (f'<table class="dgr-pillars" style="border-collapse:collapse;width:100%;max-width:900px;font-size:15px">'
            f'<caption style="font-weight:bold;text-align:left">{esc(lab["pillars_title"])}</caption>'
            f'<thead><tr><th></th><th></th><th scope="col" style="text-align:left;padding-left:8px;'
            f'font-weight:normal">{header}</th></tr></thead><tbody>{"".join(rows)}</tbody>'
            f'<tfoot><tr><td></td><td aria-hidden="true"><div style="position:relative;height:1.4em;font-size:13px">'
            f'{ticks}</div><div style="text-align:center;font-size:13px">{esc(lab["score"])}</div></td><td></td></tr>'
            f'</tfoot></table><p style="font-size:14px">{legend}</p>')


def agency_heatmap(d, lang: str = "th") -> str:
    """Agency x pillar scores as an HTML table shaded like a heatmap, with every score printed.

    A table rather than a picture: the numbers stay readable in grey print and by screen readers,
    the Thai names reflow on a phone, and it costs no image rendering in each of the 152 kernels.
    Shading is viridis (ordered light-dark, safe for colour-blind readers); text colour follows
    the shade's lightness so every cell keeps its contrast.
    """
    lab = LABELS[lang]
    agencies = load_agencies()
    ids = [p.id for p in d.codebook.pillars]
    scores = d.agencies.set_index("agency")[ids].reindex(agencies["code"]).to_numpy(dtype=float)
    names = agencies["name_th" if lang == "th" else "name_en"].tolist()
    cmap = mpl.colormaps["viridis"]
    head = "".join(f'<th scope="col" title="{esc(pillar_name(d, i, lang))}">{esc(i)}</th>' for i in ids)
    rows = []
    for agency, row in zip(names, scores, strict=True):
        cells = []
        for v in row:
            if np.isnan(v):
                cells.append(f'<td style="background:#eeeeee;color:#444444;font-style:italic">{esc(lab["no_response"])}</td>')
                continue
            rgb = cmap(v / 100)[:3]
            light = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]  # relative luminance (sRGB weights)
            cells.append(f'<td style="background:{mpl.colors.to_hex(rgb)};color:{"#000000" if light > 0.45 else "#ffffff"}">'
                         f"{v:.0f}</td>")
        rows.append(f'<tr><th scope="row" style="text-align:left;font-weight:normal">{esc(agency)}</th>{"".join(cells)}</tr>')
    legend = " ".join(f'<span style="background:{mpl.colors.to_hex(cmap(v / 100))};color:{"#000000" if v > 50 else "#ffffff"};'
                      f'padding:0 6px">{v}</span>' for v in (0, 25, 50, 75, 100))
    return (f'<table class="dgr-heatmap" style="border-collapse:collapse;text-align:center;font-size:14px">'
            f'<caption style="font-weight:bold;text-align:left">{esc(lab["heatmap_title"])}</caption>'
            f'<thead><tr><th scope="col" style="text-align:left">{esc(lab["agency"])}</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
            f'<p style="font-size:13px">{esc(lab["score"])}: {legend}</p>')


def caterpillar(provinces, bands_table, title: str = "Province readiness index · ดัชนีความพร้อมรายจังหวัด"):
    """Every province's index with its 95 % interval, ordered; dotted lines at the band cut-offs."""

    order = provinces.sort_values("index")
    fig, ax = plt.subplots(figsize=(7.5, 12))
    y = np.arange(len(order))
    ax.errorbar(order["index"], y, xerr=[order["index"] - order["index_low"], order["index_high"] - order["index"]],
                fmt="o", color=PALETTE[0], ecolor="grey", markersize=3, capsize=0)
    ax.set_yticks(y, order["name_th"] + " · " + order["name_en"], fontsize=6.5)
    for lower in bands_table["lower"][1:]:
        ax.axvline(lower, color="black", linewidth=0.6, linestyle=":")
    ax.set_xlim(0, 100)
    ax.set_xlabel("index (0-100), 95 % BCa interval · ดัชนี (0-100) และช่วงความเชื่อมั่น 95%")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def rank_bands(provinces):
    """Median rank and 5-95 % rank band over modelling choices, with the bootstrap 90 % rank interval."""

    order = provinces.sort_values("rank")
    fig, ax = plt.subplots(figsize=(7.5, 12))
    y = np.arange(len(order))[::-1]
    ax.hlines(y + 0.15, order["rank_low"], order["rank_high"], color="grey", linewidth=2,
              label="bootstrap 90 % · สุ่มซ้ำ 90%")
    ax.hlines(y - 0.15, order["mc_rank_p05"], order["mc_rank_p95"], color=PALETTE[1], linewidth=2,
              label="modelling choices 5-95 % · ทางเลือกการคำนวณ")
    ax.plot(order["rank"], y, "o", color=PALETTE[0], markersize=3, label="rank · อันดับ")
    ax.set_yticks(y, order["name_th"] + " · " + order["name_en"], fontsize=6.5)
    ax.set_xlim(0, 77)
    ax.set_xlabel("rank (1 = most ready) · อันดับ")
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    ax.set_title("Rank uncertainty · ความไม่แน่นอนของอันดับ")
    fig.tight_layout()
    return fig


def regions_strip(provinces):
    """Province indices by region, one column per region, with the regional mean marked."""

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
    data = tiles.merge(provinces[["province", "abbr_en", "band"]], left_on="iso_code", right_on="province", how="left")
    fig, ax = plt.subplots(figsize=(6, 9))
    for r in data.itertuples():
        colour = colours.get(r.band, "#d9d9d9")
        ax.add_patch(Rectangle((r.col, -r.row), 0.95, 0.95, facecolor=colour, edgecolor="white"))
        label = r.abbr_en if isinstance(r.abbr_en, str) else "BKK"
        ax.text(r.col + 0.47, -r.row + 0.47, label, ha="center", va="center", fontsize=6,
                color="white" if r.band in ("high", "very_high") else "black")
    ax.set_xlim(data["col"].min() - 0.5, data["col"].max() + 1.5)
    ax.set_ylim(-data["row"].max() - 0.5, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Patch(facecolor=colours[b], label=f"{en} · {th}") for b, en, th in
               zip(bands_table["band"], bands_table["name_en"], bands_table["name_th"], strict=True)]
    handles.append(Patch(facecolor="#d9d9d9", label="not surveyed · ไม่อยู่ในการสำรวจ"))
    ax.legend(handles=handles, frameon=False, loc="lower right", fontsize=8)
    ax.set_title("Readiness band by province · ระดับความพร้อมรายจังหวัด")
    fig.tight_layout()
    return fig
