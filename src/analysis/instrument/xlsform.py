"""The questionnaire as an XLSForm, so that DGA can field it on KoboToolbox or ODK Collect.

``python -m analysis xlsform [OUT.xlsx]`` writes the codebook (``params/questionnaire.yaml``) with the
reference data as the three sheets of an XLSForm (https://xlsform.org): ``survey`` (the metadata
questions, then one group per pillar with its items), ``choices`` (provinces by ISO code, the 19
agency types, yes/no, the Likert and maturity scales, each multi-select item's options) and
``settings``. Labels are in Thai and English (``label::Thai (th)``, ``label::English (en)``), Thai by
default. Question names are the codebook's item ids and the export's metadata names, and choice
names are the codes cleaning already reads (``TH-50``, agency codes, ``1``-``5``, ``0``-``4``), so
answers come back in the codes the pipeline scores. Written with openpyxl and checked by
converting it with pyxform (the library KoboToolbox and ODK use).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.paths import project_root
from analysis.core.safeio import write_excel
from analysis.instrument.codebook import Codebook, Item, load_codebook
from analysis.instrument.reference import load_agencies, load_provinces

TH, EN = "label::Thai (th)", "label::English (en)"
HINT_TH, HINT_EN = "hint::Thai (th)", "hint::English (en)"
MSG_TH, MSG_EN = "constraint_message::Thai (th)", "constraint_message::English (en)"
#: XLSForm question type of each item type, with its constraint and messages (Thai, English).
_TYPES: dict[str, tuple[str, str, str, str]] = {
    "yes_no": ("select_one yes_no", "", "", ""),
    "likert": ("select_one likert", "", "", ""),
    "maturity": ("select_one maturity", "", "", ""),
    "count": ("integer", ". >= 0", "ต้องไม่ติดลบ", "must not be negative"),
    "percent": ("decimal", ". >= 0 and . <= 100", "ร้อยละ 0 ถึง 100", "a percentage from 0 to 100"),
}


def _question(item: Item) -> dict[str, Any]:
    if item.type == "multi_select":
        qtype, constraint, msg_th, msg_en = f"select_multiple {item.id}_options", "", "", ""
    else:
        qtype, constraint, msg_th, msg_en = _TYPES[item.type]
    unit_th, unit_en = (f"({item.unit_th})" if item.unit_th else ""), (f"({item.unit_en})" if item.unit_en else "")
    return {"type": qtype, "name": item.id, TH: item.text_th, EN: item.text_en, HINT_TH: unit_th, HINT_EN: unit_en,
            "required": "no", "constraint": constraint, MSG_TH: msg_th, MSG_EN: msg_en}


def survey_sheet(codebook: Codebook) -> pd.DataFrame:
    """The ``survey`` sheet: start/end times, province, agency, the coordinator, one group per pillar,
    comments."""
    rows: list[dict[str, Any]] = [
        {"type": "start", "name": "start"}, {"type": "end", "name": "end"},
        {"type": "select_one province", "name": "province", TH: "จังหวัด", EN: "Province", "required": "yes"},
        {"type": "select_one agency", "name": "agency", TH: "หน่วยงาน", EN: "Agency", "required": "yes"},
        {"type": "text", "name": "respondent_name", TH: "ชื่อ-นามสกุล ผู้ประสานงาน", EN: "Coordinator's name"},
        {"type": "text", "name": "respondent_position", TH: "ตำแหน่ง", EN: "Position"},
        {"type": "text", "name": "respondent_phone", TH: "เบอร์โทรศัพท์", EN: "Phone", "appearance": "numbers"},
        {"type": "text", "name": "respondent_email", TH: "อีเมล", EN: "E-mail"},
    ]
    for pillar in codebook.pillars:
        rows.append({"type": "begin_group", "name": pillar.id, TH: f"{pillar.id} {pillar.name_th}",
                     EN: f"{pillar.id} {pillar.name_en}"})
        rows += [_question(item) for indicator in pillar.indicators for item in indicator.items]
        rows.append({"type": "end_group", "name": pillar.id})
    rows.append({"type": "text", "name": "comments", TH: "ข้อเสนอแนะ", EN: "Comments", "appearance": "multiline"})
    columns = ["type", "name", TH, EN, HINT_TH, HINT_EN, "required", "constraint", MSG_TH, MSG_EN, "appearance"]
    return pd.DataFrame(rows, columns=columns).fillna("")


def choices_sheet(codebook: Codebook) -> pd.DataFrame:
    """The ``choices`` sheet: every list the survey's select questions use."""
    rows: list[dict[str, Any]] = []
    provinces = load_provinces(in_survey_only=True).sort_values("iso_code")
    rows += [{"list_name": "province", "name": r.iso_code, TH: r.name_th, EN: r.name_en}
             for r in provinces.itertuples()]
    rows += [{"list_name": "agency", "name": r.code, TH: r.name_th, EN: r.name_en}
             for r in load_agencies().itertuples()]
    rows += [{"list_name": "yes_no", "name": "yes", TH: "มี / ใช่", EN: "Yes"},
             {"list_name": "yes_no", "name": "no", TH: "ไม่มี / ไม่ใช่", EN: "No"}]
    rows += [{"list_name": "likert", "name": str(lab.value), TH: lab.label_th, EN: lab.label_en}
             for lab in codebook.likert_labels]
    rows += [{"list_name": "maturity", "name": str(m.value), TH: m.name_th, EN: m.name_en}
             for m in codebook.maturity_levels]
    for item in codebook.items:
        rows += [{"list_name": f"{item.id}_options", "name": o.code, TH: o.label_th, EN: o.label_en}
                 for o in item.options or []]
    return pd.DataFrame(rows, columns=["list_name", "name", TH, EN])


def settings_sheet(codebook: Codebook) -> pd.DataFrame:
    """The ``settings`` sheet: title, form id and version from the codebook, Thai by default."""
    version = codebook.instrument.version
    form_id = "dgr_" + "".join(ch if ch.isalnum() else "_" for ch in version.lower())
    return pd.DataFrame([{"form_title": codebook.instrument.name_th, "form_id": form_id, "version": version,
                          "default_language": "Thai (th)"}])


def write_xlsform(path: str | Path, codebook: Codebook | None = None) -> Path:
    """Write the XLSForm of ``codebook`` (default: the project's) to ``path`` (atomically)."""
    cb = codebook or load_codebook()
    return write_excel({"survey": survey_sheet(cb), "choices": choices_sheet(cb), "settings": settings_sheet(cb)},
                       path)


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis xlsform [OUT]``: write the questionnaire as an XLSForm."""
    ap = argparse.ArgumentParser(prog="python -m analysis xlsform", description=main.__doc__)
    ap.add_argument("out", nargs="?", default=str(project_root() / "outputs" / "xlsform" / "questionnaire.xlsx"),
                    help="the .xlsx to write (default outputs/xlsform/questionnaire.xlsx)")
    path = write_xlsform(ap.parse_args(argv).out)
    print(f"XLSForm: {path} (upload to KoboToolbox, or convert with pyxform's xls2xform for ODK Collect)")
    return 0
