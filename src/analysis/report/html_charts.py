"""The province page's charts, drawn in HTML by the reader's browser rather than rendered as pictures.

The labels are real Thai text in the page's Sarabun, every value is printed as well as drawn (so a
screen reader or a grey photocopy loses nothing), the Thai names reflow on a phone, and a province
kernel needs no plotting library: rendering a matplotlib figure was a sixth of each of the 152
pages' batch time. Everything is drawn with borders, not backgrounds, where it carries meaning,
because browsers drop background colours when printing (the heatmap's numbers stay printed).
"""

from __future__ import annotations

import numpy as np

from analysis.report.colours import PALETTE, VIRIDIS_10, score_colour, text_on
from analysis.report.labels import group
from analysis.report.markup import esc
from analysis.report.province import excluded_agencies, pillar_name

#: marker shapes of the pillar chart (CSS): they differ in shape as well as colour, so the chart
#: survives grey print and colour-blind reading
_MARKERS = {"circle": "border-radius:50%", "square": "", "diamond": "transform:rotate(45deg) scale(0.85)"}


def _marker(shape: str, colour: str) -> str:
    """An inline marker (legend, values column) matching the chart's."""
    return (f'<span style="display:inline-block;width:0;height:0;border:4px solid {colour};{_MARKERS[shape]};'
            f'margin:0 4px 1px 0"></span>')


def pillar_comparison(d, lang: str = "th") -> str:
    """Province, region and nation on each pillar with 95 % intervals: a dot-and-interval chart.

    Markers differ in shape as well as colour; the values column prints each value (the
    province's with its interval); the drawing itself is hidden from screen readers.
    """
    lab = group("chart", lang)
    series = [(lab["province"], d.province, "circle", PALETTE[0]), (lab["region"], d.region(), "square", PALETTE[1]),
              (lab["nation"], d.national(), "diamond", PALETTE[7])]

    def num(x: float) -> str:
        return lab["no_data"] if np.isnan(x) else f"{x:.1f}"

    # gridlines at 0, 20, ..., 80 as one repeating background and 100 as the box's right border: one
    # style per row instead of six boxes (a sixth of the page's weight); printed as the shades are
    grid = ("background:linear-gradient(90deg,#d0d0d0 1px,transparent 1px) 0 0/20% 100%;"
            "border-right:1px solid #d0d0d0")
    rows = []
    for p in d.codebook.pillars:
        marks, values = [], []
        for k, (_, row, shape, colour) in enumerate(series):
            v, lo, hi = (float(row[f"{p.id}{s}"]) for s in ("", "_low", "_high"))
            has_interval = not (np.isnan(lo) or np.isnan(hi))
            ci = f" ({lo:.1f}–{hi:.1f})" if k == 0 and not np.isnan(v) and has_interval else ""
            values.append(f"{_marker(shape, colour)}{num(v)}{ci}")
            if np.isnan(v):
                continue
            top = 8 + 13 * k
            if has_interval:
                marks.append(f'<div style="position:absolute;left:{lo:.2f}%;width:{hi - lo:.2f}%;top:{top}px;'
                             f'border-top:2px solid {colour}"></div>')
            marks.append(f'<div style="position:absolute;left:calc({v:.2f}% - 5px);top:{top - 4}px;width:0;height:0;'
                         f'border:5px solid {colour};{_MARKERS[shape]}"></div>')
        rows.append(f'<tr><th scope="row" style="text-align:left;font-weight:normal;padding-right:8px">'
                    f'{esc(p.id)} {esc(pillar_name(d, p.id, lang))}</th>'
                    f'<td style="width:45%;padding:0" aria-hidden="true">'
                    f'<div style="position:relative;height:42px;{grid}">'
                    f'{"".join(marks)}</div></td>'
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


#: the heatmap's cells without a score: an agency that sent nothing, one whose response was excluded
#: when the data were checked (it responded, but nothing usable is left), and a responding agency
#: without a score on one pillar; the shades carry no meaning (each cell says which it is in words)
_EMPTY_CELLS = {"no_response": "background:#eeeeee;color:#444444;font-style:italic",
                "excluded": "background:#ffffff;color:#444444;font-style:italic;border:1px dashed #767676",
                "no_data": "background:#eeeeee;color:#444444"}


def agency_heatmap(d, lang: str = "th") -> str:
    """Agency x pillar scores as a table shaded like a heatmap, with every score printed.

    Shading is viridis in ten classes (0-10, ..., 90-100; ordered dark to light, safe for
    colour-blind readers); each number is black or white, whichever contrasts more with its shade.
    Each column is headed by its pillar's code and name. An agency without a usable response says
    why in each of its cells: "no response" when it sent nothing, "excluded" when it responded but
    its response was excluded when the data were checked
    (:func:`analysis.report.province.excluded_agencies`); the legend explains both.

    Parameters
    ----------
    d : ProvinceData
        The province (:func:`analysis.report.province.load_province`).
    lang : str
        ``"th"`` or ``"en"``.

    Returns
    -------
    str
        The table and its legend as HTML, every text from data escaped.
    """
    lab = group("chart", lang)
    agencies = d.agency_types
    ids = [p.id for p in d.codebook.pillars]
    scores = d.agencies.set_index("agency")[ids].reindex(agencies["code"]).to_numpy(dtype=float)
    responded = set(d.agencies["agency"])
    excluded = excluded_agencies(d)
    names = agencies["name_th" if lang == "th" else "name_en"].tolist()
    # each column says its pillar's name under its code (the code alone meant nothing to a reader)
    head = "".join(f'<th scope="col" style="vertical-align:bottom">{esc(i)}<br><span style="font-size:12px;'
                   f'font-weight:normal;line-height:1.2;display:inline-block">{esc(pillar_name(d, i, lang))}'
                   '</span></th>' for i in ids)
    rows, kinds = [], set()
    for code, agency, row in zip(agencies["code"], names, scores, strict=True):
        empty = "no_data" if code in responded else "excluded" if code in excluded else "no_response"
        cells = []
        for v in row:
            if np.isnan(v):
                kinds.add(empty)
                cells.append(f'<td style="{_EMPTY_CELLS[empty]}">{esc(lab[empty])}</td>')
                continue
            shade = score_colour(v)
            cells.append(f'<td style="background:{shade};color:{text_on(shade)}">{v:.0f}</td>')
        rows.append(f'<tr><th scope="row" style="text-align:left;font-weight:normal">{esc(agency)}</th>'
                    f'{"".join(cells)}</tr>')
    legend = "".join(f'<span style="background:{c};color:{text_on(c)};padding:0 5px">{10 * k}–{10 * k + 10}</span>'
                     for k, c in enumerate(VIRIDIS_10))
    notes = "".join(f'<br><span style="{_EMPTY_CELLS[k]};padding:0 5px">{esc(lab[k])}</span> '
                    f'{esc(lab[k + "_note"])}' for k in ("no_response", "excluded") if k in kinds)
    return (f'<table class="dgr-heatmap" style="border-collapse:collapse;text-align:center;font-size:14px">'
            f'<caption style="font-weight:bold;text-align:left">{esc(lab["heatmap_title"])}</caption>'
            f'<thead><tr><th scope="col" style="text-align:left">{esc(lab["agency"])}</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
            f'<p style="font-size:13px">{esc(lab["score"])}: {legend}{notes}</p>')
