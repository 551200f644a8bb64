"""A realistic, calibrated sample export with known ground truth and documented defects.

The generative model (parameters in ``params/sample.yaml``):

* agency readiness ``eta = region + province + agency type + agency noise`` (all normal; the
  region, province and type effects are centred on zero);
* each pillar's factor ``f_j = c * eta / sd(eta) + sqrt(1 - c^2) * d_j``;
* each item's latent ``z_i = loading_i * f_j + sqrt(1 - loading_i^2) * e_i + shift_j + difficulty_i``,
  cut into the item's answer scale (yes/no, levels, number of options chosen, counts, percents);
* ``shift_j`` is solved so that the population mean pillar score equals the calibration target
  (the 2018 published means), and an agency responds with probability
  ``logistic(base + slope * eta / sd(eta))`` (about 85.7 %, as in 2018).

Answers are then written as people type them (Thai and English words, Thai digits,
Buddhist-Era dates, province and agency name variants) and defects are injected at the rates
in the config, each one listed in the manifest. The ground truth (latent readiness, loadings,
population reliabilities) is saved beside the export for tests of the statistics. ``python -m analysis
sample`` also writes the export in four survey platforms' layouts to ``platforms/``
(:mod:`analysis.synthetic.platforms`).
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from factor_analyzer import FactorAnalyzer
from scipy import optimize, special, stats

from analysis.core.paths import params_dir, read_yaml, sample_dir
from analysis.core.safeio import atomic_path, write_json, write_text
from analysis.instrument.codebook import Codebook, Item, load_codebook
from analysis.instrument.reference import load_agencies, load_provinces
from analysis.instrument.scoring import item_score

META_COLUMNS = [
    "submission_id",
    "submitted_at",
    "province",
    "agency",
    "respondent_name",
    "respondent_position",
    "respondent_phone",
    "respondent_email",
]

# Cut points of the item latent (standard normal before shifts) for the ordinal types.
_LIKERT_CUTS = np.array([-1.5, -0.5, 0.5, 1.5])
_MATURITY_CUTS = np.array([-1.2, -0.2, 0.8, 1.8])
# Quadrature nodes of N(0, 1) used to solve the calibration shifts exactly and reproducibly.
_NODES = stats.norm.ppf((np.arange(4000) + 0.5) / 4000)

_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_ZERO_WIDTH = ["\u200b", "\u200d", "\ufeff", "\u00a0"]
_FIRST = [("สมชาย", "somchai"), ("สมศรี", "somsri"), ("วิภาวดี", "wipawadee"), ("ประเสริฐ", "prasert"),
          ("กนกวรรณ", "kanokwan"), ("ธนพล", "thanaphon"), ("ณัฐพงษ์", "nattapong"), ("สุภาพร", "supaporn"),
          ("อรุณี", "arunee"), ("พงศกร", "pongsakorn"), ("จิราพร", "jiraporn"), ("วีระชัย", "weerachai"),
          ("ปิยะนุช", "piyanuch"), ("ศักดิ์ชัย", "sakchai"), ("รัตนา", "rattana"), ("อนุชา", "anucha")]
_LAST = [("ใจดี", "jaidee"), ("ศรีสุข", "srisuk"), ("วงศ์ไทย", "wongthai"), ("บุญมา", "boonma"),
         ("แก้วมณี", "kaewmanee"), ("ทองคำ", "thongkham"), ("สายสุวรรณ", "saisuwan"), ("พรหมมา", "prommma"),
         ("จันทร์เพ็ญ", "chanpen"), ("รักษ์ไทย", "rakthai"), ("มณีวงศ์", "maneewong"), ("สุขประเสริฐ", "sukprasert")]
_POSITIONS = ["นักวิชาการคอมพิวเตอร์ปฏิบัติการ", "นักวิชาการคอมพิวเตอร์ชำนาญการ", "นักจัดการงานทั่วไปชำนาญการ",
              "เจ้าพนักงานธุรการ", "นักวิเคราะห์นโยบายและแผน", "หัวหน้ากลุ่มงานบริหารทั่วไป", "เจ้าพนักงานเครื่องคอมพิวเตอร์"]
_COMMENTS = ["ขาดงบประมาณด้านเทคโนโลยีสารสนเทศ", "บุคลากรด้านไอทีไม่เพียงพอ", "อินเทอร์เน็ตช้าในบางช่วงเวลา",
             "ต้องการการอบรมด้านความมั่นคงปลอดภัยไซเบอร์", "อยากให้มีระบบกลางที่เชื่อมโยงข้อมูลระหว่างหน่วยงาน",
             "Need more training on data analytics", "ระบบสารบรรณอิเล็กทรอนิกส์ใช้งานได้ดี"]
_FORMULA_COMMENTS = ['=HYPERLINK("http://example.invalid","ดูรายละเอียด")', "=1+1", "+66 81 234 5678 โทรกลับ",
                     "-ไม่มีความเห็น-", "@ผู้ดูแลระบบ กรุณาตรวจสอบ", "=cmd|' /C calc'!A0"]
_HTML_COMMENTS = ["<script>alert('xss')</script>", "<b>ต้องการงบประมาณเพิ่ม</b>", '<img src=x onerror="alert(1)">',
                  '<a href="javascript:alert(1)">คลิก</a>', "งบ < 5,000 บาท & ไม่เพียงพอ > ต้องการเพิ่ม"]
_UNKNOWN_PROVINCES = ["เมืองพัทยา", "เบตง", "Suvarnabhumi", "จ.สุวรรณภูมิ"]
_BANGKOK = ["กรุงเทพมหานคร", "กทม.", "Bangkok", "กรุงเทพฯ", "TH-10", "จังหวัดกรุงเทพมหานคร"]
#: Respondent names of the injected test submissions (no real person behind them).
TEST_NAMES = ["ทดสอบ ระบบ", "test test", "ทดสอบ", "Test User"]
_NONE_SELECTED = [("ไม่มีข้อใด", 0.6), ("None of the above", 0.4)]


@dataclass
class SampleExport:
    """A generated export: the raw table, its ground truth and its defect manifest."""

    raw: pd.DataFrame
    truth: dict[str, pd.DataFrame]
    manifest: dict[str, Any]
    model: dict[str, Any] = field(default_factory=dict)
    codes: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Answer codes of every contacted agency as the model drew them (before defects)."""


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Read the generator's parameters (default ``params/sample.yaml``)."""
    path = Path(path) if path is not None else params_dir() / "sample.yaml"
    return read_yaml(path)


def answer_codes(item: Item, z: np.ndarray) -> np.ndarray:
    """Cut item latents into the item's answer codes (see :mod:`analysis.instrument.scoring`)."""
    if item.type == "yes_no":
        return (z > 0).astype(float)
    if item.type == "likert":
        return 1.0 + np.searchsorted(_LIKERT_CUTS, z)
    if item.type == "maturity":
        return np.searchsorted(_MATURITY_CUTS, z).astype(float)
    if item.type == "multi_select":
        m = len(item.options or [])
        return np.searchsorted(np.linspace(-1.5, 1.5, m), z).astype(float)
    lo, hi = item.score_range
    if item.type == "percent":
        return np.round(100.0 * stats.norm.cdf(z))
    return np.floor(lo + 1.2 * (hi - lo) * stats.norm.cdf(z) + 0.5)  # count


def _calibrate_shift(items: list[Item], weights: np.ndarray, difficulty: np.ndarray, target: float) -> float:
    """Solve the pillar shift giving population mean pillar score ``target`` (0-100)."""

    def mean_score(shift: float) -> float:
        per_item = [item_score(it, answer_codes(it, _NODES + shift + b)).mean()
                    for it, b in zip(items, difficulty, strict=True)]
        return float(np.dot(weights, per_item)) - target

    return float(optimize.brentq(mean_score, -5, 5, xtol=1e-10))


def _population_reliability(items: list[Item], loading: np.ndarray, shift: float, difficulty: np.ndarray,
                            rng: np.random.Generator, n: int = 200_000) -> tuple[float, float, float]:
    """Population alpha and omegas of a pillar's unweighted item-score sum, by simulation.

    * alpha from the population covariance of the item scores;
    * ``omega_linear``: the squared correlation of the sum score with the pillar factor,
      ``(sum_i cov(Y_i, f))^2 / var(sum_i Y_i)``;
    * ``omega``: what a one-factor model of the item scores estimates, i.e. omega total of the
      maximum-likelihood one-factor fit (factor_analyzer) to the population covariance. The scored
      items are capped, discrete functions of the factor, so this counts their non-linear common
      part as true variance too and sits above ``omega_linear``.
    """
    f = rng.standard_normal(n)
    e = rng.standard_normal((n, len(items)))
    z = loading * f[:, None] + np.sqrt(1 - loading**2) * e + shift + difficulty
    y = np.column_stack([item_score(it, answer_codes(it, z[:, i])) for i, it in enumerate(items)])
    cov = np.cov(y, rowvar=False)
    k = len(items)
    total_var = cov.sum()
    alpha = k / (k - 1) * (1 - np.trace(cov) / total_var)
    cov_f = ((y - y.mean(0)) * (f - f.mean())[:, None]).mean(0)
    omega_linear = cov_f.sum() ** 2 / total_var
    sd = np.sqrt(np.diag(cov))
    fa = FactorAnalyzer(n_factors=1, rotation=None, method="ml", is_corr_matrix=True)
    with warnings.catch_warnings():  # factor_analyzer 0.5.1 calls a renamed scikit-learn argument
        warnings.simplefilter("ignore", FutureWarning)
        fa.fit(cov / np.outer(sd, sd))
    lam, psi = np.abs(fa.loadings_[:, 0]), fa.get_uniquenesses()
    common = (lam * sd).sum() ** 2
    omega = common / (common + (psi * sd**2).sum())
    return float(alpha), float(omega), float(omega_linear)


def _thai_digits(s: str) -> str:
    return s.translate(_THAI_DIGITS)


def _fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class _Renderer:
    """Writes answer codes and names the way respondents type them."""

    def __init__(self, codebook: Codebook, provinces: pd.DataFrame, agencies: pd.DataFrame,
                 rng: np.random.Generator) -> None:
        self.cb = codebook
        self.rng = rng
        self.prov = provinces.set_index("iso_code")
        self.agn = agencies.set_index("code")

    def pick(self, options: list[tuple[Any, float]]) -> Any:
        p = np.array([w for _, w in options], dtype=float)
        return options[int(self.rng.choice(len(options), p=p / p.sum()))][0]

    def answer(self, item: Item, code: float) -> str:
        if np.isnan(code):
            return ""
        rng, cb = self.rng, self.cb
        if item.type == "yes_no":
            yes, no = self.pick([(("มี", "ไม่มี"), 0.4), (("ใช่", "ไม่ใช่"), 0.2), (("Yes", "No"), 0.2), (("1", "0"), 0.2)])
            return yes if code >= 1 else no
        if item.type == "likert":
            v = int(code)
            lab = cb.likert_labels[v - 1]
            return self.pick([(str(v), 0.6), (_thai_digits(str(v)), 0.15), (lab.label_th, 0.15), (lab.label_en, 0.1)])
        if item.type == "maturity":
            v = int(code)
            lvl = cb.maturity_levels[v]
            return self.pick([(str(v), 0.7), (_thai_digits(str(v)), 0.1), (lvl.name_en, 0.1), (lvl.name_th, 0.1)])
        if item.type == "multi_select":
            opts = item.options or []
            n = int(code)
            if n == 0:
                return self.pick(_NONE_SELECTED)
            chosen = sorted(rng.choice(len(opts), size=n, replace=False))
            style = self.pick([("th", 0.7), ("en", 0.15), ("code", 0.15)])
            if style == "th":
                return ", ".join(opts[i].label_th for i in chosen)
            if style == "en":
                return "; ".join(opts[i].label_en for i in chosen)
            return "|".join(opts[i].code for i in chosen)
        s = _fmt_number(code)
        if item.type == "percent":
            return self.pick([(s, 0.6), (s + "%", 0.2), (_thai_digits(s), 0.1), (f"{code:.1f}", 0.1)])
        unit = item.unit_th or ""
        with_sep = f"{int(code):,}" if abs(code) >= 1000 else s
        return self.pick([(with_sep, 0.7), (_thai_digits(s), 0.15), (f"{s} {unit}".strip(), 0.15)])

    def out_of_range(self, item: Item) -> str:
        if item.type == "likert":
            return str(self.pick([(6, 0.4), (0, 0.3), (9, 0.3)]))
        if item.type == "maturity":
            return str(self.pick([(5, 0.5), (7, 0.5)]))
        if item.type == "percent":
            return str(self.pick([(140, 0.5), (-5, 0.2), (250, 0.3)]))
        return str(self.pick([(-2, 0.5), (-10, 0.5)]))  # count

    def province(self, iso: str, misspell: bool) -> str:
        p = self.prov.loc[iso]
        if misspell:
            name = p["name_en"]
            letters = [i for i in range(2, len(name) - 1) if name[i].isalpha() and name[i - 1] != " "]
            i = letters[int(self.rng.integers(len(letters)))]
            return name[:i] + name[i + 1:]
        variants = [p["name_en"], *(v for v in p["name_variants_en"].split("|") if v)]
        return self.pick([
            (p["name_th"], 0.33), ("จ." + p["name_th"], 0.15), ("จังหวัด" + p["name_th"], 0.15),
            (p["name_en"], 0.13), (variants[int(self.rng.integers(len(variants)))], 0.06),
            (p["abbr_th"], 0.04), (p["abbr_en"], 0.04), (iso, 0.05), (p["name_en"].upper(), 0.05),
        ])

    def agency(self, code: str, iso: str) -> str:
        a = self.agn.loc[code]
        return self.pick([
            (a["name_th"], 0.4), (a["name_th"] + self.prov.loc[iso, "name_th"], 0.25), (a["abbr_th"], 0.1),
            (a["name_en"], 0.15), (code, 0.1),
        ])

    def submitted_at(self, t: datetime) -> str:
        be = t.year + 543
        style = self.pick([("be", 0.4), ("iso", 0.35), ("be2", 0.15), ("thai", 0.1)])
        if style == "iso":
            return t.strftime("%Y-%m-%d %H:%M:%S")
        if style == "be2":
            return t.strftime(f"%d/%m/{be % 100:02d} %H:%M")
        s = t.strftime(f"%d/%m/{be} %H:%M:%S")
        return _thai_digits(s) if style == "thai" else s

    def person(self, province_iso: str, agency_code: str) -> dict[str, str]:
        (fth, fen), (lth, len_) = _FIRST[int(self.rng.integers(len(_FIRST)))], _LAST[int(self.rng.integers(len(_LAST)))]
        digits = "".join(str(d) for d in self.rng.integers(0, 10, 7))
        mobile = f"0{self.pick([('8', 0.6), ('9', 0.3), ('6', 0.1)])}{self.rng.integers(0, 10)}{digits}"
        phone = self.pick([
            (f"{mobile[:3]}-{mobile[3:6]}-{mobile[6:]}", 0.45), (mobile, 0.3),
            (f"+66 {mobile[1:3]} {mobile[3:6]} {mobile[6:]}", 0.1),
            (f"0{province_iso[-2:]}-{digits[:6]}", 0.15),
        ])
        domain = self.pick([("gmail.com", 0.5), (f"{agency_code.lower()}.go.th", 0.3), ("hotmail.com", 0.2)])
        return {
            "respondent_name": f"{fth} {lth}",
            "respondent_position": _POSITIONS[int(self.rng.integers(len(_POSITIONS)))],
            "respondent_phone": phone,
            "respondent_email": f"{fen}.{len_[:3]}{digits[:2]}@{domain}",
        }


def _insert_invisible(s: str, rng: np.random.Generator) -> str:
    ch = _ZERO_WIDTH[int(rng.integers(len(_ZERO_WIDTH)))]
    pos = int(rng.integers(0, len(s) + 1))
    return s[:pos] + ch + s[pos:]


@dataclass
class _Latent:
    """Latent readiness of every contacted agency, with the effects it is made of."""

    agencies: pd.DataFrame  # one row per province x agency type: effects, eta, pillar factors
    sd_eta: float
    region_effects: dict[str, float]
    province_effects: np.ndarray
    type_effects: np.ndarray


@dataclass
class _Responders:
    """Who responds, and which responders carry a defect of their own."""

    rows: np.ndarray  # agency rows that respond
    partial: set[int]
    straight: set[int]
    resubmit: set[int]


def _draw_latent(cb: Codebook, lat: dict[str, Any], provinces: pd.DataFrame, agencies: pd.DataFrame,
                 rng: np.random.Generator) -> _Latent:
    """Region, province, agency-type effects and agency noise; one factor per pillar.

    Effects are deviations, centred so the calibration targets hold for this draw, not only on average.
    """
    regions = sorted(provinces["region"].unique())
    region_draw = rng.normal(0, lat["sd_region"], len(regions))
    region_eff = dict(zip(regions, region_draw - region_draw.mean(), strict=True))
    prov_eff = rng.normal(0, lat["sd_province"], len(provinces))
    prov_eff -= prov_eff.mean()
    type_eff = rng.normal(0, lat["sd_agency_type"], len(agencies))
    type_eff -= type_eff.mean()
    grid = pd.MultiIndex.from_product([provinces["iso_code"], agencies["code"]], names=["province", "agency"])
    ag = grid.to_frame(index=False)
    ag["region"] = np.repeat(provinces["region"].to_numpy(), len(agencies))
    ag["region_effect"] = ag["region"].map(region_eff)
    ag["province_effect"] = np.repeat(prov_eff, len(agencies))
    ag["type_effect"] = np.tile(type_eff, len(provinces))
    ag["agency_noise"] = rng.normal(0, lat["sd_agency"], len(ag))
    ag["eta"] = ag[["region_effect", "province_effect", "type_effect", "agency_noise"]].sum(axis=1)
    sd_eta = float(np.sqrt(sum(lat[k] ** 2 for k in ("sd_region", "sd_province", "sd_agency_type", "sd_agency"))))
    c = lat["pillar_common"]
    for p in cb.pillars:
        ag[f"f_{p.id}"] = c * ag["eta"] / sd_eta + np.sqrt(1 - c**2) * rng.standard_normal(len(ag))
    return _Latent(ag, sd_eta, region_eff, prov_eff, type_eff)


def _draw_items(cb: Codebook, cfg: dict[str, Any], ag: pd.DataFrame, seed: int,
                rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict], list[dict]]:
    """Loadings, difficulties and calibrated shifts per pillar, then every agency's answer codes.

    Returns ``(codes, loadings, pillar_rows)``; the population reliabilities use their own stream.
    """
    lat = cfg["latent"]
    loadings, pillar_rows = [], []
    codes = pd.DataFrame(index=ag.index)
    truth_rng = np.random.default_rng([seed, 1])
    for p in cb.pillars:
        items = [it for ind in p.indicators for it in ind.items]
        w = np.array([float(ind.weight * it.weight) for ind in p.indicators for it in ind.items])
        low, high = lat["loading_range"]
        lam = rng.uniform(low, high, len(items))
        lam[-1] = lat["weak_loading"]
        b = rng.normal(0, lat["difficulty_sd"], len(items))
        shift = _calibrate_shift(items, w, b, cfg["pillar_target_means"][p.id])
        alpha, omega, omega_linear = _population_reliability(items, lam, shift, b, truth_rng)
        pillar_rows.append({"pillar": p.id, "target_mean": cfg["pillar_target_means"][p.id], "shift": shift,
                            "n_items": len(items), "alpha_population": alpha, "omega_population": omega,
                            "omega_linear_population": omega_linear})
        for i, it in enumerate(items):
            z = lam[i] * ag[f"f_{p.id}"] + np.sqrt(1 - lam[i] ** 2) * rng.standard_normal(len(ag)) + shift + b[i]
            codes[it.id] = answer_codes(it, z.to_numpy())
            loadings.append({"item": it.id, "pillar": p.id, "type": it.type, "loading": lam[i], "difficulty": b[i]})
    return codes, loadings, pillar_rows


def _choose_responders(ag: pd.DataFrame, resp: dict[str, Any], dfx: dict[str, Any], sd_eta: float,
                       rng: np.random.Generator) -> _Responders:
    """Response by readiness (logistic), then the responders who submit partially, straight-line or
    twice; records each agency's ``responded`` and ``expected_status`` in ``ag``."""
    p_resp = special.expit(resp["base_logit"] + resp["readiness_slope"] * ag["eta"] / sd_eta)
    ag["responded"] = rng.random(len(ag)) < p_resp
    responders = np.flatnonzero(ag["responded"].to_numpy())
    n_resp = len(responders)
    order = rng.permutation(responders)
    n_partial = round(dfx["partial_only_rate"] * n_resp)
    n_straight = round(dfx["straightline_rate"] * n_resp)
    n_resub = round(dfx["resubmission_rate"] * n_resp)
    partial_set = set(order[:n_partial].tolist())
    straight_set = set(order[n_partial:n_partial + n_straight].tolist())
    resub_set = set(order[n_partial + n_straight:n_partial + n_straight + n_resub].tolist())
    ag["expected_status"] = np.where(ag["responded"], "clean", "nonresponse")
    ag.loc[sorted(partial_set), "expected_status"] = "quarantined:too_few_items"
    ag.loc[sorted(straight_set), "expected_status"] = "quarantined:straight_lining"
    return _Responders(responders, partial_set, straight_set, resub_set)


def _partial_codes(row_codes: np.ndarray, dfx: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """A submission that answers only a random share of the items."""
    low, high = dfx["partial_share"]
    share = rng.uniform(low, high)
    keep = rng.random(len(row_codes)) < share
    return np.where(keep, row_codes, np.nan)


def _responder_submissions(cb: Codebook, ag: pd.DataFrame, codes: pd.DataFrame, who: _Responders,
                           dfx: dict[str, Any], window: tuple[datetime, datetime], rend: _Renderer,
                           rng: np.random.Generator) -> list[dict[str, Any]]:
    """Each responder's final submission (with blanks, straight-lining, out-of-range answers) and, for
    re-submitters, an earlier superseded one."""
    item_ids = cb.item_ids
    ordinal_ids = [it.id for it in cb.items if it.type in ("likert", "maturity")]
    oor_ids = [it.id for it in cb.items if it.type in ("likert", "maturity", "percent", "count")]
    start, end = window
    span = (end - start).total_seconds()
    subs: list[dict[str, Any]] = []
    for a in who.rows:
        row = codes.loc[a, item_ids].to_numpy(dtype=float).copy()
        t = start + timedelta(seconds=float(rng.uniform(0.1 * span, span)))
        base = {"province_iso": ag.at[a, "province"], "agency_code": ag.at[a, "agency"], "agency_row": int(a),
                "person": rend.person(ag.at[a, "province"], ag.at[a, "agency"])}
        if a in who.partial:
            subs.append({**base, "t": t, "codes": _partial_codes(row, dfx, rng), "kind": "partial_only", "oor": {}})
            continue
        if a in who.straight:
            v = float(rng.integers(3, 6))
            for iid in ordinal_ids:
                row[item_ids.index(iid)] = v if cb.item(iid).type == "likert" else v - 1
        blanks = rng.random(len(item_ids)) < dfx["blank_cell_rate"]
        row[blanks] = np.nan
        final = {**base, "t": t, "codes": row, "kind": "straight_lining" if a in who.straight else "final", "oor": {}}
        if a not in who.straight:
            for j, iid in enumerate(item_ids):
                if iid in oor_ids and not np.isnan(row[j]) and rng.random() < dfx["out_of_range_rate"]:
                    final["oor"][iid] = rend.out_of_range(cb.item(iid))
        subs.append(final)
        if a in who.resubmit:
            earlier_t = t - timedelta(hours=float(rng.uniform(1, 240)))
            first = _partial_codes(row, dfx, rng) if rng.random() < 0.7 else answer_codes_jitter(row, rng, cb)
            subs.append({**base, "t": earlier_t, "codes": first, "kind": "superseded", "oor": {}})
    return subs


def _stray_submissions(kind: str, n: int, ag: pd.DataFrame, codes: pd.DataFrame, item_ids: list[str],
                       window: tuple[datetime, datetime], rend: _Renderer,
                       rng: np.random.Generator) -> list[dict[str, Any]]:
    """Rows that belong to no responding agency: Bangkok, test submissions, unknown provinces."""
    start, end = window
    span = (end - start).total_seconds()
    out = []
    for _ in range(n):
        a = int(rng.integers(len(ag)))
        t = (start - timedelta(days=float(rng.uniform(1, 10)))) if kind == "test" else \
            start + timedelta(seconds=float(rng.uniform(0, span)))
        out.append({"province_iso": ag.at[a, "province"], "agency_code": ag.at[a, "agency"], "agency_row": None,
                    "person": rend.person(ag.at[a, "province"], ag.at[a, "agency"]), "t": t,
                    "codes": codes.loc[a, item_ids].to_numpy(dtype=float), "kind": kind, "oor": {}})
    return out


def _render_rows(subs: list[dict[str, Any]], cb: Codebook, rend: _Renderer, dfx: dict[str, Any],
                 rng: np.random.Generator) -> tuple[list[dict], dict[str, list], dict[str, list]]:
    """Give each submission (in time order) its id and the text a respondent would have typed, with
    the text defects. Returns ``(records, defects, manifest_cells)``."""
    item_ids = cb.item_ids
    subs.sort(key=lambda s: (s["t"], s["province_iso"], s["agency_code"]))
    comment_rows = rng.permutation(len(subs))
    formula_at = set(comment_rows[: dfx["formula_comments"]].tolist())
    html_at = set(comment_rows[dfx["formula_comments"]: dfx["formula_comments"] + dfx["html_comments"]].tolist())
    records: list[dict] = []
    defects: dict[str, list] = {k: [] for k in ("resubmission", "partial_only", "straight_lining", "bangkok", "test",
                                             "unknown_province", "province_misspelt", "zero_width", "sara_e",
                                             "formula_comment", "html_comment")}
    manifest_cells: dict[str, list[Any]] = {"out_of_range": [], "straight_lining": [], "blank_cells": []}
    for i, s in enumerate(subs):
        sid = f"S{i + 1:05d}"
        s["submission_id"] = sid
        kind = s["kind"]
        rec = {"submission_id": sid, "submitted_at": None, **_place_text(s, sid, rend, dfx, defects, rng)}
        rec["submitted_at"] = rend.submitted_at(s["t"])
        rec.update(s["person"])
        if kind == "test":
            rec["respondent_name"] = TEST_NAMES[int(rng.integers(len(TEST_NAMES)))]
        for j, iid in enumerate(item_ids):
            rec[iid] = s["oor"].get(iid) or rend.answer(cb.item(iid), s["codes"][j])
        for iid, val in s["oor"].items():
            manifest_cells["out_of_range"].append({"submission_id": sid, "item": iid, "value": val})
        if kind in ("final", "straight_lining"):
            manifest_cells["blank_cells"].append(int(np.isnan(s["codes"]).sum()))
        rec["comments"] = _comment(kind, i in formula_at, i in html_at, sid, defects, rng)
        records.append(rec)
        if kind in ("bangkok", "test", "unknown_province", "partial_only", "straight_lining"):
            defects[kind].append(sid)
        if kind == "straight_lining":
            manifest_cells["straight_lining"].append(sid)
    return records, defects, manifest_cells


def _place_text(s: dict[str, Any], sid: str, rend: _Renderer, dfx: dict[str, Any], defects: dict[str, list],
                rng: np.random.Generator) -> dict[str, str]:
    """The province and agency text of one submission, with misspellings, เเ and invisible characters."""
    kind, iso = s["kind"], s["province_iso"]
    misspell = (kind in ("final", "superseded") and len(rend.prov.at[iso, "name_en"]) >= 7
                and rng.random() < dfx["province_misspelt_rate"])
    if kind == "bangkok":
        prov_txt = _BANGKOK[int(rng.integers(len(_BANGKOK)))]
    elif kind == "unknown_province":
        prov_txt = _UNKNOWN_PROVINCES[int(rng.integers(len(_UNKNOWN_PROVINCES)))]
    else:
        prov_txt = rend.province(iso, misspell)
    if misspell:
        defects["province_misspelt"].append({"submission_id": sid, "text": prov_txt, "province": iso})
    agency_txt = rend.agency(s["agency_code"], iso)
    if "แ" in agency_txt and rng.random() < dfx["sara_e_rate"]:
        agency_txt = agency_txt.replace("แ", "เเ")
        defects["sara_e"].append({"submission_id": sid, "column": "agency"})
    if rng.random() < dfx["zero_width_rate"]:
        prov_txt = _insert_invisible(prov_txt, rng)
        defects["zero_width"].append({"submission_id": sid, "column": "province"})
    if rng.random() < dfx["zero_width_rate"]:
        agency_txt = _insert_invisible(agency_txt, rng)
        defects["zero_width"].append({"submission_id": sid, "column": "agency"})
    return {"province": prov_txt, "agency": agency_txt}


def _comment(kind: str, formula: bool, markup: bool, sid: str, defects: dict[str, list],
             rng: np.random.Generator) -> str:
    """The free-text comment: a formula or markup defect, a test note, or now and then a real remark."""
    if formula:
        defects["formula_comment"].append(sid)
        return _FORMULA_COMMENTS[int(rng.integers(len(_FORMULA_COMMENTS)))]
    if markup:
        defects["html_comment"].append(sid)
        return _HTML_COMMENTS[int(rng.integers(len(_HTML_COMMENTS)))]
    if kind == "test":
        return "ทดสอบระบบ" if rng.random() < 0.5 else "test"
    return _COMMENTS[int(rng.integers(len(_COMMENTS)))] if rng.random() < 0.1 else ""


def _pair_resubmissions(subs: list[dict[str, Any]], ag: pd.DataFrame, defects: dict[str, list]) -> None:
    """Record which final submission supersedes each earlier one, and each agency's final id."""
    final_by_agency = {s["agency_row"]: s["submission_id"] for s in subs if s["kind"] in ("final", "straight_lining")}
    for s in subs:
        if s["kind"] == "superseded":
            defects["resubmission"].append({"submission_id": s["submission_id"],
                                            "superseded_by": final_by_agency[s["agency_row"]]})
    ag["final_submission_id"] = ag.index.map(
        {s["agency_row"]: s["submission_id"] for s in subs if s["kind"] in ("final", "straight_lining", "partial_only")}
    )


def _truth_tables(cb: Codebook, provinces: pd.DataFrame, agencies: pd.DataFrame, latent: _Latent,
                  loadings: list[dict], pillar_rows: list[dict]) -> dict[str, pd.DataFrame]:
    """The truth the statistical tests check against: agencies, provinces, types, loadings, pillars."""
    ag = latent.agencies
    prov_truth = provinces[["iso_code", "region"]].copy()
    prov_truth["region_effect"] = prov_truth["region"].map(latent.region_effects)
    prov_truth["province_effect"] = latent.province_effects
    prov_truth["latent_readiness"] = (prov_truth["region_effect"] + prov_truth["province_effect"]
                                      + latent.type_effects.mean())
    prov_truth["n_responded"] = ag.groupby("province", sort=True)["responded"].sum().to_numpy()
    expected_clean = ag["expected_status"] == "clean"
    prov_truth["n_expected_clean"] = expected_clean.groupby(ag["province"], sort=True).sum().to_numpy()
    types = agencies[["code"]].rename(columns={"code": "agency"})
    types["type_effect"] = latent.type_effects
    return {
        "agencies": ag.drop(columns=[f"f_{p.id}" for p in cb.pillars]).assign(
            **{f"pillar_factor_{p.id}": ag[f"f_{p.id}"] for p in cb.pillars}
        ),
        "provinces": prov_truth,
        "agency_types": types,
        "loadings": pd.DataFrame(loadings),
        "pillars": pd.DataFrame(pillar_rows),
    }

def _manifest(seed: int, cb: Codebook, dfx: dict[str, Any], ag: pd.DataFrame, raw: pd.DataFrame, n_resp: int,
              defects: dict[str, list], manifest_cells: dict[str, list]) -> dict[str, Any]:
    """The manifest of the injected defects, with the rates that produced them and the rows they hit."""
    n_rows = len(raw)
    defect_docs = {
        "resubmission": ("rate of responding agencies submitting twice; the earlier is superseded",
                         dfx["resubmission_rate"]),
        "partial_only": ("rate of responding agencies whose only submission answers too few items",
                         dfx["partial_only_rate"]),
        "straight_lining": ("rate of responding agencies giving one answer to every likert and maturity item",
                            dfx["straightline_rate"]),
        "bangkok": ("rows from Bangkok, outside the survey", dfx["bangkok_rows"]),
        "test": ("test submissions (respondent named test/ทดสอบ, dated before the survey opened)", dfx["test_rows"]),
        "unknown_province": ("rows whose province is not a province", dfx["unknown_province_rows"]),
        "province_misspelt": ("rate of English province names with one letter dropped", dfx["province_misspelt_rate"]),
        "zero_width": ("rate per province/agency cell of an inserted ZWSP, ZWJ, BOM or NBSP", dfx["zero_width_rate"]),
        "sara_e": ("rate of agency names typed with เเ for แ", dfx["sara_e_rate"]),
        "formula_comment": ("comments starting like a spreadsheet formula", dfx["formula_comments"]),
        "html_comment": ("comments containing HTML or markup characters", dfx["html_comments"]),
    }
    return {
        "seed": seed,
        "generator": "analysis.synthetic.sample",
        "codebook_version": cb.instrument.version,
        "raw_rows": n_rows,
        "agencies_contacted": len(ag),
        "agencies_responding": n_resp,
        "response_rate": round(n_resp / len(ag), 4),
        "expected_clean_rows": int((ag["expected_status"] == "clean").sum()),
        "defects": {
            k: {"description": d, "parameter": v, "count": len(defects[k]), "rows": defects[k]}
            for k, (d, v) in defect_docs.items()
        },
        "out_of_range": {"description": "answers outside their item's range (set missing and flagged, row kept)",
                         "parameter": dfx["out_of_range_rate"], "count": len(manifest_cells["out_of_range"]),
                         "cells": manifest_cells["out_of_range"]},
        "blank_cells": {"description": "answer cells left blank in final submissions",
                        "parameter": dfx["blank_cell_rate"], "count": int(sum(manifest_cells["blank_cells"]))},
    }


def generate(codebook: Codebook | None = None, config: dict[str, Any] | None = None, *,
             seed: int | None = None) -> SampleExport:
    """Generate the sample export, its ground truth and its defect manifest.

    The steps, each drawing from the one random stream in a fixed order: latent readiness
    (:func:`_draw_latent`), items and answer codes (:func:`_draw_items`), who responds
    (:func:`_choose_responders`), submissions (:func:`_responder_submissions`,
    :func:`_stray_submissions`), rendering as typed text with its defects (:func:`_render_rows`),
    then truth and manifest. The same codebook, config and seed give identical output.
    """
    cb = codebook or load_codebook()
    cfg = config or load_config()
    seed = int(cfg["seed"] if seed is None else seed)
    rng = np.random.default_rng(seed)
    dfx = cfg["defects"]
    provinces = load_provinces(in_survey_only=True).sort_values("iso_code").reset_index(drop=True)
    agencies = load_agencies()
    latent = _draw_latent(cb, cfg["latent"], provinces, agencies, rng)
    ag = latent.agencies
    codes, loadings, pillar_rows = _draw_items(cb, cfg, ag, seed, rng)
    who = _choose_responders(ag, cfg["response"], dfx, latent.sd_eta, rng)
    window = (datetime.fromisoformat(cfg["survey_window"][0]), datetime.fromisoformat(cfg["survey_window"][1]))
    rend = _Renderer(cb, load_provinces(), agencies, rng)
    subs = _responder_submissions(cb, ag, codes, who, dfx, window, rend, rng)
    for kind in ("bangkok", "test", "unknown_province"):
        subs += _stray_submissions(kind, dfx[f"{kind}_rows"], ag, codes, cb.item_ids, window, rend, rng)
    records, defects, manifest_cells = _render_rows(subs, cb, rend, dfx, rng)
    _pair_resubmissions(subs, ag, defects)
    raw = pd.DataFrame.from_records(records, columns=[*META_COLUMNS, *cb.item_ids, "comments"])
    truth = _truth_tables(cb, provinces, agencies, latent, loadings, pillar_rows)
    manifest = _manifest(seed, cb, dfx, ag, raw, len(who.rows), defects, manifest_cells)
    model = {"config": cfg, "sd_eta": latent.sd_eta, "region_effects": latent.region_effects}
    codes.insert(0, "province", ag["province"])
    codes.insert(1, "agency", ag["agency"])
    return SampleExport(raw=raw, truth=truth, manifest=manifest, model=model, codes=codes)


def answer_codes_jitter(row: np.ndarray, rng: np.random.Generator, cb: Codebook) -> np.ndarray:
    """An earlier complete submission: the final answers with about a fifth of them changed by one step."""
    out = row.copy()
    for j, it in enumerate(cb.items):
        if np.isnan(out[j]) or rng.random() > 0.2:
            continue
        lo, hi = it.score_range
        step = 1.0 if it.type != "percent" else 10.0
        out[j] = float(np.clip(out[j] + rng.choice([-step, step]), lo, hi if it.type != "count" else hi * 1.2))
        if it.type == "yes_no":
            out[j] = 1.0 - row[j]
    return out


def write_sample(export: SampleExport, out_dir: str | Path | None = None) -> Path:
    """Write the export (CSV with BOM and XLSX), its manifest and its truth tables to ``out_dir``."""
    out = Path(out_dir) if out_dir is not None else sample_dir()
    write_csv_raw(export.raw, out / "survey_export.csv")
    write_xlsx_raw(export.raw, out / "survey_export.xlsx")
    write_json(export.manifest, out / "manifest.json")
    for name, df in export.truth.items():
        with atomic_path(out / "truth" / f"{name}.csv") as tmp:
            df.to_csv(tmp, index=False, float_format="%.6f", lineterminator="\n")
    write_json(
        {"sd_eta": export.model["sd_eta"], "region_effects": export.model["region_effects"],
         "config": export.model["config"]},
        out / "truth" / "model.json",
    )
    write_text(_TRUTH_README, out / "truth" / "README.md")
    return out


def write_csv_raw(raw: pd.DataFrame, path: str | Path) -> Path:
    """Write a raw export as a survey platform does: UTF-8 with BOM, CRLF, every cell as typed.

    No formula neutralising here: this file is survey *input*, reproduced as platforms export it.
    """
    with atomic_path(path) as tmp:
        raw.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return Path(path)


def write_xlsx_raw(raw: pd.DataFrame, path: str | Path) -> Path:
    """Write a raw export as an Excel workbook (sheet ``responses``), all cells text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "responses"
    ws.append(list(raw.columns))
    for r, row in enumerate(raw.itertuples(index=False), start=2):
        for c, v in enumerate(row, start=1):
            if v != "":
                cell = ws.cell(row=r, column=c, value=v)
                cell.data_type = "s"  # text as typed, even when it looks like a formula
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


_TRUTH_README = """# Ground truth of the sample export

Written by `analysis.synthetic.sample` with the parameters in `model.json` (a copy of `params/sample.yaml`).

- `agencies.csv`: one row per contacted agency (76 provinces x 19 types): the effects that make up its
  latent readiness `eta`, its six pillar factors, whether it responded, the id of its final submission
  and the status cleaning should give it (`clean`, `quarantined:<reason>`, `nonresponse`).
- `provinces.csv`: each province's latent readiness (region + province effect + mean type effect),
  the number of agencies that responded and the number that should come out of cleaning.
- `agency_types.csv`: the agency-type effects.
- `loadings.csv`: each item's factor loading on its pillar and its difficulty.
- `pillars.csv`: the calibration target, the solved shift, and, from 200,000 simulated agencies, the
  population Cronbach's alpha and McDonald's omega of each pillar's unweighted item-score sum:
  `omega_population` is omega total of the one-factor ML fit to the population covariance (what the
  omega estimator estimates); `omega_linear_population` is the squared correlation of the sum score
  with the pillar factor (lower: it leaves out the items' non-linear common part).
"""


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis sample``: regenerate the bundled sample export."""
    ap = argparse.ArgumentParser(prog="python -m analysis sample", description=main.__doc__)
    ap.add_argument("--out", default=None, help="output folder (default data/sample)")
    ap.add_argument("--seed", type=int, default=None, help="override the seed in params/sample.yaml")
    args = ap.parse_args(argv)
    from analysis.synthetic.platforms import write_platform_samples

    export = generate(seed=args.seed)
    out = write_sample(export, args.out)
    m = export.manifest
    print(f"wrote {m['raw_rows']} rows ({m['agencies_responding']} of {m['agencies_contacted']} agencies "
          f"responding, {m['response_rate']:.1%}) to {out}")
    platform_files = write_platform_samples(out / "survey_export.csv", out / "platforms", load_codebook())
    print(f"wrote the export in four platforms' layouts to {out / 'platforms'}: "
          + ", ".join(p.name for p in platform_files))
    return 0
