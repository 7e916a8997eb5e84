"""No module imports a room above it, and no room imports a package its extra does not install.

The room contracts are import-linter's, in pyproject.toml under [tool.importlinter]. import-linter
finds a package's modules by walking its folder, but the rooms live in folders of their own
(edge/ is heatwatch.edge, firmware_sim/ is heatwatch.sim: setuptools package-dir), so plain
`lint-imports` would see the core alone. The tests therefore lay out the installed shape first,
a heatwatch/ tree of symlinks to the real files, and run import-linter over that.

The second check is an allow-list import-linter cannot express: every third-party package a room
imports (inside functions too) is installed by the core's dependencies or the room's extra, so
`pip install 'heatwatch[edge]'` on a Raspberry Pi never meets an ImportError.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = REPO / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# each room with the extra that installs what it needs; a room without one needs only the core's
ROOM_EXTRA = {
    "heatwatch.rules": None,
    "heatwatch.edge": "edge",
    "heatwatch.sim": "sim",
    "heatwatch.gateway": "gateway",
    "heatwatch.demo": "demo",
    "heatwatch.eval": "eval",
}
# modules that import an optional speed-up inside try/except ImportError and work without it:
# they may also import what that extra installs (batch_kernels: numba, the replay extra; kernel_warmup imports
# numba's types only when batch_kernels.AVAILABLE says numba is there)
OPTIONAL_EXTRA = {"heatwatch.edge.heatpump.batch_kernels": "replay", "heatwatch.edge.heatpump.kernel_warmup": "replay"}


def installed_layout(dest: Path) -> Path:
    """Lay out heatwatch as pip installs it (package-dir applied) under ``dest``, files as symlinks."""
    package_dir = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-dir"]
    for package, folder in sorted(package_dir.items()):  # "heatwatch" before "heatwatch.edge"
        target = dest.joinpath(*package.split("."))
        for dirpath, dirnames, filenames in os.walk(REPO / folder):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            here = target / Path(dirpath).relative_to(REPO / folder)
            here.mkdir(parents=True, exist_ok=True)
            for name in filenames:
                if name.endswith(".py"):
                    (here / name).symlink_to(Path(dirpath) / name)
    return dest


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    # a fresh process: in this one `heatwatch` is already imported from the repo's heatwatch/ folder
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(PYPROJECT)], check=False, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True)


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return installed_layout(tmp_path)


def test_no_module_imports_a_room_above_it(layout):
    r = lint_imports(layout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout
    kept = r.stdout.count(" KEPT")
    assert kept == len(tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"])


@pytest.mark.parametrize("module, line", [
    ("heatwatch/_probe.py", "from heatwatch.edge.agent import EdgeAgent"),
    ("heatwatch/rules/_probe.py", "from heatwatch.sim import fleet"),
    ("heatwatch/edge/_probe.py", "import heatwatch.demo.services"),
    ("heatwatch/sim/_probe.py", "from heatwatch.rules.engine import RuleEngine"),
    ("heatwatch/gateway/_probe.py", "from heatwatch.edge import outbox"),
    ("heatwatch/edge/sources/_probe.py", "import fastapi"),
])
def test_an_upward_import_inside_a_function_breaks_a_contract(layout, module, line):
    (layout / module).write_text(f"def later():\n    {line}\n")
    r = lint_imports(layout)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "BROKEN" in r.stdout and "_probe" in r.stdout


# --------------------------------------------------------------------------- third-party imports
def external_imports(root: Path) -> dict[str, set[str]]:
    """Module -> the top-level third-party names it imports (stdlib left out), from import-linter's graph."""
    code = ("import grimp, json, sys\n"
            "g = grimp.build_graph('heatwatch', include_external_packages=True, cache_dir=None)\n"
            "out = {m: sorted(i.split('.')[0] for i in g.find_modules_directly_imported_by(m)\n"
            "                 if g.is_module_squashed(i) and i.split('.')[0] not in sys.stdlib_module_names)\n"
            "       for m in g.modules if not g.is_module_squashed(m)}\n"
            "print(json.dumps(out))\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                       capture_output=True, text=True, check=True)
    return {m: set(names) for m, names in json.loads(r.stdout).items()}


def requirements(dist: str, extras: frozenset[str]) -> list[Requirement]:
    """What ``dist[extras]`` requires here: heatwatch's from pyproject.toml, others' from their metadata."""
    if dist == "heatwatch":
        project = tomllib.loads(PYPROJECT.read_text())["project"]
        raw = project["dependencies"] + [r for e in sorted(extras) for r in project["optional-dependencies"][e]]
        extras = frozenset()
    else:
        try:
            raw = requires(dist) or []
        except PackageNotFoundError:
            return []  # a dependency for another platform or Python, not installed here
    reqs = [Requirement(r) for r in raw]
    return [r for r in reqs if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in extras | {""})]


def installed_by(extra: str | None) -> set[str]:
    """Canonical names of every distribution that `pip install heatwatch[extra]` brings, dependencies'
    dependencies included (typer brings rich)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [("heatwatch", frozenset({extra} if extra else ()))]
    while todo:
        for req in requirements(*todo.pop()):
            key = (canonicalize_name(req.name), frozenset(req.extras))
            if key not in seen:
                seen.add(key)
                todo.append(key)
    return {name for name, _ in seen}


@pytest.fixture(scope="module")
def imports_by_module(tmp_path_factory) -> dict[str, set[str]]:
    return external_imports(installed_layout(tmp_path_factory.mktemp("layout")))


def _room(module: str) -> str | None:
    return next((room for room in ROOM_EXTRA if module == room or module.startswith(room + ".")), None)


def outside_extra(imports_by_module: dict[str, set[str]], room: str | None) -> set[str]:
    """'module imports name' for each third-party import of ``room`` (None: the core) that
    `pip install heatwatch[its extra]` does not install."""
    allowed = installed_by(ROOM_EXTRA.get(room) if room else None)
    import_names = packages_distributions()  # top-level import name -> distributions providing it
    modules = {m: names for m, names in imports_by_module.items() if _room(m) == room}
    assert modules, f"no module found for {room or 'the core'}"
    optional = {m: installed_by(e) for m, e in OPTIONAL_EXTRA.items() if m in modules}
    return {f"{m} imports {name}" for m, names in modules.items() for name in names
            if not {canonicalize_name(d) for d in import_names.get(name, [name])} & (allowed | optional.get(m, set()))}


@pytest.mark.parametrize("room", [None, *ROOM_EXTRA], ids=lambda r: r or "core")
def test_each_room_imports_only_what_its_extra_installs(imports_by_module, room):
    outside = outside_extra(imports_by_module, room)
    extra = ROOM_EXTRA.get(room) if room else None
    assert not outside, f"not installed by heatwatch{f'[{extra}]' if extra else ''}: {sorted(outside)}"


def test_the_allow_list_sees_what_the_edge_extra_leaves_out():
    edge = installed_by("edge")
    assert {"numpy", "paho-mqtt", "pymodbus", "pyserial", "rich"} <= edge
    assert not {"fastapi", "influxdb-client", "amqtt", "river", "pytest"} & edge
    assert "amqtt" in installed_by("demo")
    probed = {"heatwatch.edge._probe": {"amqtt", "numpy", "serial"}, "heatwatch._probe": {"serial", "yaml"}}
    assert outside_extra(probed, "heatwatch.edge") == {"heatwatch.edge._probe imports amqtt"}
    assert outside_extra(probed, None) == {"heatwatch._probe imports serial"}
