"""The bundled sample export in the layouts of four survey platforms, for the column mapper's tests.

The committed sample (``data/sample/survey_export.csv``) has the project's own layout. Real exports come
from survey platforms with their own headers, time formats and multi-select forms; this module rewrites
the same responses, row for row, as each platform would export them:

* ``google_forms_th.csv``: Google Forms responses downloaded from the response sheet (Thai locale);
* ``kobo.xlsx``: KoboToolbox XLSX export, "XML values and headers", group names joined by ``/``;
* ``odk_briefcase.csv``: ODK Briefcase CSV export (group names joined by ``-``);
* ``limesurvey.csv``: LimeSurvey response export, full question text and full answers.

Names, positions, phone numbers, e-mails, province and agency text, comments and every answer that is not
multi-select are copied as typed. Timestamps are parsed once with
:func:`analysis.cleaning.timestamps.parse_timestamp` and written in each platform's format; multi-select
answers are parsed with :func:`analysis.cleaning.normalise.chosen_options` and written in each platform's
form, in the codebook's option order. Text that does not parse is kept as typed. Everything is derived
from the sample (no randomness), so a regeneration gives the same bytes; formulas are not neutralised,
since these files are survey *inputs*.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.cleaning.normalise import chosen_options
from analysis.cleaning.timestamps import parse_timestamp
from analysis.core.safeio import atomic_path, write_text
from analysis.instrument.codebook import Codebook, Item

#: The file each layout is written to, inside the output folder.
FILES = {
    "google_forms": "google_forms_th.csv",
    "kobo": "kobo.xlsx",
    "odk_briefcase": "odk_briefcase.csv",
    "limesurvey": "limesurvey.csv",
}
PEOPLE = ["respondent_name", "respondent_position", "respondent_phone", "respondent_email"]
#: Thailand is UTC+7 all year (no daylight saving).
UTC_OFFSET = timedelta(hours=7)
#: Workbook creation/modification time and zip entry time of ``kobo.xlsx`` (fixed, for identical bytes).
FIXED_TIME = datetime(2018, 9, 1, 0, 0, 0)
#: A Google Forms checkbox question answered "none of these" (an option the form's author adds).
GOOGLE_NONE = "ไม่มีข้อใด"
GOOGLE_META = ["ประทับเวลา", "ที่อยู่อีเมล", "จังหวัด", "หน่วยงาน", "ชื่อ-นามสกุล", "ตำแหน่ง", "เบอร์โทรศัพท์"]
GOOGLE_COMMENTS = "ข้อเสนอแนะ"
KOBO_ID_OFFSET = 41_000_000
KOBO_VERSION = "vQdGr2018mKsAmPLe7xYz3"
KOBO_META = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "_index"]
#: An ODK select_multiple answered "none of these" (a choice named ``none`` that the form's author adds).
ODK_NONE = "none"
LIMESURVEY_META = ["Response ID", "Date submitted", "Last page", "Start language", "Seed", "Date started",
                   "Date last action", "Province", "Agency", "Name", "Position", "Phone number", "Email address"]
#: LimeSurvey's full answer for a multiple-choice subquestion stored as NULL (question not answered).
LIMESURVEY_NOT_ANSWERED = "N/A"
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# What PHP's \R matches; LimeSurvey's CSV writer turns each into "\n".
_LINE_BREAK = re.compile("\r\n|[\n\x0b\x0c\r\x85\u2028\u2029]")


@dataclass(frozen=True)
class Submission:
    """One row of the sample, with what the platforms need parsed out of it.

    Attributes
    ----------
    cells : dict[str, str]
        The row as typed, by the sample's column names.
    submitted : datetime or None
        Submission time (naive, Thai local time), ``None`` when the sample's text does not parse.
    started : datetime or None
        When the form was opened: ``submitted`` minus 5-40 minutes, fixed by the submission id.
    chosen : dict[str, frozenset[str] or None]
        Each multi-select item's chosen option codes (empty for "none of these"), ``None`` when blank
        or unrecognised.
    uuid : str
        A deterministic instance id, ``uuid5(NAMESPACE_URL, "dgr-sample/" + submission_id)``.
    """

    cells: dict[str, str]
    submitted: datetime | None
    started: datetime | None
    chosen: dict[str, frozenset[str] | None]
    uuid: str


@dataclass(frozen=True)
class Table:
    """A header and rows of cells, in a platform's layout."""

    header: list[str]
    rows: list[list[Any]]


# --- reading the sample ----------------------------------------------------------------------------


def submission_uuid(submission_id: str) -> str:
    """The deterministic instance id of a sample submission.

    Parameters
    ----------
    submission_id : str
        The sample's ``submission_id``.

    Returns
    -------
    str
        ``str(uuid.uuid5(uuid.NAMESPACE_URL, "dgr-sample/" + submission_id))``.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "dgr-sample/" + submission_id))


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16)


def time_taken(submission_id: str) -> timedelta:
    """How long the respondent had the form open: 5 to 40 minutes, fixed by the submission id.

    Parameters
    ----------
    submission_id : str
        The sample's ``submission_id``.

    Returns
    -------
    timedelta
        Between 300 and 2400 seconds, whole seconds.
    """
    return timedelta(seconds=300 + _digest("duration/" + submission_id) % 2101)


def _submission(cells: dict[str, str], multi: list[Item]) -> Submission:
    submitted = parse_timestamp(cells["submitted_at"]).value
    sid = cells["submission_id"]
    return Submission(
        cells=cells,
        submitted=submitted,
        started=None if submitted is None else submitted - time_taken(sid),
        chosen={it.id: chosen_options(it, cells[it.id]) for it in multi},
        uuid=submission_uuid(sid),
    )


def read_sample(sample_csv: str | Path, codebook: Codebook) -> list[Submission]:
    """Read the sample export (every cell as text) and parse its times and multi-select answers.

    Parameters
    ----------
    sample_csv : str or Path
        The sample export in the project's layout (UTF-8 with BOM).
    codebook : Codebook
        The questionnaire; its multi-select items are parsed.

    Returns
    -------
    list[Submission]
        One per row, in the file's order.
    """
    df = pd.read_csv(sample_csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    multi = [it for it in codebook.items if it.type == "multi_select"]
    return [_submission({str(k): str(v) for k, v in row.items()}, multi) for row in df.to_dict(orient="records")]


def pillar_items(codebook: Codebook) -> list[tuple[str, Item]]:
    """Every item with the id of its pillar (the form's group), in questionnaire order.

    Parameters
    ----------
    codebook : Codebook
        The questionnaire.

    Returns
    -------
    list[tuple[str, Item]]
        ``(pillar id, item)`` pairs.
    """
    return [(p.id, it) for p in codebook.pillars for ind in p.indicators for it in ind.items]


def _options_chosen(item: Item, chosen: frozenset[str]) -> list[str]:
    """The chosen option codes in the codebook's option order."""
    return [o.code for o in item.options or [] if o.code in chosen]


# --- time formats ----------------------------------------------------------------------------------


def google_time(t: datetime) -> str:
    """A Thai-locale Google Sheets timestamp: ``27/7/2561, 14:03:22`` (d/M/B.E. year, H:mm:ss)."""
    return f"{t.day}/{t.month}/{t.year + 543}, {t.hour}:{t:%M:%S}"


def kobo_local_time(t: datetime) -> str:
    """A KoboToolbox ``start``/``end`` value: ISO 8601 with milliseconds and the +07:00 offset."""
    return f"{t:%Y-%m-%dT%H:%M:%S}.000+07:00"


def kobo_server_time(t: datetime) -> str:
    """A KoboToolbox ``_submission_time``: UTC, ISO 8601 without an offset."""
    return f"{t - UTC_OFFSET:%Y-%m-%dT%H:%M:%S}"


def java_medium_time(t: datetime) -> str:
    """A Java ``DateFormat.MEDIUM`` date-time in the en-US locale: ``Jul 27, 2018 2:03:22 PM``."""
    hour = t.hour % 12 or 12
    return f"{_MONTHS[t.month - 1]} {t.day}, {t.year} {hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"


def limesurvey_time(t: datetime) -> str:
    """A LimeSurvey date column: ``2018-07-27 14:03:22``."""
    return f"{t:%Y-%m-%d %H:%M:%S}"


def _when(s: Submission, fmt: Callable[[datetime], str], *, start: bool = False) -> str:
    """Submission (or start) time in a platform's format; the sample's text (or blank) when unparsed."""
    t = s.started if start else s.submitted
    if t is None:
        return "" if start else s.cells["submitted_at"]
    return fmt(t)


# --- the four layouts ------------------------------------------------------------------------------


def _google_answer(item: Item, s: Submission) -> str:
    if item.type != "multi_select":
        return s.cells[item.id]
    chosen = s.chosen[item.id]
    if chosen is None:
        return s.cells[item.id]
    if not chosen:
        return GOOGLE_NONE
    labels = {o.code: o.label_th for o in item.options or []}
    return ", ".join(labels[c] for c in _options_chosen(item, chosen))


def google_forms_table(subs: Sequence[Submission], codebook: Codebook) -> Table:
    """The sample as Google Forms responses in a Thai-locale response sheet, downloaded as CSV.

    Columns: ``ประทับเวลา`` (timestamp, :func:`google_time`), ``ที่อยู่อีเมล`` (the collected e-mail),
    province, agency, name, position and phone under their Thai question titles, one column per item
    titled ``"{n}. {text_th}"`` (n = 1, 2, ... in questionnaire order), then ``ข้อเสนอแนะ``. No submission
    id: Google Forms has none. A checkbox answer is the chosen options' Thai labels joined by ``", "``;
    "none of these" is the option :data:`GOOGLE_NONE`.

    Parameters
    ----------
    subs : Sequence[Submission]
        The sample, from :func:`read_sample`.
    codebook : Codebook
        The questionnaire.

    Returns
    -------
    Table
        Header and rows, all text.

    References
    ----------
    Google Forms Help, "View & manage form responses" (responses in Google Sheets; checkbox answers in
    one cell separated by commas); Google Sheets Help, "Download a file" (CSV of the current sheet).
    """
    header = [*GOOGLE_META, *(f"{n}. {it.text_th}" for n, it in enumerate(codebook.items, start=1)), GOOGLE_COMMENTS]
    rows = []
    for s in subs:
        c = s.cells
        rows.append([_when(s, google_time), c["respondent_email"], c["province"], c["agency"], c["respondent_name"],
                     c["respondent_position"], c["respondent_phone"],
                     *(_google_answer(it, s) for it in codebook.items), c["comments"]])
    return Table(header, rows)


def _kobo_header(codebook: Codebook) -> list[str]:
    header = ["start", "end", "province", "agency", *PEOPLE]
    for pillar, item in pillar_items(codebook):
        header.append(f"{pillar}/{item.id}")
        if item.type == "multi_select":
            header += [f"{pillar}/{item.id}/{o.code}" for o in item.options or []]
    return [*header, "comments", *KOBO_META]


def _kobo_answer(item: Item, s: Submission) -> list[str]:
    """The main cell and, for a select_multiple, one 1/0 cell per option (blank when unanswered)."""
    if item.type != "multi_select":
        return [s.cells[item.id]]
    opts = item.options or []
    chosen = s.chosen[item.id]
    if chosen is None:
        return [s.cells[item.id], *([""] * len(opts))]
    return [" ".join(_options_chosen(item, chosen)), *("1" if o.code in chosen else "0" for o in opts)]


def kobo_table(subs: Sequence[Submission], codebook: Codebook) -> Table:
    """The sample as a KoboToolbox XLSX export with XML values and headers and ``/``-joined group names.

    Columns: ``start``, ``end`` (:func:`kobo_local_time`; ``end`` is the submission time, ``start`` is
    :func:`time_taken` earlier), the metadata questions by name, ``{pillar}/{item}`` per item (each
    pillar is a group), a select_multiple followed by ``{pillar}/{item}/{option}`` per option holding
    ``"1"``/``"0"``, ``comments``, then Kobo's metadata (:data:`KOBO_META`). A select_multiple's main
    cell holds the chosen option names separated by spaces; "none of these" is a blank main cell with
    every option ``"0"``; an unanswered (or unrecognised) one leaves the option cells blank.
    ``_submission_time`` is the server's UTC time without an offset.

    Parameters
    ----------
    subs : Sequence[Submission]
        The sample, from :func:`read_sample`.
    codebook : Codebook
        The questionnaire.

    Returns
    -------
    Table
        Header and rows; ``_id`` and ``_index`` are integers, every other cell text.

    References
    ----------
    KoboToolbox Help Center, "Exporting and downloading your data" (export options "XML values and
    headers", "Include groups in headers", group separator, multiple-select "both" layout); kobotoolbox/
    formpack ``FormChoiceFieldWithMultipleSelect.format`` (option columns ``"1"``/``"0"``).
    """
    items = pillar_items(codebook)
    rows = []
    for i, s in enumerate(subs, start=1):
        c = s.cells
        answers = [cell for _, item in items for cell in _kobo_answer(item, s)]
        meta = [KOBO_ID_OFFSET + i, s.uuid, _when(s, kobo_server_time), "", "", "submitted_via_web", "",
                KOBO_VERSION, "", i]
        rows.append([_when(s, kobo_local_time, start=True), _when(s, kobo_local_time), c["province"], c["agency"],
                     *(c[p] for p in PEOPLE), *answers, c["comments"], *meta])
    return Table(_kobo_header(codebook), rows)


def _odk_answer(item: Item, s: Submission) -> str:
    if item.type != "multi_select":
        return s.cells[item.id]
    chosen = s.chosen[item.id]
    if chosen is None:
        return s.cells[item.id]
    return " ".join(_options_chosen(item, chosen)) if chosen else ODK_NONE


def odk_briefcase_table(subs: Sequence[Submission], codebook: Codebook) -> Table:
    """The sample as an ODK Briefcase CSV export (group names kept, select multiples not split).

    Columns: ``SubmissionDate``, ``start``, ``end`` (:func:`java_medium_time`, Thai local time), the
    metadata questions by name, ``{pillar}-{item}`` per item, ``comments``, ``meta-instanceID`` and
    ``KEY`` (both ``"uuid:" + uuid``). A select_multiple holds the chosen option names separated by
    spaces; "none of these" is the choice :data:`ODK_NONE`.

    Parameters
    ----------
    subs : Sequence[Submission]
        The sample, from :func:`read_sample`.
    codebook : Codebook
        The questionnaire.

    Returns
    -------
    Table
        Header and rows, all text.

    References
    ----------
    ODK Docs, "ODK Briefcase: Export forms to CSV"; getodk/briefcase ``docs/export-format.md`` (columns
    ``SubmissionDate``, values block with ``-``-joined group names, ``meta-instanceID``, ``KEY``; dates in
    Java's MEDIUM style; quoting).
    """
    items = pillar_items(codebook)
    header = ["SubmissionDate", "start", "end", "province", "agency", *PEOPLE,
              *(f"{pillar}-{item.id}" for pillar, item in items), "comments", "meta-instanceID", "KEY"]
    rows = []
    for s in subs:
        c = s.cells
        key = "uuid:" + s.uuid
        rows.append([_when(s, java_medium_time), _when(s, java_medium_time, start=True), _when(s, java_medium_time),
                     c["province"], c["agency"], *(c[p] for p in PEOPLE),
                     *(_odk_answer(item, s) for _, item in items), c["comments"], key, key])
    return Table(header, rows)


def _limesurvey_header(codebook: Codebook) -> list[str]:
    header = list(LIMESURVEY_META)
    for item in codebook.items:
        if item.type == "multi_select":
            header += [f"{item.text_en} [{o.label_en}]" for o in item.options or []]
        else:
            header.append(item.text_en)
    return [*header, "Comments"]


def _limesurvey_answer(item: Item, s: Submission) -> list[str]:
    if item.type != "multi_select":
        return [s.cells[item.id]]
    opts = item.options or []
    chosen = s.chosen[item.id]
    if chosen is None:
        return [LIMESURVEY_NOT_ANSWERED] * len(opts)
    return ["Yes" if o.code in chosen else "No" for o in opts]


def limesurvey_seed(submission_id: str) -> int:
    """LimeSurvey's per-response random seed, fixed by the submission id (below 2**31)."""
    return _digest("seed/" + submission_id) % 2_147_483_647


def limesurvey_table(subs: Sequence[Submission], codebook: Codebook) -> Table:
    """The sample as a LimeSurvey response export with full question text and full answers (English).

    Columns: :data:`LIMESURVEY_META` (``Response ID`` 1, 2, ...; dates as :func:`limesurvey_time`;
    ``Date started`` is :func:`time_taken` before ``Date submitted``, which ``Date last action`` repeats),
    one column per item headed by its English text, except that a multiple-choice item has no column of
    its own, only one per option headed ``"{text_en} [{label_en}]"`` holding ``Yes`` or ``No`` (or
    :data:`LIMESURVEY_NOT_ANSWERED` for every option when the question was not answered), then
    ``Comments``.

    Parameters
    ----------
    subs : Sequence[Submission]
        The sample, from :func:`read_sample`.
    codebook : Codebook
        The questionnaire.

    Returns
    -------
    Table
        Header and rows, all text.

    References
    ----------
    LimeSurvey Manual, "Export responses" (headings "Full question text", responses "Full answers");
    LimeSurvey ``SurveyObj::getFullAnswer`` (multiple choice: ``Y`` is "Yes", empty is "No", NULL is
    "N/A") and ``CsvWriter`` (UTF-8 BOM, every field quoted, CRLF).
    """
    rows = []
    for n, s in enumerate(subs, start=1):
        c = s.cells
        answers = [cell for item in codebook.items for cell in _limesurvey_answer(item, s)]
        submitted = _when(s, limesurvey_time)
        rows.append([str(n), submitted, "7", "en", str(limesurvey_seed(c["submission_id"])),
                     _when(s, limesurvey_time, start=True), submitted, c["province"], c["agency"],
                     *(c[p] for p in PEOPLE), *answers, c["comments"]])
    return Table(_limesurvey_header(codebook), rows)


# --- writing ---------------------------------------------------------------------------------------


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _minimal(value: str) -> str:
    """Quoted only when it holds a comma, a quote or a line break (RFC 4180)."""
    return _quoted(value) if any(ch in value for ch in ',"\r\n') else value


def _write_lines(path: Path, lines: list[str], *, newline: str, bom: bool = False, trailer: str = "") -> Path:
    text = ("\ufeff" if bom else "") + "".join(line + newline for line in lines) + trailer
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


def write_google_forms(table: Table, path: Path) -> Path:
    """Write :func:`google_forms_table` as Google Sheets downloads CSV: UTF-8 without BOM, CRLF, RFC 4180 quoting.

    Parameters
    ----------
    table : Table
        The layout.
    path : Path
        The file to write (atomically).

    Returns
    -------
    Path
        ``path``.
    """
    lines = [",".join(_minimal(str(v)) for v in row) for row in [table.header, *table.rows]]
    return _write_lines(path, lines, newline="\r\n")


def _odk_cell(column: str, value: str) -> str:
    """Briefcase's quoting: text always quoted (``""`` when empty); dates quoted unless empty; KEY bare."""
    if column == "KEY":
        return _minimal(value)
    if column in ("SubmissionDate", "start", "end"):
        return _quoted(value) if value else ""
    return _quoted(value)


def write_odk_briefcase(table: Table, path: Path) -> Path:
    """Write :func:`odk_briefcase_table` as Briefcase does: UTF-8 without BOM, LF, its quoting rules.

    Parameters
    ----------
    table : Table
        The layout.
    path : Path
        The file to write (atomically).

    Returns
    -------
    Path
        ``path``.
    """
    lines = [",".join(_minimal(h) for h in table.header)]
    lines += [",".join(_odk_cell(h, str(v)) for h, v in zip(table.header, row, strict=True)) for row in table.rows]
    return _write_lines(path, lines, newline="\n")


def write_limesurvey(table: Table, path: Path) -> Path:
    """Write :func:`limesurvey_table` as LimeSurvey's CSV writer does.

    UTF-8 with BOM, comma-separated, every field quoted, line breaks inside a field turned into LF,
    CRLF between records and one more CRLF at the end.

    Parameters
    ----------
    table : Table
        The layout.
    path : Path
        The file to write (atomically).

    Returns
    -------
    Path
        ``path``.
    """
    lines = [",".join(_quoted(_LINE_BREAK.sub("\n", str(v))) for v in row) for row in [table.header, *table.rows]]
    return _write_lines(path, lines, newline="\r\n", bom=True, trailer="\r\n")


class _FixedTimeZip(zipfile.ZipFile):
    """A zip archive whose entries all carry :data:`FIXED_TIME`, so that equal content gives equal bytes."""

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: str | os.PathLike[str], arcname: str | os.PathLike[str] | None = None,
              compress_type: int | None = None, compresslevel: int | None = None) -> None:
        # openpyxl writes each worksheet to a temporary file and adds it with write(), which would
        # stamp the file's modification time.
        path = Path(filename)
        self.writestr(str(arcname if arcname is not None else path.name), path.read_bytes(), compress_type,
                      compresslevel)


def kobo_sheet_name(codebook: Codebook) -> str:
    """The sheet name Kobo gives the main table: the form title cut to Excel's 31 characters.

    Parameters
    ----------
    codebook : Codebook
        The questionnaire; its Thai name is the form title.

    Returns
    -------
    str
        At most 31 characters, without a dangling combining mark.
    """
    name = re.sub(r"[\[\]:*?/\\]", " ", unicodedata.normalize("NFC", codebook.instrument.name_th))[:31]
    while name and unicodedata.category(name[-1]) == "Mn":
        name = name[:-1]
    return name


def write_kobo(table: Table, path: Path, sheet: str) -> Path:
    """Write :func:`kobo_table` as an .xlsx workbook with one sheet, text cells kept as text.

    Empty cells are left out; text that looks like a formula stays text. Document properties and zip
    entry times are :data:`FIXED_TIME`, so the same table gives the same bytes.

    Parameters
    ----------
    table : Table
        The layout.
    path : Path
        The file to write (atomically).
    sheet : str
        The sheet's name.

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    ws.append(table.header)
    for r, row in enumerate(table.rows, start=2):
        for c, v in enumerate(row, start=1):
            if v == "":
                continue
            cell = ws.cell(row=r, column=c, value=v)
            if isinstance(v, str):
                cell.data_type = "s"  # as typed, even when it starts with "="
    wb.properties.created = wb.properties.modified = FIXED_TIME
    with atomic_path(path) as tmp:
        archive = _FixedTimeZip(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        try:
            ExcelWriter(wb, archive).save()  # not wb.save(), which stamps the current time
        finally:
            archive.close()
    return path


def write_platform_samples(sample_csv: Path, out_dir: Path, codebook: Codebook) -> list[Path]:
    """Write the sample export in the four platform layouts, with a README, to ``out_dir``.

    Parameters
    ----------
    sample_csv : Path
        The sample export in the project's layout (``data/sample/survey_export.csv``).
    out_dir : Path
        The folder to write to (``data/sample/platforms``); created if missing.
    codebook : Codebook
        The questionnaire.

    Returns
    -------
    list[Path]
        The files written: the four exports (see :data:`FILES`) and ``README.md``.
    """
    out_dir = Path(out_dir)
    subs = read_sample(sample_csv, codebook)
    return [
        write_google_forms(google_forms_table(subs, codebook), out_dir / FILES["google_forms"]),
        write_kobo(kobo_table(subs, codebook), out_dir / FILES["kobo"], kobo_sheet_name(codebook)),
        write_odk_briefcase(odk_briefcase_table(subs, codebook), out_dir / FILES["odk_briefcase"]),
        write_limesurvey(limesurvey_table(subs, codebook), out_dir / FILES["limesurvey"]),
        write_text(README, out_dir / "README.md"),
    ]


README = """# The sample export in four survey platforms' layouts

Written by `analysis.synthetic.platforms` (run by `python -m analysis sample`) from `../survey_export.csv`,
the synthetic sample export. No real respondent is behind any row: names, phones and e-mails are made up.

Each file holds the same submissions in the same order, with the same names, positions, phone
numbers, e-mails, province and agency text, comments and answer text for every item that is not
multi-select. Only what the platform itself decides changes: column headers, timestamp formats, how a
multi-select answer is written, the platform's own metadata, encoding, quoting and line ends. Timestamps
are parsed with `analysis.cleaning.timestamps.parse_timestamp` (Thai local time) and multi-select answers
with `analysis.cleaning.normalise.chosen_options`, and written in the platform's form, options in the
codebook's order; text that does not parse is kept as typed. Start times are 5-40 minutes before
submission, fixed by a hash of the submission id; instance ids are
`uuid5(NAMESPACE_URL, "dgr-sample/" + submission_id)`. Regenerating gives the same bytes.

## `google_forms_th.csv`: Google Forms (Thai), response sheet downloaded as CSV

UTF-8 without BOM, CRLF, quoted only where needed. Columns: `ประทับเวลา` (Thai-locale sheet timestamp,
`27/7/2561, 14:03:22`: day and month without leading zeros, Buddhist-Era year, 24-hour time), `ที่อยู่อีเมล`
(the e-mail Google collects), `จังหวัด`, `หน่วยงาน`, `ชื่อ-นามสกุล`, `ตำแหน่ง`, `เบอร์โทรศัพท์`, one column per
item headed `"{n}. {Thai question text}"` (n = 1-70 in questionnaire order), `ข้อเสนอแนะ`. No submission id.
Checkbox answers: the chosen options' Thai labels joined by `", "`; "none of these" is an added option
`ไม่มีข้อใด`.
Follows: Google Forms Help, "View & manage form responses"; Google Sheets Help, "Download a file".

## `kobo.xlsx`: KoboToolbox XLSX export, "XML values and headers", groups separated by `/`

One sheet named after the form title (cut to 31 characters). Columns: `start`, `end`
(`2018-07-27T14:03:22.000+07:00`; `end` is the submission time), `province`, `agency`, `respondent_name`,
`respondent_position`, `respondent_phone`, `respondent_email`, `P1/p1_1_1` ... (pillar group / item);
after each select_multiple `P1/p1_2_4` (option names separated by spaces) one column per option
`P1/p1_2_4/steering_committee` ... holding `1` or `0` (all blank when the question was not answered;
"none of these" is a blank main cell with every option `0`), `comments`, then `_id` (41000000 + row),
`_uuid`, `_submission_time` (UTC, no offset: `2018-07-27T07:03:22`), `_validation_status`, `_notes`,
`_status` (`submitted_via_web`), `_submitted_by`, `__version__`, `_tags`, `_index` (row). Cells are text
except `_id` and `_index` (integers).
Follows: KoboToolbox Help Center, "Exporting and downloading your data"; kobotoolbox/formpack.

## `odk_briefcase.csv`: ODK Briefcase, "Export forms to CSV"

UTF-8 without BOM, LF; text quoted (`""` when empty), dates quoted unless empty, `KEY` bare. Columns:
`SubmissionDate`, `start`, `end` (Java MEDIUM style, en-US, Thai local time: `Jul 27, 2018 2:03:22 PM`),
the metadata questions by name, `P1-p1_1_1` ... (group and question joined by `-`), `comments`,
`meta-instanceID`, `KEY` (both `uuid:<uuid>`). Select multiples are not split: option names separated by
spaces; "none of these" is an added choice `none`.
Follows: ODK Docs, "ODK Briefcase"; getodk/briefcase `docs/export-format.md`.

## `limesurvey.csv`: LimeSurvey "Export responses", full question text, full answers

UTF-8 with BOM, CRLF, every field quoted, an empty line at the end. Columns: `Response ID` (1, 2, ...),
`Date submitted` (`2018-07-27 14:03:22`), `Last page` (7), `Start language` (en), `Seed`, `Date started`,
`Date last action` (= date submitted), `Province`, `Agency`, `Name`, `Position`, `Phone number`,
`Email address`, one column per item headed by its English question text, `Comments`. A multiple-choice
item has no column of its own, only one per option headed `"{question} [{option}]"` holding `Yes` or
`No`, or `N/A` in every option when the question was not answered (LimeSurvey's full answer for NULL).
Follows: LimeSurvey Manual, "Export responses"; LimeSurvey `SurveyObj::getFullAnswer` and `CsvWriter`.
"""
