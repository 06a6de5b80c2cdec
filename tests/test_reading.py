"""The reading layer: a large file, parsed block by block on several threads, reads exactly as a small one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import migration_deals as md
from migration_deals import columns


def _cells(raw: columns.RawTable) -> list[list[str]]:
    return [[str(v) for v in raw.frame[i].tolist()] for i in raw.frame.columns]


@pytest.mark.parametrize("name", ["sources", "agreements", "transfers", "citations"])
def test_block_by_block_reads_the_same_cells_and_lines(monkeypatch, name):
    data = (md.bundled_path().parent / f"{name}.csv").read_bytes()
    one, found = columns.read_raw(data, name, name)
    assert one is not None and not found
    monkeypatch.setattr(columns, "BLOCK", 4096)  # many blocks parsed on Arrow's threads, each column encoded on one
    many, found = columns.read_raw(data, name, name)
    assert many is not None and not found
    assert many.header == one.header
    assert np.array_equal(many.lines, one.lines)
    assert _cells(many) == _cells(one)
    for i in many.frame.columns:  # every distinct value is one a cell holds
        assert set(many.frame[i].cat.categories) == set(many.frame[i].astype(str))


def test_a_line_break_inside_quotes_keeps_the_physical_lines(monkeypatch):
    rows = [f'r{i},"two\nlines {i}",x' if i % 50 == 7 else f"r{i},plain {i},x" for i in range(2000)]
    data = ("id,text,other\n" + "\n".join(rows) + "\n").encode()
    monkeypatch.setattr(columns, "BLOCK", 4096)
    raw, found = columns.read_raw(data, "t.csv", "t")
    assert raw is not None and not found
    assert len(raw.frame) == 2000
    # a row after k two-line cells starts k lines further down
    assert raw.lines[8] == 2 + 8 + 1
    assert raw.lines[-1] == 2 + 1999 + len([i for i in range(1999) if i % 50 == 7])
    assert str(raw.frame[1].iat[7]) == "two\nlines 7"


def test_invalid_utf8_in_a_large_file_is_found_at_its_line(monkeypatch):
    rows = [f"r{i},v{i}" for i in range(3000)]
    rows[2500] = "r2500,caf\xe9"
    data = ("id,v\n" + "\n".join(rows) + "\n").encode("latin-1")
    monkeypatch.setattr(columns, "BLOCK", 4096)
    raw, found = columns.read_raw(data, "t.csv", "t")
    assert raw is None
    assert [(f.rule, f.line) for f in found] == [("encoding-error", 2502)]


@pytest.mark.parametrize(
    ("data", "header"),
    [
        (b'"id","1","true"\na,b,c\n', ["id", "1", "true"]),  # quoted cells that look like numbers stay text
        (b'"a""b",c\n1,2\n', ['a"b', "c"]),
        (b"id,01,TRUE\na,b,c\n", ["id", "01", "TRUE"]),
    ],
)
def test_the_header_is_read_as_written(data, header):
    raw, found = columns.read_raw(data, "t.csv", "t")
    assert raw is not None and not found
    assert raw.header == header


def test_invalid_utf8_in_a_quoted_header_is_an_encoding_error():
    raw, found = columns.read_raw(b'"id","n\xffm"\na,b\n', "t.csv", "t")
    assert raw is None
    assert [(f.rule, f.line) for f in found] == [("encoding-error", 1)]


_TEXTS = st.lists(st.text(alphabet="ab-é\x00", max_size=3), unique=True, max_size=30)


@settings(max_examples=300, deadline=None)
@given(values=_TEXTS, among=_TEXTS, shared=st.integers(0, 30), shuffle=st.randoms())
def test_positions_agree_with_a_dictionary_in_any_order(values, among, shared, shuffle):
    among = list(dict.fromkeys(values[:shared] + among))  # some values in the same places, some elsewhere
    if shuffle.random() < 0.3:
        shuffle.shuffle(among)
    expected = [{v: i for i, v in enumerate(among)}.get(v, -1) for v in values]
    for aligned in (1, 1_000):  # matched place by place first, or hashed at once
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(columns, "_ALIGNED", aligned)
            found = columns.positions(pd.Index(values, dtype="str"), pd.Index(among, dtype="str"))
        assert found.tolist() == expected


@settings(max_examples=300, deadline=None)
@given(data=st.lists(st.sampled_from([b'"', b"\n", b",", b"a", b'""']), max_size=60).map(b"".join))
def test_quotes_read_alike_one_by_one_and_all_at_once(data):
    few = columns._quotes(data)
    assert few == [i for i, b in enumerate(data) if b == 34]  # fewer than the threshold: every offset, in order
    with pytest.MonkeyPatch.context() as m:
        m.setattr(columns, "_FEW_QUOTES", 1)  # more quotes than the threshold: counted at once
        many = columns._quotes(data)
    assert many == (len(few) if len(few) > 1 else few)
    assert columns._unterminated_quote(data, many) == columns._unterminated_quote(data, few)
    if len(few) % 2:  # an unclosed quote is reported before line breaks are looked for
        return
    assert columns._quoted_line_break(data, many) == columns._quoted_line_break(data, few)
    # the reference: a line break with an odd number of quotes before it lies inside a quoted cell
    assert columns._quoted_line_break(data, few) == any(
        b == 10 and data[:i].count(b'"') % 2 for i, b in enumerate(data)
    )


_CODES = st.lists(st.tuples(st.integers(-1, 6), st.integers(-1, 4)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(rows=_CODES, cited=_CODES)
def test_pair_stated_agrees_with_a_set_of_pairs(rows, cited):
    from migration_deals.checks.citations import _pair_stated

    def arrays(pairs: list[tuple[int, int]], dtype: type) -> tuple[np.ndarray, np.ndarray]:
        return np.array([r for r, _ in pairs], dtype=dtype), np.array([s for _, s in pairs], dtype=dtype)

    cited = [(r, s) for r, s in cited if r >= 0 and s >= 0]  # a citation's own codes are never -1
    found = _pair_stated(*arrays(rows, np.int64), *arrays(cited, np.int32))
    assert found.tolist() == [r >= 0 and s >= 0 and (r, s) in set(cited) for r, s in rows]


@settings(max_examples=300, deadline=None)
@given(keys=st.lists(st.integers(-3, 8), max_size=60))
def test_first_of_group_is_the_first_position_of_each_key(keys):
    key = np.array(keys, dtype=np.int64)
    expected = [keys.index(k) for k in keys]
    assert columns.first_of_group(key).tolist() == expected


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(-1, 3), st.integers(0, 200), st.integers(-1, 1)), max_size=50))
def test_group_keys_are_equal_exactly_where_every_code_is(rows):
    codes = [np.array([r[i] for r in rows], dtype=dtype) for i, dtype in enumerate((np.int8, np.int16, np.int64))]
    key = columns.group_keys(codes).tolist()
    for a in range(len(rows)):
        for b in range(len(rows)):
            assert (key[a] == key[b]) == (rows[a] == rows[b])


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(*[st.sampled_from([0, 1, 2**40, 2**40 + 1]) for _ in range(3)]), max_size=30))
def test_group_keys_renumber_before_they_overflow(rows):
    codes = [np.array([r[i] for r in rows], dtype=np.int64) for i in range(3)]  # 2**41 ** 3 overflows 64 bits
    key = columns.group_keys(codes).tolist()
    assert all((key[a] == key[b]) == (rows[a] == rows[b]) for a in range(len(rows)) for b in range(len(rows)))
