"""MACO paintings (`render.maco`): the shipped spectrum, its resizing, the phase-only pictures, and the
transparency map any painting can write (`--alpha`)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from conftest import cli
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
#: A painting small and short enough for a test: 64x64, four steps, one view.
TINY = ("--size", "64x64", "--steps", "4", "--views", "1", "--blurred-views", "0", "-q")


def test_the_spectrum_ships_in_the_package_and_is_small():
    """The spectrum is package data (pyproject's package-data names it, so a wheel carries it), read
    through importlib.resources: float16 on disk, 3 channels of a 256x256 real FFT, zero at DC."""
    from deepdream.render.maco import SPECTRUM_FILE, stored_spectrum

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["deepdream"]
    assert "data/*.npz" in patterns
    shipped = resources.files("deepdream").joinpath("data", SPECTRUM_FILE)
    assert shipped.is_file() and 50_000 < len(shipped.read_bytes()) < 300_000
    with shipped.open("rb") as f:
        stored = np.load(f)
        assert stored["magnitude"].dtype == np.float16
        assert list(stored["photos"]) == ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"]
    spectrum = stored_spectrum()
    assert spectrum.shape == (3, 256, 129) and spectrum.dtype == np.float32
    assert spectrum[:, 0, 0].tolist() == [0.0, 0.0, 0.0]
    # photos' spectra fall with frequency: the lowest frequencies carry far more than the highest
    assert (spectrum[:, 1:4, 1:4].mean(axis=(1, 2)) > 10 * spectrum[:, 100:128, 100:].mean(axis=(1, 2))).all()


@pytest.mark.slow  # a fresh interpreter computes the spectrum from four photos (seconds)
def test_the_spectrum_script_makes_the_stored_file_again():
    """scripts/maco_spectrum.py --check recomputes the spectrum from samples/ and finds the same numbers."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "maco_spectrum.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deepdream/data/maco_spectrum.npz: same" in done.stdout


@pytest.mark.parametrize("height,width", [(64, 64), (96, 160), (81, 75)])
def test_the_spectrum_resized_to_a_painting_keeps_the_photos_variance(height, width):
    """Resized to any painting's size, the spectrum holds each channel's variance of the photos (as
    TensorFlow's irfft2d makes a picture of it); pictures of random phases at those magnitudes have
    that variance, less half the energy of the columns a real FFT keeps real (the first, and the
    last of an even width: their phases cannot all be free), and a mean of zero."""
    from deepdream.render.maco import _variance, random_phase, spectrum_for, stored_spectrum

    magnitude = spectrum_for(height, width)
    assert magnitude.shape == (3, height, width // 2 + 1)
    photos = _variance(stored_spectrum(), 256)
    np.testing.assert_allclose(_variance(magnitude / np.sqrt(height * width), width), photos, rtol=1e-4)
    real = [0, -1] if width % 2 == 0 else [0]
    lost = 0.5 * (magnitude[:, :, real] ** 2).sum(axis=(1, 2)) / (height * width) ** 2
    variances = []
    for seed in range(8):
        angles = random_phase(np.random.default_rng(seed), magnitude.shape)[:, 0]
        picture = np.fft.irfft2(magnitude * (angles[0] + 1j * angles[1]), s=(height, width))
        assert np.abs(picture.mean(axis=(1, 2))).max() < 1e-6
        variances.append(picture.var(axis=(1, 2)))
    np.testing.assert_allclose(np.mean(variances, axis=0), photos - lost, rtol=0.1)


def test_the_transparency_map_spans_0_to_255_per_picture():
    """The map is scaled per picture: 0 at its least, 255 from its 99th percentile up."""
    from deepdream.render.maco import transparency

    ramp = np.arange(100.0).reshape(10, 10)
    one = transparency(ramp)
    assert one.dtype == np.uint8 and one.shape == (10, 10)
    assert one[0, 0] == 0 and one[9, 9] == 255 and one[5, 0] == round(50 / 98.01 * 255)
    both = transparency(np.stack([ramp, 1000 * ramp + 7]))
    assert both.shape == (2, 10, 10) and np.array_equal(both[0], both[1])


def test_a_wrong_param_or_alpha_is_one_line_and_exit_2(tmp_path):
    from deepdream.errors import SettingsError
    from deepdream.settings import ClassSettings

    with pytest.raises(SettingsError, match="--param must be one of fourier, maco"):
        ClassSettings(target_class="lemon", param="lucid")
    result = cli("visualize", "block4a_expand:3", "--alpha", "mask", "-o", tmp_path / "v.png", "--dry-run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "deepdream: error: --alpha must be one of none, file, channel (got 'mask')."
    ], result.stderr


@pytest.mark.slow  # --dry-run loads the network to check the class
def test_dry_run_names_the_transparency_map(tmp_path):
    out = tmp_path / "lemon.png"
    result = cli("class", "lemon", "--param", "maco", "--alpha", "file", "-o", out, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"its transparency map in {tmp_path / 'lemon_alpha.png'}" in result.stdout
    assert not out.exists()


@pytest.mark.slow  # two tiny paintings and a third run (a few seconds: the network loads and traces)
def test_a_maco_painting_changes_only_phases_traces_once_and_repeats_its_bytes():
    """After the steps the picture's spectrum (its decorrelated values, before the sigmoid) still has
    the photos' magnitudes: only the phases moved; one trace serves every run; a seed repeats its
    bytes and another seed paints another picture."""
    from deepdream.render.maco import spectrum_for
    from deepdream.render.painter import COLOR_MIX
    from deepdream.render.param import prepare_painting
    from deepdream.settings import VisualizeSettings

    settings = VisualizeSettings(target="block4a_expand:5", size="64x64", steps=6, views=2, param="maco")
    painting = prepare_painting(settings)
    rgb = painting.run()
    level = np.asarray(rgb, np.float64) / 255.0
    values = np.log(level / (1.0 - level)).reshape(-1, 3) @ np.linalg.inv(COLOR_MIX.T.astype(np.float64))
    spectrum = np.abs(np.fft.rfft2(values.reshape(64, 64, 3).transpose(2, 0, 1)))
    wanted = spectrum_for(64, 64)
    ratio = spectrum[wanted > 0] / wanted[wanted > 0]
    assert abs(np.median(ratio) - 1.0) < 0.01 and np.percentile(np.abs(ratio - 1.0), 95) < 0.05
    assert np.array_equal(painting.run(), rgb) and painting.traces == 1
    assert np.abs(painting.run(seed=1) - rgb).mean() > 5.0


@pytest.mark.slow  # two tiny paintings through the command line (a few seconds)
def test_the_transparency_map_beside_the_picture_or_as_its_alpha_channel(tmp_path):
    """--alpha file writes NAME_alpha.png (greyscale, the picture's size, scaled to 0..255 and far
    from constant; at 64x64 and four steps its bright parts are not yet an object's shape, so no
    more is asserted of them); --alpha channel writes it as the PNG's alpha: the same map, in an
    RGBA picture of the same colours."""
    out = tmp_path / "lemon.png"
    assert cli("class", "lemon", "--param", "maco", "--alpha", "file", "-o", out, *TINY).returncode == 0
    with Image.open(tmp_path / "lemon_alpha.png") as im:
        assert im.mode == "L" and im.size == (64, 64)
        alpha = np.asarray(im)
    assert alpha.min() == 0 and alpha.max() == 255 and alpha.std() > 20
    assert (alpha == 255).mean() < 0.05  # only the top percent or so is white
    with Image.open(out) as im:
        assert im.mode == "RGB"
        rgb = np.asarray(im)
    both = tmp_path / "both.png"
    assert cli("class", "lemon", "--param", "maco", "--alpha", "channel", "-o", both, *TINY).returncode == 0
    with Image.open(both) as im:
        assert im.mode == "RGBA" and im.size == (64, 64)
        rgba = np.asarray(im)
    assert np.array_equal(rgba[..., :3], rgb) and np.array_equal(rgba[..., 3], alpha)


def test_a_dream_gallery_refuses_the_painting_options(tmp_path):
    result = cli("gallery", ROOT / "samples" / "chelsea.png", "--param", "maco", "-o", tmp_path / "g.png", "--dry-run")
    assert result.returncode == 2
    assert result.stderr.strip() == "deepdream: error: --param applies to --from-noise only."


@pytest.mark.slow  # a two-channel atlas painted from noise (a few seconds)
def test_an_atlas_paints_with_maco_and_writes_each_cells_transparency_map(tmp_path):
    sheet = tmp_path / "atlas.png"
    args = ("gallery", "--from-noise", "-l", "block4a_expand", "--channels", "2", "--cell", "64", "--steps", "3")
    result = cli(*args, "--param", "maco", "--alpha", "file", "-o", sheet, "-q")
    assert result.returncode == 0, result.stderr
    cells = tmp_path / "atlas_cells"
    assert sorted(p.name for p in cells.iterdir()) == [
        "block4a_expand_0000.png",
        "block4a_expand_0000_alpha.png",
        "block4a_expand_0001.png",
        "block4a_expand_0001_alpha.png",
    ]
    from deepdream.images import read_metadata

    assert '"param": "maco"' in read_metadata(cells / "block4a_expand_0001.png")
    for channel in (0, 1):
        with Image.open(cells / f"block4a_expand_{channel:04d}_alpha.png") as im:
            assert im.mode == "L" and im.size == (64, 64)
            assert np.asarray(im).min() == 0 and np.asarray(im).max() == 255
