"""Importing a module changes nothing in the process: not the umask, not the environment, not a
function or class of another library (Typer, Gradio, Pillow, ...). What the CLI or the server must
configure, it configures when it starts. Every deepdream module is imported in turn in one fresh
interpreter, the process's state compared before and after each."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

PROBE = r"""
import importlib, json, os, sys

WATCHED = ("typer", "click", "gradio", "fastapi", "starlette", "PIL", "numpy", "rich")


def umask():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))


def attributes():
    seen = {}
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in WATCHED:
            continue
        for key, value in list(vars(module).items()):
            seen[f"{name}.{key}"] = id(value)
            if isinstance(value, type) and value.__module__ == name:
                for member, inner in list(vars(value).items()):
                    seen[f"{name}.{key}.{member}"] = id(inner)
    return seen


for library in ("typer", "typer.core", "typer.main", "gradio", "gradio.routes", "fastapi", "PIL.Image", "numpy"):
    try:
        importlib.import_module(library)
    except ImportError:
        pass
changed = {}
for name in sys.argv[1:]:
    mask, environ, before = umask(), dict(os.environ), attributes()
    importlib.import_module(name)
    after = attributes()
    found = [f"umask {mask:o} -> {umask():o}"] if umask() != mask else []
    found += [f"environ {key}" for key in set(environ) ^ set(os.environ)]
    found += [f"environ {key}" for key in environ if key in os.environ and environ[key] != os.environ[key]]
    found += [key for key, value in before.items() if after.get(key, value) != value]
    if found:
        changed[name] = sorted(found)
print(json.dumps(changed))
"""


def _modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "deepdream").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name != "deepdream.__main__":  # __main__ runs the command: that is its job
            names.append(name)
    return names


@pytest.mark.slow  # a fresh process that imports every module
def test_importing_any_module_changes_nothing_in_the_process_and_the_probe_sees_a_meddler(tmp_path):
    """Every deepdream module, imported in turn, changes nothing (the server and the studio set no
    environment variable and patch nothing of Gradio's: they set what they need when they start);
    and the probe itself catches a module that does each of the three (imported last, in the same
    process: a fresh interpreter costs seconds)."""
    modules = _modules()
    assert len(modules) > 80 and "deepdream.saving" in modules and "deepdream.cli.app" in modules
    assert "deepdream.web.server" in modules and "deepdream.web.studio" in modules
    (tmp_path / "meddler.py").write_text(
        "import os, typer.core\n"
        "os.umask(0o077)\n"
        "os.environ['MEDDLED'] = '1'\n"
        "typer.core.TyperArgument.get_usage_pieces = lambda self, ctx: []\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("GRADIO_TEMP_DIR", "GRADIO_ANALYTICS_ENABLED")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *modules, "meddler"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    changed = json.loads(done.stdout.strip().splitlines()[-1])
    found = changed.pop("meddler")
    assert changed == {}
    assert "environ MEDDLED" in found and "typer.core.TyperArgument.get_usage_pieces" in found
    assert any(item.startswith("umask") for item in found)
