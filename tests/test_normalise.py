"""Each normalisation rule on the forms real Thai exports contain (Thai digits, Buddhist-Era years, province
spellings and abbreviations, zero-width characters, เเ typed for แ)."""

from __future__ import annotations

import math

import pytest

from analysis.cleaning.normalise import (
    AgencyMatcher,
    ProvinceMatcher,
    clean_text,
    parse_answer,
    parse_number,
)
from analysis.core.safeio import neutralise_cell
from analysis.instrument.reference import load_agencies, load_provinces


@pytest.fixture(scope="module")
def provinces():
    return ProvinceMatcher(load_provinces())


@pytest.fixture(scope="module")
def agencies():
    return AgencyMatcher(load_agencies(), load_provinces())


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("เชียง\u200bใหม่", "เชียงใหม่"), ("\ufeffลำพูน", "ลำพูน"), ("แพร่\u200d", "แพร่"), ("a\u200cb", "ab"),
        ("Chiang\u00a0Mai", "Chiang Mai"), ("  สำนักงานเเรงงาน  จังหวัด ", "สำนักงานแรงงาน จังหวัด"),
        (None, ""), (float("nan"), ""), ("e\u0301", "\u00e9"),
    ],
)
def test_clean_text(raw, clean) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12.0), ("๑๒", 12.0), ("1,234", 1234.0), ("๔๕%", 45.0), ("45.5", 45.5), ("12 บริการ", 12.0),
     ("ร้อยละ 30", 30.0), ("-3", -3.0), ("abc", None), ("", None), ("1,23", None)],
)
def test_parse_number(text, value) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text",
    ["จ.เชียงใหม่", "จังหวัดเชียงใหม่", "เชียงใหม่", "Chiang Mai", "Chiangmai", "chiang mai", "ชม", "CMI", "TH-50",
     "CHIANG MAI", "Chiang Mai Province", "เชียง\u200bใหม่"],
)
def test_province_variants_of_chiang_mai(provinces, text) -> None:
    m = provinces.match(text)
    assert (m.code, m.method) == ("TH-50", "exact")


@pytest.mark.parametrize(
    ("text", "code"),
    [("Lop Buri", "TH-16"), ("Lopburi", "TH-16"), ("Buri Ram", "TH-31"), ("Buriram", "TH-31"),
     ("Si Sa Ket", "TH-33"), ("Sisaket", "TH-33"), ("Ayutthaya", "TH-14"), ("จันทบุรี", "TH-22"),
     ("จ.จันทบุรี", "TH-22"), ("กทม.", "TH-10"), ("กรุงเทพฯ", "TH-10"), ("Bangkok", "TH-10")],
)
def test_province_romanisations(provinces, text, code) -> None:
    assert provinces.match(text).code == code


def test_province_fuzzy_needs_threshold(provinces) -> None:
    m = provinces.match("Nakhon Ratchasma")
    assert (m.code, m.method) == ("TH-30", "fuzzy") and m.score >= 88
    for unknown in ("เมืองพัทยา", "Suvarnabhumi", "เบตง", "xyz"):
        assert provinces.match(unknown).code is None
        assert provinces.match(unknown).method == "unknown"
    assert provinces.match("").method == "blank"


def test_province_ambiguous_is_not_guessed(provinces) -> None:
    # "Nakhon Phanom" vs "Nakhon Pathom" are one letter apart each from "Nakhon Phatom".
    m = provinces.match("Nakhon Phatom")
    assert m.code is None and m.method == "ambiguous"


@pytest.mark.parametrize(
    ("text", "code"),
    [("สำนักงานสาธารณสุขจังหวัด", "PHO"), ("สำนักงานสาธารณสุขจังหวัดเชียงใหม่", "PHO"), ("สสจ.", "PHO"),
     ("Provincial Public Health Office", "PHO"), ("pho", "PHO"), ("สำนักงานเเรงงานจังหวัด", "LAB"),
     ("สำนักงานจังหวัดนครราชสีมา", "PVO"), ("สนง.คลังจังหวัด", "TRE")],
)
def test_agency_variants(agencies, text, code) -> None:
    assert agencies.match(text).code == code


def test_parse_answer_by_type(codebook) -> None:
    by_type = {}
    for it in codebook.items:
        by_type.setdefault(it.type, it)
    yn, lk, mt, ms, ct, pc = (by_type[t] for t in ("yes_no", "likert", "maturity", "multi_select", "count", "percent"))
    for text, code in (("มี", 1), ("ไม่มี", 0), ("ใช่", 1), ("ไม่ใช่", 0), ("Yes", 1), ("no", 0), ("1", 1), ("0", 0)):
        assert parse_answer(yn, text, codebook).code == code
    assert parse_answer(yn, "maybe", codebook).status == "unrecognised"
    assert parse_answer(lk, "๔", codebook).code == 4
    assert parse_answer(lk, "เห็นด้วยอย่างยิ่ง", codebook).code == 5
    assert parse_answer(lk, "Strongly disagree", codebook).code == 1
    oor = parse_answer(lk, "7", codebook)
    assert oor.status == "out_of_range" and math.isnan(oor.code)
    assert parse_answer(mt, "Data-centric", codebook).code == 2
    assert parse_answer(mt, "รัฐบาลอัจฉริยะ", codebook).code == 4
    assert parse_answer(mt, "5", codebook).status == "out_of_range"
    opts = ms.options
    assert parse_answer(ms, f"{opts[0].label_th}, {opts[1].label_th}", codebook).code == 2
    assert parse_answer(ms, f"{opts[0].label_en}; {opts[2].label_en}", codebook).code == 2
    assert parse_answer(ms, f"{opts[0].code}|{opts[1].code}|{opts[2].code}", codebook).code == 3
    assert parse_answer(ms, "ไม่มีข้อใด", codebook).code == 0
    assert parse_answer(ms, "something else", codebook).status == "unrecognised"
    assert parse_answer(ct, "๑๒", codebook).code == 12
    assert parse_answer(ct, "-2", codebook).status == "out_of_range"
    assert parse_answer(pc, "45%", codebook).code == 45
    assert parse_answer(pc, "140", codebook).status == "out_of_range"
    assert parse_answer(pc, "", codebook).status == "blank"


@pytest.mark.parametrize(("cell", "safe"), [("=1+1", "'=1+1"), ("+66 81", "'+66 81"), ("-x", "'-x"), ("@a", "'@a"),
                                            ("\tx", "'\tx"), ("\rx", "'\rx"), ("ok", "ok"), (3, 3)])
def test_neutralise_cell(cell, safe) -> None:
    assert neutralise_cell(cell) == safe
