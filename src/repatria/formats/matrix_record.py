"""A run's large matrices in its stored record: the array itself, not millions of JSON numbers.

An identify run keeps what the analysis found (``identification_runs.results``). At 2,000 bodies
× 1,500 missing persons that is five matrices of three million numbers; as JSON lists they cost
about 30 bytes each in Python before one byte is written, and most of a run's memory and several
seconds. A matrix is stored instead as ``{"encoding": "npy+base64", "shape": [...], "dtype":
"<f8", "data": "..."}``: the bytes of numpy's ``.npy`` format (which carries shape and dtype
itself, and is read without numpy's pickle), base64 in the JSON. Every value is kept exactly,
NaN and infinities included; :func:`decode_matrix` gives the array back.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

from repatria.errors import FormatError

__all__ = ["ENCODING", "encode_matrix", "decode_matrix"]

ENCODING = "npy+base64"


def encode_matrix(a: np.ndarray) -> dict[str, Any]:
    """The stored form of ``a`` (little-endian, C order).

    >>> d = encode_matrix(np.array([[1.0, np.nan]]))
    >>> d["encoding"], d["shape"], d["dtype"]
    ('npy+base64', [1, 2], '<f8')
    """
    arr = np.ascontiguousarray(a)
    arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return {
        "encoding": ENCODING,
        "shape": list(arr.shape),
        "dtype": arr.dtype.str,
        "data": base64.b64encode(buf.getvalue()).decode("ascii"),
    }


def decode_matrix(d: Mapping[str, Any]) -> np.ndarray:
    """The array of :func:`encode_matrix`'s ``d``; :class:`FormatError` if it is not one.

    >>> a = np.array([[0.5, -np.inf], [np.nan, 3.0]])
    >>> b = decode_matrix(encode_matrix(a))
    >>> bool(np.array_equal(a, b, equal_nan=True)), b.dtype.str
    (True, '<f8')
    """
    if d.get("encoding") != ENCODING:
        raise FormatError(f"a stored matrix is encoded {ENCODING!r}", field="encoding")
    try:
        arr: np.ndarray = np.load(
            io.BytesIO(base64.b64decode(d["data"], validate=True)), allow_pickle=False
        )
    except (KeyError, ValueError, OSError) as exc:
        raise FormatError("a stored matrix's data are not an .npy array", field="data") from exc
    if list(arr.shape) != list(d.get("shape", [])) or arr.dtype.str != d.get("dtype"):
        raise FormatError("a stored matrix's shape or dtype does not match its data", field="data")
    return arr
