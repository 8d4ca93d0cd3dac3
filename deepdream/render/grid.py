"""The geometry of a tiled step, in plain Python (no TensorFlow): which pieces of the picture go
through the network, where, and with how much mirrored padding.

A step lays a grid of tiles over the picture (`Grid.tiles`). The grid has as few tiles as cover the
picture, with their borders moved by a random amount (`tile_edges`); under the grid the picture
moves from step to step (the jitter, `transforms.Jitter`: its mirror image comes in at one edge
while as many rows sit the step out at the other), so its content moves under the network, small
pictures included. Tiles never wrap around the picture's edges, so no seam is ever fed to the
network. With a tile at least as large as the picture and no shift there is one tile, the whole
picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple


def tile_edges(
    length: int, tile: int, offset: int, min_size: int, count: int | None = None, align: int = 1
) -> list[tuple[int, int]]:
    """Split [0, length) into `count` segments (default: as few as fit, ceil(length / tile)) of
    nearly equal length, all cuts moved together by an amount drawn from `offset` (0 .. tile - 1),
    as far as every segment stays between min_size and tile + min_size - 1 long.

    The fewest tiles is what costs least (a grid laid at any offset would cut most lines into one
    more, smaller piece); moving every cut each step keeps tile borders from settling anywhere.

    align: each cut then goes to the nearest multiple of `align` (where every piece still fits), so
    the pieces but the last are whole multiples of it: a network that halves its input k times
    pads a piece that is not a multiple of 2**k at every halving, about 1 % more work per piece
    (`TiledGradient` aligns to its layers' stride when the picture moves enough under the grid)."""
    count = count or -(-length // tile)
    if count <= 1:
        return [(0, length)]
    even = length / count
    room = int(max(0, min(tile + min_size - 1 - math.ceil(even), math.floor(even) - min_size)))
    move = offset % (2 * room + 1) - room if room else 0
    cuts = [0] + [int(round(k * even)) + move for k in range(1, count)] + [length]
    if align > 1:  # the nearest multiple, else the one below, else above: the first where all fit
        for lift in (align // 2, 0, align - 1):
            snapped = [0] + [align * ((c + lift) // align) for c in cuts[1:-1]] + [length]
            if all(min_size <= b - a <= tile + min_size - 1 for a, b in zip(snapped[:-1], snapped[1:], strict=False)):
                cuts = snapped
                break
    return list(zip(cuts[:-1], cuts[1:], strict=False))


def power_of_two_within(n: int) -> int:
    """The largest power of two up to n (n >= 1): how coarse cuts may be (see `tile_edges`)."""
    return 1 << (n.bit_length() - 1)


def shortest_segment(length: int, tile: int, min_size: int) -> int:
    """The shortest piece `tile_edges` can cut a line of `length` into."""
    count = -(-length // tile)
    return length if count <= 1 else min(min_size, length // count)


class Tile(NamedTuple):
    """One tile of a step's grid: the rows y0:y1 and columns x0:x1 of the picture it covers (its
    core; the cores of a grid partition the picture), and how many rows and columns of mirrored
    picture extend it where it meets the picture's edge (`pads`: top, bottom, left, right)."""

    y0: int
    y1: int
    x0: int
    x1: int
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def area(self) -> int:
        """The core's pixels."""
        return (self.y1 - self.y0) * (self.x1 - self.x0)

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) the network sees: the core and its padding."""
        top, bottom, left, right = self.pads
        return self.y1 - self.y0 + top + bottom, self.x1 - self.x0 + left + right


def segments(
    length: int, tile: int, offset: int, min_size: int, shift: int, align: int = 1
) -> list[tuple[int, int, int, int]]:
    """(core start, core end, pad before, pad after) along one axis, the picture moved by `shift`
    pixels (positive: toward the end). The moved line keeps the picture's length: `shift` mirrored
    pixels come in at one end and as many sit this step out at the other, so jitter costs no extra
    pixels; the line is cut by `tile_edges` (cuts on multiples of `align`) into as many pieces as
    the picture needs."""
    out = []
    for v0, v1 in tile_edges(length, tile, offset, min_size, align=align):
        p0, p1 = v0 - shift, v1 - shift  # in picture coordinates
        core0, core1 = max(0, p0), min(length, p1)
        if core1 > core0:
            out.append((core0, core1, max(0, -p0), max(0, p1 - length)))
    return out


@dataclass(frozen=True)
class Grid:
    """The tile grid of one picture size: `tiles(offset, shift)` lays it for one step.

    tile: the longest side of a tile (before its borders are moved); min_tile: the shortest piece
    a line is cut into (the network's smallest input, or more)."""

    height: int
    width: int
    tile: int
    min_tile: int

    def tiles(self, offset: tuple[int, int] = (0, 0), shift: tuple[int, int] = (0, 0), align: int = 1) -> list[Tile]:
        """The tiles at `offset` (see `tile_edges`; cuts on multiples of `align`), row by row, over
        the picture moved by `shift` = (dy, dx): their cores cover the picture but for the |dy| rows
        and |dx| columns that sit this step out."""
        dy, dx = shift
        rows = segments(self.height, self.tile, offset[0], self.min_tile, dy, align)
        cols = segments(self.width, self.tile, offset[1], self.min_tile, dx, align)
        return [Tile(y0, y1, x0, x1, (pt, pb, pl, pr)) for y0, y1, pt, pb in rows for x0, x1, pl, pr in cols]

    def max_shift(self, pixels: int) -> int:
        """The largest shift (each way) up to `pixels` the grid takes: under a quarter of the picture
        and under half the shortest piece the grid can cut, so the mirrored padding is always
        shorter than what it mirrors."""
        shortest = min(
            shortest_segment(self.height, self.tile, self.min_tile),
            shortest_segment(self.width, self.tile, self.min_tile),
        )
        return max(0, min(pixels, min(self.height, self.width) // 4, (shortest - 1) // 2))

    @staticmethod
    def cut_align(shift: int) -> int:
        """How coarse the cuts may be when the picture moves up to `shift` pixels each way under
        them every step: the largest power of two up to 2 * shift + 1 (64 at most), so the cuts,
        seen from the picture, still fall on every pixel."""
        return min(64, power_of_two_within(2 * max(0, shift) + 1))

    def whole(self, tiles: list[Tile]) -> bool:
        """Whether `tiles` is the one tile of the whole picture, unpadded (nothing to stitch)."""
        return len(tiles) == 1 and tiles[0] == Tile(0, self.height, 0, self.width)


def batches(tiles: list[Tile], size: int) -> list[list[Tile]]:
    """Tiles grouped by shape and padding (first seen first), in chunks of at most `size`."""
    groups: dict[tuple, list] = {}
    for t in tiles:
        groups.setdefault((t.y1 - t.y0, t.x1 - t.x0, t.pads), []).append(t)
    return [group[i : i + size] for group in groups.values() for i in range(0, len(group), size)]


def row_bands(tiles: list[Tile]) -> list[tuple[int, int, list[Tile]]]:
    """(y0, y1, that row's tiles left to right) for each row of the grid, top to bottom."""
    rows: dict[tuple[int, int], list[Tile]] = {}
    for t in tiles:
        rows.setdefault((t.y0, t.y1), []).append(t)
    return [(y0, y1, row) for (y0, y1), row in rows.items()]


def gaps(covered: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The runs of [0, length) that no (start, end) range in `covered` covers."""
    out, at = [], 0
    for start, end in sorted(covered):
        if start > at:
            out.append((at, start))
        at = max(at, end)
    if at < length:
        out.append((at, length))
    return out
