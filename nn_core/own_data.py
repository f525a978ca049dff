"""A student's own points on the plane: read from a CSV file (x1, x2, label), checked so that a
bad file gets a sentence naming the problem and the row, never a traceback."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
import zlib

import numpy as np

from nn_core.data import MAX_CLASSES

MAX_ROWS = 5000
COLUMNS = ("x1", "x2", "label")


class OwnDataError(ValueError):
    """The file cannot be used; the message says why (and where)."""


def read_csv(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(points float32 [n, 2], labels int32 [n]) from a CSV with a header naming x1, x2 and
    label (other columns are ignored). Labels are classes 0 .. 4."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OwnDataError("The file is not text (UTF-8): save it as CSV and try again.") from error
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise OwnDataError(
            f"The first row must name the columns x1, x2 and label; missing: {', '.join(missing)}."
        )
    reader.fieldnames = header
    points, labels = _rows(reader)
    if len(np.unique(labels)) < 2:
        raise OwnDataError(
            f"Every row has label {labels[0]}: a classifier needs at least two classes."
        )
    return points, labels


def _rows(reader: csv.DictReader) -> tuple[np.ndarray, np.ndarray]:
    points, labels = [], []
    for row_number, row in enumerate(reader, start=2):  # row 1 is the header
        if len(points) == MAX_ROWS:
            raise OwnDataError(f"The file has more than {MAX_ROWS:,} rows of data.")
        x1, x2 = (_number(row, column, row_number) for column in ("x1", "x2"))
        points.append((x1, x2))
        labels.append(_label(row, row_number))
    if not points:
        raise OwnDataError("The file has a header but no rows of data.")
    return np.array(points, np.float32), np.array(labels, np.int32)


def _number(row: dict, column: str, row_number: int) -> float:
    text = (row.get(column) or "").strip()
    try:
        value = float(text)
    except ValueError:
        shown = f"'{text}'" if text else "nothing"
        raise OwnDataError(f"Row {row_number}: {column} is {shown}, not a number.") from None
    if not math.isfinite(value):
        raise OwnDataError(f"Row {row_number}: {column} is {text}; use finite numbers.")
    if abs(value) > 1e6:
        raise OwnDataError(f"Row {row_number}: {column} is {text}; keep |values| under 1e6.")
    return value


def _label(row: dict, row_number: int) -> int:
    text = (row.get("label") or "").strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value.is_integer() and 0 <= value < MAX_CLASSES):
        raise OwnDataError(
            f"Row {row_number}: label is '{text}'; use a class number from 0 to {MAX_CLASSES - 1}."
        )
    return int(value)


def to_csv(points: np.ndarray, labels: np.ndarray) -> bytes:
    """The points as a CSV the upload reads back."""
    lines = ["x1,x2,label"] + [
        f"{x1:.5g},{x2:.5g},{int(label)}" for (x1, x2), label in zip(points, labels, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------- in a link

# Each point as the shortest text that gives back the same float32 (the network trains on
# float32), so a link opens exactly the points it was made from: the same run, not a near one.
_LINK_HEADER = "x1,x2,label\n"


def to_link(points: np.ndarray, labels: np.ndarray) -> str:
    """The points as a URL-safe text: CSV rows, compressed (zlib), base64url without padding.
    Points a student clicks lie on a grid, so they compress well: about 8 characters each."""
    rows = "\n".join(
        f"{np.float32(x1)},{np.float32(x2)},{int(label)}"
        for (x1, x2), label in zip(points, labels, strict=True)
    )
    packed = zlib.compress(rows.encode(), level=9)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def from_link(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The points `to_link` wrote (one class alone is allowed: drawing is under way).
    Raises OwnDataError for anything else, never more than MAX_ROWS rows' worth of text."""
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        unpacker = zlib.decompressobj()
        raw = unpacker.decompress(packed, MAX_ROWS * 64)  # a bomb stops here
    except (binascii.Error, ValueError, zlib.error) as error:
        raise OwnDataError("it is not points the app wrote (mistyped?).") from error
    if unpacker.unconsumed_tail:
        raise OwnDataError(f"it holds more than {MAX_ROWS:,} points.")
    if not unpacker.eof:
        raise OwnDataError("it is not points the app wrote (cut off?).")
    try:
        body = raw.decode()
    except UnicodeDecodeError as error:
        raise OwnDataError("it is not points the app wrote.") from error
    return _rows(csv.DictReader(io.StringIO(_LINK_HEADER + body)))
