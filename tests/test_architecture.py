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


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level_imports(source: str, package: list[str], *, lazy: bool = False) -> set[str]:
    """What a module imports while it loads (lazy imports inside functions do not count unless
    ``lazy``: they run after every module is loaded), with ``from pkg import name`` as both
    ``pkg`` and ``pkg.name`` (the name may be a module)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if not lazy and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                mod = child.module or ""
                if child.level:
                    base = ".".join(package[: len(package) - (child.level - 1)])
                    mod = f"{base}.{mod}" if mod else base
                found.add(mod)
                found.update(f"{mod}.{a.name}" for a in child.names)
            visit(child)

    visit(ast.parse(source))
    return found


def _ui_graph() -> dict[str, set[str]]:
    """Module-level imports between ui modules."""
    paths = {_module_name(p): p for p in modules("ui")}
    return {
        name: module_level_imports(path.read_text(encoding="utf-8"), _package_of(path))
        & set(paths) - {name}
        for name, path in paths.items()
    }


def test_the_circle_finder_finds_circles_through_from_imports():
    names = module_level_imports(
        "from ui import screen\nfrom . import bar\ndef f():\n    import ui.app\n",
        ["ui"],
    )
    assert {"ui.screen", "ui.bar"} <= names and "ui.app" not in names
    lazy = module_level_imports("def f():\n    from ui import app\n", ["ui"], lazy=True)
    assert "ui.app" in lazy
    circle = find_circle({"ui.app": {"ui.window"}, "ui.window": {"ui.screen"},
                          "ui.screen": {"ui.app", "ui.widgets"}, "ui.widgets": set()})  # fmt: skip
    assert circle == ["ui.app", "ui.window", "ui.screen", "ui.app"]
    assert find_circle({"ui.app": {"ui.window"}, "ui.window": {"ui.widgets"},
                        "ui.widgets": set()}) is None  # fmt: skip


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (module -> modules it imports), as a path that ends where
    it starts, or None."""
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
            return circle
    return None


def test_no_import_circle_inside_ui():
    """The main window assembles screens; screens import neither the window nor the app."""
    graph = _ui_graph()
    assert "ui.pages" in graph["ui.main_window"] and "ui.desk_pages" in graph["ui.pages"]
    circle = find_circle(graph)
    assert circle is None, "import circle: " + " -> ".join(circle or [])


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


# Modules that drive the whole window (the screenshot tool and its parts) and the app itself.
WINDOW_DRIVERS = ("ui/app.py", "ui/screenshots.py", "ui/*_shots.py")


@pytest.mark.parametrize("path", modules("ui"), ids=lambda p: str(p.relative_to(REPO)))
def test_screens_import_neither_the_window_nor_the_app(path):
    """Screens are assembled by the main window: not even a lazy import of ``ui.app`` or
    ``ui.main_window`` from a screen (the app -> window -> pages -> settings -> app circle)."""
    rel = path.relative_to(REPO)
    if any(rel.match(pattern) for pattern in WINDOW_DRIVERS) or rel.name == "main_window.py":
        return
    names = module_level_imports(path.read_text(encoding="utf-8"), _package_of(path), lazy=True)
    bad = sorted(names & {"ui.app", "ui.main_window"})
    assert bad == [], f"{rel} imports the window or the app: {bad}"


def store_uses(source: str) -> list[tuple[int, str]]:
    """Where a source reaches for a store attribute (``x.store``, ``x._store``, or
    ``getattr(x, "store")``), as (line, what)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("store", "_store"):
            found.append((node.lineno, f"{ast.unparse(node.value)}.{node.attr}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in ("store", "_store")
        ):
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_the_store_finder_sees_attributes_and_getattr():
    source = "a = clinic.store.find('X')\nb = getattr(session, 'store')\nc = self.stored\n"
    assert store_uses(source) == [(1, "clinic.store"), (2, "getattr(session, 'store')")]


@pytest.mark.parametrize("path", modules("ui"), ids=lambda p: str(p.relative_to(REPO)))
def test_screens_never_hold_the_store(path):
    """No ``clinic.store`` / ``session.store`` in ui/: screens, the session and the screenshot
    tool use the Clinic's services (and ``clinic_app.demo_data`` for demo records)."""
    bad = store_uses(path.read_text(encoding="utf-8"))
    assert bad == [], f"{path.relative_to(REPO)} reaches the store: {bad}"


@pytest.mark.parametrize("package", ["ui", "media"])
def test_ui_and_media_never_import_the_store_package(package):
    """``ui -> local_store`` and ``media -> local_store`` are forbidden, lazy imports too."""
    bad = {
        str(p.relative_to(REPO)): [i for i in imports_of(p) if top(i.module) == "local_store"]
        for p in modules(package)
    }
    assert len(bad) >= 8
    assert {k: v for k, v in bad.items() if v} == {}


# -- one error hierarchy, rooted below every package ------------------------------------------

ERROR_BASE = "clinic_errors"
# Codes of the core's errors with no sentence in ui/error_texts.py yet: the GUI shows their own
# (English) sentence. Shrinks as sentences are added; never grows.
UNTRANSLATED_CODES: set[str] = set()


def test_the_error_base_is_defined_below_the_store():
    """``ClinicError`` lives in ``clinic_errors``, which imports nothing but the standard
    library, so the store, the core, calls and the central platform share it; no package
    defines a base of its own, and the old import paths still give the same class."""
    from clinic_app.errors import ClinicError as from_core
    from clinic_errors import ClinicError
    from local_store.errors import ClinicError as from_store

    assert ClinicError.__module__ == ERROR_BASE
    assert from_store is ClinicError and from_core is ClinicError
    base = modules(ERROR_BASE)
    assert base
    for path in base:
        outside = [
            i.module for i in imports_of(path)
            if top(i.module) not in sys.stdlib_module_names and top(i.module) != "__future__"
        ]  # fmt: skip
        assert outside == [], f"{path.relative_to(REPO)} imports {outside}"
    for path in [*all_modules(), *modules("ui")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = [n.lineno for n in ast.walk(tree)
                   if isinstance(n, ast.ClassDef) and n.name == "ClinicError"]  # fmt: skip
        assert defined == [], f"{path.relative_to(REPO)} defines ClinicError again"


def _error_classes() -> list[dict[str, str]]:
    """Every subclass of ClinicError in the packages below ui (imported in a fresh process)."""
    code = f"""
import importlib, json, pkgutil
from clinic_errors import ClinicError
for pkg_name in {PACKAGES!r}:
    pkg = importlib.import_module(pkg_name)
    for info in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
        importlib.import_module(info.name)
seen, todo = [], [ClinicError]
while todo:
    cls = todo.pop()
    seen.append(cls)
    todo.extend(cls.__subclasses__())
print(json.dumps([{{"name": f"{{c.__module__}}.{{c.__qualname__}}", "code": c.code,
                   "own": "code" in vars(c)}} for c in seen]))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    found: list[dict[str, str]] = json.loads(proc.stdout)
    return found


def test_every_error_users_see_has_a_stable_code_the_gui_translates():
    """Every class of the one hierarchy has a code (its own or its family's) that reads as a
    code; no two classes claim the same one; and every code of the workstation's own errors
    (upper case; the wire's codes are lower case, the central platform's errors are for its
    operator's terminal) has a sentence in ui/error_texts.py, which the GUI translates by."""
    from ui import error_texts

    classes = _error_classes()
    names = {c["name"] for c in classes}
    assert {"clinic_errors.ClinicError", "local_store.errors.DiskFull",
            "clinic_app.sync.protocol.ProtocolError", "central.errors.ApiError",
            "media.errors.CallError"} <= names  # fmt: skip
    for c in classes:
        assert isinstance(c["code"], str) and c["code"], c
        assert c["code"].replace("_", "").isalpha(), c
    own = [c["code"] for c in classes if c["own"]]
    assert len(own) == len(set(own)), sorted(own)
    core = {
        c["code"] for c in classes
        if c["own"] and c["code"].isupper() and not c["name"].startswith("central.")
    }  # fmt: skip
    untranslated = core - set(error_texts.TEMPLATES)
    assert untranslated == UNTRANSLATED_CODES, untranslated
