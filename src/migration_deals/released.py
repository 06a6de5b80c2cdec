"""Reading a released package: its values were checked when it was built, so they are not checked again.

Each released CSV file is read in one columnar pass straight into the schema's dtypes. The package
installed with the library also carries, beside each CSV file, the frame `load` gives for it as an Arrow
file (``arrow/<resource>.arrow``), written by `migration-deals build` and stamped in the descriptor with
its size and hash. Reading that copy skips parsing text and dates altogether; it is used only when it
matches its stamp, was made from the very CSV bytes the descriptor stamps, and has exactly the columns
and types the schema gives. Anything else and the CSV file is read instead: the CSV files stay the data.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .columns import BLOCK, FALSE_VALUES, TRUE_VALUES
from .dates import DATE_UNIT, bounds_of_arrow, with_bounds
from .schema import Schema, enum_index

if TYPE_CHECKING:
    import pyarrow as pa

    from .package import Package

COPY_FOLDER = "arrow"
"""Folder of the typed Arrow copies, inside the package folder."""
STAMP = "arrow"
"""The resource property of the descriptor that stamps a resource's typed copy (path, format, bytes, hash)."""
FORMAT = "1"
"""Layout of a typed copy; a library that lays frames out differently bumps it, and older copies are unused."""
_META_FORMAT, _META_CSV = b"migration-deals:format", b"migration-deals:csv"


def copy_path(name: str) -> str:
    """Where a resource's typed copy lives, relative to the package folder (never taken from the descriptor)."""
    return f"{COPY_FOLDER}/{name}.arrow"


def read_csv(data: bytes, schema: Schema) -> pd.DataFrame:
    """A released CSV file as the frame `load` gives: typed columns, each uncertain date with its bounds."""
    frame, table = _read_typed(data, schema)
    if table is None:
        return with_bounds(frame, schema)
    edtf = [f.name for f in schema.fields if f.edtf]
    known = dict(zip(edtf, bounds_of_arrow([table.column(name) for name in edtf]), strict=True))
    return with_bounds(frame, schema, known.__getitem__)


def _read_typed(data: bytes, schema: Schema) -> tuple[pd.DataFrame, Any]:
    """One columnar read of a released file straight into the schema's dtypes: Arrow parses each column as
    its type, and pandas gets the columns it always had. The Arrow table comes too (None when the row
    reader read the file)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    kinds = _arrow_kinds()
    types = {f.name: pa.string() if f.enum is not None else kinds.get(f.type, pa.string()) for f in schema.fields}
    header = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
    if header.split(",") != schema.names:  # a released file is in schema order; anything else: the row reader
        return _read_typed_rows(data, schema), None
    table = pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(
            column_names=schema.names, skip_rows=1, block_size=BLOCK, use_threads=len(data) > BLOCK
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            true_values=list(TRUE_VALUES),
            false_values=list(FALSE_VALUES),
        ),
    )
    frame = table.to_pandas(types_mapper=_masks().get)  # one conversion of every column in Arrow
    for f, dtype in zip(schema.fields, schema.dtypes().values(), strict=True):
        if f.enum is not None:
            encoded = table.column(f.name).combine_chunks().dictionary_encode()
            position = enum_index(tuple(f.enum)).get_indexer(pd.Index(pd.array(encoded.dictionary, dtype="str")))
            codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            if len(position):  # empty cells (code -1) stay missing
                codes = np.where(codes >= 0, position[np.maximum(codes, 0)], -1)
            frame[f.name] = pd.Categorical.from_codes(codes, dtype=dtype)
        elif f.type == "date":
            frame[f.name] = pd.to_datetime(frame[f.name], format="%Y-%m-%d").astype(DATE_UNIT)
    return frame, table


def _arrow_kinds() -> dict[str, Any]:
    """The Arrow type of each Table Schema type that is not text (a date is read as text, then parsed)."""
    import pyarrow as pa

    return {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}


def _masks() -> dict[Any, Any]:
    """The pandas dtype of each Arrow type a typed column has (missing values as pd.NA)."""
    import pyarrow as pa

    return {
        pa.int64(): pd.Int64Dtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
        pa.large_string(): pd.StringDtype(),
    }


def _read_typed_rows(data: bytes, schema: Schema) -> pd.DataFrame:
    """The row reader of a released file (one whose header is not in schema order)."""
    dtypes = schema.dtypes()
    dates = [name for name, dtype in dtypes.items() if str(dtype).startswith("datetime")]
    frame = pd.read_csv(
        io.BytesIO(data),
        dtype={k: ("string" if k in dates else v) for k, v in dtypes.items()},
        keep_default_na=False,
        na_values=[""],
        true_values=list(TRUE_VALUES),
        false_values=list(FALSE_VALUES),
        encoding="utf-8",
    )
    for name in dates:
        frame[name] = pd.to_datetime(frame[name], format="%Y-%m-%d").astype(DATE_UNIT)
    return frame


def arrow_schema(schema: Schema) -> pa.Schema:
    """The Arrow columns and types of the frame `load` gives for a resource (what a typed copy must hold)."""
    import pyarrow as pa

    kinds = _arrow_kinds() | {"date": pa.timestamp("s")}  # a date column holds days (the CSV holds their text)
    out = []
    for f in schema.fields:
        if f.enum is not None:
            index = pa.int8() if len(f.enum) < 1 << 7 else pa.int16() if len(f.enum) < 1 << 15 else pa.int32()
            out.append(pa.field(f.name, pa.dictionary(index, pa.large_string())))
        else:
            out.append(pa.field(f.name, kinds.get(f.type, pa.large_string())))
        if f.edtf:
            out += [pa.field(f"{f.name}_earliest", pa.timestamp("s")), pa.field(f"{f.name}_latest", pa.timestamp("s"))]
    return pa.schema(out)


def write_copy(frame: pd.DataFrame, schema: Schema, csv_digest: str) -> bytes:
    """A loaded resource as a typed copy: its frame in Arrow's file format, uncompressed, noting the layout
    and the digest of the CSV bytes it was read from."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    target = arrow_schema(schema)
    columns = []
    for f in target:
        values = frame[f.name]
        if pa.types.is_dictionary(f.type):
            array = pa.DictionaryArray.from_arrays(
                pa.array(values.array.codes, mask=values.array.codes < 0).cast(f.type.index_type),
                pa.array(list(values.cat.categories), type=pa.large_string()),
            )
        else:
            array = pa.array(values, type=f.type, from_pandas=True)
        columns.append(array)
    meta = {_META_FORMAT: FORMAT.encode(), _META_CSV: csv_digest.encode()}
    table = pa.Table.from_arrays(columns, schema=target.with_metadata(meta))
    sink = io.BytesIO()
    with ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def read_copy(pkg: Package, name: str, csv_digest: str) -> pd.DataFrame | None:
    """A resource's frame from its typed copy, or None when there is none to trust (then read the CSV)."""
    from .integrity import copy_bytes

    data, _ = copy_bytes(pkg, name)
    return None if data is None else decode_copy(data, pkg.schema(name), csv_digest)


def decode_copy(data: bytes, schema: Schema, csv_digest: str) -> pd.DataFrame | None:
    """The frame a typed copy holds, if it was made from `csv_digest`'s bytes in this layout and has the
    schema's columns, types and enum values exactly; else None."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        table = ipc.open_file(pa.py_buffer(data)).read_all()
        table.validate(full=True)
    except (pa.ArrowException, ValueError, OSError, MemoryError):
        return None
    meta = table.schema.metadata or {}
    if meta.get(_META_FORMAT) != FORMAT.encode() or meta.get(_META_CSV) != csv_digest.encode():
        return None
    if not table.schema.remove_metadata().equals(arrow_schema(schema)):
        return None
    for f in schema.fields:
        if f.enum is not None:
            wanted = _enum_array(f.enum)
            if not all(chunk.dictionary.equals(wanted) for chunk in table.column(f.name).chunks):
                return None
    return _frame_of(table, schema)


@lru_cache(maxsize=512)
def _enum_array(values: tuple[str, ...]) -> Any:
    """An enum's values as the Arrow dictionary a typed copy must carry (made once)."""
    import pyarrow as pa

    return pa.array(list(values), type=pa.large_string())


def _frame_of(table: pa.Table, schema: Schema) -> pd.DataFrame:
    """A checked typed copy as pandas columns, each built straight from its Arrow buffers (no per-value
    work, and each enum with the schema's own dtype)."""
    import pyarrow as pa

    dtypes = schema.dtypes()
    columns: dict[str, Any] = {}
    for f, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_dictionary(f.type):
            codes = np.concatenate([_codes(c.indices) for c in column.chunks])
            columns[f.name] = pd.Categorical.from_codes(codes, dtype=dtypes[f.name], validate=False)
        elif pa.types.is_large_string(f.type):
            columns[f.name] = pd.arrays.ArrowStringArray(column)
        elif pa.types.is_timestamp(f.type):
            columns[f.name] = column.to_numpy()
        else:
            array = column.combine_chunks()
            mask = array.is_null().to_numpy(zero_copy_only=False)
            kind = {"int64": pd.arrays.IntegerArray, "double": pd.arrays.FloatingArray, "bool": pd.arrays.BooleanArray}
            values = array.fill_null(False if pa.types.is_boolean(f.type) else 0)
            columns[f.name] = kind[str(f.type)](values.to_numpy(zero_copy_only=False, writable=True), mask)
    return _frame(columns, table.num_rows)


def _codes(indices: Any) -> np.ndarray:
    """A dictionary column's codes, -1 where a cell is empty (read in place when none is)."""
    return indices.to_numpy() if not indices.null_count else indices.fill_null(-1).to_numpy()


def _frame(columns: dict[str, Any], rows: int) -> pd.DataFrame:
    """A frame of ready-made columns: the datetime columns as one (new) block and each other column as its
    own, handed to pandas as they are (pandas 3); older pandas builds it from copies of the columns."""
    try:
        from pandas.api.internals import create_dataframe_from_blocks
    except ImportError:
        return pd.DataFrame(columns)  # copied: Arrow's buffers are read-only
    names = list(columns)
    times = [i for i, v in enumerate(columns.values()) if isinstance(v, np.ndarray)]
    blocks = [(v, np.array([i])) for i, v in enumerate(columns.values()) if not isinstance(v, np.ndarray)]
    if times:
        blocks.append((np.stack([columns[names[i]] for i in times]), np.array(times)))
    return create_dataframe_from_blocks(blocks, index=pd.RangeIndex(rows), columns=pd.Index(names))
