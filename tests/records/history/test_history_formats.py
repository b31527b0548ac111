"""Readers of history files: rows with line numbers, and bad rows with reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tocsin.domain.alerts import Status
from tocsin.errors import InvalidInput
from tocsin.records.history.formats import (
    BadRow,
    Place,
    Reader,
    Row,
    read_generic_csv,
    read_generic_jsonl,
    read_official,
    read_volunteer,
    reader,
)

OFFICIAL_HEADER = "oblast,raion,hromada,level,started_at,finished_at,source\n"


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_official_rows_carry_places_and_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        OFFICIAL_HEADER
        + (
            "Vinnytska oblast,,,oblast,2022-03-15 16:10:34+00:00,"
            "2022-03-15 16:50:07+00:00,official\n"
            "Cherkaska oblast,Umanskyi raion,Umanska terytorialna hromada,hromada,"
            "2022-03-15 16:11:50+00:00,2022-03-15 16:54:47+00:00,official\n"
        ),
    )
    rows = list(read_official(path))
    assert rows == [
        Row(
            2,
            datetime(2022, 3, 15, 16, 10, 34, tzinfo=UTC),
            datetime(2022, 3, 15, 16, 50, 7, tzinfo=UTC),
            place=Place("oblast", "Vinnytska oblast"),
        ),
        Row(
            3,
            datetime(2022, 3, 15, 16, 11, 50, tzinfo=UTC),
            datetime(2022, 3, 15, 16, 54, 47, tzinfo=UTC),
            place=Place(
                "hromada", "Cherkaska oblast", "Umanskyi raion", "Umanska terytorialna hromada"
            ),
        ),
    ]
    assert rows[0].threat == "air" and rows[0].status is Status.ACTUAL


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "Vinnytska oblast,,,oblast,2022-03-15 16:10:34+00:00,2022-03-15 16:00:00+00:00,x",
            "ends before it starts",
        ),
        ("Vinnytska oblast,,,oblast,yesterday,2022-03-15 16:00:00+00:00,x", "not an ISO 8601"),
        (
            "Vinnytska oblast,,,oblast,2022-03-15 16:10:34,2022-03-15 17:00:00+00:00,x",
            "no UTC offset",
        ),
        ("Vinnytska oblast,,,oblast,,2022-03-15 17:00:00+00:00,x", "start is empty"),
        (
            "Vinnytska oblast,,,hromada,2022-03-15 16:10:34+00:00,2022-03-15 17:00:00+00:00,x",
            "raion column is empty",
        ),
        (
            "Vinnytska oblast,Vinnytskyi raion,,oblast,2022-03-15 16:10:34+00:00,"
            "2022-03-15 17:00:00+00:00,x",
            "raion column is filled",
        ),
        (
            "Vinnytska oblast,,,city,2022-03-15 16:10:34+00:00,2022-03-15 17:00:00+00:00,x",
            "level 'city'",
        ),
        ("Vinnytska oblast,,oblast,2022-03-15 16:10:34+00:00", "4 fields; the header has 7"),
    ],
)
def test_bad_official_rows_name_line_and_reason(tmp_path: Path, line: str, reason: str) -> None:
    good = "Zhytomyrska oblast,,,oblast,2022-03-15 16:11:25+00:00,2022-03-15 16:54:23+00:00,x\n"
    path = write(tmp_path, OFFICIAL_HEADER + good + line + "\n" + good)
    records = list(read_official(path))
    assert [type(r) for r in records] == [Row, BadRow, Row]
    bad = records[1]
    assert isinstance(bad, BadRow) and bad.line == 3
    assert reason in bad.reason


def test_blank_rows_are_skipped_and_a_repeated_bad_place_is_reported_each_time(
    tmp_path: Path,
) -> None:
    bad = "Vinnytska oblast,,,city,2022-03-15 16:10:34+00:00,2022-03-15 17:00:00+00:00,x\n"
    good = "Zhytomyrska oblast,,,oblast,2022-03-15 16:11:25+00:00,2022-03-15 16:54:23+00:00,x\n"
    path = write(tmp_path, OFFICIAL_HEADER + bad + " , ,,,,, \n\n" + good + bad + good)
    records = list(read_official(path))
    assert [(type(r), r.line) for r in records] == [
        (BadRow, 2),
        (Row, 5),
        (BadRow, 6),
        (Row, 7),
    ]
    first, third = records[1], records[3]
    assert isinstance(first, Row) and isinstance(third, Row) and first.place is third.place


def test_columns_are_found_by_name_in_any_order(tmp_path: Path) -> None:
    official = write(
        tmp_path,
        "source,finished_at,started_at,level,hromada,raion,oblast\n"
        "x,2022-03-15 16:50:07+00:00,2022-03-15 16:10:34+00:00,raion,,Umanskyi raion,"
        "Cherkaska oblast\n",
        "official.csv",
    )
    generic = write(  # no status column: actual
        tmp_path,
        "end,threat,region,start\nZ,missile,UA-63,2024-01-02T03:04:05Z\n"
        "2024-01-02T04:00:00Z,missile,UA-63,2024-01-02T03:04:05Z\n",
        "generic.csv",
    )
    (row,) = read_official(official)
    assert isinstance(row, Row) and row.place == Place(
        "raion", "Cherkaska oblast", "Umanskyi raion"
    )
    assert row.start == datetime(2022, 3, 15, 16, 10, 34, tzinfo=UTC)
    bad, good = read_generic_csv(generic)
    assert isinstance(bad, BadRow) and "end 'Z' is not an ISO 8601 time" in bad.reason
    assert isinstance(good, Row) and (good.region, good.threat, good.status) == (
        "UA-63",
        "missile",
        Status.ACTUAL,
    )


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "region,started_at\nKyiv City,2022-02-25 16:36:22+00:00\n")
    with pytest.raises(InvalidInput, match="no column finished_at, naive"):
        list(read_volunteer(path))


def test_volunteer_rows_keep_the_naive_flag(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "region,started_at,finished_at,naive\n"
        "Kyiv City,2022-02-25 16:36:22+00:00,2022-02-25 17:06:22+00:00,True\n"
        "Cherkaska oblast,2022-02-25 18:36:21+00:00,2022-02-25 19:32:11+00:00,False\n"
        "Cherkaska oblast,2022-02-25 18:36:21+00:00,2022-02-25 19:32:11+00:00,maybe\n",
    )
    first, second, third = read_volunteer(path)
    assert isinstance(first, Row) and first.naive and first.place == Place("oblast", "Kyiv City")
    assert isinstance(second, Row) and not second.naive
    assert isinstance(third, BadRow) and "naive 'maybe'" in third.reason


def test_generic_csv_and_jsonl_read_the_same_rows(tmp_path: Path) -> None:
    csv_path = write(
        tmp_path,
        "region,threat,start,end,status\n"
        "UA-63,missile,2024-01-02T03:04:05Z,2024-01-02T04:00:00Z,\n"
        "UA-63-R1,uav,2024-01-02T03:04:05Z,2024-01-02T06:00:00+02:00,exercise\n",
    )
    jsonl = write(
        tmp_path,
        "\n".join(
            [
                '{"region": "UA-63", "threat": "missile", "start": "2024-01-02T03:04:05Z",'
                ' "end": "2024-01-02T04:00:00Z"}',
                "",
                '{"region": "UA-63-R1", "threat": "uav", "start": "2024-01-02T03:04:05Z",'
                ' "end": "2024-01-02T06:00:00+02:00", "status": "exercise"}',
                "[1, 2]",
                "{not json",
            ]
        )
        + "\n",
        "data.jsonl",
    )
    from_csv = list(read_generic_csv(csv_path))
    from_jsonl = list(read_generic_jsonl(jsonl))
    assert [r.line for r in from_csv] == [2, 3]
    assert [r.line for r in from_jsonl] == [1, 3, 4, 5]
    for a, b in zip(from_csv, from_jsonl[:2], strict=True):
        assert isinstance(a, Row) and isinstance(b, Row)
        assert (a.region, a.threat, a.start, a.end, a.status) == (
            b.region,
            b.threat,
            b.start,
            b.end,
            b.status,
        )
    assert isinstance(from_csv[1], Row) and from_csv[1].status is Status.EXERCISE
    assert [type(r) for r in from_jsonl[2:]] == [BadRow, BadRow]
    assert "not a JSON object" in from_jsonl[2].reason  # type: ignore[union-attr]
    assert "not valid JSON" in from_jsonl[3].reason  # type: ignore[union-attr]


def test_generic_rows_need_a_known_status(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "region,threat,start,end,status\n"
        "UA-63,air,2024-01-02T03:04:05Z,2024-01-02T04:00:00Z,real\n",
    )
    (bad,) = read_generic_csv(path)
    assert isinstance(bad, BadRow) and "status 'real'" in bad.reason


def test_unknown_format() -> None:
    with pytest.raises(InvalidInput, match="unknown history format 'xml'"):
        reader("xml")


GOOD = "UA-63,air,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z"
BINARY = bytes(b for b in range(256) if b not in b"\r\n")
ABUSED = {  # the third line of a file, and the reason it is reported with
    "not UTF-8": (b"UA-\xff\xfe,air,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z", "not UTF-8"),
    "binary": (BINARY, "not UTF-8"),
    "a long field": (b'UA-63,"' + b"x" * 140_000 + b'",2024-01-02T03:00Z,2024-01-02T04Z', "field"),
    "a long line": (b"UA-63," + b"x" * 2_000_000, "longer than 1,048,576 characters"),
    "year 1": (b"UA-63,air,0001-01-01T00:00:00+03:00,2024-01-02T04:00:00Z", "1900"),
    "year 9999": (b"UA-63,air,2024-01-02T03:00:00Z,9999-12-31T23:59:59-03:00", "2200"),
}


@pytest.mark.parametrize(("bad", "reason"), ABUSED.values(), ids=ABUSED.keys())
def test_an_abused_csv_row_is_reported_and_the_rest_read(
    tmp_path: Path, bad: bytes, reason: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(f"region,threat,start,end\n{GOOD}\n".encode() + bad + f"\n{GOOD}\n".encode())
    first, third, fourth = read_generic_csv(path)
    assert isinstance(first, Row) and isinstance(fourth, Row) and fourth.line == 4
    assert isinstance(third, BadRow) and third.line == 3 and reason in third.reason


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b'{"region": "UA-\xff", "threat": "air"}', "not UTF-8"),
        (BINARY, "not UTF-8"),
        (b'{"region": "' + b"x" * 140_000 + b'"}', "longer than 131,072 characters"),
        (b'{"region": "' + b"x" * 2_000_000 + b'"}', "longer than 1,048,576 characters"),
        (b'{"region": "UA-63", "threat": "air", "start": "0001-01-01T00:00Z", "end": "x"}', "1900"),
    ],
    ids=["not UTF-8", "binary", "a long field", "a long line", "year 1"],
)
def test_an_abused_jsonl_row_is_reported_and_the_rest_read(
    tmp_path: Path, bad: bytes, reason: str
) -> None:
    good = (
        b'{"region": "UA-63", "threat": "air", "start": "2024-01-02T03Z", "end": "2024-01-02T04Z"}'
    )
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"\n".join([good, bad, good]) + b"\n")
    first, second, third = read_generic_jsonl(path)
    assert isinstance(first, Row) and isinstance(third, Row) and third.line == 3
    assert isinstance(second, BadRow) and second.line == 2 and reason in second.reason


@pytest.mark.parametrize("read", [read_official, read_volunteer, read_generic_csv])
def test_a_binary_file_is_refused_with_a_reason(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    with pytest.raises(InvalidInput, match=r"photo.csv: the header \(line 1\): not UTF-8"):
        list(read(path))


def test_a_bom_and_utf8_names_are_read(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(
        "\ufeffregion,started_at,finished_at,naive\n"
        "Харківська область,2022-02-25 16:36:22+00:00,2022-02-25 17:06:22+00:00,False\n".encode()
    )
    (row,) = read_volunteer(path)
    assert isinstance(row, Row) and row.place == Place("oblast", "Харківська область")
