"""`deepdream batch` and `deepdream gallery` as a user runs them, in process and on a real local
Ray cluster (2 CPUs): broken inputs, resume, sweeps, input expansion, bad options, the same bytes
on Ray, a worker that dies (injected: a pool of workers that die or fail on chosen renders), the
retry policy, the missing extra, and the contact sheet."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import SAMPLES, cli
from PIL import Image

from deepdream.batch import DreamWorker
from deepdream.workers import RETRY, LocalPool, WorkerDied, WorkerFailed

TINY = ["-b", "vgg16", "--layer", "block2_conv1", "--octaves", "1", "--steps", "1", "-q"]
SMALL = dict(backbone="vgg16", layers=["block2_conv1"], octaves=1, steps=1)  # TINY, in Python


@pytest.fixture
def photos(tmp_path):
    """Three 48x48 pictures (a1, a2, a10) and a broken one, in tmp_path/in."""
    folder = tmp_path / "in"
    folder.mkdir()
    cat = Image.open(SAMPLES / "chelsea.png").convert("RGB")
    for name, box in [("a1", (0, 0, 200, 200)), ("a2", (100, 50, 300, 250)), ("a10", (200, 100, 400, 300))]:
        cat.crop(box).resize((48, 48)).save(folder / f"{name}.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return folder


def outputs(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_broken_input_skipped_then_resume_and_overwrite(photos, tmp_path):
    out = tmp_path / "out"
    result = cli("batch", photos / "a1.png", photos / "broken.png", photos / "a2.png", "--out", out, *TINY)
    assert result.returncode == 1, result.stderr
    assert outputs(out) == ["a1.png", "a2.png"]
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failures) == 1 and "broken.png" in failures[0] and "is not an image" in failures[0], result.stderr
    assert "Traceback" not in result.stderr
    meta = Image.open(out / "a1.png").text["deepdream"]  # settings ride along, as with `dream`
    assert '"block2_conv1"' in meta and '"input": "a1.png"' in meta
    before = {name: (out / name).read_bytes() for name in outputs(out)}
    (out / "a2.png").write_bytes(b"stale")  # resume keeps whatever is there
    result = cli("batch", photos / "a1.png", photos / "a2.png", "--out", out, *TINY[:-1])
    assert result.returncode == 0, result.stderr
    assert "0 written, 2 skipped" in result.stderr
    assert (out / "a1.png").read_bytes() == before["a1.png"] and (out / "a2.png").read_bytes() == b"stale"
    result = cli("batch", photos / "a1.png", photos / "a2.png", "--out", out, "--overwrite", *TINY)
    assert result.returncode == 0, result.stderr
    assert (out / "a2.png").read_bytes() == before["a2.png"]  # redone, same bytes as the first time
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


def test_sweep_names_and_folder_and_glob_inputs(photos, tmp_path):
    (photos / "broken.png").unlink()
    out = tmp_path / "out"
    args = ["-b", "vgg16", "--octaves", "1", "--steps", "1", "-q"]
    result = cli(
        "batch",
        photos / "a1.png",
        "--out",
        out,
        "--layer",
        "block1_conv1",
        "--layer",
        "block2_conv1",
        "--seed",
        "3",
        "--seed",
        "4",
        *args,
    )
    assert result.returncode == 0, result.stderr
    assert outputs(out) == [
        f"a1__layer-{layer}__seed-{seed}.png" for layer in ("block1_conv1", "block2_conv1") for seed in (3, 4)
    ]
    assert (out / "a1__layer-block1_conv1__seed-3.png").read_bytes() != (
        out / "a1__layer-block1_conv1__seed-4.png"
    ).read_bytes()
    from deepdream.planning import expand_inputs

    assert [p.name for p in expand_inputs([photos])] == ["a1.png", "a2.png", "a10.png"]  # natural order
    assert [p.name for p in expand_inputs([str(photos / "a1*.png"), photos / "a1.png"])] == ["a1.png", "a10.png"]
    out2 = tmp_path / "out2"
    result = cli("batch", photos, str(photos / "a1?.png"), "--out", out2, "--layer", "block1_conv1", *args)
    assert result.returncode == 0, result.stderr
    assert outputs(out2) == ["a1.png", "a10.png", "a2.png"]


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--layer", "block9_conv1"], "block9_conv1"),
        (["--steps", "0"], "--steps must be at least 1 (got 0)"),
        (["--format", "gif"], "--format must be one of png, jpg, webp, tif"),
        (["--workers", "0"], "--workers must be"),
    ],
)
def test_bad_options_fail_before_any_work(photos, tmp_path, args, fragment):
    out = tmp_path / "out"
    result = cli("batch", photos / "a1.png", "--out", out, "-b", "vgg16", "--octaves", "1", "--steps", "1", *args)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: ") and fragment in lines[0], result.stderr
    assert outputs(out) == []
    result = cli("batch", tmp_path / "nowhere" / "*.png", "--out", out, *TINY)
    assert result.returncode == 2 and "No file matches" in result.stderr


def test_missing_ray_extra_says_how_to_install(photos, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as where it is not installed
    result = cli("batch", photos / "a1.png", "--out", tmp_path / "o", "--ray", "local", "-q")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "deepdream: error: Ray is not installed; --ray needs it: pip install "
        '"deepdream-studio[ray]" (or pip install ".[ray]" from a clone).'
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # a local Ray cluster
def test_ray_gives_the_same_bytes_and_survives_a_dead_worker(photos, tmp_path):
    pytest.importorskip("ray")
    from deepdream import batch
    from deepdream.workers import RayPool

    inputs = [photos / "a1.png", photos / "broken.png", photos / "a2.png", photos / "a10.png"]
    here = batch(inputs, tmp_path / "here", **SMALL)
    marker = tmp_path / "crashed"

    class DiesOnce(DreamWorker):  # made here, so Ray ships the class itself to its workers
        def render(self, item, loaded):
            if not marker.exists():  # the first worker to render dies, as one killed for memory does
                marker.write_text(self.name)
                os._exit(1)
            return super().render(item, loaded)

    temp = Path(tempfile.gettempdir())
    sessions = {*temp.glob("deepdream-ray-*"), *temp.glob("ray/session_*")}
    # one worker (each costs a TensorFlow start): the one that dies is replaced, and its item sent again
    there = batch(inputs, tmp_path / "there", pool=RayPool(DiesOnce, "local", workers=1), **SMALL)
    # the cluster's session folder went with it
    assert {*temp.glob("deepdream-ray-*"), *temp.glob("ray/session_*")} == sessions
    assert marker.exists()  # a worker did die, and its items were rendered again
    assert there.where == "Ray, 1 worker" and here.where == "in process"
    assert [r.item.input.name for r in there.failed] == ["broken.png"] and "is not an image" in there.failed[0].reason
    assert outputs(tmp_path / "there") == outputs(tmp_path / "here") == ["a1.png", "a10.png", "a2.png"]
    for name in outputs(tmp_path / "here"):
        assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    assert not [p for p in (tmp_path / "there").iterdir() if p.name.startswith(".")]


class Flaky(DreamWorker):
    """A worker that dies (WorkerDied) or fails (WorkerFailed) on chosen renders: `errors` maps an
    output's name to the errors of its first tries; `sent` lists the outputs it was given."""

    def __init__(self, errors):
        super().__init__()
        self.errors = {name: list(them) for name, them in errors.items()}
        self.sent = []

    def render(self, item, loaded):
        self.sent.append(item.output.name)
        if self.errors.get(item.output.name):
            raise self.errors[item.output.name].pop(0)
        return super().render(item, loaded)


def test_a_worker_that_dies_or_fails_is_retried_then_reported(photos, tmp_path, caplog):
    from deepdream import batch

    (photos / "broken.png").unlink()
    died, failed = WorkerDied("out of memory? see the Ray logs"), WorkerFailed("RuntimeError: boom")
    worker = Flaky({"a1.png": [died, failed], "a2.png": [died] * 4, "a10.png": [failed] * 4})
    summary = batch([photos], tmp_path / "out", pool=LocalPool(lambda: worker), **SMALL)
    assert worker.sent == ["a1.png"] * 3 + ["a2.png"] * 4 + ["a10.png"] * 4  # a first try and RETRY's 3 more
    assert summary.written == [tmp_path / "out" / "a1.png"] and outputs(tmp_path / "out") == ["a1.png"]
    assert summary.lines()[1:] == [
        "failed: a2.png: its worker died 4 times (out of memory? see the Ray logs).",
        "failed: a10.png: the worker failed (RuntimeError: boom).",
    ]
    assert "a worker died rendering a1.png; it is sent again" in caplog.text
    assert "a worker failed rendering a1.png (RuntimeError: boom); it is sent again" in caplog.text
    reference = batch([photos / "a1.png"], tmp_path / "ref", **SMALL)
    assert (tmp_path / "out" / "a1.png").read_bytes() == (tmp_path / "ref" / "a1.png").read_bytes()
    assert reference.ok and RETRY.attempts == 3


def test_gallery_shows_the_cell_whose_worker_kept_failing(photos, tmp_path):
    from deepdream.gallery import gallery

    worker = Flaky({"a1__layer-block1_conv1.png": [WorkerFailed("RuntimeError: boom")] * 4})
    made = gallery(
        photos / "a1.png",
        tmp_path / "g.png",
        backbone="vgg16",
        layers=["block1_conv1", "block2_conv1"],
        cell=48,
        octaves=1,
        steps=1,
        pool=LocalPool(lambda: worker),
    )
    assert [r.item.output.name for r in made.summary.failed] == ["a1__layer-block1_conv1.png"]
    assert outputs(tmp_path / "g_cells") == ["a1__layer-block2_conv1.png"]
    assert '<p class="failed">failed: the worker failed (RuntimeError: boom).</p>' in made.html.read_text()
    sheet = Image.open(made.sheet).convert("RGB")
    assert sheet.getpixel((8 + 24, 13 + 16 + 24)) == (70, 70, 70)  # the failed cell is grey


def test_gallery_sheet_and_page(photos, tmp_path):
    sheet = tmp_path / "sheet.png"
    layers = ["block1_conv1", "block2_conv1", "block3_conv1"]
    result = cli(
        "gallery",
        photos / "a1.png",
        "-o",
        sheet,
        "-b",
        "vgg16",
        *sum([["--layer", name] for name in layers], []),
        "--cell",
        "48",
        "--octaves",
        "1",
        "--steps",
        "1",
        "-q",
    )
    assert result.returncode == 0, result.stderr
    # 3 cells of 48x48 in 2 columns: 8 px margins, 11 px labels, a 13 px title line
    assert Image.open(sheet).size == (8 + 2 * (48 + 8), 13 + 16 + 2 * (48 + 11 + 8 + 8))
    assert outputs(tmp_path / "sheet_cells") == [f"a1__layer-{name}.png" for name in layers]
    page = (tmp_path / "sheet.html").read_text()
    assert page.count("<figure>") == 3
    for name in layers:
        assert f'src="sheet_cells/a1__layer-{name}.png"' in page
        command = f"deepdream dream {photos / 'a1.png'} -o a1_layer-{name}.png --backbone vgg16 --layer {name}"
        assert f"{command} --octaves 1 --steps 1</code>" in page  # vgg16's own look goes without saying
    # the same gallery again reuses its cells; one layer's channels is another sweep
    from deepdream.gallery import gallery

    made = gallery(
        photos / "a1.png",
        tmp_path / "ch.png",
        backbone="vgg16",
        layers=["block1_conv1"],
        channels=2,
        cell=48,
        octaves=1,
        steps=1,
    )
    assert made.labels == ["block1_conv1:0", "block1_conv1:1"] and made.summary.ok
    assert outputs(tmp_path / "ch_cells") == ["a1__layer-block1_conv1-0.png", "a1__layer-block1_conv1-1.png"]
    assert "--layer block1_conv1:1 --octaves 1 --steps 1" in made.commands[1]
    again = gallery(
        photos / "a1.png",
        tmp_path / "ch.png",
        backbone="vgg16",
        layers=["block1_conv1"],
        channels=2,
        cell=48,
        octaves=1,
        steps=1,
        overwrite=True,
    )
    assert len(again.summary.skipped) == 2


def test_python_api(photos, tmp_path):
    import deepdream

    summary = deepdream.batch(
        [photos],
        tmp_path / "out",
        backbone="vgg16",
        layers=["block2_conv1"],
        octaves=1,
        steps=1,
        sweep={"seed": [1, 2]},
    )
    assert isinstance(summary, deepdream.BatchSummary) and not summary.ok
    assert [p.name for p in summary.written] == [f"{s}__seed-{n}.png" for s in ("a1", "a2", "a10") for n in (1, 2)]
    assert [r.item.input.name for r in summary.failed] == ["broken.png", "broken.png"]
    assert "failed: broken.png (2 renders): " in str(summary)


def test_workers_are_capped_by_what_the_cluster_can_place():
    from deepdream.workers import worker_plan

    assert worker_plan({"CPU": 8.0}, None) == (8, {"num_cpus": 1}, None)
    assert worker_plan({"CPU": 64.0, "GPU": 4.0}, None) == (4, {"num_gpus": 1, "num_cpus": 0}, None)
    assert worker_plan({"CPU": 64.0, "GPU": 4.0}, 2)[0] == 2
    count, ask, note = worker_plan({"CPU": 64.0, "GPU": 4.0}, 6)
    assert (count, ask) == (4, {"num_gpus": 1, "num_cpus": 0})
    assert note == "--workers 6: the cluster has room for 4 (one GPU each); starting 4"
    assert worker_plan({}, None)[0] == 1


def test_a_gallery_closes_the_pool_it_was_given_when_its_checks_stop_it_or_it_is_a_dry_run(tmp_path):
    from deepdream.errors import SettingsError
    from deepdream.gallery import gallery
    from deepdream.workers import Worker

    closed = []

    class Recording(Worker):
        def close(self) -> None:
            closed.append(self)

    with pytest.raises(SettingsError, match="--cell must be at least 32 \\(got 8\\). 192 is a good start."):
        gallery(SAMPLES / "chelsea.png", tmp_path / "g.png", cell=8, pool=LocalPool(Recording, 2))
    assert len(closed) == 2
    planned = gallery(
        SAMPLES / "chelsea.png",
        tmp_path / "g.png",
        backbone="vgg16",
        layers=["block1_conv1"],
        channels=2,
        dry_run=True,
        pool=LocalPool(Recording, 1),
    )
    assert planned.summary is None and len(closed) == 3 and not (tmp_path / "g_cells").exists()
