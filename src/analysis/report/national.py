"""The national overview's tables: every province with links to its pages, a sortable table,
and the reliability summary. Reads upstream outputs only."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.numerics import round_stable
from analysis.core.paths import outputs_dir, params_dir
from analysis.instrument.reference import load_provinces
from analysis.report.labels import label
from analysis.stats.thresholds import threshold

#: the modelling choices of the Sobol table, as a reader sees them (English · Thai)
CHOICES = {"normalisation": "normalisation · การปรับค่าให้อยู่ในสเกลเดียวกัน", "aggregation": "aggregation · วิธีรวมคะแนน",
           "weights": "indicator weights · น้ำหนักตัวชี้วัด", "missing": "missing answers · การจัดการคำตอบที่ขาดหาย",
           "pillar_weights": "pillar weights · น้ำหนักรายด้าน"}
#: what a Sobol index below 0 means, said where one is shown as 0
SOBOL_NOTE = ("estimate {value:.3f} shown as 0: below 0 only by sampling noise · ค่าประมาณ {value:.3f} แสดงเป็น 0 "
              "เพราะติดลบจากความคลาดเคลื่อนของการประมาณเท่านั้น")
#: the Sobol table's column headers: what S1 and ST are, in Thai and English
SOBOL_COLUMNS = {"choice": "ทางเลือกในการคำนวณ · Modelling choice",
                 "S1": "S1 ผลหลัก: จากทางเลือกนี้เพียงลำพัง · first-order: this choice alone",
                 "ST": "ST ผลรวม: รวมผลร่วมกับทางเลือกอื่น · total effect: with its interplay with the others"}
#: the one-line note under the Sobol table (what the shares are of)
SOBOL_EXPLAINED = ("แต่ละค่าคือสัดส่วน (0–1) ของความแปรปรวนของการขยับอันดับ (จำนวนอันดับที่จังหวัดขยับจากอันดับที่เผยแพร่ "
                   "โดยเฉลี่ย) ที่มาจากทางเลือกนั้น ค่าใกล้ 0 คือทางเลือกนั้นแทบไม่มีผลต่ออันดับ · Each is the share (0–1) "
                   "of the variance of the rank shift (how many places the provinces move from the published ranks, on "
                   "average) that comes from the choice; near 0, the choice barely moves the ranks.")
#: the province-versus-nation verdicts, short enough for a table cell (Thai · English)
VERDICTS_SHORT = {"above": "สูงกว่า · above", "below": "ต่ำกว่า · below",
                  "not different": "ไม่ต่างอย่างชัดเจน · not clearly different", "not tested": "ทดสอบไม่ได้ · not tested"}


def load_overview(root: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Province scores (with names and abbreviations), aggregates, Sobol indices (as
    :func:`sobol_table` shows them) and reliability tables."""
    root = Path(root) if root is not None else outputs_dir()
    need = {"province_scores": "index", "aggregates": "index", "sobol": "index", "alpha": "reliability",
            "omega": "reliability", "icc": "reliability", "cfa": "reliability", "kmo_bartlett": "reliability",
            "province_vs_nation": "reliability"}
    out = {}
    for name, folder in need.items():
        path = root / folder / f"{name}.parquet"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run notebooks 01-03 first (or 'make report')")
        out[name] = pd.read_parquet(path)
    abbr = load_provinces().set_index("iso_code")["abbr_en"]
    p = out["province_scores"]
    p["abbr_en"] = p["province"].map(abbr)
    label = out["province_vs_nation"].set_index("group")["label"]
    p["vs_nation"] = p["province"].map(label)
    out["sobol"] = sobol_table(out["sobol"])
    return out


def sobol_table(sobol: pd.DataFrame) -> pd.DataFrame:
    """The Sobol indices as the overview shows them: each choice named in English and Thai, and
    ``S1``/``ST`` clipped at 0, the choice's cell noting the negative estimate it replaces."""
    s = sobol.copy()
    notes = []
    for r in s.itertuples():
        name = CHOICES.get(str(r.choice), str(r.choice))
        negative = [v for v in (r.S1, r.ST) if pd.notna(v) and v < 0]
        notes.append(f"{name} ({SOBOL_NOTE.format(value=min(negative))})" if negative else name)
    s["choice"] = notes
    s[["S1", "ST"]] = s[["S1", "ST"]].clip(lower=0)
    return s


def sobol_html(sobol: pd.DataFrame, glossary_root: str = "") -> str:
    """The Sobol table as the overview shows it: each column named in Thai and English, and a note
    saying what the indices are shares of, linking the glossary's entry in both languages.

    Parameters
    ----------
    sobol : pandas.DataFrame
        :func:`sobol_table` (``choice``, ``S1``, ``ST``; indices clipped at 0).
    glossary_root : str
        Relative path from the page to the site's root, where the glossary pages are.

    Returns
    -------
    str
        The table (values to 3 decimals; a missing value shown as "–") and the note, as HTML with
        every text escaped.
    """
    s = sobol[["choice", "S1", "ST"]].copy()
    for col in ("S1", "ST"):
        s[col] = [("–" if pd.isna(v) else f"{float(v):.3f}") for v in s[col]]
    table = s.rename(columns=SOBOL_COLUMNS).to_html(index=False, escape=True)
    links = " · ".join(f'<a href="{html.escape(glossary_root)}glossary.{lang}.html#term-sobol"{attr}>{text}</a>'
                       for lang, attr, text in (("th", "", "คำอธิบายศัพท์"), ("en", ' lang="en"', "Glossary")))
    return f'{table}<p class="dgr-note">{html.escape(SOBOL_EXPLAINED)} ({links})</p>'


def load_tiles(path: str | Path | None = None) -> pd.DataFrame:
    """The tile-grid layout of the provinces (``params/province_tiles.csv``)."""
    return pd.read_csv(Path(path) if path else params_dir() / "province_tiles.csv")


def reliability_summary(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per check with its value, the rule it is held to and the verdict.

    Rules and sources come from :mod:`analysis.stats.thresholds`; a value that could not be
    computed (too few cases) is said so rather than judged.
    """
    rows: list[tuple[str, float, str, float]] = []
    rows += [(f"Cronbach's alpha {r.pillar}", r.alpha, "alpha", r.ci_low) for r in t["alpha"].itertuples()]
    rows += [(f"McDonald's omega {r.pillar}", r.omega_total, "omega", r.ci_low) for r in t["omega"].itertuples()]
    kmo, cfa = t["kmo_bartlett"].iloc[0], t["cfa"].iloc[0]
    rows.append(("KMO (overall)", kmo["msa"], "kmo", kmo["msa"]))
    rows += [(f"CFA {name.upper()}", cfa[name], name, cfa[name]) for name in ("cfi", "tli", "rmsea", "srmr")]
    icc = t["icc"][t["icc"]["score"] == "index"].set_index("type")["icc"]
    rows += [("ICC(1), index", icc["ICC1"], "icc1", icc["ICC1"]), ("ICC(2), index", icc["ICC2"], "icc2", icc["ICC2"])]
    out = []
    for check, value, name, judged in rows:
        rule = threshold(name)
        verdict = rule.meets(judged)
        out.append({"Check · การตรวจสอบ": check,
                    "Value · ค่า": float(round_stable(np.array([value], dtype=float), 3)[0]),
                    "Threshold · เกณฑ์": rule.rule,
                    "Meets · ผ่านเกณฑ์": "not computed (too few cases) · คำนวณไม่ได้ (ข้อมูลน้อยเกินไป)"
                    if verdict is None else "yes · ผ่าน" if verdict else "no · ไม่ผ่าน",
                    "Source · ที่มา": rule.source})
    return pd.DataFrame(out)


def interval_text(low: float, high: float, lang: str) -> str:
    """``"36.6–40.7"``, or words saying there is no interval (one province: no between-province spread)."""
    if pd.isna(low) or pd.isna(high):
        return "ไม่มี (ข้อมูลจากจังหวัดเดียว)" if lang == "th" else "none: data from one province only"
    return f"{low:.1f}–{high:.1f}"


def coverage(provinces: pd.DataFrame) -> dict[str, object]:
    """How many surveyed provinces have data, and which do not (Thai and English names)."""
    missing = provinces[provinces["index"].isna()]
    return {"with_data": int(provinces["index"].notna().sum()), "surveyed": len(provinces),
            "missing_th": missing["name_th"].tolist(), "missing_en": missing["name_en"].tolist()}


_SORT_JS = """<script>
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.style.cursor = 'pointer';
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = th.dataset.asc !== 'true'; th.dataset.asc = asc;
    var rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v || a.cells[col].textContent;
      var y = b.cells[col].dataset.v || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, 'th');
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>"""


def province_table_html(provinces: pd.DataFrame, band_names: dict[str, tuple[str, str]]) -> str:
    """A sortable HTML table of all provinces with links to both language pages (all text escaped)."""
    e = html.escape
    head = ["Province · จังหวัด", "Region · ภาค", "Agencies · หน่วยงาน", "Index · ดัชนี",
            "95 % interval · ช่วงความเชื่อมั่น 95%", "Band · ระดับ", "Rank · อันดับ", "Rank 90 % · ช่วงอันดับ 90%",
            "vs nation · เทียบประเทศ", "Pages · รายงาน"]
    rows = []

    def num(x: float, fmt: str) -> str:
        return "–" if pd.isna(x) else format(x, fmt)

    def verdict(key: object) -> str:  # the test's verdict in Thai and English ("–" when not tested)
        if not isinstance(key, str):
            return "–"
        return e(VERDICTS_SHORT.get(key, f"{label('verdicts', key, 'th')} · {label('verdicts', key, 'en')}"))

    for r in provinces.sort_values(["rank", "province"], na_position="last").itertuples():
        th, en = band_names.get(r.band, ("ไม่มีข้อมูล", "no data"))
        links = (f'<a href="provinces/{e(r.province)}.th.html">ไทย</a> · '
                 f'<a href="provinces/{e(r.province)}.en.html">English</a>')
        cells = [
            (e(r.name_th), f"{e(r.name_th)} · {e(r.name_en)}"),
            (e(r.region_en), f"{e(r.region_th)} · {e(r.region_en)}"),
            (str(r.n_agencies), str(r.n_agencies)), (num(r.index, ".3f"), num(r.index, ".1f")),
            (num(r.index_low, ".3f"), "–" if pd.isna(r.index_low) else f"{r.index_low:.1f}–{r.index_high:.1f}"),
            (num(r.index, ".3f"), f"{e(th)} · {e(en)}"),
            (num(r.rank, "d"), num(r.rank, "d")),
            (num(r.rank_low, "d"), "–" if pd.isna(r.rank_low) else f"{r.rank_low}–{r.rank_high}"),
            (e(str(r.vs_nation)) if isinstance(r.vs_nation, str) else "", verdict(r.vs_nation)), ("", links),
        ]
        rows.append("<tr>" + "".join(f'<td data-v="{v}">{shown}</td>' for v, shown in cells) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in head)
    return (f'<table class="sortable"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            + _SORT_JS)
