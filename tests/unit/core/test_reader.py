"""The incremental JSONL reader: complete lines only, restarts, bad lines."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from inspector.core.jsonl import BadLine, JsonlReader, ParsedLine, read_line


def _read(reader: JsonlReader, *, final: bool = False) -> list[ParsedLine | BadLine]:
    return list(reader.read(final=final).lines)


def test_holds_a_partial_line_until_its_newline_arrives(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":')
    reader = JsonlReader(path)
    first = _read(reader)
    assert [line.value for line in first if isinstance(line, ParsedLine)] == [{"a": 1}]
    assert reader.offset == 8
    with path.open("ab") as handle:
        handle.write(b"2}\n")
    second = _read(reader)
    assert len(second) == 1
    assert isinstance(second[0], ParsedLine)
    assert second[0].value == {"b": 2}
    assert (second[0].number, second[0].offset) == (2, 8)


def test_reads_only_new_bytes(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n')
    reader = JsonlReader(path)
    assert len(_read(reader)) == 1
    assert _read(reader) == []
    with path.open("ab") as handle:
        handle.write(b'{"a":2}\n{"a":3}\n')
    assert [line.number for line in _read(reader)] == [2, 3]


def test_truncated_file_is_read_again_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n{"a":2}\n')
    reader = JsonlReader(path)
    _read(reader)
    path.write_bytes(b'{"z":1}\n')
    result = reader.read()
    lines = list(result.lines)
    assert result.restarted
    assert [line.number for line in lines] == [1]


def test_replaced_file_is_read_again_even_when_it_is_larger(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n')
    reader = JsonlReader(path)
    _read(reader)
    replacement = tmp_path / "new.jsonl"
    replacement.write_bytes(b'{"b":1}\n{"b":2}\n{"b":3}\n')
    os.replace(replacement, path)
    result = reader.read()
    assert result.restarted
    assert [line.value for line in result.lines if isinstance(line, ParsedLine)] == [
        {"b": 1},
        {"b": 2},
        {"b": 3},
    ]


def test_rewritten_in_place_with_other_bytes_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n')
    reader = JsonlReader(path)
    _read(reader)
    with path.open("r+b") as handle:  # same inode, same length, then more
        handle.write(b'{"q":9}\n{"q":10}\n')
    result = reader.read()
    assert result.restarted
    assert len(list(result.lines)) == 2


def test_bad_line_is_reported_with_its_number_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n{not json\n[1,2]\n"text"\n{"a":2}\n')
    lines = _read(JsonlReader(path))
    bad = [line for line in lines if isinstance(line, BadLine)]
    good = [line for line in lines if isinstance(line, ParsedLine)]
    assert [line.number for line in bad] == [2, 3, 4]
    assert "not valid JSON" in bad[0].reason
    assert bad[1].reason == "not a JSON object"
    assert [line.number for line in good] == [1, 5]


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\r\n{"a":2}\r\n')
    lines = _read(JsonlReader(path))
    assert [line.value for line in lines if isinstance(line, ParsedLine)] == [{"a": 1}, {"a": 2}]
    second = lines[1]
    assert read_line(path, second.offset, second.length) == {"a": 2}


def test_non_utf8_bytes_are_read_as_replacement_characters(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"text":"caf\xe9 \xff"}\n')
    [line] = _read(JsonlReader(path))
    assert isinstance(line, ParsedLine)
    assert line.value == {"text": "caf\ufffd \ufffd"}


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n\n   \n{"a":2}\n')
    lines = _read(JsonlReader(path))
    assert [line.number for line in lines] == [1, 4]


def test_a_ten_megabyte_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    big = "x" * (10 * 1024 * 1024)
    path.write_bytes(b'{"a":1}\n' + orjson.dumps({"big": big}) + b'\n{"a":2}\n')
    lines = _read(JsonlReader(path))
    assert [line.number for line in lines] == [1, 2, 3]
    assert isinstance(lines[1], ParsedLine)
    assert len(lines[1].value["big"]) == len(big)
    assert read_line(path, lines[1].offset, lines[1].length)["big"] == big


def test_unterminated_last_line_only_when_final(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n{"a":2}')
    assert len(_read(JsonlReader(path))) == 1
    lines = _read(JsonlReader(path), final=True)
    assert [line.value for line in lines if isinstance(line, ParsedLine)] == [{"a": 1}, {"a": 2}]


def test_cut_off_last_line_is_a_bad_line_when_final(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n{"a":')
    lines = _read(JsonlReader(path), final=True)
    assert isinstance(lines[-1], BadLine)
    assert "incomplete last line" in lines[-1].reason


def test_offsets_point_at_each_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    values = [{"n": n, "pad": "é" * n} for n in range(50)]
    path.write_bytes(b"".join(orjson.dumps(v) + b"\n" for v in values))
    for line in _read(JsonlReader(path)):
        assert isinstance(line, ParsedLine)
        assert read_line(path, line.offset, line.length) == line.value


def test_json_values_that_are_not_objects_are_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'null\n{"a":1}\n[1]\n"text"\n   \n\t\r\n7\n')
    lines = _read(JsonlReader(path), final=True)
    bad = [(line.number, line.reason) for line in lines if isinstance(line, BadLine)]
    assert bad == [(n, "not a JSON object") for n in (1, 3, 4, 7)]
    assert [line.number for line in lines if isinstance(line, ParsedLine)] == [2]


def test_lines_across_buffer_boundaries_match_a_plain_split(tmp_path: Path) -> None:
    """Lines of every length around the read buffer's size, CRLF split at its edge."""
    rows = []
    for size in (10, 1 << 10, (1 << 20) - 7, (1 << 20) + 3, 5, (2 << 20) + 11, 1):
        rows.append(orjson.dumps({"pad": "x" * size}) + (b"\r\n" if size % 2 else b"\n"))
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"".join(rows))
    lines = _read(JsonlReader(path), final=True)
    offset = 0
    for number, (line, row) in enumerate(zip(lines, rows, strict=True), 1):
        assert isinstance(line, ParsedLine)
        assert (line.number, line.offset) == (number, offset)
        assert line.value == orjson.loads(row)
        assert line.length == len(row.rstrip(b"\r\n"))
        offset += len(row)


def test_reading_up_to_an_offset_and_from_one(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":2}\n{"c":3}\n')
    reader = JsonlReader(path)
    head = list(reader.read(until=16).lines)
    assert [line.value for line in head if isinstance(line, ParsedLine)] == [{"a": 1}, {"b": 2}]
    assert reader.offset == 16
    tail = list(JsonlReader(path, start=16).read(final=True).lines)
    assert [(line.number, line.offset) for line in tail] == [(1, 16)]
