"""What a province's write-up says: its numbers gathered from upstream outputs, and prose in Thai
and English that changes with them.

Nothing here recomputes statistics: it reads ``outputs/index``, ``outputs/reliability`` and
``outputs/clean`` (written once for all provinces) and turns one province's rows into sentences.
Every piece of text from data files is HTML-escaped before it reaches a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.paths import outputs_dir
from analysis.instrument.codebook import Codebook, load_codebook
from analysis.instrument.reference import load_agencies, load_provinces
from analysis.report.markup import esc
from analysis.stats.thresholds import threshold

LANGS = ("th", "en")
#: Thai labels of the quarantine reasons (``analysis.clean.REASONS``; a test checks none is missing).
REASONS_TH = {
    "test_submission": "รายการทดสอบ", "outside_survey": "นอกขอบเขตการสำรวจ", "province_blank": "ไม่ระบุจังหวัด",
    "province_unknown": "ระบุจังหวัดไม่ได้", "province_ambiguous": "ชื่อจังหวัดกำกวม", "agency_blank": "ไม่ระบุหน่วยงาน",
    "agency_unknown": "ระบุหน่วยงานไม่ได้", "agency_ambiguous": "ชื่อหน่วยงานกำกวม", "too_few_items": "ตอบน้อยเกินไป",
    "straight_lining": "ตอบคำตอบเดียวกันทุกข้อ", "duplicate_submission_id": "รหัสการส่งซ้ำ",
}


@dataclass
class ProvinceData:
    """One province's slice of every upstream table."""

    code: str
    province: pd.Series  # its row of province_scores
    agencies: pd.DataFrame  # its responding agencies' scores
    all_provinces: pd.DataFrame
    aggregates: pd.DataFrame
    items: pd.DataFrame  # its item means
    quarantine: pd.DataFrame  # its quarantined rows (no personal data)
    icc: pd.DataFrame
    rwg: pd.Series | None
    vs_nation: pd.Series | None
    codebook: Codebook
    agency_types: pd.DataFrame  # the 19 surveyed agency types (reference), in their reporting order
    n_tested: int  # provinces tested against the nation (with two or more agencies)

    @property
    def has_data(self) -> bool:
        """Whether any agency of the province returned a usable response (so there is an index)."""
        return bool(self.province["n_agencies"] > 0 and pd.notna(self.province["index"]))

    @property
    def n_ranked(self) -> int:
        """How many provinces have data and so a rank."""
        return int(self.all_provinces["index"].notna().sum())

    def national(self) -> pd.Series:
        """The national aggregate row."""
        return self._aggregate("national", "all")

    def region(self) -> pd.Series:
        """The aggregate row of the province's region (all missing when no agency of it responded)."""
        return self._aggregate("region", self.province["region"])

    def _aggregate(self, level: str, group: str) -> pd.Series:
        a = self.aggregates
        rows = a[(a["level"] == level) & (a["group"] == group)]
        if len(rows):
            return rows.iloc[0]
        return pd.Series(np.nan, index=a.columns, dtype=float)


def load_province(code: str, root: str | Path | None = None, codebook: Codebook | None = None) -> ProvinceData:
    """Gather one province's data from the outputs of the upstream steps.

    Raises ``ValueError`` for a code that is not a surveyed province, and ``FileNotFoundError``
    naming the step to run when an upstream output is missing.
    """
    root = Path(root) if root is not None else outputs_dir()
    cb = codebook or load_codebook()
    surveyed = load_provinces(in_survey_only=True)["iso_code"].tolist()
    if code not in surveyed:
        raise ValueError(f"province {code!r} is not one of the 76 surveyed provinces (TH-11 ... TH-96, not TH-10)")

    def read(rel: str, step: str) -> pd.DataFrame:
        path = root / rel
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run {step} first (or 'make report')")
        return pd.read_parquet(path)

    provinces = read("index/province_scores.parquet", "02_readiness_index")
    rel = read("reliability/rwg.parquet", "03_reliability")
    cmp = read("reliability/province_vs_nation.parquet", "03_reliability")
    quarantine = read("clean/quarantine.parquet", "01_clean_responses")
    items = read("index/province_items.parquet", "02_readiness_index")
    agencies = read("index/agency_scores.parquet", "02_readiness_index")
    rwg_row = rel[rel.iloc[:, 0] == code]
    cmp_row = cmp[cmp["group"] == code]
    return ProvinceData(
        code=code,
        province=provinces.set_index("province").loc[code],
        agencies=agencies[agencies["province"] == code].reset_index(drop=True),
        all_provinces=provinces,
        aggregates=read("index/aggregates.parquet", "02_readiness_index"),
        items=items[items["province"] == code].reset_index(drop=True),
        quarantine=quarantine[quarantine["province"] == code].reset_index(drop=True),
        icc=read("reliability/icc.parquet", "03_reliability"),
        rwg=rwg_row.iloc[0] if len(rwg_row) else None,
        vs_nation=cmp_row.iloc[0] if len(cmp_row) else None,
        codebook=cb,
        agency_types=load_agencies(),
        n_tested=int(cmp["p"].notna().sum()),
    )


# --- words ---------------------------------------------------------------------------------------

def name(d: ProvinceData, lang: str) -> str:
    """The province's name in the language (Thai with its จังหวัด prefix)."""
    return f"จังหวัด{d.province['name_th']}" if lang == "th" else str(d.province["name_en"])


def band_name(d: ProvinceData, code: str | None, lang: str) -> str:
    """A band's name in the language."""
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return "ไม่มีข้อมูล" if lang == "th" else "no data"
    b = d.codebook.bands_table().set_index("band").loc[code]
    return str(b["name_th"] if lang == "th" else b["name_en"])


def pillar_name(d: ProvinceData, pid: str, lang: str) -> str:
    """A pillar's name in the language."""
    p = next(p for p in d.codebook.pillars if p.id == pid)
    return p.name_th if lang == "th" else p.name_en


def _f(x: float) -> str:
    return f"{x:.1f}"


def no_data_text(d: ProvinceData, lang: str) -> str:
    """Why a province has no index: its rows were all excluded (with the reasons), or none came in."""
    q = d.quarantine["primary_reason"].value_counts() if len(d.quarantine) else pd.Series(dtype=int)
    who = esc(name(d, lang))
    if lang == "th":
        s = f"ยังไม่มีหน่วยงานใดใน**{who}**ที่ให้คำตอบที่ใช้ได้ในข้อมูลชุดนี้ จึงไม่มีดัชนี ระดับ หรืออันดับของจังหวัดนี้"
        if len(q):
            return s + (f" มีคำตอบจากจังหวัดนี้ {int(q.sum())} รายการ แต่ถูกคัดออกทั้งหมดในขั้นตอนตรวจสอบข้อมูล "
                        f"({', '.join(f'{esc(REASONS_TH.get(k, k))} {v} รายการ' for k, v in q.items())})")
        return s + " เพราะยังไม่ได้รับแบบสำรวจจากจังหวัดนี้"
    s = f"No agency in **{who}** has a usable response in this data, so the province has no index, band or rank."
    if len(q):
        return s + (f" {int(q.sum())} responses from the province were received but all were excluded when the "
                    f"data were checked ({', '.join(f'{esc(k.replace(chr(95), chr(32)))} {v}' for k, v in q.items())}).")
    return s + " No response from the province has been received."


def headline(d: ProvinceData, lang: str) -> str:
    """Index with interval, band with its probability, rank with its interval (Markdown)."""
    p = d.province
    if not d.has_data:
        return no_data_text(d, lang)
    band = esc(band_name(d, p["band"], lang))
    prob = p["band_probability"] * 100
    if lang == "th":
        return (f"**{esc(name(d, lang))}** มีดัชนีความพร้อมรัฐบาลดิจิทัล **{_f(p['index'])} คะแนน** จาก 100 "
                f"(ช่วงความเชื่อมั่น 95%: {_f(p['index_low'])}–{_f(p['index_high'])}) อยู่ในระดับ **{band}** "
                f"(ความน่าจะเป็นที่จะอยู่ในระดับนี้ {prob:.0f}%) และอยู่ **อันดับที่ {int(p['rank'])} จาก {d.n_ranked} จังหวัด** "
                f"โดยอันดับที่เป็นไปได้อยู่ระหว่าง {int(p['rank_low'])}–{int(p['rank_high'])} (ช่วง 90%)")
    return (f"**{esc(name(d, lang))}** scores **{_f(p['index'])} out of 100** on the digital government readiness "
            f"index (95 % confidence interval {_f(p['index_low'])}–{_f(p['index_high'])}), in the **{band}** band "
            f"(probability {prob:.0f} %), and ranks **{int(p['rank'])} of {d.n_ranked} provinces** with data, with a plausible rank "
            f"between {int(p['rank_low'])} and {int(p['rank_high'])} (90 % interval).")


def comparison(d: ProvinceData, lang: str) -> str:
    """How the province compares with its region and the nation, with the corrected test."""
    if not d.has_data:
        return ""
    p, nat, reg = d.province, d.national(), d.region()
    region = p["region_th"] if lang == "th" else p["region_en"]
    n_tested = d.n_tested
    diff_nat = p["index"] - nat["index"]
    diff_reg = p["index"] - reg["index"]
    label = d.vs_nation["label"] if d.vs_nation is not None else "not different"
    if lang == "th":
        def rel(x: float) -> str:
            return "สูงกว่า" if x > 0 else "ต่ำกว่า"

        verdict = {"above": "สูงกว่าค่าเฉลี่ยประเทศอย่างมีนัยสำคัญทางสถิติ",
                   "below": "ต่ำกว่าค่าเฉลี่ยประเทศอย่างมีนัยสำคัญทางสถิติ",
                   "not different": "ยังไม่อาจสรุปได้ว่าแตกต่างจากค่าเฉลี่ยประเทศ",
                   "not tested": "ทดสอบไม่ได้ เพราะมีหน่วยงานที่ตอบน้อยเกินไป"}[label]
        return (f"คะแนนนี้{rel(diff_nat)}ค่าเฉลี่ยประเทศ ({_f(nat['index'])}) {_f(abs(diff_nat))} คะแนน "
                f"และ{rel(diff_reg)}ค่าเฉลี่ยของ{esc(region)} ({_f(reg['index'])}) {_f(abs(diff_reg))} คะแนน "
                f"เมื่อทดสอบพร้อมกันทั้ง {n_tested} จังหวัด (ปรับค่า p ด้วยวิธี Benjamini-Hochberg) จังหวัดนี้{verdict}")

    def rel_en(x: float) -> str:
        return "above" if x > 0 else "below"

    verdict = {"above": "is significantly above the national mean",
               "below": "is significantly below the national mean",
               "not different": "cannot be told apart from the national mean",
               "not tested": "could not be tested, as too few of its agencies responded"}[label]
    return (f"That is {_f(abs(diff_nat))} points {rel_en(diff_nat)} the national mean ({_f(nat['index'])}) "
            f"and {_f(abs(diff_reg))} points {rel_en(diff_reg)} the {esc(region)} region's mean "
            f"({_f(reg['index'])}). Tested against the nation alongside all {n_tested} provinces with data "
            f"(Benjamini-Hochberg correction), the province {verdict}.")


def pillar_text(d: ProvinceData, lang: str) -> str:
    """Strongest and weakest pillar, saying when their gap is within the uncertainty."""
    p = d.province
    ids = [pp.id for pp in d.codebook.pillars]
    vals = p[ids].astype(float)
    if vals.isna().all():
        return ""
    hi, lo = vals.idxmax(), vals.idxmin()
    ordered = vals.sort_values(ascending=False)
    second = ordered.index[1]
    close = p[f"{hi}_low"] <= p[f"{second}_high"]
    if lang == "th":
        s = (f"ด้านที่เข้มแข็งที่สุดคือ **{esc(pillar_name(d, hi, lang))}** ({_f(vals[hi])} คะแนน) "
             f"และด้านที่ควรพัฒนามากที่สุดคือ **{esc(pillar_name(d, lo, lang))}** ({_f(vals[lo])} คะแนน)")
        if close:
            s += (f" อย่างไรก็ดี ความต่างระหว่างด้าน{esc(pillar_name(d, hi, lang))}กับด้าน"
                  f"{esc(pillar_name(d, second, lang))} ({_f(vals[second])}) อยู่ในช่วงความไม่แน่นอนของการประมาณ")
        return s
    s = (f"The strongest pillar is **{esc(pillar_name(d, hi, lang))}** ({_f(vals[hi])}) and the weakest is "
         f"**{esc(pillar_name(d, lo, lang))}** ({_f(vals[lo])}).")
    if close:
        s += (f" The lead of {esc(pillar_name(d, hi, lang))} over {esc(pillar_name(d, second, lang))} "
              f"({_f(vals[second])}) is, however, within the uncertainty of the estimates.")
    return s


def agency_text(d: ProvinceData, lang: str) -> str:
    """Response count and the agencies that did not respond."""
    agencies = d.agency_types
    responded = set(d.agencies["agency"])
    missing = agencies[~agencies["code"].isin(responded)]
    n = len(responded)
    names = [esc(r.name_th if lang == "th" else r.name_en) for r in missing.itertuples()]
    if lang == "th":
        s = f"หน่วยงานตอบแบบสำรวจที่ใช้ได้ {n} จาก 19 หน่วยงาน (ร้อยละ {n / 19 * 100:.0f})"
        return s + (f" หน่วยงานที่ยังไม่มีข้อมูล: {', '.join(names)}" if names else " ครบทุกหน่วยงาน")
    s = f"{n} of the 19 agencies returned a usable response ({n / 19 * 100:.0f} %)."
    return s + (f" No usable response from: {', '.join(names)}." if names else " Every agency responded.")


def weakest_indicators(d: ProvinceData, k: int = 3) -> pd.DataFrame:
    """The ``k`` weakest indicators with their weakest item and its recommendation."""
    ind_cols = [i.id for p in d.codebook.pillars for i in p.indicators]
    means = d.agencies[ind_cols].mean().dropna().sort_values()
    rows = []
    for ind_id in means.index[:k]:
        its = d.items[d.items["indicator"] == ind_id].sort_values("score")
        it = d.codebook.item(its["item"].iloc[0])
        ind = next(i for p in d.codebook.pillars for i in p.indicators if i.id == ind_id)
        rows.append({"indicator": ind_id, "name_th": ind.name_th, "name_en": ind.name_en,
                     "score": float(means[ind_id]), "item": it.id, "item_score": float(its["score"].iloc[0]),
                     "recommendation_th": it.recommendation_th, "recommendation_en": it.recommendation_en})
    return pd.DataFrame(rows)


def recommendations_text(d: ProvinceData, lang: str) -> str:
    """A numbered Markdown list of the weakest indicators and what to do."""
    w = weakest_indicators(d)
    lines = []
    for i, r in enumerate(w.itertuples(), start=1):
        nm = r.name_th if lang == "th" else r.name_en
        rec = r.recommendation_th if lang == "th" else r.recommendation_en
        unit = "คะแนน" if lang == "th" else "points"
        lines.append(f"{i}. **{esc(nm)}** ({_f(r.score)} {unit}): {esc(rec)}")
    return "\n".join(lines)


def caveats_text(d: ProvinceData, lang: str) -> str:
    """Sample size, reliability of a province mean, and what was quarantined (counts only)."""
    n = int(d.province["n_agencies"])
    icc2 = d.icc[(d.icc["type"] == "ICC2") & (d.icc["score"] == "index")]["icc"].iloc[0]
    rwg = float(d.rwg["r_wg_j"]) if d.rwg is not None else float("nan")
    q = d.quarantine["primary_reason"].value_counts()
    few = threshold("few_agencies").meets(n) is False
    reliable = threshold("icc2").meets(icc2)
    bound = threshold("icc2").bound
    if lang == "th":
        parts = [f"- ค่าประมาณนี้มาจาก {n} หน่วยงาน" + (" ซึ่งน้อย ช่วงความเชื่อมั่นจึงกว้าง ควรตีความอย่างระมัดระวัง" if few else "")
                 ] if d.has_data else []
        if not np.isnan(icc2):
            parts.append(f"- ความเชื่อถือได้ของค่าเฉลี่ยระดับจังหวัด ICC(2) ทั้งประเทศ = {icc2:.2f} "
                         + (f"(ผ่านเกณฑ์ {bound:.2f}: ค่าเฉลี่ยจังหวัดแยกความแตกต่างระหว่างจังหวัดได้)" if reliable
                            else f"(ต่ำกว่าเกณฑ์ {bound:.2f})"))
        if not np.isnan(rwg):
            parts.append(f"- ความสอดคล้องของหน่วยงานภายในจังหวัด r_wg(J) = {rwg:.2f}")
        parts.append("- รายการที่ถูกกันออก (quarantine) ของจังหวัดนี้: " + (", ".join(
            f"{esc(REASONS_TH.get(k, k))} {v} รายการ" for k, v in q.items()) if len(q) else "ไม่มี"))
        return "\n".join(parts)
    parts = [f"- This estimate rests on {n} agencies"
             + (": few, so the interval is wide and the estimate should be read with care." if few else ".")
             ] if d.has_data else []
    if not np.isnan(icc2):
        parts.append(f"- Reliability of a province mean, ICC(2) nationally = {icc2:.2f} "
                     + (f"(meets {threshold('icc2').rule[3:]}: province means do tell provinces apart)." if reliable
                        else f"(below {threshold('icc2').rule[3:]})."))
    if not np.isnan(rwg):
        parts.append(f"- Agreement among this province's agencies, r_wg(J) = {rwg:.2f}.")
    parts.append("- Rows quarantined for this province: " + (", ".join(
        f"{esc(k.replace('_', ' '))} {v}" for k, v in q.items()) if len(q) else "none") + ".")
    return "\n".join(parts)


def methods_text(lang: str) -> str:
    """A short methods note linking to the national overview."""
    if lang == "th":
        return ("**วิธีการ** คะแนนแต่ละข้อแปลงเป็น 0–100 ตามเกณฑ์ในแบบสอบถาม รวมเป็นตัวชี้วัด ด้าน และดัชนีของหน่วยงาน "
                "ด้วยค่าเฉลี่ยถ่วงน้ำหนัก (ตามคู่มือ OECD/JRC) คะแนนจังหวัดคือค่าเฉลี่ยของหน่วยงานที่ตอบ ช่วงความเชื่อมั่นใช้ "
                "BCa bootstrap และช่วงอันดับมาจากการสุ่มซ้ำเดียวกัน ดูรายละเอียดและผลทั้งประเทศได้ที่ "
                "[ภาพรวมระดับประเทศ](../index.html)")
    return ("**Methods.** Each answer is scored 0–100 by the questionnaire's rules and aggregated to indicators, "
            "pillars and an agency index by weighted means (OECD/JRC handbook); a province's score is the mean of "
            "its responding agencies, with BCa bootstrap intervals and rank intervals from the same resamples. "
            "Details and all provinces: [national overview](../index.html).")
