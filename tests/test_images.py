"""Tests for deepdream.images with real Pillow files written to tmp_path."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from PIL import Image, ImageFile

from deepdream import images, saving
from deepdream.errors import InputError, OutputError
from deepdream.images import (
    check_output_path,
    fit_max_side,
    from_array,
    from_pil,
    load_image,
    resize_array,
    save_image,
    to_pil,
)

RED, BLUE = (255, 0, 0), (0, 0, 255)


def noise(h=24, w=32, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------- loading


def test_png_round_trip_is_exact(tmp_path):
    arr = noise()
    path = save_image(arr.astype(np.float32), tmp_path / "a.png")
    loaded = load_image(path)
    assert loaded.rgb.dtype == np.float32 and loaded.alpha is None
    assert np.array_equal(loaded.rgb, arr.astype(np.float32))
    assert loaded.source_mode == "RGB"


@pytest.mark.parametrize("orientation", [6, 8])
def test_exif_rotated_jpeg_comes_out_upright(tmp_path, orientation):
    # Stored 80 wide x 40 tall: red left quarter-block at the top-left, blue elsewhere.
    stored = np.zeros((40, 80, 3), np.uint8)
    stored[:] = BLUE
    stored[:20, :40] = RED
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "rot.jpg"
    Image.fromarray(stored).save(path, quality=95, exif=exif)
    rgb = load_image(path).rgb
    assert rgb.shape == (80, 40, 3)
    # 6 = rotate 90 degrees clockwise to display: top-left goes to top-right;
    # 8 = rotate counter-clockwise: top-left goes to bottom-left.
    red_corner = (5, 34) if orientation == 6 else (74, 5)
    blue_corner = (74, 5) if orientation == 6 else (5, 34)
    assert np.abs(rgb[red_corner] - RED).max() < 10
    assert np.abs(rgb[blue_corner] - BLUE).max() < 10


def test_rgba_alpha_kept_for_png_and_dropped_for_jpeg(tmp_path):
    rgba = noise(c=4)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "in.png")
    loaded = load_image(tmp_path / "in.png")
    assert np.array_equal(loaded.alpha, rgba[..., 3])
    assert np.array_equal(loaded.rgb, rgba[..., :3].astype(np.float32))

    save_image(loaded.rgb, tmp_path / "out.png", alpha=loaded.alpha)
    with Image.open(tmp_path / "out.png") as img:
        assert img.mode == "RGBA"
        assert np.array_equal(np.asarray(img), rgba)
    save_image(loaded.rgb, tmp_path / "out.jpg", alpha=loaded.alpha)
    with Image.open(tmp_path / "out.jpg") as img:
        assert img.mode == "RGB"


def test_alpha_of_another_size_is_resized(tmp_path):
    save_image(np.zeros((10, 20, 3), np.float32), tmp_path / "o.png", alpha=np.full((5, 10), 200, np.uint8))
    with Image.open(tmp_path / "o.png") as img:
        assert img.size == (20, 10) and img.mode == "RGBA"
        assert np.all(np.asarray(img)[..., 3] == 200)


def test_greyscale_l_and_la(tmp_path):
    Image.new("L", (4, 3), 77).save(tmp_path / "g.png")
    loaded = load_image(tmp_path / "g.png")
    assert loaded.rgb.shape == (3, 4, 3) and np.all(loaded.rgb == 77) and loaded.alpha is None
    Image.new("LA", (4, 3), (10, 99)).save(tmp_path / "la.png")
    loaded = load_image(tmp_path / "la.png")
    assert np.all(loaded.rgb == 10) and np.all(loaded.alpha == 99)


def test_palette_with_and_without_transparency(tmp_path):
    img = Image.new("P", (4, 4), 1)
    img.putpalette([0, 0, 0, 200, 100, 50] + [0] * 762)
    img.putpixel((0, 0), 0)
    img.save(tmp_path / "p.png")
    loaded = load_image(tmp_path / "p.png")
    assert loaded.alpha is None and tuple(loaded.rgb[3, 3]) == (200, 100, 50)
    img.save(tmp_path / "pt.png", transparency=0)
    loaded = load_image(tmp_path / "pt.png")
    assert loaded.source_mode == "P"
    assert loaded.alpha[0, 0] == 0 and loaded.alpha[3, 3] == 255


def test_one_bit_and_cmyk(tmp_path):
    img = Image.new("1", (3, 2), 0)
    img.putpixel((2, 1), 1)
    img.save(tmp_path / "b.png")
    rgb = load_image(tmp_path / "b.png").rgb
    assert tuple(rgb[1, 2]) == (255, 255, 255) and tuple(rgb[0, 0]) == (0, 0, 0)

    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=95)
    loaded = load_image(tmp_path / "c.jpg")
    assert loaded.source_mode == "CMYK"
    assert np.abs(loaded.rgb[4, 4] - RED).max() < 10


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path):
    arr = np.array([[0, 32768, 65535]], dtype=np.uint16)
    Image.fromarray(arr).save(tmp_path / "g16.png")
    loaded = load_image(tmp_path / "g16.png")
    assert loaded.source_mode.startswith("I")
    assert loaded.rgb[0, 2, 0] == pytest.approx(255.0)
    assert loaded.rgb[0, 1, 1] == pytest.approx(127.5, abs=0.01)
    assert loaded.rgb[0, 0, 2] == 0.0


def test_float_and_colour_space_modes():
    f = Image.fromarray(np.array([[12.5, 300.0]], np.float32))
    assert from_pil(f).rgb[0].tolist() == [[12.5] * 3, [255.0] * 3]
    red_hsv = Image.new("RGB", (2, 2), RED).convert("HSV")
    assert np.abs(from_pil(red_hsv).rgb[0, 0] - RED).max() < 3
    ycc = Image.new("RGB", (2, 2), (30, 160, 90)).convert("YCbCr")
    assert np.abs(from_pil(ycc).rgb[0, 0] - (30, 160, 90)).max() < 3


def test_from_array_dtypes_and_shapes():
    assert from_array(np.full((2, 3), 7, np.uint8)).rgb.shape == (2, 3, 3)
    assert from_array(np.full((2, 2), 65535, np.uint16)).rgb[0, 0, 0] == pytest.approx(255.0)
    assert from_array(np.ones((2, 2), bool)).rgb.max() == 255.0
    rgba = from_array(np.dstack([np.zeros((2, 2, 3)), np.full((2, 2), 128.0)]))
    assert rgba.rgb.shape == (2, 2, 3) and rgba.alpha.dtype == np.uint8 and np.all(rgba.alpha == 128)
    assert from_array(np.full((1, 1, 3), 300.0)).rgb.max() == 255.0
    with pytest.raises(InputError, match="H x W"):
        from_array(np.zeros((2, 2, 5)))
    with pytest.raises(InputError, match="NaN"):
        from_array(np.full((2, 2), np.nan))


# ---------------------------------------------------------------------------- bad inputs


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match=r"Input file '.*nope\.png' does not exist\."):
        load_image(tmp_path / "nope.png")
    with pytest.raises(InputError, match="is a folder"):
        load_image(tmp_path)


def test_text_file_is_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("hello, not an image\n")
    with pytest.raises(InputError, match=r"'.*notes\.png' is not an image deepdream can read \(it reads PNG"):
        load_image(tmp_path / "notes.png")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permissions")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.png"
    Image.new("RGB", (2, 2)).save(path)
    path.chmod(0)
    try:
        with pytest.raises(InputError, match="permission denied"):
            load_image(path)
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("fmt", ["png", "jpg"])
def test_truncated_file(tmp_path, fmt):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    path = tmp_path / f"cut.{fmt}"
    Image.fromarray(noise(64, 64)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        load_image(path)


@pytest.mark.parametrize("limit", [1000, 100])  # warning (> limit) and error (> 2 x limit) ranges
def test_decompression_bomb(tmp_path, monkeypatch, limit):
    Image.fromarray(noise(40, 40)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with pytest.raises(InputError, match=rf"1,600 pixels, over the safe limit of {limit:,}; shrink it"):
        load_image(tmp_path / "big.png")


# ---------------------------------------------------------------------------- resizing


def test_fit_max_side_shrinks_never_enlarges():
    loaded = from_array(np.dstack([noise(300, 400), np.full((300, 400), 9, np.uint8)]))
    small = fit_max_side(loaded, 200)
    assert small.rgb.shape == (150, 200, 3) and small.rgb.dtype == np.float32
    assert small.alpha.shape == (150, 200) and np.all(small.alpha == 9)
    assert small.rgb.min() >= 0 and small.rgb.max() <= 255
    assert fit_max_side(loaded, 1000) is loaded
    assert fit_max_side(loaded, 400).rgb.shape == (300, 400, 3)
    assert fit_max_side(from_array(noise(50, 10)), 20).rgb.shape == (20, 4, 3)


def test_resize_array_keeps_flat_values_and_range():
    flat = np.full((10, 10, 3), 100.0, np.float32)
    assert np.allclose(resize_array(flat, (5, 7)), 100.0)
    step = np.zeros((8, 8), np.float32)
    step[:, 4:] = 1.0
    out = resize_array(step, (16, 16))
    assert out.shape == (16, 16) and out.min() >= 0.0 and out.max() <= 1.0


# ---------------------------------------------------------------------------- output paths


def test_check_output_path_errors(tmp_path):
    with pytest.raises(OutputError, match=r"extension '\.gif'; use one of \.png"):
        check_output_path(tmp_path / "o.gif")
    with pytest.raises(OutputError, match="no extension"):
        check_output_path(tmp_path / "o")
    with pytest.raises(OutputError, match=r"Output folder '.*missing' does not exist; create it first\."):
        check_output_path(tmp_path / "missing" / "o.png")
    (tmp_path / "d.png").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        check_output_path(tmp_path / "d.png")
    existing = tmp_path / "e.png"
    existing.write_bytes(b"x")
    with pytest.raises(OutputError, match="already exists; pass --overwrite to replace it"):
        check_output_path(existing)
    assert check_output_path(existing, overwrite=True) == existing
    assert check_output_path(tmp_path / "NEW.JPEG") == tmp_path / "NEW.JPEG"


def test_check_output_path_refuses_the_input_even_with_overwrite(tmp_path, monkeypatch):
    src = tmp_path / "in.png"
    src.write_bytes(b"x")
    with pytest.raises(OutputError, match="would overwrite the input"):
        check_output_path(src, inputs=[src], overwrite=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="would overwrite the input"):
        check_output_path("in.png", inputs=[tmp_path / "sub" / ".." / "in.png"], overwrite=True)
    os.link(src, tmp_path / "hard.png")
    with pytest.raises(OutputError, match="would overwrite the input"):
        check_output_path(tmp_path / "hard.png", inputs=[src], overwrite=True)
    assert check_output_path(tmp_path / "other.png", inputs=[src]) == tmp_path / "other.png"


# ---------------------------------------------------------------------------- saving


def test_overwrite_semantics(tmp_path):
    path = tmp_path / "o.png"
    save_image(np.zeros((2, 2, 3)), path)
    with pytest.raises(OutputError, match="already exists"):
        save_image(np.full((2, 2, 3), 255.0), path)
    assert np.all(load_image(path).rgb == 0)
    save_image(np.full((2, 2, 3), 255.0), path, overwrite=True)
    assert np.all(load_image(path).rgb == 255)
    assert listing(tmp_path) == ["o.png"]


def test_save_rounds_and_clips(tmp_path):
    rgb = np.array([[[-5.0, 0.4, 0.6], [254.6, 300.0, 127.5]]], np.float32)
    save_image(rgb, tmp_path / "r.png")
    assert load_image(tmp_path / "r.png").rgb.tolist() == [[[0, 0, 1], [255, 255, 128]]]


@pytest.mark.parametrize(
    "ext, mode", [(".png", "RGB"), (".jpg", "RGB"), (".webp", "RGBA"), (".tif", "RGBA"), (".bmp", "RGB")]
)
def test_every_output_format(tmp_path, ext, mode):
    alpha = None if mode == "RGB" else np.full((6, 8), 200, np.uint8)  # WebP drops an all-opaque alpha
    save_image(np.full((6, 8, 3), 128.0), tmp_path / f"o{ext}", alpha=alpha)
    with Image.open(tmp_path / f"o{ext}") as img:
        assert img.format == images.OUTPUT_FORMATS[ext] and img.mode == mode and img.size == (8, 6)


def test_new_file_permissions_follow_umask(tmp_path, monkeypatch):
    """The umask of the moment a file is made, read without changing it (/proc on Linux); the
    fallback elsewhere (set and restore) reads the same mask."""
    before = os.umask(0o027)
    try:
        assert saving.umask() == 0o027
        path = save_image(np.zeros((2, 2, 3)), tmp_path / "p.png")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        real_open = open

        def no_proc(path, *args, **kwargs):
            if path == "/proc/self/status":
                raise OSError("no /proc here")
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr("builtins.open", no_proc)
        assert saving.umask() == 0o027 and os.umask(0o027) == 0o027
    finally:
        os.umask(before)


def test_failing_save_leaves_nothing(tmp_path):
    # WebP cannot hold more than 16383 pixels on a side: Pillow fails inside the write.
    with pytest.raises(OutputError, match=r"Could not write output file '.*wide\.webp' as WEBP .*try another format"):
        save_image(np.zeros((1, 16384, 3), np.float32), tmp_path / "wide.webp")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_cleans_up_and_keeps_old_file(tmp_path, exc):
    target = tmp_path / "w.bin"

    def half_then_fail(f):
        f.write(b"partial")
        raise exc("stop")

    with pytest.raises(exc):
        images.atomic_write(target, half_then_fail)
    assert listing(tmp_path) == []
    target.write_bytes(b"old")
    with pytest.raises(exc):
        images.atomic_write(target, half_then_fail)
    assert listing(tmp_path) == ["w.bin"] and target.read_bytes() == b"old"
    images.atomic_write(target, lambda f: f.write(b"new"))
    assert listing(tmp_path) == ["w.bin"] and target.read_bytes() == b"new"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permissions")
def test_unwritable_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            save_image(np.zeros((2, 2, 3)), folder / "o.png")
    finally:
        folder.chmod(0o700)


def test_to_pil():
    img = to_pil(np.full((3, 4, 3), 10.0), alpha=np.full((3, 4), 50, np.uint8))
    assert img.mode == "RGBA" and img.size == (4, 3) and img.getpixel((0, 0)) == (10, 10, 10, 50)
    assert to_pil(np.zeros((3, 4, 3))).mode == "RGB"
    with pytest.raises(ValueError):
        to_pil(np.zeros((3, 4)))


# ---------------------------------------------------------------------------- damaged headers


def header_lies_jpeg(tmp_path):
    """A real 64x64 baseline JPEG whose frame header says 9000x9000 (4.3 KB for 81 megapixels)."""
    path = tmp_path / "big.jpg"
    Image.fromarray(noise(64, 64)).save(path, quality=90)
    data = bytearray(path.read_bytes())
    at = data.find(b"\xff\xc0")
    data[at + 5 : at + 9] = (9000).to_bytes(2, "big") * 2
    path.write_bytes(bytes(data))
    return path


def header_lies_gif(tmp_path):
    """A 10x10 GIF frame on a 9000x9000 logical screen."""
    path = tmp_path / "screen.gif"
    Image.new("P", (10, 10)).save(path)
    data = bytearray(path.read_bytes())
    data[6:10] = (9000).to_bytes(2, "little") * 2
    path.write_bytes(bytes(data))
    return path


def header_lies_tiff(tmp_path):
    """A TIFF whose one strip holds 64 rows of the 100000 its header declares."""
    path = tmp_path / "tall.tif"
    Image.fromarray(noise(64, 64, 1)[..., 0]).save(path)
    data = bytearray(path.read_bytes())
    ifd = int.from_bytes(data[4:8], "little")
    for k in range(int.from_bytes(data[ifd : ifd + 2], "little")):
        entry = ifd + 2 + 12 * k
        if int.from_bytes(data[entry : entry + 2], "little") == 257:  # ImageLength, as a LONG
            data[entry + 2 : entry + 12] = (
                (4).to_bytes(2, "little") + (1).to_bytes(4, "little") + (100000).to_bytes(4, "little")
            )
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "make, size, share",
    [
        (header_lies_jpeg, "9000x9000", "0.77%"),
        (header_lies_gif, "9000x9000", "under 0.001%"),
        (header_lies_tiff, "64x100000", "0.064%"),
    ],
)
def test_a_picture_whose_data_covers_part_of_its_header_is_refused(tmp_path, monkeypatch, make, size, share):
    path = make(tmp_path)
    assert Image.open(path).size == tuple(int(n) for n in size.split("x"))  # Pillow believes the header
    with pytest.raises(InputError) as refused:
        load_image(path)
    assert str(refused.value) == (
        f"Input file '{path}' holds data for {share} of the {size} pixels its header "
        f"declares (it is damaged or cut off); re-export or re-download it, or set "
        f"DEEPDREAM_ACCEPT_PARTIAL=1 to take it as it is."
    )
    if make is not header_lies_tiff:  # asked to, it is taken as it is
        monkeypatch.setenv("DEEPDREAM_ACCEPT_PARTIAL", "1")
        assert load_image(path).rgb.shape[:2] == (9000, 9000)


def test_whole_pictures_of_every_kind_cover_their_header(tmp_path):
    for name, options in (
        ("a.jpg", {}),
        ("b.jpg", {"progressive": True}),
        ("c.gif", {}),
        ("d.tif", {}),
        ("e.tif", {"compression": "tiff_deflate"}),
        ("f.png", {}),
    ):
        Image.fromarray(noise(40, 56)).save(tmp_path / name, **options)
        assert load_image(tmp_path / name).rgb.shape == (40, 56, 3)
    flat = tmp_path / "flat.jpg"  # one colour compresses hard, and is still whole
    Image.new("RGB", (2000, 1500), (90, 30, 200)).save(flat, quality=50)
    assert images.coverage(Image.open(flat), flat) == 1.0


def test_a_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "mask.png"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as refused:
        load_image(fifo)
    assert str(refused.value) == (
        f"Input '{fifo}' is not a regular file (a pipe, socket or device); give the path of an image file."
    )
