"""A TensorFlow GraphDef file (a frozen TensorFlow 1 graph) read apart from the network it feeds:
the whole graph with protobuf, or just its node names from the wire format without TensorFlow."""

from __future__ import annotations

import os
from collections.abc import Callable

from ..errors import WeightsError

#: A larger file cannot be a GraphDef (protobuf's 2 GiB limit) of the networks read here.
MAX_FILE_SIZE = 1 << 30


def read_graph(path, refuse: Callable[[str], WeightsError], expected_size: int | None = None):
    """The GraphDef in `path`; else the error `refuse(reason)` makes (a file too large, or not a
    GraphDef: "looks truncated" where it is under half `expected_size`), or a WeightsError where
    the file cannot be read."""
    from google.protobuf.message import DecodeError
    from tensorflow.core.framework import graph_pb2

    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_SIZE:
            raise refuse(f"it is {size:,} bytes, far larger than the graph's {expected_size or 0:,}")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise WeightsError(f"Weights file '{path}' cannot be read ({error.strerror or error}).") from None
    graph_def = graph_pb2.GraphDef()
    try:
        graph_def.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError):
        hint = " and looks truncated" if 0 < len(data) < (expected_size or 0) // 2 else ""
        raise refuse(f"it cannot be read as a TensorFlow GraphDef{hint}") from None
    return graph_def


def _varint(data, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if byte < 0x80:
            return value, i
        if shift > 63:
            raise ValueError("varint too long")


def node_names(data) -> list[str]:
    """The node names of a serialized GraphDef, read from protobuf's wire format (each `node`,
    field 1, is a NodeDef whose first field is its `name`, field 1) without TensorFlow. Raises
    ValueError or IndexError where the bytes are not protobuf."""
    names, i, end = [], 0, len(data)
    while i < end:
        tag, i = _varint(data, i)
        wire = tag & 7
        if wire == 0:
            _, i = _varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            size, i = _varint(data, i)
            if tag >> 3 == 1 and size > 2 and data[i] == 0x0A:  # a node, and its name first
                length, start = _varint(data, i + 1)
                names.append(bytes(data[start : start + length]).decode("utf8"))
            i += size
        else:
            raise ValueError(f"wire type {wire}")
    if i != end:
        raise ValueError("truncated")
    return names


def file_node_names(path) -> set[str]:
    """The node names of the graph file at `path` (at most MAX_FILE_SIZE bytes); raises OSError,
    ValueError, IndexError or UnicodeDecodeError where it is not a readable graph."""
    if os.path.getsize(path) > MAX_FILE_SIZE:
        raise ValueError("too large for a graph")
    with open(path, "rb") as f:
        return set(node_names(f.read()))


__all__ = ["MAX_FILE_SIZE", "read_graph", "node_names", "file_node_names"]
