"""The questionnaire as an XLSForm: pyxform (what KoboToolbox and ODK use) converts it without a warning,
in Thai and English, with every item, and its answers come back in the codes cleaning reads."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from analysis.cleaning.normalise import parse_answer
from analysis.core.paths import project_root
from analysis.instrument.codebook import Codebook
from analysis.instrument.xlsform import choices_sheet, write_xlsform


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory, codebook: Codebook) -> Path:
    return write_xlsform(tmp_path_factory.mktemp("xlsform") / "questionnaire.xlsx", codebook)


def test_pyxform_converts_it_without_warnings(form: Path, codebook: Codebook) -> None:
    result = convert(xlsform=str(form), validate=False)
    assert not result.warnings, result.warnings
    xform = result.xform
    assert 'lang="Thai (th)"' in xform and 'lang="English (en)"' in xform
    for item in codebook.items:
        assert f"/{item.id}" in xform, item.id
    for pillar in codebook.pillars:
        assert re.search(rf'<group ref="/[^"]+/{pillar.id}"', xform), pillar.id


def test_sheets_and_language_columns(form: Path) -> None:
    wb = openpyxl.load_workbook(form)
    assert wb.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in wb["survey"][1]]
    assert {"type", "name", "label::Thai (th)", "label::English (en)"} <= set(header)
    settings = {c.value: v.value for c, v in zip(wb["settings"][1], wb["settings"][2], strict=True)}
    assert settings["default_language"] == "Thai (th)" and settings["form_id"].startswith("dgr_")


def test_choice_codes_are_answers_cleaning_reads(codebook: Codebook) -> None:
    """A Kobo/ODK export holds choice names: each must parse to its intended code."""
    choices = choices_sheet(codebook)
    assert (choices["list_name"] == "province").sum() == 76 and (choices["list_name"] == "agency").sum() == 19
    for item in codebook.items:
        if item.type == "yes_no":
            assert parse_answer(item, "yes", codebook).code == 1.0 and parse_answer(item, "no", codebook).code == 0.0
        elif item.type in ("likert", "maturity"):
            for name in choices.loc[choices["list_name"] == item.type, "name"]:
                answer = parse_answer(item, name, codebook)
                assert answer.status == "ok" and answer.code == float(name)
        elif item.type == "multi_select":
            names = choices.loc[choices["list_name"] == f"{item.id}_options", "name"].tolist()
            assert parse_answer(item, " ".join(names[:2]), codebook).code == 2.0  # Kobo joins with spaces


def test_command_line_writes_it(tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    res = subprocess.run([sys.executable, "-m", "analysis", "xlsform", str(out)], cwd=project_root(),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and out.exists(), res.stderr


def test_its_kobotoolbox_export_reads_back_without_a_mapping_file(codebook: Codebook) -> None:
    """The KoboToolbox export of this form (group paths of its question names; the sample in that layout,
    data/sample/platforms/kobo.xlsx) maps every column, with no mapping file."""
    from analysis.cleaning.columns import map_columns
    from analysis.core.paths import sample_dir
    from analysis.instrument.xlsform import survey_sheet

    group, headers = "", []
    for r in survey_sheet(codebook).itertuples():
        if r.type == "begin_group":
            group = r.name
        elif r.type == "end_group":
            group = ""
        else:
            headers.append(f"{group}/{r.name}" if group else r.name)
    cm = map_columns([*headers, "_uuid", "_submission_time", "_id"], codebook, overrides={})
    assert cm.platform == "kobotoolbox" and not cm.missing_items and not cm.unmatched
    kobo = next(openpyxl.load_workbook(sample_dir() / "platforms" / "kobo.xlsx", read_only=True).worksheets[0]
                .iter_rows(max_row=1, values_only=True))
    assert set(headers) <= set(kobo)
