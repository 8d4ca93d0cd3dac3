"""The shape of the package: no import cycles (counting imports inside functions), no module over 450
lines, the version written once. Read with `scripts/import_graph.py` (ast only: nothing imported)."""

from __future__ import annotations

import ast
import importlib.util
import sys
import tomllib

import pytest
from conftest import ROOT

_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
graph = sys.modules["import_graph"] = importlib.util.module_from_spec(_spec)  # (dataclasses look it up there)
_spec.loader.exec_module(graph)


@pytest.fixture(scope="module")
def report():
    return graph.analyse()


def _write(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_graph_counts_imports_in_functions_relative_imports_and_submodules(tmp_path):
    """A made-up package: each kind of import the counter must see, and one it must not mistake."""
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from .top import thing\n",
            "pkg/top.py": "def thing():\n    from .sub import low  # inside a function\n    return low\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/low.py": "import os\nimport numpy.linalg\n",  # outside the package: not counted
            "pkg/sub/mid.py": "from . import low\nfrom .. import top\n",  # `from . import low` is the submodule
            "pkg/a.py": "import pkg.b\n",
            "pkg/b.py": "def g():\n    from pkg import a\n",
            "pkg/reg.py": (
                "import importlib\nTABLE = {'x': 'pkg.a'}\n\ndef get(n):\n"
                "    return importlib.import_module(TABLE[n])\n"
            ),
            "pkg/long.py": "x = 1\n" * 451,
        },
    )
    result = graph.analyse(tmp_path, "pkg")
    assert result.edges["pkg"] == {"pkg.top"}
    assert result.edges["pkg.top"] == {"pkg.sub.low"}
    assert result.edges["pkg.sub.mid"] == {"pkg.sub.low", "pkg.top"}
    assert result.edges["pkg.sub.low"] == set()
    assert result.edges["pkg.reg"] == {"pkg.a"}  # the registry's name -> module table
    assert result.cycles == [["pkg.a", "pkg.b"]]
    assert result.long == {"pkg.long": 451} and not result.ok

    _write(tmp_path, {"pkg/sub/low.py": "def f():\n    from .. import thing\n"})  # a module importing its package back
    assert graph.analyse(tmp_path, "pkg").cycles == [["pkg", "pkg.sub.low", "pkg.top"], ["pkg.a", "pkg.b"]]


# Untangled: the root package and settings/motion (the version), the backbone registry
# and its weights module, the web package and its modules, the CLI and its commands, the worker pool and
# its users (a name covers its submodules, but the root's).
UNTANGLED = (
    "deepdream",
    "deepdream._version",
    "deepdream.settings",
    "deepdream.motion",
    "deepdream.backbones",
    "deepdream.web",
    "deepdream.cli",
    "deepdream.workers",
    "deepdream.planning",
    "deepdream.batch",
    "deepdream.gallery",
)
# Split: efficientnet_lite2 (the checkpoint reader apart), weights (the files below the registry), images,
# settings (a package by mode), batch (planning and the worker pool apart), motion (segments' pool).
SHORT = (
    "deepdream.backbones",
    "deepdream.images",
    "deepdream.saving",
    "deepdream.settings",
    "deepdream.cli",
    "deepdream.web",
    "deepdream.batch",
    "deepdream.planning",
    "deepdream.workers",
    "deepdream.motion",
)


def _within(name: str, parts) -> bool:
    return any(name == part or (part != "deepdream" and name.startswith(part + ".")) for part in parts)


def test_no_cycle_touches_the_parts_already_untangled(report):
    assert report.modules.keys() >= {
        "deepdream.backbones.files",
        "deepdream.backbones.pytorch_pickle",
        "deepdream.saving",
        "deepdream._version",
    }
    tangled = [cycle for cycle in report.cycles if any(_within(name, UNTANGLED) for name in cycle)]
    assert tangled == [], [graph.cycle_edges(report, cycle) for cycle in tangled]
    # the import that was the backbones <-> weights cycle: the networks read files.py, below the registry
    assert "deepdream.backbones" not in report.edges["deepdream.backbones.files"]
    assert "deepdream.backbones.weights" not in report.edges["deepdream.backbones"]
    assert "deepdream" not in report.edges["deepdream.settings"] | report.edges["deepdream.motion.frames"]


def test_backbones_and_images_have_no_module_over_450_lines(report):
    assert {name: lines for name, lines in report.long.items() if _within(name, SHORT)} == {}


def _trees(folder: str):
    for path in sorted((ROOT / folder).rglob("*.py")):
        yield path, ast.parse(path.read_text())


def _declared(tree) -> set[str]:
    """What a module declares for others to read: its UPPER_CASE constants, its classes' fields and
    properties, and the attributes their `__init__` sets."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
                elif isinstance(item, ast.FunctionDef) and any(
                    ast.unparse(d) == "property" for d in item.decorator_list
                ):
                    names.add(item.name)
                elif isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    names |= {
                        n.attr
                        for n in ast.walk(item)
                        if isinstance(n, ast.Attribute)
                        and isinstance(n.ctx, ast.Store)
                        and ast.unparse(n.value) == "self"
                    }
    return names


def _read(tree) -> set[str]:
    """Every name a module reads: names, attributes, keywords, imported names and string constants
    (getattr, __all__, dataclass fields by name)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
        elif isinstance(node, ast.alias):
            names.add(node.name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
    return names


def test_the_package_holds_no_test_hooks():
    """Production code holds nothing only tests read or switch: every constant, field and attribute
    a module declares is read by the package or its scripts; no test flips a module's constant to
    reach a branch (`monkeypatch.setattr(module, "NAME", ...)`); tests inject through the API
    (`pool=`), never through the environment."""
    declared: dict[str, str] = {}
    for path, tree in _trees("deepdream"):
        for name in _declared(tree):
            declared.setdefault(name, path.relative_to(ROOT).as_posix())
    read = set().union(*(_read(tree) for _, tree in [*_trees("deepdream"), *_trees("scripts")]))
    unread = {name: where for name, where in declared.items() if name not in read}
    assert unread == {}, "declared but read by nothing in the package (only by tests, or dead)"
    switched = []
    for path, tree in _trees("tests"):
        for node in ast.walk(tree):
            call = ast.unparse(node.func) if isinstance(node, ast.Call) else ""
            if call.endswith("setattr") and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                name = str(node.args[1].value)
                if name.isupper() and name in declared:
                    switched.append(f"{path.name}: {name}")
    assert switched == []
    hooks = [str(p.relative_to(ROOT)) for p in (ROOT / "deepdream").rglob("*.py") if "DEEPDREAM_TEST_" in p.read_text()]
    assert hooks == []


def test_the_hook_finder_sees_a_switch_and_a_field_only_tests_read():
    switch = ast.parse("MODE = 'a'\nclass Pool:\n    def __init__(self):\n        self.hits = 0\n")
    assert _declared(switch) == {"MODE", "hits"}
    assert "hits" not in _read(ast.parse("def run(pool):\n    pool.hits = 1\n"))  # a write is no read
    assert "MODE" in _read(ast.parse("if param.MODE == 'b':\n    pass\n"))


def test_no_function_is_over_80_lines():
    long = {}
    for path, tree in _trees("deepdream"):
        where = path.relative_to(ROOT).as_posix()
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in functions:
            if node.end_lineno - node.lineno + 1 > 80:
                long[f"{where}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert long == {}


#: Where the number 512 may stand: the settings' TILE_SIZE, and 512s that mean something else (VGG16's
#: channels, Ray's object store in MB, the colour step's row band); and the web server's default
#: longest side (the studio's shrink is that limit).
FIVE_TWELVES = {
    "deepdream/settings/base.py": 1,
    "deepdream/backbones/vgg16.py": 2,
    "deepdream/workers.py": 1,
    "deepdream/colors.py": 1,
    "deepdream/web/service.py": 1,
}


def test_the_tile_size_is_written_once():
    found = {}
    for path, tree in _trees("deepdream"):
        count = sum(1 for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == 512)
        if count:
            found[path.relative_to(ROOT).as_posix()] = count
    assert {k: v for k, v in found.items() if v > FIVE_TWELVES.get(k, 0)} == {}


def test_the_whole_package_has_no_cycle_and_no_long_module(report):
    assert report.cycles == [] and report.long == {}


def test_the_version_is_written_once(report):
    """pyproject reads it from deepdream/_version.py (setuptools' `attr`, read there without importing
    the package, since the file is one literal assignment); everything else imports it from there."""
    import deepdream
    from deepdream import _version

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "deepdream._version.__version__"}
    tree = ast.parse((ROOT / "deepdream" / "_version.py").read_text())
    assigned = [node for node in tree.body if isinstance(node, ast.Assign)]
    assert len(assigned) == 1 and isinstance(assigned[0].value, ast.Constant)
    assert deepdream.__version__ == _version.__version__ == assigned[0].value.value
    writers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "deepdream").rglob("*.py")
        if "__version__ =" in path.read_text()
    ]
    assert writers == ["deepdream/_version.py"]
    # no module imports the version from the package root (that was the root <-> settings/motion cycle)
    for name, path in report.modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and any(alias.name == "__version__" for alias in node.names):
                assert node.module == "_version", f"{name} imports __version__ from {node.module or 'the package root'}"


def test_the_code_map_in_the_docs_is_the_import_graphs(report):
    """docs/how-it-works.md's map of floors is what `scripts/import_graph.py --floors` makes of the
    code now: every module sits above everything it imports."""
    text = (ROOT / "docs" / "how-it-works.md").read_text()
    shown = text.split("<!-- floors: generated by `python scripts/import_graph.py --floors` -->\n", 1)[1]
    assert shown.split("\n<!-- /floors -->", 1)[0] == graph.floor_table(report)
    levels = graph.floors(report)
    assert all(levels[b] < levels[a] for a, imported in report.edges.items() for b in imported)
    assert levels["deepdream.saving"] < levels["deepdream.images"] < levels["deepdream.render.dreamer"]
