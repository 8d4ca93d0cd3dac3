"""Tiles for the two-pass tiled loss: cores that partition the picture, on multiples of the deepest
layer's stride (so each tile's features line up with the whole picture's), each seen by the network
with a margin of context (the halo) whose features are discarded, so tile borders leave no seam."""

from __future__ import annotations

from dataclasses import dataclass

HALO = 32  # pixels of context around each tile
PAD = 16  # pixels of reflected picture around the edges, so the network's zero padding leaves no frame


@dataclass(frozen=True)
class Tile:
    """A tile's core [y0, y1) x [x0, x1) (picture coordinates) and the extended box, with its halo,
    that the network sees (coordinates in the picture padded by `pad` on every side)."""

    y0: int
    y1: int
    x0: int
    x1: int
    ey0: int
    ey1: int
    ex0: int
    ex1: int
    pad: int = 0

    def crop(self, stride: int) -> tuple[list[int], list[int]]:
        """For a layer of this stride: the core's rows/cols in the extended tile's features, and in the
        whole picture's features: ([r0, r1, c0, c1], [R0, R1, C0, C1])."""
        R0, R1 = self.y0 // stride, -(-self.y1 // stride)
        C0, C1 = self.x0 // stride, -(-self.x1 // stride)
        r0, c0 = (self.y0 + self.pad - self.ey0) // stride, (self.x0 + self.pad - self.ex0) // stride
        return [r0, r0 + R1 - R0, c0, c0 + C1 - C0], [R0, R1, C0, C1]


def segments(length: int, tile: int) -> list[tuple[int, int]]:
    """[0, length) cut at multiples of tile; a last piece under a quarter tile joins its neighbour."""
    cuts = list(range(0, length, tile)) + [length]
    if len(cuts) > 2 and cuts[-1] - cuts[-2] < tile // 4:
        del cuts[-2]
    return list(zip(cuts[:-1], cuts[1:], strict=False))


def make_tiles(height: int, width: int, tile_size: int, align: int, halo: int, pad: int = 0) -> list[Tile]:
    """Tiles covering the picture, their corners on multiples of `align` (the deepest layer's stride),
    so each tile's features line up with the whole picture's; each extended by `halo` (rounded up to
    a multiple of align) on every side, within the picture padded by `pad` (a multiple of align)."""
    tile = max(align, tile_size // align * align)
    halo = -(-halo // align) * align
    H, W = height + 2 * pad, width + 2 * pad
    if height <= tile and width <= tile:
        return [Tile(0, height, 0, width, 0, H, 0, W, pad)]
    return [
        Tile(
            y0,
            y1,
            x0,
            x1,
            max(0, y0 + pad - halo),
            min(H, y1 + pad + halo),
            max(0, x0 + pad - halo),
            min(W, x1 + pad + halo),
            pad,
        )
        for y0, y1 in segments(height, tile)
        for x0, x1 in segments(width, tile)
    ]
