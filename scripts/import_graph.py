"""The import graph of the deepdream package: its cycles and its long modules.

    python scripts/import_graph.py            # prints both; exit status 1 if there is either
    python scripts/import_graph.py --floors   # the code map: each module's floor, as a Markdown table

Every module under deepdream/ is parsed with `ast` (nothing is imported). An edge A -> B is any
import in A of module B, wherever it is written: at the top, inside a function or under `if`.
Relative imports are resolved; `from P import x` is an edge to P.x when P.x is a module, else to P;
`import P.Q` is an edge to P.Q. The implicit import of a module's parent packages is not counted
(every submodule would otherwise be in a cycle with its package). A module that calls
`importlib.import_module` is taken to import every deepdream module named by a string literal in it
(the backbone registry's name -> module table). Imports of modules outside deepdream are ignored.

A cycle is a strongly connected component of more than one module. Without cycles every module has
a floor: 0 for one that imports no other deepdream module, else one above the highest it imports;
`floor_table` writes them as the code map of docs/how-it-works.md (a test keeps the two the same).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "deepdream"
MAX_LINES = 450


@dataclass(frozen=True)
class Report:
    modules: dict[str, Path]  # name -> file
    edges: dict[str, set[str]]  # name -> the deepdream modules it imports
    cycles: list[list[str]]  # each sorted; the list sorted
    long: dict[str, int]  # name -> lines, for modules over MAX_LINES

    @property
    def ok(self) -> bool:
        return not self.cycles and not self.long


def module_names(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """name -> file for every .py file under root/package (a package by its __init__.py)."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _base(name: str, level: int, modules: dict[str, Path]) -> str:
    """The package a relative import of `level` dots in module `name` starts from."""
    package = name if _is_package(name, modules) else name.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def imports_of(name: str, modules: dict[str, Path], package: str = PACKAGE) -> set[str]:
    """The deepdream modules that module `name` imports, anywhere in its file."""
    tree = ast.parse(modules[name].read_text(encoding="utf-8"), filename=str(modules[name]))
    found: set[str] = set()

    def add(target: str) -> None:
        # the longest prefix of target that is a deepdream module
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target:
            found.add(target)

    dynamic = False
    literals: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package or alias.name.startswith(package + "."):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _base(name, node.level, modules)
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if source != package and not source.startswith(package + "."):
                continue
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    found.add(f"{source}.{alias.name}")
                else:
                    add(source)
        elif isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
                isinstance(func, ast.Name) and func.id == "import_module"
            ):
                dynamic = True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            literals.append(node.value)
    if dynamic:
        found.update(text for text in literals if text in modules)
    found.discard(name)  # a package's `from . import x` of its own names is no cycle
    return found


def cycles_of(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node, or with a self-edge (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # iterative Tarjan: (node, iterator over its successors)
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(edges.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(components)


def analyse(root: Path = ROOT, package: str = PACKAGE, max_lines: int = MAX_LINES) -> Report:
    modules = module_names(root, package)
    edges = {name: imports_of(name, modules, package) for name in modules}
    long = {}
    for name, path in modules.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > max_lines:
            long[name] = lines
    return Report(modules, edges, cycles_of(edges), dict(sorted(long.items())))


def cycle_edges(report: Report, cycle: list[str]) -> list[tuple[str, str]]:
    """The edges inside one cycle, to say which imports make it."""
    members = set(cycle)
    return [(a, b) for a in cycle for b in sorted(report.edges[a]) if b in members]


def floors(report: Report) -> dict[str, int]:
    """name -> its floor (0: imports no deepdream module; else 1 + the highest floor it imports)."""
    found: dict[str, int] = {}

    def floor(name: str) -> int:
        if name not in found:
            found[name] = -1  # being computed (a cycle would come back here)
            below = [floor(other) for other in report.edges[name]]
            if -1 in below:
                raise ValueError(f"{name} is in an import cycle: no floors")
            found[name] = 1 + max(below, default=-1)
        return found[name]

    for name in report.modules:
        floor(name)
    return found


def floor_table(report: Report) -> str:
    """The code map: a Markdown table of the floors, lowest first, each with its modules (without
    the package's name; a package as `name/`)."""
    by_floor: dict[int, list[str]] = {}
    for name, level in floors(report).items():
        short = name.removeprefix(PACKAGE + ".") if name != PACKAGE else PACKAGE
        if report.modules[name].name == "__init__.py":
            short += "/"
        by_floor.setdefault(level, []).append(f"`{short}`")
    rows = ["| floor | modules (each imports only modules on floors below it) |", "| --- | --- |"]
    rows += [f"| {level} | {', '.join(sorted(names))} |" for level, names in sorted(by_floor.items())]
    return "\n".join(rows)


def main() -> int:
    report = analyse()
    if sys.argv[1:] == ["--floors"]:
        print(floor_table(report))
        return 0
    print(f"{len(report.modules)} modules, {sum(map(len, report.edges.values()))} imports between them")
    if report.cycles:
        print(f"{len(report.cycles)} import cycle(s):")
        for cycle in report.cycles:
            print(f"  {{{', '.join(cycle)}}}")
            for a, b in cycle_edges(report, cycle):
                print(f"      {a} -> {b}")
    else:
        print("no import cycles")
    if report.long:
        print(f"{len(report.long)} module(s) over {MAX_LINES} lines:")
        for name, lines in report.long.items():
            print(f"  {name}: {lines}")
    else:
        print(f"no module over {MAX_LINES} lines")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
