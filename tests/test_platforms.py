"""The sample export in four survey platforms' layouts (``data/sample/platforms``).

(a) A regeneration reproduces the committed files byte for byte. (b) Each file is laid out as its
platform exports: headers, encoding and line ends, time formats (checked with this file's own patterns),
multi-select forms and metadata, with the sample's rows, people, places, comments and answers unchanged.
(c) Each file, read and cleaned, gives the sample's clean table (needs the reader's column mapper).
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.cleaning.clean import clean_responses, run_cleaning
from analysis.cleaning.normalise import chosen_options
from analysis.cleaning.reading import read_exports
from analysis.cleaning.timestamps import parse_timestamp
from analysis.core.paths import sample_dir
from analysis.instrument.codebook import Codebook, Item
from analysis.synthetic import platforms

PLATFORMS = sample_dir() / "platforms"
FILES = ["google_forms_th.csv", "kobo.xlsx", "odk_briefcase.csv", "limesurvey.csv"]
PLATFORM_OF = {"google_forms_th.csv": "google_forms", "kobo.xlsx": "kobotoolbox", "odk_briefcase.csv": "odk_briefcase",
               "limesurvey.csv": "limesurvey"}
N_ROWS = 1321
PEOPLE = ["respondent_name", "respondent_position", "respondent_phone", "respondent_email"]
#: Each layout's column for the sample's metadata columns (and comments).
META_COLUMNS = {
    "google_forms_th.csv": dict(zip(["province", "agency", *PEOPLE, "comments"],
                                    ["จังหวัด", "หน่วยงาน", "ชื่อ-นามสกุล", "ตำแหน่ง", "เบอร์โทรศัพท์", "ที่อยู่อีเมล",
                                     "ข้อเสนอแนะ"], strict=True)),
    "kobo.xlsx": {c: c for c in ["province", "agency", *PEOPLE, "comments"]},
    "odk_briefcase.csv": {c: c for c in ["province", "agency", *PEOPLE, "comments"]},
    "limesurvey.csv": dict(zip(["province", "agency", *PEOPLE, "comments"],
                               ["Province", "Agency", "Name", "Position", "Phone number", "Email address", "Comments"],
                               strict=True)),
}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# --- reading --------------------------------------------------------------------------------------


def _read(path: Path) -> pd.DataFrame:
    """Every cell as text (blank for empty), whatever the file."""
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        rows = [["" if v is None else v for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def cb(codebook: Codebook) -> Codebook:
    return codebook


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {name: _read(PLATFORMS / name) for name in FILES}


@pytest.fixture(scope="module")
def regenerated(cb: Codebook, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return platforms.write_platform_samples(sample_dir() / "survey_export.csv",
                                            tmp_path_factory.mktemp("platforms"), cb)


def _multi(cb: Codebook) -> list[Item]:
    return [it for it in cb.items if it.type == "multi_select"]


# --- (a) reproducible -----------------------------------------------------------------------------


def test_writes_the_four_files_and_a_readme(regenerated: list[Path]) -> None:
    assert [p.name for p in regenerated] == [*FILES, "README.md"]


@pytest.mark.parametrize("name", [*FILES, "README.md"])
def test_committed_platform_file_is_reproduced_byte_for_byte(regenerated: list[Path], name: str) -> None:
    new = next(p for p in regenerated if p.name == name)
    assert new.read_bytes() == (PLATFORMS / name).read_bytes(), (
        f"data/sample/platforms/{name} differs from a regeneration; run 'python -m analysis sample' and commit"
    )


def test_kobo_workbook_bytes_do_not_depend_on_the_clock(cb: Codebook, tmp_path: Path) -> None:
    table = platforms.Table(["a", "b"], [["=1+1", 1]])
    first = platforms.write_kobo(table, tmp_path / "1.xlsx", "s").read_bytes()
    time.sleep(2.1)  # zip entry times have a two-second resolution
    assert platforms.write_kobo(table, tmp_path / "2.xlsx", "s").read_bytes() == first
    ws = load_workbook(tmp_path / "1.xlsx")["s"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"  # a typed "formula" stays text


# --- (b) layout -----------------------------------------------------------------------------------


def _google_header(cb: Codebook) -> list[str]:
    return ["ประทับเวลา", "ที่อยู่อีเมล", "จังหวัด", "หน่วยงาน", "ชื่อ-นามสกุล", "ตำแหน่ง", "เบอร์โทรศัพท์",
            *(f"{n}. {it.text_th}" for n, it in enumerate(cb.items, start=1)), "ข้อเสนอแนะ"]


def _kobo_header(cb: Codebook) -> list[str]:
    header = ["start", "end", "province", "agency", *PEOPLE]
    for p in cb.pillars:
        for it in (it for ind in p.indicators for it in ind.items):
            header.append(f"{p.id}/{it.id}")
            header += [f"{p.id}/{it.id}/{o.code}" for o in it.options or []] if it.type == "multi_select" else []
    return [*header, "comments", "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
            "_submitted_by", "__version__", "_tags", "_index"]


def _odk_header(cb: Codebook) -> list[str]:
    items = [f"{p.id}-{it.id}" for p in cb.pillars for ind in p.indicators for it in ind.items]
    return ["SubmissionDate", "start", "end", "province", "agency", *PEOPLE, *items, "comments", "meta-instanceID",
            "KEY"]


def _limesurvey_header(cb: Codebook) -> list[str]:
    header = ["Response ID", "Date submitted", "Last page", "Start language", "Seed", "Date started",
              "Date last action", "Province", "Agency", "Name", "Position", "Phone number", "Email address"]
    for it in cb.items:
        if it.type == "multi_select":
            header += [f"{it.text_en} [{o.label_en}]" for o in it.options or []]
        else:
            header.append(it.text_en)
    return [*header, "Comments"]


HEADERS = {"google_forms_th.csv": _google_header, "kobo.xlsx": _kobo_header, "odk_briefcase.csv": _odk_header,
           "limesurvey.csv": _limesurvey_header}


@pytest.mark.parametrize("name", FILES)
def test_headers_and_rows(tables: dict[str, pd.DataFrame], sample: pd.DataFrame, cb: Codebook, name: str) -> None:
    df = tables[name]
    assert list(df.columns) == HEADERS[name](cb)
    assert len(df) == len(sample) == N_ROWS


def test_encodings_and_line_ends() -> None:
    google, odk, lime = (
        (PLATFORMS / n).read_bytes() for n in ("google_forms_th.csv", "odk_briefcase.csv", "limesurvey.csv")
    )
    assert not google.startswith(b"\xef\xbb\xbf") and google.count(b"\n") == google.count(b"\r\n") > N_ROWS
    assert not odk.startswith(b"\xef\xbb\xbf") and b"\r" not in odk
    assert lime.startswith(b"\xef\xbb\xbf") and lime.count(b"\n") == lime.count(b"\r\n")
    assert lime.endswith(b'"\r\n\r\n'), "LimeSurvey ends its CSV with an empty line"


def _lines(name: str, newline: str) -> list[str]:
    return (PLATFORMS / name).read_bytes().decode("utf-8-sig").split(newline)


def test_quoting_as_each_platform_does() -> None:
    odk = _lines("odk_briefcase.csv", "\n")
    assert not odk[0].startswith('"'), "Briefcase's header is not quoted"
    assert odk[1].startswith('"') and re.search(r',uuid:[0-9a-f-]{36}$', odk[1]), "text quoted, KEY bare"
    assert any(',"",' in line for line in odk), "empty text is quoted"
    lime = _lines("limesurvey.csv", "\r\n")
    assert lime[0].startswith('"Response ID","') and lime[1].startswith('"1","') and lime[1].endswith('"')
    google = _lines("google_forms_th.csv", "\r\n")
    assert google[0].startswith("ประทับเวลา,")
    assert re.match(r'"\d{1,2}/\d{1,2}/\d{4}, [\d:]+",[^"]', google[1]), "quoted only where needed"


@pytest.mark.parametrize("name", FILES)
def test_people_places_and_comments_are_copied(tables: dict[str, pd.DataFrame], sample: pd.DataFrame,
                                               name: str) -> None:
    for ours, theirs in META_COLUMNS[name].items():
        assert tables[name][theirs].tolist() == sample[ours].tolist(), (name, theirs)


def _item_columns(name: str, cb: Codebook) -> dict[str, str]:
    """Each layout's column for every item that is not multi-select."""
    pillar = {it.id: p.id for p in cb.pillars for ind in p.indicators for it in ind.items}
    column = {
        "google_forms_th.csv": lambda n, it: f"{n}. {it.text_th}",
        "kobo.xlsx": lambda n, it: f"{pillar[it.id]}/{it.id}",
        "odk_briefcase.csv": lambda n, it: f"{pillar[it.id]}-{it.id}",
        "limesurvey.csv": lambda n, it: it.text_en,
    }[name]
    return {it.id: column(n, it) for n, it in enumerate(cb.items, start=1) if it.type != "multi_select"}


@pytest.mark.parametrize("name", FILES)
def test_other_answers_are_copied_as_typed(tables: dict[str, pd.DataFrame], sample: pd.DataFrame, cb: Codebook,
                                           name: str) -> None:
    for item_id, col in _item_columns(name, cb).items():
        assert tables[name][col].tolist() == sample[item_id].tolist(), (name, item_id)


# --- multi-select forms ---


def _in_order(item: Item, codes: list[str]) -> frozenset[str]:
    order = [o.code for o in item.options or []]
    assert codes == [c for c in order if c in codes], f"{item.id}: options not in the codebook's order"
    return frozenset(codes)


def _google_choices(item: Item, cell: str) -> frozenset[str] | None:
    if cell == "":
        return None
    if cell == platforms.GOOGLE_NONE:
        return frozenset()
    code = {o.label_th: o.code for o in item.options or []}
    return _in_order(item, [code[label] for label in cell.split(", ")])


def _odk_choices(item: Item, cell: str) -> frozenset[str] | None:
    if cell == "":
        return None
    return frozenset() if cell == platforms.ODK_NONE else _in_order(item, cell.split(" "))


def _kobo_choices(item: Item, main: str, flags: list[str]) -> frozenset[str] | None:
    if main == "" and set(flags) == {""}:
        return None
    assert set(flags) <= {"0", "1"}, item.id
    chosen = _in_order(item, main.split(" ")) if main else frozenset()
    assert chosen == {o.code for o, f in zip(item.options or [], flags, strict=True) if f == "1"}, item.id
    return chosen


def _limesurvey_choices(item: Item, cells: list[str]) -> frozenset[str] | None:
    if set(cells) == {platforms.LIMESURVEY_NOT_ANSWERED}:
        return None
    assert set(cells) <= {"Yes", "No"}, item.id
    return frozenset(o.code for o, c in zip(item.options or [], cells, strict=True) if c == "Yes")


def _decoded(name: str, df: pd.DataFrame, item: Item, cb: Codebook) -> list[frozenset[str] | None]:
    pillar = next(p.id for p in cb.pillars for ind in p.indicators if item in ind.items)
    opts = item.options or []
    if name == "google_forms_th.csv":
        n = cb.item_ids.index(item.id) + 1
        return [_google_choices(item, c) for c in df[f"{n}. {item.text_th}"]]
    if name == "odk_briefcase.csv":
        return [_odk_choices(item, c) for c in df[f"{pillar}-{item.id}"]]
    if name == "kobo.xlsx":
        flags = df[[f"{pillar}/{item.id}/{o.code}" for o in opts]].to_numpy().tolist()
        return [_kobo_choices(item, m, f) for m, f in zip(df[f"{pillar}/{item.id}"], flags, strict=True)]
    cells = df[[f"{item.text_en} [{o.label_en}]" for o in opts]].to_numpy().tolist()
    return [_limesurvey_choices(item, c) for c in cells]


@pytest.mark.parametrize("name", FILES)
def test_multi_select_answers_name_the_same_options(tables: dict[str, pd.DataFrame], sample: pd.DataFrame,
                                                    cb: Codebook, name: str) -> None:
    for item in _multi(cb):
        expected = [chosen_options(item, t) for t in sample[item.id]]
        assert _decoded(name, tables[name], item, cb) == expected, (name, item.id)
    assert any(c == frozenset() for it in _multi(cb) for c in _decoded(name, tables[name], it, cb)), "none chosen"


def test_limesurvey_has_no_main_multi_select_column(tables: dict[str, pd.DataFrame], cb: Codebook) -> None:
    columns = set(tables["limesurvey.csv"].columns)
    assert not {it.text_en for it in _multi(cb)} & columns


# --- timestamps ---


def _google_time(text: str) -> datetime:
    m = re.fullmatch(r"([1-9]\d?)/([1-9]\d?)/(25\d\d), (\d{1,2}):(\d\d):(\d\d)", text)
    assert m, text
    d, mo, y, h, mi, s = map(int, m.groups())
    return datetime(y - 543, mo, d, h, mi, s)


def _java_medium(text: str) -> datetime:
    m = re.fullmatch(r"([A-Z][a-z]{2}) ([1-9]\d?), (\d{4}) ([1-9]\d?):(\d\d):(\d\d) (AM|PM)", text)
    assert m, text
    mon, d, y, h, mi, s, ampm = m.groups()
    hour = int(h) % 12 + (12 if ampm == "PM" else 0)
    return datetime(int(y), _MONTHS.index(mon) + 1, int(d), hour, int(mi), int(s))


def _kobo_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.000+07:00")


def _lime_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


#: Each layout's (submitted, started) columns and their parser.
TIMES = {
    "google_forms_th.csv": ("ประทับเวลา", None, _google_time),
    "kobo.xlsx": ("end", "start", _kobo_time),
    "odk_briefcase.csv": ("SubmissionDate", "start", _java_medium),
    "limesurvey.csv": ("Date submitted", "Date started", _lime_time),
}


@pytest.mark.parametrize("name", FILES)
def test_times_are_the_sample_times_in_the_platform_format(tables: dict[str, pd.DataFrame], sample: pd.DataFrame,
                                                           name: str) -> None:
    submitted_col, started_col, parse = TIMES[name]
    df = tables[name]
    expected = [parse_timestamp(t).value for t in sample["submitted_at"]]
    assert None not in expected, "every sample time parses (else the raw text would be kept)"
    submitted = [parse(t) for t in df[submitted_col]]
    assert submitted == expected
    if started_col:
        took = [e - parse(s) for s, e in zip(df[started_col], submitted, strict=True)]
        assert all(timedelta(minutes=5) <= t <= timedelta(minutes=40) for t in took)


def test_platform_metadata(tables: dict[str, pd.DataFrame], sample: pd.DataFrame) -> None:
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, "dgr-sample/" + s)) for s in sample["submission_id"]]
    kobo, odk, lime = tables["kobo.xlsx"], tables["odk_briefcase.csv"], tables["limesurvey.csv"]
    assert kobo["_uuid"].tolist() == ids
    assert kobo["_index"].tolist() == list(range(1, N_ROWS + 1))
    assert kobo["_id"].tolist() == [41_000_000 + i for i in range(1, N_ROWS + 1)]
    utc = [datetime.strptime(t, "%Y-%m-%dT%H:%M:%S") + timedelta(hours=7) for t in kobo["_submission_time"]]
    assert utc == [_kobo_time(t) for t in kobo["end"]]
    assert set(kobo["_status"]) == {"submitted_via_web"} and kobo["__version__"].nunique() == 1
    assert odk["KEY"].tolist() == odk["meta-instanceID"].tolist() == ["uuid:" + i for i in ids]
    assert odk["end"].tolist() == odk["SubmissionDate"].tolist()
    assert lime["Response ID"].tolist() == [str(i) for i in range(1, N_ROWS + 1)]
    assert lime["Date last action"].tolist() == lime["Date submitted"].tolist()
    assert set(lime["Last page"]) == {"7"} and set(lime["Start language"]) == {"en"}
    assert lime["Seed"].str.fullmatch(r"\d+").all()


def test_kobo_cell_types() -> None:
    ws = load_workbook(PLATFORMS / "kobo.xlsx", read_only=True).worksheets[0]
    header, first = list(ws.iter_rows(min_row=1, max_row=2, values_only=True))
    types = {h: type(v) for h, v in zip(header, first, strict=True) if v is not None}
    assert types.pop("_id") is int and types.pop("_index") is int
    assert set(types.values()) == {str}, "Kobo writes answers, times and flags as text"


def test_unparsed_text_is_kept_as_typed(cb: Codebook, tmp_path: Path) -> None:
    df = pd.read_csv(sample_dir() / "survey_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig",
                     nrows=3)
    df.loc[1, "submitted_at"], df.loc[1, "p1_2_4"] = "เมื่อวานนี้", "อื่น ๆ"
    df.to_csv(tmp_path / "mini.csv", index=False, encoding="utf-8-sig")
    platforms.write_platform_samples(tmp_path / "mini.csv", tmp_path / "out", cb)
    google, kobo, odk, lime = (_read(tmp_path / "out" / n).iloc[1] for n in FILES)
    n = cb.item_ids.index("p1_2_4") + 1
    assert google["ประทับเวลา"] == kobo["end"] == odk["SubmissionDate"] == lime["Date submitted"] == "เมื่อวานนี้"
    assert kobo["start"] == odk["start"] == lime["Date started"] == ""
    assert google[f"{n}. {cb.item('p1_2_4').text_th}"] == kobo["P1/p1_2_4"] == odk["P1-p1_2_4"] == "อื่น ๆ"
    assert {kobo[f"P1/p1_2_4/{o.code}"] for o in cb.item("p1_2_4").options or []} == {""}


# --- (c) cleaning -----------------------------------------------------------------------------------


PROVENANCE = ["submission_id", "source_file", "source_row"]


@pytest.mark.parametrize("name", FILES)
def test_platform_export_cleans_to_the_sample_table(cb: Codebook, name: str) -> None:
    ref_raw, _ = read_exports([sample_dir() / "survey_export.csv"], cb)
    got_raw, infos = read_exports([PLATFORMS / name], cb)
    ref = clean_responses(ref_raw, cb).clean.drop(columns=PROVENANCE)
    got = clean_responses(got_raw, cb).clean.drop(columns=PROVENANCE)
    pd.testing.assert_frame_equal(got, ref)
    assert infos[0].platform == PLATFORM_OF[name] and not infos[0].missing_items


def test_notebooks_00_and_01_read_every_platform_export_together(tmp_path, cb: Codebook) -> None:
    """From notebook 01 under papermill, as a researcher runs it: the four platform exports at once,
    no mapping file. Each holds the same submissions, so the last file given wins every agency, and
    the clean table equals the sample's apart from where rows came from."""
    from analysis.pipeline.notebooks import notebook_dir, run_papermill

    files = [str(PLATFORMS / name) for name in FILES]
    run_papermill(notebook_dir() / "00_survey_overview.ipynb", tmp_path / "00.ipynb", {"raw_paths": files})
    run_papermill(notebook_dir() / "01_clean_responses.ipynb", tmp_path / "01.ipynb",
                  {"raw_paths": files, "out_dir": str(tmp_path / "clean")})
    got = pd.read_parquet(tmp_path / "clean" / "clean_responses.parquet")
    run_cleaning([sample_dir() / "survey_export.csv"], tmp_path / "ref", cb)
    ref = pd.read_parquet(tmp_path / "ref" / "clean_responses.parquet")
    assert set(got["source_file"]) == {Path(files[-1]).name}
    pd.testing.assert_frame_equal(got.drop(columns=PROVENANCE), ref.drop(columns=PROVENANCE))
    mapping = pd.read_csv(tmp_path / "clean" / "column_mapping.csv")
    assert set(mapping["file"]) == {Path(f).name for f in files} and not (mapping["kind"] == "none").any()
