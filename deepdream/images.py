"""Reading and resizing images; writing them is `saving.py` (its names are importable from here too).

At the edges every image is a float32 RGB array, H x W x 3, with values in [0, 255]; an
alpha channel, where the source has one, travels beside it as a uint8 H x W array.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from deepdream.errors import InputError, SettingsError
from deepdream.saving import (
    ALPHA_FORMATS,
    METADATA_KEY,
    OUTPUT_FORMATS,
    atomic_write,
    check_output_path,
    encode_image,
    read_metadata,
    save_image,
    to_pil,
)

#: Pillow's hard decompression-bomb limit (see `settings.base`; ``load_image`` refuses half of it).
from .settings.values import MAX_PIXELS

#: The formats pictures are read in (Pillow's names); any other (EPS, which Pillow hands to Ghostscript,
#: ICO, TGA, PCX, ...) is refused before a decoder is picked.
READ_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF")
_READABLE = "PNG, JPEG, WebP, TIFF, BMP and GIF"
_SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


@dataclasses.dataclass(frozen=True, eq=False)
class LoadedImage:
    """An image ready to render: ``rgb`` float32 H x W x 3 in [0, 255], ``alpha`` uint8 H x W or None."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    source_mode: str


# ---------------------------------------------------------------------------- reading


def load_image(path, shrink_to: int | None = None) -> LoadedImage:
    """Read an image file upright (EXIF orientation applied), fully decoded, as a LoadedImage.

    shrink_to: a longer side the caller resizes the picture to anyway; the picture is then shrunk by
    a whole factor as it is decoded (a JPEG's `draft`, else Pillow's `reduce` on the 8-bit decode),
    never below twice that side, so the float copy of a huge picture is never made.

    Raises InputError, with one sentence naming the path, when the file is missing, a folder,
    unreadable, not an image in `READ_FORMATS`, truncated or corrupt, or has more pixels than
    ``Image.MAX_IMAGE_PIXELS``.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"Input file '{p}' does not exist.")
    if p.is_dir():
        raise InputError(f"Input '{p}' is a folder, not an image file; give the path of an image.")
    if not p.is_file():  # a FIFO would block the open for ever; a device would never end
        raise InputError(
            f"Input '{p}' is not a regular file (a pipe, socket or device); give the path of an image file."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p, formats=READ_FORMATS) as img:
                covered = coverage(img, p)
                if covered < 1.0 and not accept_partial():
                    width, height = img.size
                    share = f"{covered * 100:.2g}%" if covered >= 1e-5 else "under 0.001%"
                    raise InputError(
                        f"Input file '{p}' holds data for {share} of the {width}x{height} pixels its header "
                        f"declares (it is damaged or cut off); re-export or re-download it, or set "
                        f"{ACCEPT_PARTIAL_ENV}=1 to take it as it is."
                    )
                if shrink_to and img.format == "JPEG" and max(img.size) > 4 * shrink_to:
                    scale = 2 * shrink_to / max(img.size)  # the decoder's own 1/2, 1/4, 1/8: never below
                    img.draft("RGB", (math.ceil(img.size[0] * scale), math.ceil(img.size[1] * scale)))
                said: list[str] = []
                try:
                    with _quiet_stderr(img.format == "TIFF") as said:
                        img.load()
                except OSError as e:
                    if said:  # libtiff's own words say more than Pillow's "decoder error -2"
                        raise OSError(f"{str(e).rstrip('.')}: {said[0].rstrip('.')}") from None
                    raise
                return from_pil(_reduced(img, shrink_to))
    except PermissionError:
        raise InputError(f"Input file '{p}' cannot be read (permission denied); check its permissions.") from None
    except UnidentifiedImageError:
        raise InputError(f"'{p}' is not an image deepdream can read (it reads {_READABLE}).") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        found = re.search(r"\((\d+) pixels\)", str(e))
        count = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
        raise InputError(
            f"Input image '{p}' has {count}, over the safe limit of {Image.MAX_IMAGE_PIXELS:,}; "
            "shrink it first with an image editor."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        reason = str(e).rstrip(".") or type(e).__name__
        if "truncated" in reason.lower():
            raise InputError(f"Input file '{p}' is truncated ({reason}); re-export or re-download it.") from None
        raise InputError(f"Input file '{p}' could not be decoded ({reason}); check that it is a valid image.") from None


def _reduced(img: Image.Image, shrink_to: int | None) -> Image.Image:
    """img shrunk by the largest whole factor that keeps its longer side at least 2 x shrink_to."""
    if not shrink_to:
        return img
    factor = max(img.size) // (2 * shrink_to)
    if factor < 2 or img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "YCbCr"):
        return img
    exif = img.getexif()  # reduce() keeps no metadata: the orientation is carried over by hand
    mode = "RGBA" if "A" in img.mode or "transparency" in img.info else "RGB"
    smaller = (img if img.mode == mode else img.convert(mode)).reduce(factor)  # no copy of an RGB decode
    if exif.get(0x0112):
        smaller.info["exif"] = exif.tobytes()
    return smaller


def declared_size(source) -> tuple[int, int]:
    """(width, height) a picture's header declares, read without decoding it (a path or bytes);
    (0, 0) where it is not a picture in `READ_FORMATS` (the decode then says why)."""
    import io

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opened = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
            with Image.open(opened, formats=READ_FORMATS) as probe:
                return probe.size
    except Exception:
        return 0, 0


#: Set to 1 to load pictures whose data covers only part of what their header declares.
ACCEPT_PARTIAL_ENV = "DEEPDREAM_ACCEPT_PARTIAL"


def accept_partial() -> bool:
    return os.environ.get(ACCEPT_PARTIAL_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def coverage(img: Image.Image, path) -> float:
    """The share (0 to 1) of the pixels img's header declares that its data can hold, from the
    header alone (before decoding): a GIF's first frame against its screen, a TIFF's strips or tiles
    against its rows, a baseline JPEG's entropy-coded bytes against the least its blocks need (2 bits
    each). 1.0 where the format gives no such bound."""
    width, height = img.size
    pixels = width * height
    if not pixels:
        return 1.0
    try:
        if img.format == "GIF" and img.tile:
            x0, y0, x1, y1 = img.tile[0][1]
            return min(1.0, max(0, min(x1, width) - x0) * max(0, min(y1, height) - y0) / pixels)
        if img.format == "TIFF":
            tags = img.tag_v2
            if 324 in tags and 322 in tags and 323 in tags:  # tiles
                tiles = len(tags[324]) if isinstance(tags[324], tuple) else 1
                planes = 3 if tags.get(284, 1) == 2 and img.mode in ("RGB", "YCbCr", "RGBA") else 1
                return min(1.0, tiles / planes * tags[322] * tags[323] / pixels)
            if 273 in tags:  # strips
                strips = len(tags[273]) if isinstance(tags[273], tuple) else 1
                planes = 3 if tags.get(284, 1) == 2 and img.mode in ("RGB", "YCbCr", "RGBA") else 1
                rows = tags.get(278, height)
                return min(1.0, strips / planes * min(rows, height) / height)
        if img.format == "JPEG" and not img.info.get("progressive") and not img.info.get("progression"):
            return _jpeg_coverage(Path(path), img)
    except (TypeError, ValueError, KeyError, IndexError, OSError):
        return 1.0
    return 1.0


def _jpeg_coverage(path: Path, img: Image.Image) -> float:
    """A baseline JPEG's entropy-coded bytes (after its first scan header) against the 2 bits each
    8x8 block takes at the least (a DC code and an end-of-block code)."""
    data = path.read_bytes()
    at, frame = 2, None
    while at + 4 <= len(data) and data[at] == 0xFF:  # the segments before the first scan
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker == 0xDA:
            break
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            frame = marker
        at += 2 + length
    else:
        return 1.0
    if frame not in (0xC0, 0xC1):  # progressive or arithmetic coding: no such bound
        return 1.0
    entropy = len(data) - (at + 2 + int.from_bytes(data[at + 2 : at + 4], "big"))
    layers = getattr(img, "layer", None) or [("Y", 1, 1, 0)]
    hmax = max(layer[1] for layer in layers)
    vmax = max(layer[2] for layer in layers)
    width, height = img.size
    blocks = sum(
        math.ceil(math.ceil(width * h / hmax) / 8) * math.ceil(math.ceil(height * v / vmax) / 8)
        for _, h, v, _ in layers
    )
    return min(1.0, entropy * 8 / 2 / blocks)


@contextlib.contextmanager
def _quiet_stderr(active: bool):
    """Silence what a C library (libtiff) writes straight to stderr while a picture decodes, in the
    main thread only (another thread's messages are never swallowed); the error, if any, says it."""
    import sys
    import threading

    said: list[str] = []
    if not active or threading.current_thread() is not threading.main_thread():
        yield said
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield said
        return
    with tempfile.TemporaryFile() as caught:
        try:
            os.dup2(caught.fileno(), 2)
            yield said
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            said.extend(
                line.strip() for line in caught.read(4096).decode("utf-8", "replace").splitlines() if line.strip()
            )


def from_pil(img: Image.Image) -> LoadedImage:
    """Convert a Pillow image of any common mode to a LoadedImage, applying EXIF orientation."""
    mode = img.mode
    img = ImageOps.exif_transpose(img)
    alpha = None
    if mode in _SIXTEEN_BIT:
        grey = np.asarray(img).astype(np.float32) * np.float32(255 / 65535)
        rgb = np.repeat(np.clip(grey, 0, 255)[..., None], 3, axis=2)
        return LoadedImage(rgb, None, mode)
    if mode == "F":
        grey = np.clip(np.nan_to_num(np.asarray(img, dtype=np.float32)), 0, 255)
        return LoadedImage(np.repeat(grey[..., None], 3, axis=2), None, mode)
    has_alpha = "A" in mode or "a" in mode or (mode in ("P", "L", "RGB") and "transparency" in img.info)
    if has_alpha:
        rgba = img.convert("RGBA")
        alpha = np.array(rgba.getchannel("A"), dtype=np.uint8)
        img = rgba.convert("RGB")
    rgb = np.asarray(img.convert("RGB"), dtype=np.float32)
    return LoadedImage(np.ascontiguousarray(rgb), alpha, mode)


def from_array(arr) -> LoadedImage:
    """A LoadedImage from an H x W, H x W x 1/2/3/4 array (2 and 4 channels carry alpha).

    uint8 and float arrays are read as values in [0, 255] (clipped), uint16 is scaled by
    255/65535 and bool maps True to 255.
    """
    a = np.asarray(arr)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4) or a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"An image array must be H x W, H x W x 3 or H x W x 4, not {a.shape}.")
    if a.dtype == np.bool_:
        a = a.astype(np.float32) * 255
    elif a.dtype == np.uint16:
        a = a.astype(np.float32) * np.float32(255 / 65535)
    elif np.issubdtype(a.dtype, np.number) and not np.issubdtype(a.dtype, np.complexfloating):
        a = a.astype(np.float32)
        if not np.isfinite(a).all():
            raise InputError("The image array contains NaN or infinite values; replace them first.")
    else:
        raise InputError(f"An image array must hold numbers, not {a.dtype}.")
    a = np.clip(a, 0, 255)
    colour, alpha = (a[..., :-1], a[..., -1]) if a.shape[2] in (2, 4) else (a, None)
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    if alpha is not None:
        alpha = np.round(alpha).astype(np.uint8)
    return LoadedImage(np.ascontiguousarray(colour, dtype=np.float32), alpha, f"array[{np.asarray(arr).dtype}]")


# ---------------------------------------------------------------------------- resizing


def as_loaded(image) -> LoadedImage:
    """A path, PIL image, array (H x W [x 3|4], uint8 or float in [0, 255]) or LoadedImage as a
    LoadedImage."""
    if isinstance(image, LoadedImage):
        return image
    if isinstance(image, (str, Path)):
        return load_image(image)
    if isinstance(image, Image.Image):
        return from_pil(image)
    return from_array(np.asarray(image))


def check_min_size(rgb: np.ndarray, min_size: int, who: str) -> None:
    """SettingsError when a side of the picture is below `min_size` pixels (`who` needs them)."""
    if min(rgb.shape[:2]) < min_size:
        raise SettingsError(
            f"The image is {rgb.shape[1]}x{rgb.shape[0]} pixels; {who} needs at least {min_size} pixels on each side."
        )


def resize_array(arr: np.ndarray, size: tuple[int, int], resample=Image.LANCZOS) -> np.ndarray:
    """Resize a float H x W or H x W x C array to ``size`` = (h, w), channel by channel in float.

    The result is clipped to the input's value range, so Lanczos ringing never leaves it.
    """
    a = np.asarray(arr, dtype=np.float32)
    h, w = int(size[0]), int(size[1])
    if a.shape[:2] == (h, w):
        return a.copy()
    planes = a[..., None] if a.ndim == 2 else a
    out = np.stack(
        [
            np.asarray(Image.fromarray(np.ascontiguousarray(planes[..., c])).resize((w, h), resample))
            for c in range(planes.shape[2])
        ],
        axis=2,
    )
    out = np.clip(out, a.min(), a.max()).astype(np.float32)
    return out[..., 0] if a.ndim == 2 else out


def fit_max_side(loaded: LoadedImage, max_side: int) -> LoadedImage:
    """Shrink (never enlarge) so that the longer side is at most ``max_side``; alpha follows."""
    if max_side < 1:
        raise SettingsError(f"The maximum side must be at least 1 pixel, not {max_side}.")
    h, w = loaded.rgb.shape[:2]
    if max(h, w) <= max_side:
        return loaded
    scale = max_side / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    alpha = None
    if loaded.alpha is not None:
        alpha = np.array(Image.fromarray(loaded.alpha).resize(size[::-1], Image.LANCZOS))
    return dataclasses.replace(loaded, rgb=resize_array(loaded.rgb, size), alpha=alpha)


__all__ = [
    "MAX_PIXELS",
    "LoadedImage",
    "load_image",
    "ACCEPT_PARTIAL_ENV",
    "accept_partial",
    "coverage",
    "from_pil",
    "from_array",
    "as_loaded",
    "check_min_size",
    "resize_array",
    "fit_max_side",
    # from saving.py
    "OUTPUT_FORMATS",
    "ALPHA_FORMATS",
    "METADATA_KEY",
    "to_pil",
    "check_output_path",
    "atomic_write",
    "encode_image",
    "save_image",
    "read_metadata",
]
