"""The CLI root mounts each part; a part whose extra is not installed says which to install and exits 2.

Each case runs the real `heatwatch` root in a fresh interpreter that pretends some distributions
are absent (importlib.metadata.version raises for them), as on a Raspberry Pi with only
heatwatch[edge]: the part may import them only later, inside a function.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from heatwatch.cli import _not_installed

RUN_WITHOUT = """
import importlib.metadata as md, sys
absent, args = set(sys.argv[1].split(",")), sys.argv[2:]
real = md.version
def version(name):
    if name.lower() in absent:
        raise md.PackageNotFoundError(name)
    return real(name)
md.version = version
from heatwatch.cli import app
app(args, prog_name="heatwatch")
"""


def heatwatch_without(absent: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUN_WITHOUT, absent, *args], check=False, capture_output=True,
                          text=True, timeout=60)


def test_every_extra_is_installed_in_the_dev_environment():
    for extra in ("edge", "sim", "gateway", "demo"):
        assert _not_installed(extra) == [], extra


def test_demo_without_its_extra_names_it_and_exits_2():
    # what an edge-only install lacks: the demo imports amqtt only in its embedded broker's child process
    r = heatwatch_without("fastapi,influxdb-client,amqtt", "demo", "--broker", "embedded", "--minutes", "0.1")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "heatwatch demo: not installed here (missing fastapi, influxdb-client, amqtt)" in r.stderr
    assert "pip install 'heatwatch[demo]'" in r.stderr
    assert "Traceback" not in r.stderr


def test_help_lists_a_missing_part_and_the_installed_ones_still_run():
    r = heatwatch_without("amqtt", "--help")
    assert r.returncode == 0, r.stderr
    assert "(not installed here: needs the demo extra)" in r.stdout
    r = heatwatch_without("amqtt", "edge", "run", "--help")
    assert r.returncode == 0, r.stderr
    assert "--config" in r.stdout


@pytest.mark.parametrize("part, extra", [("edge", "edge"), ("sim", "sim"), ("detect", "edge"), ("demo", "demo")])
def test_a_part_whose_extra_lacks_pymodbus_refuses(part, extra):
    r = heatwatch_without("pymodbus", part, "run")
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"heatwatch {part}: not installed here (missing pymodbus)" in r.stderr
    assert f"pip install 'heatwatch[{extra}]'" in r.stderr


LOADED_BY = """
import sys
sys.argv = ["heatwatch", *sys.argv[1:]]
import heatwatch.cli
print(",".join(sorted(c.name or "" for c in heatwatch.cli.app.registered_commands)
               + sorted(g.name or "" for g in heatwatch.cli.app.registered_groups)))
print("numba" in sys.modules, "heatwatch.edge.generic_detector" in sys.modules)
"""


def _loaded_by(*args: str) -> tuple[set[str], str]:
    r = subprocess.run([sys.executable, "-c", LOADED_BY, *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    parts, heavy = r.stdout.splitlines()
    return set(parts.split(",")), heavy


def test_a_command_line_loads_only_the_part_it_runs():
    """`heatwatch gateway run` does not pay for the edge's numba kernels and the generic detector
    (a process started in ~2.2 s with every part, 0.8 s with its own); help still lists every part."""
    parts, heavy = _loaded_by("gateway", "run", "--help")
    assert parts == {"gateway"} and heavy == "False False"
    parts, _ = _loaded_by("--help")
    assert {"edge", "detect", "sim", "demo", "gateway", "eval"} <= parts
    parts, _ = _loaded_by("gatewya", "run")  # a typo: every part, so the error lists them
    assert "gateway" in parts and "edge" in parts


def test_one_blas_thread_per_process_unless_the_environment_says():
    code = "import os, heatwatch; print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])"
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60).stdout.split() == ["1", "1"]
    env["OPENBLAS_NUM_THREADS"] = "4"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60).stdout.split() == ["4", "1"]
