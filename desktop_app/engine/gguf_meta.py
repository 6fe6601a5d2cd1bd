"""Read a GGUF file's header (metadata and tensor table) without loading it.

``gguf.GGUFReader`` decodes every array, including the 30,000-string vocabulary, into Python
objects: two seconds for MiniLM, paid by every ``models list`` and every start of the app.
Validation only needs the scalar metadata and the tensor table, so this reader walks the header
with ``struct`` over a memory map, skipping arrays by their lengths: milliseconds.

Format (v2 and v3): magic ``GGUF``, version u32, tensor count u64, key/value count u64; each
key/value is a string key, a u32 type and a value; then per tensor a string name, u32 number of
dimensions, u64 dimensions, u32 ggml type and u64 offset; tensor data starts at the next
multiple of ``general.alignment`` (default 32).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


class GGUFFormatError(Exception):
    """The file is not a well-formed GGUF (the message says where it broke)."""


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int  # absolute, in the file
    n_bytes: int


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    metadata: dict[str, Any]  # scalars and strings; arrays as their length
    tensors: list[TensorInfo]
    file_size: int


class _Cursor:
    def __init__(self, data: mmap.mmap | bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise GGUFFormatError(f"header ends early at byte {self.pos}")
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        length = self.unpack("<Q")
        if self.pos + length > len(self.data):
            raise GGUFFormatError(f"string runs past the end at byte {self.pos}")
        raw = bytes(self.data[self.pos : self.pos + length])
        self.pos += length
        return raw.decode("utf-8", "replace")

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind = self.unpack("<I")
            count = self.unpack("<Q")
            if item_kind in _SCALARS:
                self.pos += count * struct.calcsize(_SCALARS[item_kind])
            else:
                for _ in range(count):
                    self.value(item_kind)
            if self.pos > len(self.data):
                raise GGUFFormatError("array runs past the end of the file")
            return count
        raise GGUFFormatError(f"unknown value type {kind} at byte {self.pos}")


def read_header(path: Path) -> GGUFHeader:
    """Parse the header of ``path``; raises :class:`GGUFFormatError` or ``OSError``."""
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        if size < 24:
            raise GGUFFormatError("file too short to be GGUF")
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        cursor = _Cursor(data)
        if bytes(data[:4]) != b"GGUF":
            raise GGUFFormatError("no GGUF magic")
        cursor.pos = 4
        version = cursor.unpack("<I")
        if version not in (2, 3):
            raise GGUFFormatError(f"unsupported GGUF version {version}")
        n_tensors = cursor.unpack("<Q")
        n_kv = cursor.unpack("<Q")
        if n_tensors > 1_000_000 or n_kv > 1_000_000:
            raise GGUFFormatError("implausible tensor or key count")
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = cursor.string()
            metadata[key] = cursor.value(cursor.unpack("<I"))
        raw_tensors = []
        for _ in range(n_tensors):
            name = cursor.string()
            n_dims = cursor.unpack("<I")
            if n_dims > 8:
                raise GGUFFormatError(f"tensor {name} has {n_dims} dimensions")
            shape = tuple(cursor.unpack("<Q") for _ in range(n_dims))
            raw_tensors.append((name, shape, cursor.unpack("<I"), cursor.unpack("<Q")))
        alignment = int(metadata.get("general.alignment", 32)) or 32
        data_start = -(-cursor.pos // alignment) * alignment
    finally:
        data.close()
    tensors = []
    for name, shape, kind, offset in raw_tensors:
        try:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
        except (ValueError, KeyError) as exc:
            raise GGUFFormatError(f"tensor {name} has unknown type {kind}") from exc
        elements = 1
        for dim in shape:
            elements *= dim
        tensors.append(
            TensorInfo(name, shape, kind, data_start + offset, elements // block * type_size)
        )
    return GGUFHeader(version, metadata, tensors, size)
