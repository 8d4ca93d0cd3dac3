"""What a new user meets first: the install name, quiet start-up, one-line errors, --help."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from conftest import ROOT

DISTRIBUTION = "deepdream-studio"  # `deepdream` on the package index is an unrelated 2020 project


def test_the_distribution_has_a_name_of_its_own_and_every_install_line_uses_it():
    from deepdream._install import DISTRIBUTION as named, extra_hint

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == named == DISTRIBUTION
    assert project["scripts"] == {"deepdream": "deepdream.cli:main"}  # the command keeps its name
    texts = {path: path.read_text() for path in [ROOT / "README.md", *(ROOT / "deepdream").rglob("*.py")]}
    named_lines = [(path.name, m.group(1)) for path, text in texts.items()
                   for m in re.finditer(r'pip install \\?["\']?([\w.-]+)\[', text)]
    assert named_lines, "no install line with an extra found"
    assert {name for _, name in named_lines if name != "."} == {DISTRIBUTION}, named_lines
    assert extra_hint("video") == 'pip install "deepdream-studio[video]" (or pip install ".[video]" from a clone)'


def test_the_python_api_keeps_tensorflow_start_up_chatter_off_stderr():
    """The process's stderr is the point: TensorFlow logs CUDA probing, CPU features and oneDNN notes
    from C++ when first imported, unless deepdream imports it quietly first."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}  # conftest quiets this process only
    code = ("import numpy as np, deepdream\n"
            "deepdream.load_backbone('vgg16')\n"
            "a = np.random.default_rng(0).uniform(0, 255, (32, 32, 3)).astype(np.uint8)\n"
            "deepdream.synthesize_texture(a, '32x32', iterations=1, scales=1)\n"
            "deepdream.stylize(a, a, iterations=1, scales=1)\n"
            "print('done')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert result.stderr == ""
