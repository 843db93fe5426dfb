"""Reading the IDX format that MNIST and Fashion-MNIST are published in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one big-endian
int32 per dimension, then the values in C order. The published files are gzip-compressed.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """The bytes are not a well-formed IDX file (wrong magic number, wrong length, broken gzip stream)."""


def parse_idx(data: bytes) -> np.ndarray:
    """Decode uncompressed IDX bytes into an array of the shape the header declares."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise IDXError("not an IDX file: bad magic number")
    dtype, ndim = _TYPES[data[2]], data[3]
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise IDXError("IDX header is truncated")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header_end != expected:
        raise IDXError(f"IDX body has {len(data) - header_end} bytes, header declares {expected} for shape {shape}")
    return np.frombuffer(data, dtype=dtype, offset=header_end).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx_gz(path: str | Path) -> np.ndarray:
    """Read a gzip-compressed IDX file."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise IDXError(f"{path}: broken gzip stream ({exc})") from exc
    return parse_idx(data)


def encode_idx(array: np.ndarray) -> bytes:
    """Encode an array as uncompressed IDX bytes (the inverse of `parse_idx`; used to build test fixtures)."""
    codes = {(dtype.kind, dtype.itemsize): code for code, dtype in _TYPES.items()}
    code = codes.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(f"array dtype {array.dtype} has no IDX type code; "
                        "use uint8, int8, int16, int32, float32 or float64")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
