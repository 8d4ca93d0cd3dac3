"""Pictures a client sends, read safely: size checked in their header before they are decoded, decoded
with the CLI's checks and messages from a folder of the server's own, named by their harmless base name.
Needs none of the web packages."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DeepDreamError, InputError, LimitError
from ..images import LoadedImage, declared_size, encode_image, load_image
from .forms import safe_name

#: The largest request body (uploads included) the server reads, in bytes.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: Where a guide stands while a request's settings are read: guides are decoded only once the request
#: is within the budget, each shrunk to the size its settings use it at (`Service.guides`).
PLACEHOLDER = LoadedImage(np.zeros((1, 1, 3), np.float32), None, "RGB")


@dataclass(frozen=True)
class Upload:
    """A picture a client sent: its harmless name, its decoded pixels, and a digest of its bytes."""

    name: str
    image: LoadedImage
    digest: str


def read_upload(
    data: bytes,
    filename: str | None,
    default: str = "upload.png",
    max_pixels: int | None = None,
    scratch: Path | None = None,
    shrink_to: int | None = None,
) -> Upload:
    """Decode an uploaded picture with the same checks and messages as the CLI's `load_image`
    (EXIF orientation, every mode, the decompression-bomb limit): the bytes are written under their
    harmless base name into a folder of our own, read, and the folder's path left out of any message.
    max_pixels: a picture whose header declares more is refused (LimitError) before it is decoded.
    scratch: the folder the bytes are written under (the server's own; default the system's temp).
    shrink_to: a longer side the picture is resized to anyway (`images.load_image`)."""
    name = safe_name(filename, default)
    if not data:
        raise InputError(f"'{name}' is empty; upload an image file (PNG, JPEG, WebP, TIFF, BMP, GIF, ...).")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"'{name}' is {len(data) / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    check_declared(data, name, max_pixels)
    with tempfile.TemporaryDirectory(prefix="deepdream-upload-", dir=scratch) as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            loaded = load_image(path, shrink_to)
        except DeepDreamError as e:
            raise type(e)(str(e).replace(str(path), name)) from None
    return Upload(name, loaded, hashlib.sha256(data).hexdigest())


def check_declared(data: bytes, name: str, max_pixels: int | None) -> int:
    """The pixels a picture's header declares (0 where it is no picture: the decode says why); a
    LimitError, before anything decodes it, where that is over `max_pixels`."""
    width, height = declared_size(data)
    if max_pixels and width * height > max_pixels:
        raise LimitError(
            f"'{name}' is {width}x{height} pixels, over the {max_pixels / 1e6:g} megapixels this "
            f"server decodes; shrink it before uploading, or start the server with --max-side 0."
        )
    return width * height


def png_bytes(rgb, alpha=None, metadata: str | None = None) -> bytes:
    """A PNG of the picture with its settings in the `deepdream` text chunk (as `images.save_image`
    writes it), made in memory."""
    return encode_image(rgb, "PNG", alpha, metadata=metadata)
