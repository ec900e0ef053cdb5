"""Encoders for ``analyzer parse`` output: JSON lines (the contract) or CSV.

An encoder turns a list of records into bytes, so the parallel parser can encode in its
workers and the parent only writes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import fields
from typing import Any, Protocol

import orjson

from analyzer.record import CatalogInfo, OgcInfo, Request


class Encoder(Protocol):
    def header(self) -> bytes: ...

    def encode(self, records: list[Request]) -> bytes: ...


class JsonLinesEncoder:
    """One JSON object per record, keys and values as `Request.to_dict` gives them."""

    def header(self) -> bytes:
        return b""

    def encode(self, records: list[Request]) -> bytes:
        # orjson serialises the dataclasses and aware datetimes (ISO 8601 with offset) in C.
        dumps, option = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        return b"".join([dumps(record, option=option) for record in records])


def _nested_columns(prefix: str, cls: type) -> list[tuple[str, Callable[[Any], Any]]]:
    return [(f"{prefix}_{f.name}", _attribute_or_none(f.name)) for f in fields(cls)]


def _attribute_or_none(name: str) -> Callable[[Any], Any]:
    return lambda obj: getattr(obj, name) if obj else None


def _columns() -> list[tuple[str, str, Callable[[Any], Any] | None]]:
    """(column, Request attribute, getter inside the attribute) for every CSV column."""
    columns: list[tuple[str, str, Callable[[Any], Any] | None]] = []
    for f in fields(Request):
        if f.name == "ogc":
            columns += [(name, "ogc", get) for name, get in _nested_columns("ogc", OgcInfo)]
        elif f.name == "catalog":
            nested = _nested_columns("catalog", CatalogInfo)
            columns += [(name, "catalog", get) for name, get in nested]
        else:
            columns.append((f.name, f.name, None))
    return columns


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class CsvEncoder:
    """A header line, then one row per record; lists are comma-joined, None is empty."""

    def __init__(self) -> None:
        self.columns = _columns()

    def header(self) -> bytes:
        return self._rows([[name for name, _, _ in self.columns]])

    def encode(self, records: list[Request]) -> bytes:
        rows = []
        for record in records:
            rows.append(
                [
                    _cell(get(getattr(record, attr)) if get else getattr(record, attr))
                    for _, attr, get in self.columns
                ]
            )
        return self._rows(rows)

    @staticmethod
    def _rows(rows: list[list[Any]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode()


ENCODERS: dict[str, Callable[[], Encoder]] = {"jsonl": JsonLinesEncoder, "csv": CsvEncoder}
