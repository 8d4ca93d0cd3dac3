"""Shared fixtures: the real embedded VGG16 (loaded once), small images, and the CLI as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("DEEPDREAM_OFFLINE", "1")  # no test may reach for a model hub


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject's addopts): one worker per core, at most four (each holds TensorFlow and
    the networks, about 1.5 GB). `-n 0` runs the suite in this process (one test: faster start)."""
    return max(1, min(_cores(), 4))


if os.environ.get("PYTEST_XDIST_WORKER"):
    # Workers share the cores: each gets its share of TensorFlow's threads (set before it is imported;
    # the processes the tests start inherit it) rather than a pool as large as the machine
    # (`-m "not slow"` on 2 cores: 71.9 s at one thread a worker, 74.6 s at two).
    _threads = str(max(1, _cores() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))))
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", _threads)
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", _threads)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for a server a test starts in a process of its own."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def vgg():
    from deepdream.backbones import load_backbone

    return load_backbone("vgg16")


@pytest.fixture
def photo() -> np.ndarray:
    """A small natural photo (the cat sample, shrunk), float32 RGB in [0, 255]."""
    from PIL import Image

    img = Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((96, 64), Image.LANCZOS)
    return np.asarray(img, np.float32)


def run_cli(*args, cwd=None, timeout=300, env=None) -> subprocess.CompletedProcess:
    """Run `python -m deepdream ARGS` in a process of its own, capturing text output; env: extra
    environment variables. Each start imports TensorFlow anew (seconds): use it only where the process
    is the point (Ray workers, a command that must not hang this one, the server) and `cli` elsewhere;
    mark such tests `slow`."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "deepdream", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def render(
    backbone,
    rgb,
    objective,
    *,
    octaves=4,
    octave_scale=1.4,
    steps=10,
    step_size=1.5,
    tile_size=512,
    seed=0,
    progress=None,
    tiled=None,
    precision="float32",
    tile_batch=1,
    transforms=(),
    mask=None,
):
    """The octave loop on its own (no jitter, the raw mean-normalised step unless `tiled` says
    otherwise), for tests of the loop's mechanics."""
    from deepdream.render.dreamer import octave_loop
    from deepdream.render.tiles import TiledGradient
    from deepdream.settings import rng

    tiled = tiled or TiledGradient(backbone, objective, tile_size, precision=precision, tile_batch=tile_batch)
    return octave_loop(
        tiled,
        rgb,
        octaves=octaves,
        octave_scale=octave_scale,
        steps=steps,
        step_size=step_size,
        rng=rng(seed),
        transforms=transforms,
        mask=mask,
        progress=progress,
    )


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run `deepdream ARGS` in this process (no Python or TensorFlow start-up: fast) as `main` does,
    capturing its exit code, stdout and stderr; cwd: the folder to run it from. It goes through
    `deepdream.cli.run`, so the one-line errors and exit codes are the console script's own (Typer's
    CliRunner on `app` would skip them). Output written to file descriptor 2 from C (not through
    sys.stderr) is not in `stderr` here: use pytest's `capfd` to check it."""
    import contextlib
    import io

    from deepdream.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            code = run([str(a) for a in args])
        except SystemExit as e:  # pragma: no cover (run returns its code; a stray exit still counts)
            code = e.code if isinstance(e.code, int) else 1
    return subprocess.CompletedProcess(["deepdream", *map(str, args)], code, out.getvalue(), err.getvalue())
