"""Submission timestamps in every form Thai survey platforms export, as naive Bangkok local time.

A small table of anchored regular expressions picks the date's form (year-first ISO, day-first
numbers, Thai or English month names, an Excel serial number); :mod:`datetime` builds the value and
:mod:`zoneinfo` converts offsets to the zone of ``params/cleaning.yaml`` (``dates.timezone``).
Numeric dates are always day first (the Thai convention); nothing is guessed. A year outside the
plausible window (``dates.earliest`` to now + 1 day) is flagged, and so is a two-digit year whose
Buddhist-Era and Gregorian readings are both, or neither, plausible.

Statuses: ``ok``, ``blank``, ``unparsed`` (no form fits, or no such calendar date or time),
``implausible_year`` and ``ambiguous_year``; only ``ok`` carries a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from pythainlp.util import thai_digit_to_arabic_digit

from analysis.cleaning.normalise import clean_text, load_rules

STATUSES = ("ok", "blank", "unparsed", "implausible_year", "ambiguous_year")
FORMS = ("iso", "day_month_year", "thai_month", "english_month", "excel_serial")

# Month names (full, Royal Institute abbreviation, colloquial short form), keyed without dots and
# spaces so that "ก.ค.", "ก.ค", "กค" and "ก. ค." are one key.
THAI_MONTHS: dict[str, int] = {
    name: i
    for i, names in enumerate(
        [("มกราคม", "มค", "มกรา"), ("กุมภาพันธ์", "กพ", "กุมภา"), ("มีนาคม", "มีค", "มีนา"),
         ("เมษายน", "เมย", "เมษา"), ("พฤษภาคม", "พค", "พฤษภา"), ("มิถุนายน", "มิย", "มิถุนา"),
         ("กรกฎาคม", "กค", "กรกฎา"), ("สิงหาคม", "สค", "สิงหา"), ("กันยายน", "กย", "กันยา"),
         ("ตุลาคม", "ตค", "ตุลา"), ("พฤศจิกายน", "พย", "พฤศจิกา"), ("ธันวาคม", "ธค", "ธันวา")],
        start=1,
    )
    for name in names
}
ENGLISH_MONTHS: dict[str, int] = {
    name: i
    for i, full in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"],
        start=1,
    )
    for name in (full, full[:3])
} | {"sept": 9}

_EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 0 of the 1900 date system, past its phantom 29 Feb 1900
_EXCEL = re.compile(r"^\d+(?:\.\d+)?$")

_YEAR = r"(?P<y>\d{4}|\d{2})"
_ERA = r"(?:(?P<era>พ\.?\s?ศ\.?|ค\.?\s?ศ\.?)\s*)?"  # พ.ศ. (Buddhist Era) or ค.ศ. (Common Era)
_CLOCK_AFTER = r"(?:(?:\s*,\s*|\s+)(?P<clock>.+))?$"
_ORDINAL = r"(?:st|nd|rd|th)?"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"^(?P<y>\d{4})(?P<sep>[-/])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?:(?:t|\s+)(?P<clock>.+))?$",
                       re.IGNORECASE)),
    ("day_month_year", re.compile(r"^(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)" + _YEAR + _CLOCK_AFTER)),
    ("thai_month", re.compile(r"^(?:วันที่\s*)?(?P<d>\d{1,2})\s*(?P<mon>[\u0e01-\u0e4e][\u0e01-\u0e4e.\s]*?)\s*"
                              + _ERA + _YEAR + _CLOCK_AFTER)),
    ("english_month", re.compile(r"^(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})" + _ORDINAL + r"\s*,?\s+" + _YEAR
                                 + _CLOCK_AFTER, re.IGNORECASE)),
    ("english_month", re.compile(r"^(?P<d>\d{1,2})" + _ORDINAL + r"[\s/-]*(?P<mon>[a-z]{3,9})\.?[\s/,-]*" + _YEAR
                                 + _CLOCK_AFTER, re.IGNORECASE)),
)

_CLOCK = re.compile(
    r"^(?:เวลา|at)?\s*(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?:(?P<ampm>[ap])\.?\s?m\.?)?\s*(?:น\.?)?\s*(?P<tz>z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedTime:
    """One parsed timestamp.

    Attributes
    ----------
    value : datetime or None
        Naive, in local time of ``dates.timezone`` (Asia/Bangkok); ``None`` unless ``status`` is ``ok``.
    status : str
        ``ok``, ``blank``, ``unparsed``, ``implausible_year`` or ``ambiguous_year``.
    form : str
        The form that matched (one of :data:`FORMS`), ``""`` when none did. An ``unparsed`` text
        keeps its form when the form fitted but the date or time does not exist (``31/02/2561``).
    """

    value: datetime | None
    status: str
    form: str


@dataclass(frozen=True)
class _Fields:
    """A date as written: day, month, the year's digits, the era marker and the time text."""

    day: int
    month: int
    year: str
    era: str  # "be", "ce" or "" (no marker)
    clock: str


@dataclass(frozen=True)
class _Clock:
    hour: int = 0
    minute: int = 0
    second: int = 0
    microsecond: int = 0
    offset: timedelta | None = None  # None: the text gives no offset


@dataclass(frozen=True)
class _Window:
    """The zone, the plausible interval (aware datetimes) and the first Buddhist-Era year."""

    tz: ZoneInfo
    earliest: datetime
    latest: datetime
    buddhist_from: int


def _window(rules: dict[str, Any], now: datetime | None) -> _Window:
    dates = rules["dates"]
    tz = ZoneInfo(dates["timezone"])
    first = dates["earliest"]
    first = first if isinstance(first, date) else date.fromisoformat(str(first))
    if now is None:
        now = datetime.now(tz)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    earliest = datetime.combine(first, time.min, tzinfo=tz)
    return _Window(tz, earliest, now + timedelta(days=1), int(dates["buddhist_year_from"]))


def _local(t: datetime, tz: ZoneInfo) -> datetime:
    return t.astimezone(tz).replace(tzinfo=None)


# --- the forms -----------------------------------------------------------------------------------


def _month(m: re.Match[str]) -> int | None:
    mon = m.groupdict().get("mon")
    if mon is None:
        return int(m["m"])
    key = re.sub(r"[.\s]", "", mon).lower()
    return THAI_MONTHS.get(key) or ENGLISH_MONTHS.get(key)


def _era(marker: str | None) -> str:
    if not marker:
        return ""
    return "be" if marker.startswith("พ") else "ce"


def _find_form(s: str) -> tuple[str, _Fields] | None:
    """The first form of :data:`_PATTERNS` that fits ``s`` with a known month name."""
    for form, pattern in _PATTERNS:
        m = pattern.match(s)
        month = _month(m) if m else None
        if m and month is not None:
            groups = m.groupdict()
            return form, _Fields(int(m["d"]), month, m["y"], _era(groups.get("era")), groups["clock"] or "")
    return None


def _offset(text: str) -> timedelta | None:
    """``Z``, ``UTC``, ``+07:00``, ``+0700`` or ``+07`` as a timedelta; ``None`` when out of range."""
    if text.lower() in ("z", "utc", "gmt"):
        return timedelta(0)
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        return None
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=hours, minutes=minutes)


def _twelve_hour(hour: int, ampm: str) -> int | None:
    """12 AM is 0 h and 12 PM is 12 h; hours outside 1-12 have no 12-hour reading."""
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if ampm.lower() == "p" else 0)


def _parse_clock(text: str) -> _Clock | None:
    """The time of day and offset after a date; ``_Clock()`` (midnight) when there is none."""
    if not text:
        return _Clock()
    m = _CLOCK.match(text)
    if not m:
        return None
    hour = _twelve_hour(int(m["h"]), m["ampm"]) if m["ampm"] else int(m["h"])
    offset = _offset(m["tz"]) if m["tz"] else None
    if hour is None or (m["tz"] and offset is None):
        return None
    micro = int((m["f"] or "")[:6].ljust(6, "0"))
    return _Clock(hour, int(m["mi"]), int(m["s"] or 0), micro, offset)


# --- years and plausibility ----------------------------------------------------------------------


def _year_readings(year: str, era: str, buddhist_from: int) -> list[int]:
    """Four digits: one reading (B.E. from ``buddhist_from`` on). Two digits: B.E. and Gregorian.

    An era marker (พ.ศ. / ค.ศ.) in front of a two-digit year keeps only its reading.
    """
    n = int(year)
    if len(year) == 4:
        return [n - 543 if n >= buddhist_from else n]
    be, ce = 2500 + n - 543, 2000 + n
    return {"be": [be], "ce": [ce]}.get(era, [be, ce])


def _aware(year: int, f: _Fields, clock: _Clock, win: _Window, assume_utc: bool) -> datetime | None:
    """The time as written, aware of its offset; ``None`` when no such date or time exists."""
    try:
        t = datetime(year, f.month, f.day, clock.hour, clock.minute, clock.second, clock.microsecond)
    except ValueError:
        return None
    if clock.offset is not None:
        return t.replace(tzinfo=timezone(clock.offset))
    return t.replace(tzinfo=UTC if assume_utc else win.tz)


def _resolve(form: str, f: _Fields, clock: _Clock, win: _Window, assume_utc: bool) -> ParsedTime:
    """Keep the one plausible reading of the year; flag the text when there is not exactly one."""
    readings = [_aware(y, f, clock, win, assume_utc) for y in _year_readings(f.year, f.era, win.buddhist_from)]
    valid = [t for t in readings if t is not None]
    if not valid:
        return ParsedTime(None, "unparsed", form)
    plausible = [t for t in valid if win.earliest <= t <= win.latest]
    if len(plausible) == 1:
        return ParsedTime(_local(plausible[0], win.tz), "ok", form)
    return ParsedTime(None, "implausible_year" if len(valid) == 1 else "ambiguous_year", form)


def _excel_serial(s: str, win: _Window, assume_utc: bool) -> ParsedTime:
    """Days since 1899-12-30 (fraction = time of day), rounded half-up to the nearest second."""
    seconds = int((Decimal(s) * 86400).to_integral_value(rounding=ROUND_HALF_UP))
    try:
        naive = _EXCEL_EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return ParsedTime(None, "implausible_year", "excel_serial")
    t = naive.replace(tzinfo=UTC if assume_utc else win.tz)
    if not win.earliest <= t <= win.latest:
        return ParsedTime(None, "implausible_year", "excel_serial")
    return ParsedTime(_local(t, win.tz), "ok", "excel_serial")


def _parse(text: Any, rules: dict[str, Any], win: _Window, assume_utc: bool) -> ParsedTime:
    s = thai_digit_to_arabic_digit(clean_text(text, rules))
    if not s:
        return ParsedTime(None, "blank", "")
    if _EXCEL.match(s):
        return _excel_serial(s, win, assume_utc)
    found = _find_form(s)
    if found is None:
        return ParsedTime(None, "unparsed", "")
    form, fields = found
    clock = _parse_clock(fields.clock)
    if clock is None:
        return ParsedTime(None, "unparsed", form)
    return _resolve(form, fields, clock, win, assume_utc)


# --- public API -----------------------------------------------------------------------------------


def parse_timestamp(text: str, rules: dict[str, Any] | None = None, *, assume_utc: bool = False,
                    now: datetime | None = None) -> ParsedTime:
    """Parse one submission timestamp to naive local time, flagging implausible years.

    Forms (Thai or Arabic digits, after :func:`~analysis.cleaning.normalise.clean_text`):

    - ``day_month_year``: day first, ``/``, ``-`` or ``.`` between parts, one- or two-digit day and
      month, two- or four-digit year, a time after a space or a comma (Google Forms, Thai locale:
      ``27/7/2561, 14:03:22``).
    - ``iso``: ``2018-07-27``, ``2018-07-27T14:03:22.123+07:00``, ``...Z``, ``...+0000``.
    - ``thai_month``: ``27 ก.ค. 2561``, ``27 กรกฎาคม พ.ศ. 2561 14:03 น.``, ``วันที่ 27 ก.ค. 61``;
      abbreviations with or without dots and spaces.
    - ``english_month``: ``Jul 27, 2018 2:03:22 PM`` (ODK Briefcase), ``27 July 2018``, ``27-Jul-18``.
    - ``excel_serial``: a bare number, days since 1899-12-30 (Excel's 1900 date system).

    A time is ``H:MM``, ``H:MM:SS`` or ``H:MM:SS.fff`` (``.`` also separates hours and minutes, as
    in ``14.03 น.``), optionally preceded by ``เวลา`` or ``at``, followed by AM/PM (``a.m.``,
    ``pm``; 12 AM is 0 h), ``น.``, and an offset (``Z``, ``UTC``, ``GMT``, ``+07:00``, ``+0700``).

    Parameters
    ----------
    text : str
        The timestamp as exported; ``None`` and NaN are blank.
    rules : dict, optional
        Cleaning rules (default ``params/cleaning.yaml``); reads ``dates.buddhist_year_from``,
        ``dates.earliest`` and ``dates.timezone``.
    assume_utc : bool, default False
        A timestamp without an offset is UTC (KoboToolbox's ``_submission_time``) rather than local.
    now : datetime, optional
        The end of the plausible window is ``now`` + 1 day (default: the current time). A naive
        ``now`` is local time in ``dates.timezone``.

    Returns
    -------
    ParsedTime
        ``value`` (naive local time, ``None`` unless ``ok``), ``status`` and ``form``.

    Notes
    -----
    A four-digit year at or above ``buddhist_year_from`` is Buddhist Era (B.E. = C.E. + 543). A
    two-digit year ``yy`` is read as B.E. 25yy (C.E. 1957 + yy) and as C.E. 20yy, and the text is
    ``ok`` only when exactly one reading is plausible; when both or neither are, it is
    ``ambiguous_year``. With ``earliest`` 2010-01-01 both readings can be plausible only from 2053 on;
    neither is for ``yy`` 00-09 (1957-1966 or 2000-2009) and for ``yy`` up to 52 whose 20yy is still to
    come (``40``: 1997 or 2040). When one reading is not a calendar date
    (29 February), the other decides alone. Plausible means within ``[earliest, now + 1 day]`` after
    conversion to local time.

    References
    ----------
    .. [1] ISO 8601-1:2019, "Date and time -- Representations for information interchange -- Part 1:
       Basic rules" (extended format, time-zone designators ``Z`` and ``+hh:mm``).
    .. [2] Microsoft Support, "Date systems in Excel" (the 1900 date system; serial 1 is 1900-01-01
       and Excel counts a non-existent 1900-02-29, hence the 1899-12-30 epoch for later dates).
    .. [3] Office of the Royal Society (formerly the Royal Institute of Thailand), abbreviations of
       Thai month names (ม.ค., ก.พ., มี.ค., เม.ย., พ.ค., มิ.ย., ก.ค., ส.ค., ก.ย., ต.ค., พ.ย., ธ.ค.).
    .. [4] Python documentation, ``zoneinfo`` -- IANA time zone support.

    Examples
    --------
    >>> parse_timestamp("27/7/2561, 14:03:22")
    ParsedTime(value=datetime.datetime(2018, 7, 27, 14, 3, 22), status='ok', form='day_month_year')
    >>> parse_timestamp("2018-07-27T07:03:22.123Z").value
    datetime.datetime(2018, 7, 27, 14, 3, 22, 123000)
    >>> parse_timestamp("27 ก.ค. 61 14:03 น.").value
    datetime.datetime(2018, 7, 27, 14, 3)
    >>> parse_timestamp("2018-07-27 07:03:22", assume_utc=True).value
    datetime.datetime(2018, 7, 27, 14, 3, 22)
    >>> parse_timestamp("43308.5855").value
    datetime.datetime(2018, 7, 27, 14, 3, 7)
    >>> parse_timestamp("23/07/5261").status, parse_timestamp("31/02/2561").status
    ('implausible_year', 'unparsed')
    """
    rules = rules or load_rules()
    return _parse(text, rules, _window(rules, now), assume_utc)


def parse_timestamps(texts: pd.Series, rules: dict[str, Any] | None = None, *, assume_utc: bool = False,
                     now: datetime | None = None) -> pd.DataFrame:
    """Parse a column of timestamps with :func:`parse_timestamp`; each distinct text is parsed once.

    Parameters
    ----------
    texts : pandas.Series
        Timestamps as exported (strings; numbers and datetimes are read through ``str``; missing
        values are blank).
    rules : dict, optional
        Cleaning rules (default ``params/cleaning.yaml``).
    assume_utc : bool, default False
        A timestamp without an offset is UTC (see :func:`parse_timestamp`).
    now : datetime, optional
        End of the plausible window minus one day, the same for every row (default: the current time).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``texts``: ``value`` (``datetime64[ns]``, NaT unless ``ok``), ``status``, ``form``.

    References
    ----------
    .. [1] See :func:`parse_timestamp`.

    Examples
    --------
    >>> out = parse_timestamps(pd.Series(["27/07/2561", "", "27/07/2561", "ไม่ทราบ"]))
    >>> out["status"].tolist()
    ['ok', 'blank', 'ok', 'unparsed']
    >>> str(out["value"].dtype), str(out["value"].iloc[0])
    ('datetime64[ns]', '2018-07-27 00:00:00')
    """
    rules = rules or load_rules()
    win = _window(rules, now)
    keys = texts.astype(object).where(texts.notna(), "").astype(str)
    parsed = {t: _parse(t, rules, win, assume_utc) for t in pd.unique(keys)}
    rows = [parsed[t] for t in keys]
    return pd.DataFrame(
        {"value": pd.Series([r.value for r in rows], index=texts.index, dtype="datetime64[ns]"),
         "status": [r.status for r in rows], "form": [r.form for r in rows]},
        index=texts.index,
    )
