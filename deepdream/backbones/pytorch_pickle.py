"""Reading a PyTorch state dict saved in PyTorch's legacy (non-zip) serialization, without PyTorch.

The file is a run of pickles (a magic number, the protocol version, the writer's sys_info, the state
dict, the list of storage keys) followed by each storage's raw bytes. It is read with the standard
library's `pickle` and NumPy: a restricted unpickler that knows only an OrderedDict,
`torch._utils._rebuild_tensor_v2` and the storage types, so a file cannot run code. `read` gives
name -> array, or raises `Corrupt` with a short clause saying what is wrong (the network that reads
the file words the error), or OSError.
"""

from __future__ import annotations

import collections
import pickle
import struct
from dataclasses import dataclass

import numpy as np

#: PyTorch's legacy serialization: this number pickled first, then the protocol version.
MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001
#: Storage types -> NumPy dtypes (little endian, as the file's sys_info must say).
_STORAGES = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class Corrupt(Exception):
    """What is wrong with the file, as a short clause."""


@dataclass
class _Storage:
    key: str
    dtype: np.dtype
    numel: int


@dataclass
class _Tensor:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    if not isinstance(storage, _Storage):
        raise Corrupt("a tensor refers to no storage")
    return _Tensor(storage, int(storage_offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))


class _Unpickler(pickle.Unpickler):
    """Builds nothing but an OrderedDict of _Tensor records: any other global is refused, so a
    file cannot run code."""

    _GLOBALS = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    }

    def __init__(self, file, storages: dict[str, _Storage] | None = None):
        super().__init__(file)
        self.storages = storages if storages is not None else {}

    def find_class(self, module, name):
        if (module, name) in self._GLOBALS:
            return self._GLOBALS[(module, name)]
        if module == "torch" and name in _STORAGES:
            return name
        raise Corrupt(f"it refers to {module}.{name}, which a PyTorch state dict does not")

    def persistent_load(self, pid):
        # ('storage', storage type, key, location, numel, view metadata)
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and pid[1] in _STORAGES):
            raise Corrupt("it refers to a storage of an unknown kind")
        if len(pid) > 5 and pid[5] is not None:
            raise Corrupt("it holds storage views, which this reader does not take")
        key = str(pid[2])
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(key, np.dtype(_STORAGES[pid[1]]), int(pid[4]))
        return storage


def _read_exactly(f, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise Corrupt("it is truncated")
    return data


def _parse(f) -> dict[str, np.ndarray]:
    """The state dict of a legacy PyTorch file open in f; Corrupt saying what is wrong."""
    try:
        magic = _Unpickler(f).load()
    except Corrupt:
        raise Corrupt("it is not a PyTorch pickle") from None
    except EOFError:
        raise Corrupt("it is not a PyTorch pickle (or it is truncated)") from None
    except Exception:
        raise Corrupt("it is not a PyTorch pickle") from None
    if magic != MAGIC:
        raise Corrupt("it is not a PyTorch pickle")
    storages: dict[str, _Storage] = {}
    try:
        protocol = _Unpickler(f).load()
        sys_info = _Unpickler(f).load()
        if protocol != PROTOCOL:
            raise Corrupt(f"its PyTorch serialization protocol is {protocol!r}, not {PROTOCOL}")
        if isinstance(sys_info, dict) and sys_info.get("little_endian") is False:
            raise Corrupt("it was written on a big-endian machine")
        state = _Unpickler(f, storages).load()
        keys = _Unpickler(f).load()
    except Corrupt:
        raise
    except EOFError:
        raise Corrupt("it is truncated") from None
    except Exception:
        raise Corrupt("its pickled state dict is damaged") from None
    if not isinstance(state, dict):
        raise Corrupt("it holds a pickled object that is not a state dict")
    if not isinstance(keys, list) or set(map(str, keys)) != set(storages):
        raise Corrupt("its list of storages does not match its tensors")
    buffers: dict[str, np.ndarray] = {}
    for key in map(str, keys):
        storage = storages[key]
        (numel,) = struct.unpack("<q", _read_exactly(f, 8))
        if numel != storage.numel:
            raise Corrupt(f"storage {key} holds {numel} values where its tensor says {storage.numel}")
        data = _read_exactly(f, numel * storage.dtype.itemsize)
        buffers[key] = np.frombuffer(data, storage.dtype)
    tensors = {}
    for name, record in state.items():
        if not isinstance(record, _Tensor):
            raise Corrupt(f"its entry {name!r} is not a tensor")
        tensors[str(name)] = _materialise(record, buffers[record.storage.key], name)
    return tensors


def _materialise(t: _Tensor, buffer: np.ndarray, name) -> np.ndarray:
    """The tensor t as a contiguous array, its (possibly permuted) strides honoured."""
    if any(s < 0 for s in t.shape) or any(s < 0 for s in t.strides) or len(t.shape) != len(t.strides) or t.offset < 0:
        raise Corrupt(f"its tensor {name!r} has a malformed layout")
    if 0 in t.shape:
        return np.zeros(t.shape, buffer.dtype)
    last = t.offset + sum((n - 1) * s for n, s in zip(t.shape, t.strides, strict=False))
    if last >= buffer.size:
        raise Corrupt(f"its tensor {name!r} reaches past the end of its storage")
    view = np.lib.stride_tricks.as_strided(
        buffer[t.offset :], t.shape, tuple(s * buffer.itemsize for s in t.strides), writeable=False
    )
    return np.array(view, order="C")


def read(path) -> dict[str, np.ndarray]:
    """name -> array, from the legacy PyTorch state dict at path; Corrupt (what is wrong, as a
    short clause: not a PyTorch pickle, PyTorch's newer zip format, truncated, damaged) or OSError."""
    with open(path, "rb") as f:
        head = f.read(4)
        if head[:2] == b"PK":
            raise Corrupt("it is a zip archive, PyTorch's newer format, which this reader does not take")
        f.seek(0)
        return _parse(f)


__all__ = ["MAGIC", "PROTOCOL", "Corrupt", "read"]
