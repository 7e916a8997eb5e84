"""deploy/install-pi.sh in a throwaway root: user, folders, config, certificates, venv, a unit systemd accepts."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.tls import make_ca

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "install-pi.sh"


def _root(tmp_path: Path) -> Path:
    """A root with systemd's own units (what an OS image has), nothing of heatwatch's."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    return root


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_install_into_a_throwaway_root_leaves_a_unit_systemd_accepts(tmp_path, wheel):
    make_ca(tmp_path)
    cfg = tmp_path / "edge.toml"
    cfg.write_text("[device]\nid = 'hp-000'\n[broker]\nurl = 'mqtts://broker.example.net'\n"
                   "ca_file = '/etc/heatwatch/ca.crt'\n")
    root = _root(tmp_path)
    p = _run("--root", str(root), "--package", str(wheel), "--pip-args", "--no-deps", "--config", str(cfg),
             "--ca", str(tmp_path / "ca.crt"), "--cert", str(tmp_path / "ca.crt"), "--key", str(tmp_path / "ca.key"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "systemd-analyze verify: heatwatch-edge.service is fine" in p.stdout

    user = next(ln.split(":") for ln in (root / "etc/passwd").read_text().splitlines() if ln.startswith("heatwatch:"))
    assert user[5:] == ["/var/lib/heatwatch", "/usr/sbin/nologin"]
    dialout = next(ln for ln in (root / "etc/group").read_text().splitlines() if ln.startswith("dialout:"))
    assert dialout.split(":")[3].split(",") == ["heatwatch"], "the RS-485 adapter's group"
    etc = root / "etc/heatwatch"
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(etc) == 0o750 and mode(etc / "edge.toml") == 0o640 and mode(etc / "client.key") == 0o640
    assert (etc / "ca.crt").read_bytes() == (tmp_path / "ca.crt").read_bytes()
    assert (etc / "edge.toml.example").is_file()
    state = root / "var/lib/heatwatch"
    if os.geteuid() == 0:
        assert state.stat().st_uid == int(user[2]) and (etc / "client.key").stat().st_gid == int(user[3])
    heatwatch = root / "opt/heatwatch/venv/bin/heatwatch"
    assert os.access(heatwatch, os.X_OK)
    unit = (root / "etc/systemd/system/heatwatch-edge.service").read_text()
    assert "ExecStart=/opt/heatwatch/venv/bin/heatwatch edge run --config /etc/heatwatch/edge.toml" in unit

    verify = ["systemd-analyze", "verify", f"--root={root}", "heatwatch-edge.service"]
    ok = subprocess.run(verify, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    heatwatch.unlink()  # the check can fail: a unit whose command is not there is refused
    bad = subprocess.run(verify, capture_output=True, text=True)
    assert bad.returncode != 0 and "is not executable" in bad.stderr


@pytest.mark.parametrize("args, message", [
    (["--ca", "{d}/missing.crt"], "{d}/missing.crt: no such file (or not readable)"),
    (["--ca", "{d}/not-a-cert.crt"], "{d}/not-a-cert.crt: not a PEM certificate"),
    (["--cert", "{d}/ca.crt"], "--cert needs --key"),
    (["--bogus"], "unknown option --bogus (see --help)"),
])
def test_mistakes_stop_before_anything_is_changed(tmp_path, args, message):
    make_ca(tmp_path)
    (tmp_path / "not-a-cert.crt").write_text("hello\n")
    root = tmp_path / "root"
    p = _run("--root", str(root), *[a.format(d=tmp_path) for a in args])
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"install-pi: {message.format(d=tmp_path)}"]
    assert not root.exists(), "nothing installed"


def test_no_script_stops_or_disables_a_mosquitto():
    """A Pi's pump side may use Debian's Mosquitto: neither install script may take it away."""
    for name in ("install-pi.sh", "install-system-deps.sh"):
        text = (REPO / "deploy" / name).read_text()
        code = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
        assert "mosquitto" not in code.replace("need+=(mosquitto)", "").replace("command -v mosquitto", "") \
            .replace("/usr/sbin/mosquitto", ""), name
