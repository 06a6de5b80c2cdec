"""Reading a resource's CSV as text, and turning text columns into typed ones.

The same parsers serve the loader (typed values) and the validator (which
values do not parse), so the two can never disagree about what is valid.
Work is done once per distinct value: columns of codes and dates have few.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .dates import DATE_UNIT, bounds
from .files import Limits, Refused
from .report import Finding
from .schema import Field, Schema, enum_dtype, enum_index
from .threads import map_in_order

if TYPE_CHECKING:
    from .package import Package

TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]?INF")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class RawTable:
    """A CSV file as strings: nothing parsed, nothing lost. Empty cells are ''."""

    def __init__(self, frame: pd.DataFrame, header: list[str], lines: np.ndarray, cells: np.ndarray) -> None:
        self.frame = frame
        self.header = header
        self.lines = lines
        """Physical line number of each data row (the header is line 1)."""
        self.cells = cells
        """Number of cells in each data row as written (pandas pads short rows, so we count)."""


BLOCK = 1 << 22
"""Bytes Arrow parses as one block; a smaller file is read, and its columns encoded, on the calling thread."""


def read_bytes(pkg: Package, name: str) -> tuple[bytes | None, list[Finding]]:
    """A resource file's bytes, read safely, or the finding that says why it is not read."""
    try:
        return pkg.read(name), []
    except Refused as e:
        message = "the descriptor names this file, but it does not exist" if e.rule == "missing-file" else str(e)
        return None, [Finding(pkg.display(name), None, None, e.rule, message, resource=name)]


def read_raw(
    data: bytes, display: str, resource: str, limits: Limits | None = None
) -> tuple[RawTable | None, list[Finding]]:
    """Parse a CSV file's bytes once, as text; report what stops it being read at all."""
    limits = limits or Limits()

    def fail(rule: str, message: str, line: int | None = None) -> tuple[None, list[Finding]]:
        return None, findings + [Finding(display, line, None, rule, message, resource=resource)]

    findings: list[Finding] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        findings.append(
            Finding(
                display,
                1,
                None,
                "bom",
                "the file starts with a byte-order mark; save it as UTF-8 without BOM",
                resource=resource,
                severity="warning",
            )
        )
    if _VISIBLE.search(data, 0, 1 << 16) is None:  # nothing visible near the start: blank, or not text
        blank = _blank_utf8(data)
        if blank is None:
            return _not_utf8(data, fail)
        if blank:
            return fail("blank-header", "the file is empty: it needs at least a header row", 1)
    quotes = _quotes(data)
    open_quote = _unterminated_quote(data, quotes)
    if open_quote is not None:
        return fail(
            "csv-error",
            "a quoted cell starts here and is never closed (the file ends inside it); close the quote",
            line_of(data, open_quote),
        )
    width = _header_width(data)
    if width is not None and width > limits.columns:
        return fail("too-many-columns", f"the file has {width:,} columns, more than the limit of {limits.columns:,}", 1)
    # the encoding is checked once for the whole file, so that Arrow reads cells as bytes without checking each
    if not _is_utf8(data):
        return _not_utf8(data, fail)
    breaks = _quoted_line_break(data, quotes)
    columnar = _read_columnar(data, breaks) if b"\r" not in data else None
    if columnar is not None:
        header, body, records, longest = columnar
        if len(header) > limits.columns:
            return fail(
                "too-many-columns",
                f"the file has {len(header):,} columns, more than the limit of {limits.columns:,}",
                1,
            )
        # one record per line unless a quoted cell holds a line break: then the lines are counted
        all_lines = _records(data)[0] if breaks else np.arange(1, records + 1)
        all_cells = np.full(records, len(header))
    else:
        all_lines, all_cells = _records(data)
        frame, failed = _read_rows(data, fail)
        if frame is None:
            return failed
        if frame.shape[1] > limits.columns:
            return fail(
                "too-many-columns",
                f"the file has {frame.shape[1]:,} columns, more than the limit of {limits.columns:,}",
                1,
            )
        header = [str(v) for v in frame.iloc[0].tolist()]
        body = frame.iloc[1:].reset_index(drop=True)
        for i in body.columns:  # the header's labels are not values of the column
            body[i] = body[i].cat.remove_unused_categories()
        body.columns = range(body.shape[1])
    n = len(body)
    lines, cells = all_lines[1 : n + 1], all_cells[1 : n + 1]
    # a cell has no more characters than bytes: when Arrow's longest cell fits, none is counted again
    fits = columnar is not None and longest <= limits.cell_chars
    big = [] if fits else _oversized(body, header, lines, display, resource, limits.cell_chars)
    if big:
        return None, findings + big
    return RawTable(body, header, lines, cells), findings


_FEW_QUOTES = 4096
"""Most quote characters found one after another (memchr from each to the next) before the file's bytes are
compared all at once instead: a file with few quotes is scanned four times as fast."""


def _quotes(data: bytes) -> int | list[int]:
    """The offsets of the file's quote characters when it has few, else how many it has."""
    at: list[int] = []
    i = data.find(b'"')
    while i >= 0:
        if len(at) == _FEW_QUOTES:
            return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 34))
        at.append(i)
        i = data.find(b'"', i + 1)
    return at


def _not_utf8(data: bytes, fail: Callable[..., Any]) -> Any:
    """The finding for a file that is not UTF-8, at the line of its first undecodable byte."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return fail(
            "encoding-error",
            f"the file is not UTF-8: byte 0x{data[e.start]:02x} cannot be decoded; save it as UTF-8",
            line_of(data, e.start),
        )
    return fail("encoding-error", "the file is not valid UTF-8; save it as UTF-8", None)


def _blank_utf8(data: bytes, step: int = 1 << 24) -> bool | None:
    """Whether the file holds only white space, or None if it is not UTF-8: decoded a slice at a time, so
    the whole file never exists twice in memory (only files with nothing visible near the start get here).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    view, blank = memoryview(data), True
    try:
        for start in range(0, len(data), step):
            part = decoder.decode(view[start : start + step])
            blank = blank and (part == "" or part.isspace())
        part = decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return blank and (part == "" or part.isspace())


_VISIBLE = re.compile(rb"[\x21-\x7e]")


def _is_utf8(data: bytes) -> bool:
    """Whether the bytes are valid UTF-8, checked by Arrow without decoding them into a Python string."""
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _header_width(data: bytes) -> int | None:
    """Cells in the header, counted before anything is parsed when its line has no quote (else None)."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    return None if b'"' in first or b"\r" in first else first.count(b",") + 1


def _quoted_line_break(data: bytes, quotes: int | list[int]) -> bool:
    """Whether a quoted cell holds a line break. Arrow splits a file into blocks in parallel only when no
    cell does, so this is found first: a line break is inside quotes when an odd number of quotes precede it.
    `quotes` is what `_quotes` found.
    """
    if isinstance(quotes, list):  # few quotes: look between each opening quote and the one that closes it
        return any(data.find(b"\n", quotes[k], quotes[k + 1]) >= 0 for k in range(0, len(quotes) - 1, 2))
    arr = np.frombuffer(data, dtype=np.uint8)
    inside = np.searchsorted(np.flatnonzero(arr == 34), np.flatnonzero(arr == 10)) % 2 == 1
    return bool(inside.any())


def _read_columnar(data: bytes, line_breaks_in_cells: bool = True) -> tuple[list[str], pd.DataFrame, int, int] | None:
    """The header, the body as categoricals, the number of records and the longest cell in bytes, read once by
    Arrow's CSV reader (no Python string per cell), every cell as text.

    Cells are parsed as plain text, and each column is then encoded against one dictionary of its distinct
    values: the columns of a large file on threads of their own (Arrow's hashing lets go of the interpreter).
    Encoding while parsing would build a dictionary per block and merge them, hashing each value twice.

    None when the file is irregular: a row whose cell count differs from the header's, a blank line, a single
    column (where a blank line would read as a cell). The tolerant row reader then reads it, and reports each
    irregular row at its line.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    width = _header_width(data)
    options = pacsv.ParseOptions(newlines_in_values=line_breaks_in_cells, ignore_empty_lines=False)
    errors = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowCapacityError, ValueError, MemoryError)
    end = data.find(b"\n")
    first = data if end < 0 else data[: end + 1]
    try:
        text = first.decode("utf-8")  # the header is skipped by the body's read, so its encoding is checked here
        if width is None:  # a quoted header: Arrow reads its cells (a line break inside one leaves it to the rows)
            width = pacsv.read_csv(
                pa.py_buffer(first),
                read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False),
                parse_options=options,
            ).num_columns
            head = pacsv.read_csv(  # again, every cell as text (a header cell "1" or "true" stays as written)
                pa.py_buffer(first),
                read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(width)], use_threads=False),
                parse_options=options,
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys([f"c{i}" for i in range(width)], pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            header = [str(head.column(i)[0].as_py()) for i in range(width)]
        else:  # no quote: the header's cells are its commas' gaps
            header = text.rstrip("\n").split(",")
        width = len(header)
        names = [f"c{i}" for i in range(width)]
        large = len(data) > BLOCK
        table = pacsv.read_csv(
            pa.py_buffer(data),
            # a file within one block is parsed by one thread: starting Arrow's pool would cost more
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK, use_threads=large),
            parse_options=options,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.binary()),  # the file is UTF-8 (checked whole): not again
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        if width < 2 or table.num_columns != width or not table.num_rows:
            return None
        rows, text = table.num_rows, table.columns
        del table
        columns = _encoded(text, threads=large)
    except errors:
        return None
    body: dict[int, pd.Categorical] = {}
    longest = 0
    for i, (codes, dictionary) in enumerate(columns):
        body[i] = pd.Categorical.from_codes(codes, dtype=_text_dtype(dictionary), validate=False)
        if len(dictionary):
            longest = max(longest, pc.max(pc.binary_length(dictionary)).as_py())
    return header, pd.DataFrame(body), rows + 1, longest


def _encoded(columns: list[Any], threads: bool) -> list[tuple[np.ndarray, Any]]:
    """Each text column as codes into its distinct values (in order of first appearance). Consumes
    `columns`: each column's text is let go as soon as it is encoded, so a large file's text and codes
    are not all held at once."""
    import pyarrow.compute as pc

    def encode(i: int) -> tuple[np.ndarray, Any]:
        column, columns[i] = columns[i], None
        whole = column.combine_chunks()  # one array, so one dictionary (as fast as encoding the blocks)
        del column
        encoded = pc.dictionary_encode(whole)
        return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False), encoded.dictionary

    return map_in_order(encode, range(len(columns)), parallel=threads)


def _text_dtype(dictionary: Any) -> pd.CategoricalDtype:
    """The categorical dtype of an Arrow dictionary (distinct by construction: not hashed again). The CSV
    reader parses small strings faster; the distinct values become the large strings pandas keeps text in."""
    import pyarrow as pa

    if pa.types.is_binary(dictionary.type):  # cells of a file checked to be UTF-8: the same bytes, as text
        dictionary = dictionary.view(pa.string())
    categories = pd.Index(pd.array(dictionary.cast(pa.large_string()), dtype="str"))
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    return fast(categories, False) if fast is not None else pd.CategoricalDtype(categories)


def _read_rows(data: bytes, fail: Callable[..., Any]) -> tuple[pd.DataFrame | None, Any]:
    """The file read row by row by pandas' C parser (irregular files), or the finding that stops it."""
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            header=None,
            encoding="utf-8",
            dtype="category",
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
        )
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            return None, fail(
                "extra-cell",
                f"row has {m[3]} cells but the header has {m[1]}; quote cells that contain commas",
                _record_line(data, int(m[2])),
            )
        m = re.search(r"(?:line|row) (\d+)", str(e))
        return None, fail("csv-error", "the file is not valid CSV", _record_line(data, int(m[1])) if m else 1)
    except (pd.errors.EmptyDataError, ValueError, OverflowError, MemoryError):
        return None, fail("csv-error", "the file is not valid CSV", 1)
    return frame, None


def line_of(data: bytes, at: int) -> int:
    """Physical line of a byte offset: LF, CRLF and a bare CR each end a line."""
    head = data[:at]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _record_line(data: bytes, record: int) -> int:
    """Physical line where the parser's 1-based record number `record` starts (the header is record 1)."""
    lines, _ = _shape(data, max(record, 1))
    return int(lines[record - 2]) if 2 <= record <= len(lines) + 1 else 1


def _unterminated_quote(data: bytes, quotes: int | list[int]) -> int | None:
    """Offset of the quote that opens a cell the file never closes, or None (`quotes`: what `_quotes` found)."""
    if (len(quotes) if isinstance(quotes, list) else quotes) % 2 == 0:
        return None
    at = quotes if isinstance(quotes, list) else np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 34)
    k = len(at) - 1  # the last opening quote, stepping back over escaped pairs ("")
    while k >= 2 and at[k] == at[k - 1] + 1:
        k -= 2
    return int(at[k])


def _oversized(
    body: pd.DataFrame, header: list[str], lines: np.ndarray, display: str, resource: str, limit: int
) -> list[Finding]:
    """A finding for each cell longer than the limit (the first 100), with a short excerpt."""
    out: list[Finding] = []
    for i in body.columns:
        cats = body[i].cat.categories
        if not len(cats):
            continue
        long = np.flatnonzero(cats.str.len().to_numpy() > limit)
        if not len(long):
            continue
        rows = np.flatnonzero(np.isin(body[i].array.codes, long))
        for r in rows[: 100 - len(out)]:
            value = str(body[i].iat[r])
            out.append(
                Finding(
                    display,
                    int(lines[r]),
                    header[i] if i < len(header) else None,
                    "cell-too-large",
                    f"the cell has {len(value):,} characters, more than the limit of {limit:,}",
                    value,
                    resource,
                )
            )
        if len(out) >= 100:
            break
    return out


def _shape(data: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Physical line and cell count of the first `n` data rows."""
    lines, cells = _records(data)
    return lines[1 : n + 1], cells[1 : n + 1]


def _records(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Physical line and cell count of each record (the header first), in one vectorised pass over the bytes.

    LF, CRLF and a bare CR each end a line. A comma or line break counts only outside quotes:
    where the number of quote characters before it is even (an escaped quote adds two, keeping
    the parity).
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    lf, cr = arr == 10, arr == 13
    cr_before_lf = np.zeros(len(arr), dtype=bool)
    cr_before_lf[:-1] = cr[:-1] & lf[1:]
    breaks = np.flatnonzero(lf | (cr & ~cr_before_lf))
    ends, commas = breaks, np.flatnonzero(arr == 44)
    if b'"' in data:
        quotes = np.flatnonzero(arr == 34)
        ends = ends[(np.searchsorted(quotes, ends) & 1) == 0]
        commas = commas[(np.searchsorted(quotes, commas) & 1) == 0]
    if len(arr) and not (lf[-1] or cr[-1]):
        ends = np.append(ends, len(arr))
    starts = np.concatenate([[0], ends[:-1] + 1])
    per_record = np.bincount(np.searchsorted(ends, commas), minlength=len(ends))
    before = np.maximum(ends - 1, 0)
    crlf = (ends < len(arr)) & (arr[np.minimum(ends, len(arr) - 1)] == 10) & (arr[before] == 13) & (ends > starts)
    length = ends - starts - crlf
    cells = np.where(length > 0, per_record + 1, 0)
    lines = np.searchsorted(breaks, starts) + 1
    return lines, cells


def per_unique(values: pd.Series, func: Callable[[str], Any], dtype: Any = object) -> np.ndarray:
    """Apply `func` to each distinct value of a text column and spread the results back."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.array.codes, values.cat.categories
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    out = np.array([func(u) for u in uniques], dtype=dtype)
    return out[codes] if len(out) else np.zeros(len(codes), dtype=dtype)


def codes_of(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """A text column as integer codes into its distinct values (a column of checked tables is categorical)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    return column.array.codes, column.cat.categories


def positions(values: pd.Index, among: pd.Index) -> np.ndarray:
    """Where each of `values` stands in `among` (each holds distinct texts), -1 where it is absent: hashed
    lookups in Arrow compute, no Python string per value.

    Two key columns kept in the same order (`fmt` sorts every file by its key, so a resource's ids and the
    ids its citations name come in one order) are matched value by value first, and only the values that
    differ are hashed: a value equal to the one at its own place cannot stand anywhere else in `among`.
    """
    import pyarrow.compute as pc

    from .patterns import _arrow_text

    left, right = _arrow_text(values), _arrow_text(among)
    both = min(len(left), len(right))
    if both < _ALIGNED:  # few values (or none) on one side: one hashed lookup costs next to nothing
        return _hashed_positions(left, right)
    same = pc.equal(left.slice(0, both), right.slice(0, both)).fill_null(False)
    same = same.to_numpy(zero_copy_only=False).astype(bool)
    if same.sum() * 2 < both:  # mostly in another order: matching the rest alone would save little
        return _hashed_positions(left, right)
    out = np.full(len(left), -1, dtype=np.intp)
    out[: len(same)][same] = np.flatnonzero(same)
    differ = np.flatnonzero(~same)
    rest_left = np.concatenate([differ, np.arange(both, len(left))])
    rest_right = np.concatenate([differ, np.arange(both, len(right))])
    if len(rest_left) and len(rest_right):
        found = _hashed_positions(left.take(rest_left), right.take(rest_right))
        hit = found >= 0
        out[rest_left[hit]] = rest_right[found[hit]]
    return out


_ALIGNED = 1_000
"""Fewest values on each side worth matching place by place before hashing."""


def _hashed_positions(values: Any, among: Any) -> np.ndarray:
    """`positions` of two Arrow text arrays by one hashed lookup; the smaller side is the one hashed."""
    import pyarrow.compute as pc

    if not len(values):
        return np.zeros(0, dtype=np.intp)
    if not len(among):
        return np.full(len(values), -1, dtype=np.intp)
    if len(among) <= len(values):
        found = pc.index_in(values, value_set=among)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
    # hashing the smaller side is what costs: look the larger side up in it and turn the answer round
    back = pc.index_in(among, value_set=values).fill_null(-1)
    back = back.to_numpy(zero_copy_only=False).astype(np.intp)
    out = np.full(len(values), -1, dtype=np.intp)
    hit = back >= 0
    out[back[hit]] = np.flatnonzero(hit)
    return out


def group_keys(codes: list[np.ndarray]) -> np.ndarray:
    """One integer per row, equal exactly where every array of codes is equal: codes combined in mixed radix,
    renumbered densely whenever the next column would overflow 64 bits (so any number of columns fits)."""
    n = len(codes[0]) if codes else 0
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for column in codes:
        column = np.asarray(column)
        low = int(column.min()) if n else 0  # on the codes as they are (often 8 or 16 bits): faster
        width = (int(column.max()) - low + 1) if n else 1
        if span * width >= 2**62:
            key, uniques = pd.factorize(key)
            key, span = key.astype(np.int64), max(len(uniques), 1)
        key *= width  # in place: no temporary arrays
        key += column
        if low:
            key -= low
        span *= width
    return key


def first_of_group(key: np.ndarray) -> np.ndarray:
    """For each position, the first position that holds the same key. The keys are numbered in order of first
    appearance (one hash of integers), so a number is new exactly where it exceeds every number before it:
    a running maximum finds the first positions, with no sort and no groupby."""
    if not len(key):
        return np.zeros(0, dtype=np.intp)
    numbers = pd.factorize(key)[0]
    before = np.maximum.accumulate(np.concatenate([[-1], numbers[:-1]]))
    return np.flatnonzero(numbers > before)[numbers]


def duplicated(columns: list[pd.Series]) -> np.ndarray:
    """Rows whose values in `columns` repeat an earlier row's, found on the columns' codes."""
    if not columns:
        return np.zeros(0, dtype=bool)
    if len(columns) == 1:  # one column: a code seen more than once is the only way to repeat
        codes, values = codes_of(columns[0])
        once = np.bincount(codes[codes >= 0], minlength=len(values)).max(initial=0) <= 1
        if once and np.count_nonzero(codes < 0) <= 1:
            return np.zeros(len(codes), dtype=bool)
    key = group_keys([codes_of(column)[0] for column in columns])
    return pd.Series(key, copy=False).duplicated(keep="first").to_numpy()


def is_empty(column: pd.Series) -> np.ndarray:
    """Which cells of a text column are empty, found among its distinct values (no hash of them is built)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        at = np.flatnonzero(blank_values(column.array.categories))
        codes = column.array.codes
        return codes == at[0] if len(at) else np.zeros(len(codes), dtype=bool)
    return (column == "").to_numpy()


def blank_values(values: pd.Index) -> np.ndarray:
    """Which of some distinct texts are empty, from their lengths in Arrow (no comparison of strings)."""
    import pyarrow.compute as pc

    from .patterns import _arrow_text

    if not len(values):
        return np.zeros(0, dtype=bool)
    return pc.binary_length(_arrow_text(values)).to_numpy(zero_copy_only=False) == 0


def per_distinct(values: pd.Series, func: Callable[[pd.Index], Any]) -> np.ndarray:
    """Apply a vectorised test to all distinct values of a text column at once and spread the results back."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.array.codes, values.cat.categories
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        uniques = pd.Index(uniques)
    out = np.asarray(func(uniques), dtype=bool) if len(uniques) else np.zeros(0, dtype=bool)
    return out[codes] if len(out) else np.zeros(len(codes), dtype=bool)


INT64 = (-(2**63), 2**63 - 1)
"""Integers this library holds (pandas Int64); the Table Schema sets no bound, this dataset does."""


def _inf(s: str) -> str:
    return {"INF": "inf", "+INF": "inf", "-INF": "-inf"}.get(s, s)


def out_of_range(field: Field, text: pd.Series) -> np.ndarray:
    """Values of the right syntax that this dataset cannot hold: integers beyond 64 bits, and numbers that
    are NaN, infinite or overflow a float (amounts and counts cannot be any of these)."""
    if field.type == "integer":
        return per_unique(text, lambda s: bool(_INTEGER.fullmatch(s)) and not INT64[0] <= int(s) <= INT64[1], bool)
    if field.type == "number":
        return per_unique(text, lambda s: bool(_NUMBER.fullmatch(s)) and not math.isfinite(float(_inf(s))), bool)
    return np.zeros(len(text), dtype=bool)


def _bool(text: str) -> Any:
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    return None


def _int_or_none(s: str, use: bool) -> int | None:
    return int(s) if use else None


def _float_or_none(s: str, use: bool) -> float | None:
    return float(_inf(s)) if use else None


def parse(field: Field, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Typed column for a field, and a mask of present values that do not parse as its type.

    `text` holds '' for missing cells. A value that does not parse is missing in
    the typed column and True in the mask; the loader refuses such data. Each distinct
    value is parsed once (exactly: Python's int and float, never a rounding cast) and
    the typed values are spread back to the rows by their codes.
    """
    if not isinstance(text.dtype, pd.CategoricalDtype):
        text = text.astype("category")
    codes, values = text.array.codes, text.cat.categories
    index = text.index
    filled = ~blank_values(values)
    present = filled[codes] if len(codes) else np.zeros(0, dtype=bool)

    def rows(per_value: Any) -> Any:
        return per_value[codes] if len(codes) else per_value[:0]

    if field.enum is None and field.type == "string":  # Arrow strings throughout: no Python string per value
        return _strings(values, filled, codes, index), pd.Series(np.zeros(len(codes), dtype=bool), index=index)
    distinct = values.to_numpy(dtype=object) if field.enum is None else values
    if field.type == "integer":
        ok = np.array([s == "" or _INTEGER.fullmatch(s) is not None for s in distinct], dtype=bool)
        fits = np.array(
            [not o or s == "" or INT64[0] <= int(s) <= INT64[1] for s, o in zip(distinct, ok, strict=True)], bool
        )
        typed = pd.array([_int_or_none(s, u) for s, u in zip(distinct, ok & fits & filled, strict=True)], dtype="Int64")
        return pd.Series(typed.take(codes), index=index), pd.Series(rows(~ok), index=index)
    if field.type == "number":
        ok = np.array([s == "" or _NUMBER.fullmatch(s) is not None for s in distinct], dtype=bool)
        finite = np.array(
            [not o or s == "" or math.isfinite(float(_inf(s))) for s, o in zip(distinct, ok, strict=True)], bool
        )
        typed = pd.array(
            [_float_or_none(s, u) for s, u in zip(distinct, ok & finite & filled, strict=True)], dtype="Float64"
        )
        return pd.Series(typed.take(codes), index=index), pd.Series(rows(~ok), index=index)
    if field.type == "boolean":
        parsed = pd.array([_bool(s) for s in distinct], dtype="boolean")
        bad = present & rows(np.asarray(parsed.isna(), dtype=bool))
        return pd.Series(parsed.take(codes), index=index), pd.Series(bad, index=index)
    if field.type == "date":
        ok = np.array([s == "" or _DATE.fullmatch(s) is not None for s in distinct], dtype=bool)
        lo, _, bad = bounds(pd.Series(np.where(ok & filled, distinct, None), dtype=object))
        bad = (rows(bad.to_numpy()) & present) | ~rows(ok)
        return pd.Series(rows(lo.to_numpy()), index=index).astype(DATE_UNIT), pd.Series(bad, index=index)
    if field.enum is not None:
        dtype = enum_dtype(tuple(field.enum))  # built and checked once per enum
        position = enum_index(tuple(field.enum)).get_indexer(values) if len(values) else np.zeros(0, dtype=np.intp)
        enum_codes = rows(position)
        cat = pd.Categorical.from_codes(enum_codes, dtype=dtype, validate=False)  # codes are -1 or positions
        return pd.Series(cat, index=index), pd.Series(present & (enum_codes < 0), index=index)
    return _strings(values, filled, codes, index), pd.Series(np.zeros(len(codes), dtype=bool), index=index)


def _strings(values: pd.Index, filled: np.ndarray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """A text column as pandas strings, empty cells missing, built from its distinct values."""
    import pyarrow as pa

    from .patterns import _arrow_text

    distinct = _arrow_text(values)
    if len(distinct):
        distinct = pa.compute.if_else(pa.array(filled), distinct, pa.scalar(None, distinct.type))
    typed = pd.array(distinct, dtype="string")
    if len(codes) == len(typed) and (codes == np.arange(len(codes))).all():
        return pd.Series(typed, index=index)  # every value once, in file order (an id column): no copy
    return pd.Series(typed.take(codes), index=index)


def labels_to_columns(raw: RawTable, schema: Schema) -> dict[str, int]:
    """Position of each schema field in the file's header (fields missing from it are left out)."""
    pos: dict[str, int] = {}
    for i, name in enumerate(raw.header):
        pos.setdefault(name, i)
    return {f.name: pos[f.name] for f in schema.fields if f.name in pos}


def _categorical(column: pd.Series) -> pd.Categorical:
    if isinstance(column.dtype, pd.CategoricalDtype) and (column.array.codes >= 0).all():
        return column.array  # already a categorical without missing cells: not copied
    values = pd.Categorical(column)
    if values.isna().any():
        values = values.add_categories([""]) if "" not in values.categories else values
        values = values.fillna("")
    return values


def text_columns(raw: RawTable, schema: Schema) -> pd.DataFrame:
    """The file's cells under the schema's field names ('' when empty), as categoricals.

    Each column is factorised once; comparisons, lookups and per-value checks
    then work on small integer codes and the distinct values.
    """
    cols = labels_to_columns(raw, schema)
    data = {name: _categorical(raw.frame[i]) for name, i in cols.items()}
    return pd.DataFrame(data, index=raw.frame.index)
