"""Every start-up mistake an installer makes ends in one line naming it and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heatwatch.cli import app

BINARY = bytes(range(256)) * 4  # NUL bytes and bytes no UTF-8 text has


def _edge_toml(tmp_path: Path, source: str = "", broker: str = "") -> Path:
    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid = 'hp-1'\n[source]\n{source}\n[broker]\nurl = 'mqtt://127.0.0.1:1'\n{broker}\n"
                 f"[outbox]\npath = '{tmp_path / 'o.db'}'\n")
    return f


def _one_line_exit_2(args: list[str], *names: str) -> str:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    assert isinstance(res.exception, SystemExit), res.exception  # not an exception escaping
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


@pytest.mark.parametrize("broker, named", [
    ("ca_file = '{d}/missing-ca.crt'\ntls = true", "missing-ca.crt"),
    ("cert_file = '{d}/missing-client.crt'\nkey_file = '{d}/client.key'\ntls = true", "missing-client.crt"),
    ("cert_file = '{d}/ca.crt'\nkey_file = '{d}/missing.key'\ntls = true", "missing.key"),
    ("ca_file = '{d}/ca.crt'\ntls = true", "ca.crt"),  # there, but not a certificate
])
def test_missing_or_broken_tls_file_is_named(tmp_path, broker, named):
    (tmp_path / "ca.crt").write_text("not a certificate\n")
    (tmp_path / "client.key").write_text("not a key\n")
    line = _one_line_exit_2(["edge", "run", "-c", str(_edge_toml(tmp_path, broker=broker.format(d=tmp_path)))],
                            named)
    assert line.startswith("config error:")


def test_pump_side_broker_tls_file_is_named(tmp_path):
    src = f"kind = 'mqtt'\nurl = 'mqtts://127.0.0.1:1'\nca_file = '{tmp_path}/pump-ca.crt'"
    _one_line_exit_2(["edge", "run", "-c", str(_edge_toml(tmp_path, source=src))], "[source]", "pump-ca.crt")


@pytest.mark.parametrize("source, named", [
    ("register_map = 'nibe_vvm_s3200'", "nibe_vvm_s3200"),
    ("parity = 'X'", "parity 'X'"),
    ("baudrate = 9601", "baudrate 9601"),
    ("baudrate = 0", "baudrate 0"),
    ("timeout = 0.0", "timeout"),
])
def test_bad_serial_settings_and_unknown_map_are_named(tmp_path, source, named):
    _one_line_exit_2(["edge", "run", "-c", str(_edge_toml(tmp_path, source=source))], named)


def test_binary_register_map_is_named(tmp_path):
    (tmp_path / "pump.csv").write_bytes(BINARY)
    _one_line_exit_2(["edge", "run", "-c", str(_edge_toml(tmp_path, source=f"register_map = '{tmp_path}/pump.csv'"))],
                     "pump.csv", "not a text")


def test_outbox_folder_that_cannot_be_made_is_named(tmp_path):
    """A typo'd path through a file (root may write anywhere, so not a permission test)."""
    (tmp_path / "var").write_text("a file, not a folder\n")
    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid = 'hp-1'\n[broker]\nurl = 'mqtt://127.0.0.1:1'\n"
                 f"[outbox]\npath = '{tmp_path}/var/heatwatch/o.db'\n")
    line = _one_line_exit_2(["edge", "run", "-c", str(f)], f"{tmp_path}/var")
    assert line.startswith("start-up error:")


def test_binary_scenario_is_named(tmp_path):
    (tmp_path / "site.yaml").write_bytes(BINARY)
    _one_line_exit_2(["sim", "export", str(tmp_path / "site.yaml"), "-o", str(tmp_path / "x.csv")], "site.yaml",
                     "binary")
    _one_line_exit_2(["sim", "run", str(tmp_path / "site.yaml"), "--mqtt", "mqtt://127.0.0.1:1"], "site.yaml")


def test_non_utf8_scenario_is_named(tmp_path):
    (tmp_path / "site.yaml").write_bytes("name: Grüne Wiese\n".encode("latin-1"))
    _one_line_exit_2(["sim", "export", str(tmp_path / "site.yaml"), "-o", str(tmp_path / "x.csv")], "site.yaml",
                     "not UTF-8", "line 1")


def test_binary_csv_is_named(tmp_path):
    (tmp_path / "log.csv").write_bytes(BINARY)
    _one_line_exit_2(["detect", str(tmp_path / "log.csv"), "--out", str(tmp_path / "o.csv")], "log.csv", "binary")


def test_the_process_prints_no_traceback(tmp_path):
    """The real command, in its own process: the one line and exit code 2 (a missing CA file)."""
    f = _edge_toml(tmp_path, broker=f"ca_file = '{tmp_path}/ca.crt'\ntls = true")
    p = subprocess.run([sys.executable, "-m", "heatwatch.cli", "edge", "run", "-c", str(f)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"config error: edge.toml: [broker] ca_file {tmp_path}/ca.crt: no such file"]
