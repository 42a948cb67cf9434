"""The dependency direction of DESIGN.md, checked on the source with ``ast``.

``local_store`` <- ``clinic_app`` <- ``media`` <- ``ui``; ``central`` uses only ``clinic_app``'s
shared modules; ``ui`` and ``media`` reach the store only through ``clinic_app.Clinic``. Only
``ui/`` imports Qt. The one arrow up, from ``clinic_app`` to ``ui``, is a lazy import inside a
function of ``clinic_app/cli.py``. Every module has a docstring.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("local_store", "clinic_app", "media", "central")
QT = ("PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "qasync")
FORBIDDEN = {
    "local_store": {"clinic_app", "media", "ui", "central"},
    "clinic_app": {"media", "ui", "central"},
    "media": {"ui", "central", "local_store"},  # call records go through clinic.calls
    "central": {"ui", "media"},
}
LAZY_UI_ALLOWED = Path("clinic_app/cli.py")


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    line: int
    in_function: bool


def modules(package: str) -> list[Path]:
    return sorted(p for p in (REPO / package).rglob("*.py") if ".venv" not in p.parts)


def all_modules() -> list[Path]:
    return [p for pkg in PACKAGES for p in modules(pkg)]


def _package_of(path: Path) -> list[str]:
    """The package a module's relative imports start from (its folder, as dotted parts)."""
    return list(path.relative_to(REPO).parent.parts)


def imports_of(path: Path) -> list[Import]:
    """Every import in a module, resolved to absolute names, and whether it is inside a def."""
    return imports_in(path.read_text(encoding="utf-8"), _package_of(path))


def imports_in(source: str, package: list[str]) -> list[Import]:
    tree = ast.parse(source)
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, child.lineno, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - (child.level - 1)]
                    prefix = ".".join(base)
                    mod = f"{prefix}.{child.module}" if child.module else prefix
                    if not child.module:
                        found.extend(
                            Import(f"{prefix}.{a.name}", child.lineno, in_function)
                            for a in child.names
                        )
                        continue
                else:
                    mod = child.module or ""
                found.append(Import(mod, child.lineno, in_function))
            elif isinstance(child, ast.Call):
                # importlib.import_module("x") / __import__("x") with a literal name
                fn = child.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if (
                    name in ("import_module", "__import__")
                    and child.args
                    and isinstance(child.args[0], ast.Constant)
                    and isinstance(child.args[0].value, str)
                ):
                    found.append(Import(child.args[0].value, child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_core_packages_are_there_to_scan():
    assert len(modules("local_store")) >= 5
    assert len(modules("clinic_app")) >= 10
    assert len(modules("media")) >= 8
    assert REPO.joinpath(LAZY_UI_ALLOWED).exists()


SAMPLE = """
import os
from . import sibling
from ..common import thing
import importlib
def f():
    import ui.main
    importlib.import_module("PySide6.QtWidgets")
class K:
    from media import call
    def m(self):
        from central import server
import PySide6.QtCore
"""


def test_the_scanner_resolves_relative_lazy_and_dynamic_imports():
    got = {(i.module, i.in_function) for i in imports_in(SAMPLE, ["clinic_app", "records"])}
    assert got == {
        ("os", False),
        ("clinic_app.records.sibling", False),
        ("clinic_app.common", False),
        ("importlib", False),
        ("ui.main", True),
        ("PySide6.QtWidgets", True),
        ("media", False),  # a class body runs at import time
        ("central", True),
        ("PySide6.QtCore", False),
    }
    real = {i.module for i in imports_of(REPO / "clinic_app" / "records" / "vitals.py")}
    assert {"clinic_app.errors", "clinic_app.records.common"} <= real


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_qt_outside_ui(path):
    bad = [i for i in imports_of(path) if top(i.module) in QT]
    assert bad == [], f"{path.relative_to(REPO)} imports Qt: {bad}"


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_dependency_direction(path):
    rel = path.relative_to(REPO)
    package = rel.parts[0]
    bad = []
    for imp in imports_of(path):
        target = top(imp.module)
        if target not in FORBIDDEN[package]:
            continue
        if rel == LAZY_UI_ALLOWED and target == "ui" and imp.in_function:
            continue  # the one allowed arrow up: GUI commands import ui lazily
        bad.append(imp)
    assert bad == [], f"{rel} imports against the dependency direction: {bad}"


@pytest.mark.parametrize("path", modules("ui"), ids=lambda p: str(p.relative_to(REPO)))
def test_screens_reach_the_core_through_clinic(path):
    """ui/ never imports the store: it opens, reads and writes through ``clinic_app.Clinic``
    (and the Session that holds one)."""
    bad = [i for i in imports_of(path) if top(i.module) in ("local_store", "central")]
    assert bad == [], f"{path.relative_to(REPO)} imports below the core: {bad}"


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_module_has_a_docstring(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc and doc.strip(), f"{path.relative_to(REPO)} has no module docstring"


def test_core_imports_with_qt_and_upper_layers_unimportable():
    """Import every module of local_store and clinic_app with Qt, ui and media blocked."""
    code = f"""
import importlib, importlib.abc, pkgutil, sys
BLOCKED = {(*QT, "ui", "media")!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked: " + name)
        return None
sys.meta_path.insert(0, Block())
count = 0
for pkg_name in ("local_store", "clinic_app"):
    pkg = importlib.import_module(pkg_name)
    for info in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
        importlib.import_module(info.name)
        count += 1
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not loaded, loaded
print(count)
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip()) >= 15


def test_media_imports_with_qt_ui_and_central_unimportable():
    """media/ is core: every module imports with Qt, ui and central blocked."""
    code = f"""
import importlib, importlib.abc, pkgutil, sys
BLOCKED = {(*QT, "ui", "central")!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked: " + name)
        return None
sys.meta_path.insert(0, Block())
pkg = importlib.import_module("media")
names = [info.name for info in pkgutil.walk_packages(pkg.__path__, "media.")]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not loaded, loaded
print(len(names))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip()) >= 8


def _ui_graph() -> dict[str, set[str]]:
    """Module-level imports between ui modules (lazy ones inside functions do not count: they
    run after every module is loaded)."""
    graph: dict[str, set[str]] = {}
    for path in modules("ui"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        graph[name] = {
            i.module for i in imports_of(path)
            if not i.in_function and top(i.module) == "ui" and i.module != name
        }  # fmt: skip
    return graph


def test_no_import_circle_inside_ui():
    """The main window assembles screens; screens import neither the window nor the app."""
    graph = _ui_graph()
    seen: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        seen[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if seen.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in seen and (found := visit(nxt)):
                return found
        seen[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in seen and (circle := visit(start)):
            raise AssertionError("import circle: " + " -> ".join(circle))


def test_the_central_platform_loads_none_of_the_workstation():
    """A central server imports neither the encrypted store (SQLCipher, sqlite-utils, numpy)
    nor Qt nor the media stack."""
    code = (
        "import central.app, sys; heavy = {'sqlcipher3', 'PySide6', 'aiortc', 'av', 'numpy',"
        " 'sqlite_utils', 'local_store.store', 'qasync'} & set(sys.modules); "
        "assert not heavy, sorted(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
