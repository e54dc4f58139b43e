"""Reading and writing safetensors files with NumPy only (no ``safetensors`` package).

Layout (https://github.com/huggingface/safetensors, "format"): an 8-byte little-endian
unsigned header length N, N bytes of a JSON header
``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}``
(padded here with spaces so that the data starts at a multiple of 8), then the tensor data,
back to back, with offsets relative to the start of the data.

Only the three float dtypes a Forkscope run may hold are supported: F32, F16 and BF16,
always little-endian and row-major. BF16 is not a NumPy dtype: it is produced from float32
with round-to-nearest-even on the bit pattern and read back by shifting into float32.
"""

from __future__ import annotations

import json
import os
import struct
from typing import BinaryIO, Dict, Iterable, Mapping, Optional, Tuple

import numpy as np

__all__ = [
    "DTYPES",
    "float32_to_bf16_bits",
    "bf16_bits_to_float32",
    "encode_array",
    "write_safetensors",
    "read_safetensors",
    "read_safetensors_header",
]

# dtype name used by the writer API -> (safetensors dtype string, bytes per element)
DTYPES: Dict[str, Tuple[str, int]] = {"f32": ("F32", 4), "f16": ("F16", 2), "bf16": ("BF16", 2)}

_METADATA_KEY = "__metadata__"


def float32_to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (uint16) of float32 values, rounded to nearest, ties to even.

    NaN inputs are not supported (the run writer rejects them earlier); values too large
    for bfloat16 round to +-inf, which the caller is expected to detect.
    """
    a = np.ascontiguousarray(values, dtype=np.float32)
    bits = a.view(np.uint32).astype(np.uint64)  # uint64: no wrap-around in the addition
    lsb = (bits >> np.uint64(16)) & np.uint64(1)
    rounded = (bits + np.uint64(0x7FFF) + lsb) >> np.uint64(16)
    return rounded.astype(np.uint16)


def bf16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """float32 values of bfloat16 bit patterns (exact)."""
    b = np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)
    return b.view(np.float32)


def encode_array(values: np.ndarray, dtype: str) -> np.ndarray:
    """The little-endian array whose raw bytes are ``values`` stored as ``dtype``.

    dtype is "f32", "f16" or "bf16"; the result is float32 ("<f4"), float16 ("<f2") or
    uint16 bit patterns ("<u2") respectively, C-contiguous.
    """
    if dtype == "f32":
        return np.ascontiguousarray(values, dtype="<f4")
    if dtype == "f16":
        with np.errstate(over="ignore"):
            return np.ascontiguousarray(np.asarray(values, dtype=np.float32).astype("<f2"))
    if dtype == "bf16":
        return np.ascontiguousarray(float32_to_bf16_bits(values).astype("<u2"))
    raise ValueError(f"unknown dtype {dtype!r}: expected one of {', '.join(DTYPES)}")


def decoded_values(encoded: np.ndarray, dtype: str) -> np.ndarray:
    """float32 values of an array returned by :func:`encode_array`."""
    if dtype == "bf16":
        return bf16_bits_to_float32(encoded)
    return np.asarray(encoded, dtype=np.float32)


def _header_bytes(entries: Mapping[str, dict], metadata: Optional[Mapping[str, str]]) -> bytes:
    header: Dict[str, object] = {}
    if metadata:
        header[_METADATA_KEY] = {str(k): str(v) for k, v in metadata.items()}
    header.update(entries)
    raw = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    pad = (-len(raw)) % 8
    return raw + b" " * pad


def write_safetensors(
    path: "os.PathLike[str] | str",
    tensors: Iterable[Tuple[str, np.ndarray]],
    dtype: str = "f32",
    metadata: Optional[Mapping[str, str]] = None,
) -> int:
    """Write ``(name, float array)`` pairs, in order, as one safetensors file.

    Every tensor is converted to ``dtype`` ("f32", "f16" or "bf16") one at a time while
    writing, so memory holds at most one converted tensor. Returns the file size in bytes.
    """
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
    st_dtype, itemsize = DTYPES[dtype]
    items = list(tensors)
    entries: Dict[str, dict] = {}
    offset = 0
    for name, array in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"tensor names must be non-empty strings, got {name!r}")
        if name == _METADATA_KEY:
            raise ValueError(f"{_METADATA_KEY!r} is reserved in safetensors and cannot name a tensor")
        if name in entries:
            raise ValueError(f"duplicate tensor name {name!r}")
        shape = [int(d) for d in np.shape(array)]
        nbytes = int(np.prod(shape, dtype=np.int64)) * itemsize
        entries[name] = {"dtype": st_dtype, "shape": shape, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    header = _header_bytes(entries, metadata)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for name, array in items:
            encoded = encode_array(array, dtype)
            _write_array_bytes(f, encoded)
    return 8 + len(header) + offset


def _write_array_bytes(f: BinaryIO, array: np.ndarray) -> None:
    # tofile/tobytes of a C-contiguous little-endian array is exactly the row-major payload.
    f.write(memoryview(np.ascontiguousarray(array)).cast("B"))


def read_safetensors_header(path: "os.PathLike[str] | str") -> Tuple[dict, int]:
    """The parsed JSON header and the byte offset where the data starts."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"{path}: too short to be a safetensors file")
        (n,) = struct.unpack("<Q", head)
        size = os.fstat(f.fileno()).st_size
        if n > size - 8:
            raise ValueError(f"{path}: header length {n} exceeds the file size {size}")
        raw = f.read(n)
    header = json.loads(raw.decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    return header, 8 + n


_READ_DTYPES = {"F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2)}


def read_safetensors(path: "os.PathLike[str] | str") -> Dict[str, np.ndarray]:
    """All tensors of a safetensors file as float32 arrays (F32, F16 and BF16 only).

    Checks every header claim (dtype known, offsets inside the data, shape x dtype = bytes).
    The result keeps the file's tensor order.
    """
    header, data_start = read_safetensors_header(path)
    size = os.path.getsize(path)
    data_len = size - data_start
    out: Dict[str, np.ndarray] = {}
    entries = [(k, v) for k, v in header.items() if k != _METADATA_KEY]
    entries.sort(key=lambda kv: kv[1]["data_offsets"][0])
    with open(path, "rb") as f:
        for name, info in entries:
            st_dtype = info.get("dtype")
            if st_dtype not in _READ_DTYPES:
                raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {st_dtype!r}")
            np_dtype, itemsize = _READ_DTYPES[st_dtype]
            shape = tuple(int(d) for d in info["shape"])
            begin, end = (int(x) for x in info["data_offsets"])
            if not 0 <= begin <= end <= data_len:
                raise ValueError(f"{path}: tensor {name!r} offsets {begin}..{end} are outside the data ({data_len} bytes)")
            count = int(np.prod(shape, dtype=np.int64))
            if count * itemsize != end - begin:
                raise ValueError(f"{path}: tensor {name!r} shape {list(shape)} x {st_dtype} != {end - begin} bytes")
            f.seek(data_start + begin)
            raw = np.frombuffer(f.read(end - begin), dtype=np_dtype, count=count).reshape(shape)
            if st_dtype == "BF16":
                out[name] = bf16_bits_to_float32(raw)
            else:
                out[name] = raw.astype(np.float32)
    return out
