"""A run's matrices stored as ``.npy`` bytes in base64: every value back exactly."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from repatria.errors import FormatError
from repatria.formats.matrix_record import ENCODING, decode_matrix, encode_matrix


@given(
    arrays(
        st.sampled_from([np.float64, np.int64, np.int16, np.float32]),
        array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=6),
    )
)
def test_round_trip_keeps_every_value(a: np.ndarray) -> None:
    b = decode_matrix(encode_matrix(a))
    assert b.shape == a.shape and b.dtype == a.dtype.newbyteorder("<")
    assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def test_big_endian_and_views_are_stored_little_endian_in_c_order() -> None:
    a = np.arange(12, dtype=">f8").reshape(3, 4).T
    d = encode_matrix(a)
    assert d["dtype"] == "<f8" and d["shape"] == [4, 3]
    assert np.array_equal(decode_matrix(d), a)


def test_not_a_stored_matrix_is_one_clear_error() -> None:
    good = encode_matrix(np.zeros((2, 2)))
    with pytest.raises(FormatError, match="encoded"):
        decode_matrix({**good, "encoding": "json"})
    with pytest.raises(FormatError, match="not an .npy array"):
        decode_matrix({**good, "data": base64.b64encode(b"not npy").decode()})
    with pytest.raises(FormatError, match="shape or dtype"):
        decode_matrix({**good, "shape": [4]})
    assert good["encoding"] == ENCODING
