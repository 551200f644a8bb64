"""The words of a province page: Jinja2 templates, one per language, fed by numbers.

``templates/province.<lang>.md.j2`` hold every sentence (one macro per section) and
``templates/labels.yaml`` (:mod:`analysis.report.labels`) every label, heading, quarantine reason
and verdict in both languages;
this module builds the language's context from a :class:`~analysis.report.province.ProvinceData`
and renders a section. The environment escapes every value (HTML), so text from data files never
reaches a page raw. A wording change is a template edit; a new number is a context entry.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from analysis.report.glossary import href, term_ids
from analysis.report.labels import LANGS, label
from analysis.report.province import (
    ProvinceData,
    band_name,
    excluded_agencies,
    name,
    pillar_name,
    weakest_indicators,
)
from analysis.stats.thresholds import threshold

SECTIONS = ("headline", "comparison", "how_to_read", "pillars", "agencies", "recommendations", "caveats")
_TEMPLATES = Path(__file__).with_name("templates")


def _fmt(digits: int) -> Callable[[Any], str]:
    return lambda x: f"{float(x):.{digits}f}"


class _Compiled(jinja2.BytecodeCache):
    """Compiled templates kept in memory as bytes, by template and source checksum.

    Jinja2 checks each entry's checksum against the template's source, so an edited template is
    compiled again. A page made in a warm kernel (:mod:`analysis.pipeline.engine`), whose
    environment is rebuilt for every notebook, then loads its templates instead of compiling them
    (16 ms a page). The entries are immutable bytes, so the warm kernel keeps them
    (``__warm_kernel_keeps__``).
    """

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, bytes]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        entry = self.entries.get(bucket.key)
        if entry is not None and entry[0] == bucket.checksum:
            bucket.bytecode_from_string(entry[1])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.entries[bucket.key] = (bucket.checksum, bucket.bytecode_to_string())


_COMPILED = _Compiled()
#: Module state a warm kernel keeps between notebooks (see analysis.pipeline.kernelstate).
__warm_kernel_keeps__ = ("_COMPILED",)


@functools.cache
def environment() -> jinja2.Environment:
    """The templates' environment: autoescaped, strict about undefined names, number filters."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                             bytecode_cache=_COMPILED)
    env.filters.update(f0=_fmt(0), f1=_fmt(1), f2=_fmt(2))
    return env


def _number(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def shown_difference(a: float, b: float, digits: int = 1) -> float:
    """``a - b`` as a reader works it out from the numbers printed beside it: each rounded to
    ``digits`` first, so "52.1 ... 46.5" gives 5.6 even when the unrounded gap is 5.65."""
    return round(round(float(a), digits) - round(float(b), digits), digits)


def interval_vs_test(low: float | None, high: float | None, ref: float, verdict: str, digits: int = 1) -> str:
    """How the shown 95 % interval and the multiple-comparison verdict relate, for the words:

    ``"interval_above"`` / ``"interval_below"``: the interval (as printed) lies wholly above / below
    the national mean, yet the Benjamini-Hochberg-adjusted test says "not different";
    ``"test_only"``: the interval includes the national mean, yet the test finds a difference;
    ``"agree"``: otherwise (also without an interval or a test).
    """
    if low is None or high is None or verdict == "not tested":
        return "agree"
    lo, hi, r = round(low, digits), round(high, digits), round(float(ref), digits)
    outside = "interval_above" if lo > r else "interval_below" if hi < r else None
    if outside and verdict == "not different":
        return outside
    if outside is None and verdict in ("above", "below"):
        return "test_only"
    return "agree"


def _agencies_without_data(d: ProvinceData, lang: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The agencies with no usable response, told apart: those that sent nothing, and those whose
    response was excluded when the data were checked (with the reason, from the quarantine)."""
    responded = set(d.agencies["agency"])
    missing = d.agency_types[~d.agency_types["code"].isin(responded)]
    reason = {code: label("reasons", key, lang) for code, key in excluded_agencies(d).items()}
    silent, excluded = [], []
    for r in missing.itertuples():
        agency = str(r.name_th if lang == "th" else r.name_en)
        if r.code in reason:
            excluded.append((agency, reason[r.code]))
        else:
            silent.append(agency)
    return silent, excluded


def context(d: ProvinceData, lang: str) -> dict[str, Any]:
    """The facts the templates put into words, in the language's names."""
    p = d.province
    q = d.quarantine["primary_reason"].value_counts() if len(d.quarantine) else None
    quarantine = [(label("reasons", k, lang), int(v)) for k, v in (q.items() if q is not None else [])]
    icc = d.icc[(d.icc["type"] == "ICC2") & (d.icc["score"] == "index")]["icc"].iloc[0]
    rule = threshold("icc2")
    responded = set(d.agencies["agency"])
    silent, excluded = _agencies_without_data(d, lang)
    c: dict[str, Any] = {
        "name": name(d, lang), "has_data": d.has_data, "n_ranked": d.n_ranked, "n_tested": d.n_tested,
        "quarantine": quarantine, "quarantine_total": sum(v for _, v in quarantine),
        "responded": len(responded), "n_types": len(d.agency_types),
        "responded_pct": len(responded) / len(d.agency_types) * 100,
        "missing_agencies": silent, "excluded_agencies": excluded,
        "caveats": {"n": int(p["n_agencies"]), "few": threshold("few_agencies").meets(int(p["n_agencies"])) is False,
                    "icc2": _number(icc), "reliable": rule.meets(icc), "icc2_rule": rule.rule[3:],
                    "icc2_bound": rule.bound,
                    "rwg": _number(float(d.rwg["r_wg_j"])) if d.rwg is not None else None,
                    "rwg_bound": threshold("rwg").bound},
        "recommendations": [], "pillars": None, "estimator": p.get("estimator", "direct"),
        # the "how to read this" box: its title, the bands' cut-offs, each glossary entry's link
        # from provinces/ (the glossary pages sit at the site's root)
        "how_to_read_title": label("headings", "how_to_read", lang),
        "bands": [(str(b.name_th if lang == "th" else b.name_en), f"{b.lower:g}", f"{b.upper:g}")
                  for b in d.codebook.bands_table().itertuples()],
        "glossary": {t: href(t, lang, "../") for t in term_ids()},
    }
    if not d.has_data:
        return c
    nat, reg = d.national(), d.region()
    label_key = d.vs_nation["label"] if d.vs_nation is not None else "not different"
    c.update({
        "index": p["index"], "low": _number(p["index_low"]), "high": _number(p["index_high"]),
        "band": band_name(d, p["band"], lang), "prob": p["band_probability"] * 100,
        "rank": int(p["rank"]), "rank_low": int(p["rank_low"]), "rank_high": int(p["rank_high"]),
        "nat": nat["index"], "reg": reg["index"], "diff_nat": shown_difference(p["index"], nat["index"]),
        "diff_reg": shown_difference(p["index"], reg["index"]),
        "region": p["region_th"] if lang == "th" else p["region_en"],
        "verdict": label("verdicts", label_key, lang),
        "reconcile": interval_vs_test(_number(p["index_low"]), _number(p["index_high"]), nat["index"], label_key),
        "recommendations": [{"name": r.name_th if lang == "th" else r.name_en, "score": r.score,
                             "recommendation": r.recommendation_th if lang == "th" else r.recommendation_en}
                            for r in weakest_indicators(d).itertuples()],
    })
    ids = [pp.id for pp in d.codebook.pillars]
    vals = p[ids].astype(float)
    if not vals.isna().all():
        hi, lo = vals.idxmax(), vals.idxmin()
        second = vals.sort_values(ascending=False).index[1]
        c["pillars"] = {"hi": pillar_name(d, hi, lang), "hi_v": vals[hi], "lo": pillar_name(d, lo, lang),
                        "lo_v": vals[lo], "second": pillar_name(d, second, lang), "second_v": vals[second],
                        "close": bool(p[f"{hi}_low"] <= p[f"{second}_high"])}
    return c


def sections(d: ProvinceData, lang: str) -> dict[str, str]:
    """Every section of the page (Markdown, values escaped) from one context, keyed by :data:`SECTIONS`."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    module = environment().get_template(f"province.{lang}.md.j2").module
    c = context(d, lang)
    return {name: str(getattr(module, name)(c)) for name in SECTIONS}


def render(section: str, d: ProvinceData, lang: str) -> str:
    """One section of the page, e.g. ``render("headline", d, "th")`` (see :func:`sections`)."""
    return sections(d, lang)[section]


def methods(d: ProvinceData, lang: str) -> str:
    """The short methods note, naming the province estimator the scores come from, linking to the
    national overview."""
    estimator = d.province.get("estimator", "direct")
    module = environment().get_template(f"province.{lang}.md.j2").make_module({"c": {"estimator": estimator}})
    return str(module.methods())  # type: ignore[attr-defined]
