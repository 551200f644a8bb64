"""Province and agency reference data agree with the published facts: 77 provinces, ISO 3166-2:TH codes
equal to the DOPA codes, six regions (North 9, Central 22 with Bangkok, Northeast 20, West 5, East 7, South 14)."""

from __future__ import annotations

from analysis.instrument.reference import load_agencies, load_provinces


def test_provinces_counts() -> None:
    p = load_provinces()
    assert len(p) == 77
    assert p["iso_code"].is_unique and p["name_th"].is_unique and p["abbr_en"].is_unique
    assert p["in_survey"].sum() == 76
    assert p.loc[~p["in_survey"], "iso_code"].tolist() == ["TH-10"]
    assert p["region"].value_counts().to_dict() == {
        "central": 22, "northeast": 20, "south": 14, "north": 9, "east": 7, "west": 5,
    }
    assert (p["iso_code"] == "TH-" + p["dopa_code"]).all()
    row = p.set_index("iso_code").loc["TH-50"]
    assert (row["name_th"], row["name_en"], row["abbr_th"], row["abbr_en"]) == ("เชียงใหม่", "Chiang Mai", "ชม", "CMI")
    assert p.set_index("iso_code").loc["TH-96", "name_en"] == "Narathiwat"


def test_agencies() -> None:
    a = load_agencies()
    assert len(a) == 19
    assert a["code"].is_unique and a["name_th"].is_unique and a["name_en"].is_unique
    assert a["name_th"].str.endswith("จังหวัด").all()
