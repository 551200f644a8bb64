"""Submission timestamps in every exported form, to naive Bangkok time; implausible years flagged.

Every expected value below was worked out by hand: B.E. = C.E. + 543, Bangkok = UTC + 7 h (no DST),
Excel serial n = 1899-12-30 + n days.
"""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from analysis.cleaning import timestamps
from analysis.cleaning.normalise import load_rules
from analysis.cleaning.timestamps import ParsedTime, parse_timestamp, parse_timestamps

NOW = datetime(2025, 6, 1, 12, 0)  # Bangkok local; the plausible window ends at 2025-06-02 12:00


def parse(text: object, rules: dict | None = None, *, assume_utc: bool = False) -> ParsedTime:
    return parse_timestamp(text, rules, assume_utc=assume_utc, now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected", "form"),
    [
        # 1. the forms the first reader already read
        ("23/07/2561 12:29:11", datetime(2018, 7, 23, 12, 29, 11), "day_month_year"),
        ("23/07/2561 12:29", datetime(2018, 7, 23, 12, 29), "day_month_year"),
        ("23/07/2561", datetime(2018, 7, 23), "day_month_year"),
        ("2018-07-23 12:29:11", datetime(2018, 7, 23, 12, 29, 11), "iso"),
        ("2018-07-23T12:29:11", datetime(2018, 7, 23, 12, 29, 11), "iso"),
        ("2018-07-23", datetime(2018, 7, 23), "iso"),
        ("2561-07-23", datetime(2018, 7, 23), "iso"),
        ("23-07-2561", datetime(2018, 7, 23), "day_month_year"),
        ("23.07.2561", datetime(2018, 7, 23), "day_month_year"),
        ("๒๓/๐๗/๒๕๖๑ ๑๒:๒๙:๑๑", datetime(2018, 7, 23, 12, 29, 11), "day_month_year"),
        ("3/7/2561", datetime(2018, 7, 3), "day_month_year"),  # day first: 3 July, not 7 March
        ("3/7/2561 9:05", datetime(2018, 7, 3, 9, 5), "day_month_year"),
        ("  23/07/2561\u200b ", datetime(2018, 7, 23), "day_month_year"),
        # 2. Google Forms, Thai locale
        ("27/7/2561, 14:03:22", datetime(2018, 7, 27, 14, 3, 22), "day_month_year"),
        ("27/7/2018, 14:03:22", datetime(2018, 7, 27, 14, 3, 22), "day_month_year"),
        # 3. ISO with fractions and offsets, converted to Bangkok time
        ("2018-07-27T14:03:22.123+07:00", datetime(2018, 7, 27, 14, 3, 22, 123000), "iso"),
        ("2018-07-27T07:03:22.123Z", datetime(2018, 7, 27, 14, 3, 22, 123000), "iso"),
        ("2018-07-27T07:03:22+0000", datetime(2018, 7, 27, 14, 3, 22), "iso"),
        ("2018-07-27T07:03:22 UTC", datetime(2018, 7, 27, 14, 3, 22), "iso"),
        ("2018-07-27T20:30:00Z", datetime(2018, 7, 28, 3, 30), "iso"),  # crosses midnight
        ("2018-07-27T01:00:00-05:00", datetime(2018, 7, 27, 13, 0), "iso"),  # 06:00 UTC
        ("2018-07-27T14:03:22.123456789+07:00", datetime(2018, 7, 27, 14, 3, 22, 123456), "iso"),
        # 4. Thai month names
        ("27 ก.ค. 2561", datetime(2018, 7, 27), "thai_month"),
        ("27 ก.ค. 61", datetime(2018, 7, 27), "thai_month"),
        ("27 กรกฎาคม 2561 14:03", datetime(2018, 7, 27, 14, 3), "thai_month"),
        ("27 ก.ค. 2561 14:03 น.", datetime(2018, 7, 27, 14, 3), "thai_month"),
        ("27 ก.ค. 2561 เวลา 14.03 น.", datetime(2018, 7, 27, 14, 3), "thai_month"),
        ("วันที่ 27 ก.ค. 2561", datetime(2018, 7, 27), "thai_month"),
        ("27 กรกฎาคม พ.ศ. 2561", datetime(2018, 7, 27), "thai_month"),
        ("27 ก.ค. 2018", datetime(2018, 7, 27), "thai_month"),
        ("27 ก.ค 2561", datetime(2018, 7, 27), "thai_month"),
        ("27 กค 2561", datetime(2018, 7, 27), "thai_month"),
        ("27 ก. ค. 2561", datetime(2018, 7, 27), "thai_month"),
        ("27ก.ค.2561", datetime(2018, 7, 27), "thai_month"),
        ("27 กรกฎา 2561", datetime(2018, 7, 27), "thai_month"),
        ("๒๗ ก.ค. ๒๕๖๑", datetime(2018, 7, 27), "thai_month"),
        # 5. English month names
        ("Jul 27, 2018 2:03:22 PM", datetime(2018, 7, 27, 14, 3, 22), "english_month"),
        ("27 July 2018", datetime(2018, 7, 27), "english_month"),
        ("27-Jul-2018 14:03", datetime(2018, 7, 27, 14, 3), "english_month"),
        ("27-JUL-18", datetime(2018, 7, 27), "english_month"),  # 18: B.E. 1975 or C.E. 2018
        ("july 27th, 2018", datetime(2018, 7, 27), "english_month"),
        ("Sept. 5, 2018", datetime(2018, 9, 5), "english_month"),
        ("5 Sep 2018", datetime(2018, 9, 5), "english_month"),
        # 6. 12-hour clock
        ("27/07/2018 2:03:22 PM", datetime(2018, 7, 27, 14, 3, 22), "day_month_year"),
        ("27/07/2018 2:03 pm", datetime(2018, 7, 27, 14, 3), "day_month_year"),
        ("27/07/2018 2:03 p.m.", datetime(2018, 7, 27, 14, 3), "day_month_year"),
        ("27/07/2018 9:15 a.m.", datetime(2018, 7, 27, 9, 15), "day_month_year"),
        ("27/07/2018 12:00 AM", datetime(2018, 7, 27, 0, 0), "day_month_year"),
        ("27/07/2018 12:30 am", datetime(2018, 7, 27, 0, 30), "day_month_year"),
        ("27/07/2018 12:00 PM", datetime(2018, 7, 27, 12, 0), "day_month_year"),
        ("27/07/2018 11:59 PM", datetime(2018, 7, 27, 23, 59), "day_month_year"),
        # 7. Excel serials: 43101 is 2018-01-01; 43308 = 43101 + 207 days = 2018-07-27;
        # 0.5855 d = 50587.2 s -> 50587 s = 14:03:07
        ("43308.5855", datetime(2018, 7, 27, 14, 3, 7), "excel_serial"),
        ("43308", datetime(2018, 7, 27), "excel_serial"),
        ("43101", datetime(2018, 1, 1), "excel_serial"),
        ("43308.0", datetime(2018, 7, 27), "excel_serial"),
        # 0.00046875 d = 40.5 s exactly: rounded half up to 41 (Python's round() would give 40)
        ("43308.00046875", datetime(2018, 7, 27, 0, 0, 41), "excel_serial"),
        # 8. two-digit years: exactly one reading plausible
        ("23/07/18", datetime(2018, 7, 23), "day_month_year"),  # B.E. 2518 = 1975 too early; 2018
        ("23/07/61", datetime(2018, 7, 23), "day_month_year"),  # B.E. 2561 = 2018; 2061 in the future
        ("15/08/61 10:23", datetime(2018, 8, 15, 10, 23), "day_month_year"),
        ("1 ม.ค. 10", datetime(2010, 1, 1), "thai_month"),  # B.E. 2510 = 1967 too early; 2010
        ("27 ก.ค. พ.ศ. 61", datetime(2018, 7, 27), "thai_month"),  # the marker keeps only B.E.
        ("27 ก.ค. ค.ศ. 18", datetime(2018, 7, 27), "thai_month"),
        ("29/02/63", datetime(2020, 2, 29), "day_month_year"),  # 2063 has no 29 February; B.E. 2563 = 2020
        ("29/02/2563", datetime(2020, 2, 29), "day_month_year"),
    ],
)
def test_forms(text: str, expected: datetime, form: str) -> None:
    assert parse(text) == ParsedTime(expected, "ok", form)


@pytest.mark.parametrize(
    ("full", "abbr", "month"),
    [("มกราคม", "ม.ค.", 1), ("กุมภาพันธ์", "ก.พ.", 2), ("มีนาคม", "มี.ค.", 3), ("เมษายน", "เม.ย.", 4),
     ("พฤษภาคม", "พ.ค.", 5), ("มิถุนายน", "มิ.ย.", 6), ("กรกฎาคม", "ก.ค.", 7), ("สิงหาคม", "ส.ค.", 8),
     ("กันยายน", "ก.ย.", 9), ("ตุลาคม", "ต.ค.", 10), ("พฤศจิกายน", "พ.ย.", 11), ("ธันวาคม", "ธ.ค.", 12)],
)
def test_every_thai_month(full: str, abbr: str, month: int) -> None:
    expected = ParsedTime(datetime(2018, month, 15), "ok", "thai_month")
    bare = abbr.replace(".", "")
    spaced = abbr.replace(".", ". ").strip()
    for text in (f"15 {full} 2561", f"15 {abbr} 2561", f"15 {bare} 2561", f"15 {spaced} 2561", f"15 {abbr} 61",
                 f"15 {full} 2018"):
        assert parse(text) == expected, text


@pytest.mark.parametrize(
    ("text", "status", "form"),
    [
        # implausible four-digit years (value None, never guessed)
        ("23/07/5261", "implausible_year", "day_month_year"),  # B.E. 5261 = 4718
        ("23/07/0561", "implausible_year", "day_month_year"),  # year 561
        ("23/07/2651", "implausible_year", "day_month_year"),  # B.E. 2651 = 2108
        ("23/07/2090", "implausible_year", "day_month_year"),  # after NOW + 1 day
        ("2090-07-23T10:00:00Z", "implausible_year", "iso"),
        ("27 ก.ค. 2651", "implausible_year", "thai_month"),
        ("Jul 27, 2090", "implausible_year", "english_month"),
        ("2009-12-31 23:59:59", "implausible_year", "iso"),  # one second before dates.earliest
        # two-digit years: neither reading plausible
        ("23/07/40", "ambiguous_year", "day_month_year"),  # B.E. 2540 = 1997 too early; 2040 future
        ("23/07/05", "ambiguous_year", "day_month_year"),  # B.E. 2505 = 1962; 2005 before 2010
        ("27 ก.ค. 40", "ambiguous_year", "thai_month"),
        # only one reading is a calendar date, and it is implausible
        ("29/02/47", "implausible_year", "day_month_year"),  # B.E. 2547 = 2004 (leap); 2047 not leap
        # Excel serials outside the window
        ("2561", "implausible_year", "excel_serial"),  # 1907-01-04, not B.E. 2561
        ("60000", "implausible_year", "excel_serial"),  # 2064
        ("0", "implausible_year", "excel_serial"),
        ("99999999999999999999", "implausible_year", "excel_serial"),  # beyond datetime's range
        # no such date or time
        ("31/02/2561", "unparsed", "day_month_year"),
        ("29/02/2562", "unparsed", "day_month_year"),  # 2019 is not a leap year
        ("32/01/2561", "unparsed", "day_month_year"),
        ("23/13/2561", "unparsed", "day_month_year"),
        ("23/00/2561", "unparsed", "day_month_year"),
        ("31/02/61", "unparsed", "day_month_year"),
        ("31 ก.พ. 2561", "unparsed", "thai_month"),
        ("2018-02-30", "unparsed", "iso"),
        ("23/07/2561 25:00", "unparsed", "day_month_year"),
        ("23/07/2561 12:60", "unparsed", "day_month_year"),
        ("27/07/2018 13:00 PM", "unparsed", "day_month_year"),
        ("27/07/2018 0:30 AM", "unparsed", "day_month_year"),
        ("2018-07-27T14:03:22+25:00", "unparsed", "iso"),
        ("23/07/2561 noon", "unparsed", "day_month_year"),
        # garbage
        ("ไม่ทราบ", "unparsed", ""),
        ("abc", "unparsed", ""),
        ("27 Foo 2018", "unparsed", ""),
        ("27 ก.ข. 2561", "unparsed", ""),
        ("23/07/256", "unparsed", ""),
        ("14:03", "unparsed", ""),
        ("07/23", "unparsed", ""),
        ("43308.5855.1", "unparsed", ""),
        ("-43308", "unparsed", ""),
        # blank
        ("", "blank", ""),
        ("   ", "blank", ""),
        ("\u200b\ufeff", "blank", ""),
        (None, "blank", ""),
        (math.nan, "blank", ""),
    ],
)
def test_flags(text: str, status: str, form: str) -> None:
    assert parse(text) == ParsedTime(None, status, form)


def test_both_two_digit_readings_plausible() -> None:
    """With dates.earliest = 2010-01-01, B.E. 25yy (C.E. 1957 + yy) is plausible only for yy >= 53, and
    then 20yy is in the future until 2053: no two-digit year has two plausible readings today. An earlier
    ``earliest`` makes one, and it is flagged rather than guessed."""
    rules = copy.deepcopy(load_rules())
    rules["dates"]["earliest"] = "1960-01-01"
    assert parse("23/07/10", rules) == ParsedTime(None, "ambiguous_year", "day_month_year")  # 1967 or 2010
    assert parse("23/07/10") == ParsedTime(datetime(2010, 7, 23), "ok", "day_month_year")  # default rules


def test_window_bounds() -> None:
    assert parse("2010-01-01").status == "ok"  # dates.earliest itself
    assert parse("2025-06-02 12:00:00").status == "ok"  # NOW + 1 day
    assert parse("2025-06-02 12:00:01").status == "implausible_year"
    # plausibility is judged in Bangkok time: 17:00 UTC on 31 Dec 2009 is midnight of 1 Jan 2010
    assert parse("2009-12-31T17:00:00Z") == ParsedTime(datetime(2010, 1, 1), "ok", "iso")
    assert parse("2009-12-31T16:59:59Z").status == "implausible_year"
    assert parse("0001-01-01T00:00:00+07:00").status == "implausible_year"  # no overflow at the edge
    assert parse("9999-12-31T23:00:00-05:00").status == "implausible_year"


def test_now_may_be_aware_and_defaults_to_the_clock() -> None:
    now = datetime(2018, 7, 27, 0, 0, tzinfo=UTC)  # 07:00 in Bangkok; the window ends 2018-07-28 07:00
    assert parse_timestamp("2018-07-28 07:00", now=now).status == "ok"
    assert parse_timestamp("2018-07-28 07:01", now=now).status == "implausible_year"
    assert parse_timestamp("23/07/2561").status == "ok"  # default now: the current time
    assert parse_timestamp("23/07/2661").status == "implausible_year"  # B.E. 2661 = 2118


def test_assume_utc() -> None:
    assert parse("2018-07-27 07:03:22").value == datetime(2018, 7, 27, 7, 3, 22)
    assert parse("2018-07-27 07:03:22", assume_utc=True).value == datetime(2018, 7, 27, 14, 3, 22)
    assert parse("2018-07-27T07:03:22", assume_utc=True).value == datetime(2018, 7, 27, 14, 3, 22)
    assert parse("27/07/2561 20:00", assume_utc=True).value == datetime(2018, 7, 28, 3, 0)
    assert parse("27/07/2561", assume_utc=True).value == datetime(2018, 7, 27, 7, 0)
    # 14:03:07 UTC is 21:03:07 in Bangkok
    assert parse("43308.5855", assume_utc=True).value == datetime(2018, 7, 27, 21, 3, 7)
    # an explicit offset wins over assume_utc
    assert parse("2018-07-27T14:03:22+07:00", assume_utc=True).value == datetime(2018, 7, 27, 14, 3, 22)
    assert parse("2018-07-27T07:03:22Z", assume_utc=True).value == datetime(2018, 7, 27, 14, 3, 22)


def test_values_are_naive() -> None:
    for text in ("2018-07-27T07:03:22.123Z", "27/07/2561", "43308.5855", "Jul 27, 2018 2:03:22 PM"):
        value = parse(text).value
        assert value is not None and value.tzinfo is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/08/2561 10:23:11", datetime(2018, 8, 15, 10, 23, 11)),
        ("๑๕/๐๘/๒๕๖๑ ๑๐:๒๓:๑๑", datetime(2018, 8, 15, 10, 23, 11)),
        ("15/08/61 10:23", datetime(2018, 8, 15, 10, 23)),
        ("2018-08-15 10:23:11", datetime(2018, 8, 15, 10, 23, 11)),
        ("15/08/2018", datetime(2018, 8, 15)),
        ("5/8/2561", datetime(2018, 8, 5)),
        ("not a date", None),
    ],
)
def test_the_sample_forms(text: str, expected: datetime | None) -> None:
    """The forms the bundled sample writes (B.E. four and two digits, Thai digits, ISO)."""
    assert parse(text).value == expected


TEXTS = ["23/07/2561 12:29:11", "", "2018-07-27T07:03:22.123Z", "23/07/2561 12:29:11", None, "27 ก.ค. 61",
         "43308.5855", "31/02/2561", "23/07/5261", "23/07/40", "Jul 27, 2018 2:03:22 PM", math.nan, "ไม่ทราบ"]


@pytest.mark.parametrize("assume_utc", [False, True])
def test_parse_timestamps_matches_parse_timestamp(assume_utc: bool) -> None:
    texts = pd.Series(TEXTS, index=[f"r{i}" for i in range(len(TEXTS))])
    out = parse_timestamps(texts, now=NOW, assume_utc=assume_utc)
    assert list(out.columns) == ["value", "status", "form"]
    assert out.index.equals(texts.index)
    assert out["value"].dtype == "datetime64[ns]"
    for key, text in texts.items():
        one = parse(text, assume_utc=assume_utc)
        row = out.loc[key]
        assert (row["status"], row["form"]) == (one.status, one.form)
        assert (pd.isna(row["value"]) and one.value is None) or row["value"] == pd.Timestamp(one.value)


def test_parse_timestamps_parses_each_distinct_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = timestamps._parse

    def counting(text: str, *args: Any) -> ParsedTime:
        seen.append(text)
        return real(text, *args)

    monkeypatch.setattr(timestamps, "_parse", counting)
    parse_timestamps(pd.Series(["23/07/2561", "23/07/2561", "", None, "23/07/2561"]), now=NOW)
    assert sorted(seen) == ["", "23/07/2561"]


def test_parse_timestamps_reads_numbers_and_datetimes() -> None:
    numbers = parse_timestamps(pd.Series([43308.5855, math.nan]), now=NOW)
    assert numbers["value"].iloc[0] == pd.Timestamp(2018, 7, 27, 14, 3, 7)
    assert numbers["status"].tolist() == ["ok", "blank"]
    stamps = parse_timestamps(pd.Series(pd.to_datetime(["2018-07-27 14:03:22", None])), now=NOW)
    assert stamps["value"].iloc[0] == pd.Timestamp(2018, 7, 27, 14, 3, 22)
    assert stamps["status"].tolist() == ["ok", "blank"]


def test_empty_column() -> None:
    out = parse_timestamps(pd.Series([], dtype=object), now=NOW)
    assert out.empty and out["value"].dtype == "datetime64[ns]"
