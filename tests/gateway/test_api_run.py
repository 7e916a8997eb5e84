"""`heatwatch gateway run` and `heatwatch gateway user add` as an operator runs them: separate
processes, a real Mosquitto, SQLite and PostgreSQL. The server migrates, answers /healthz,
accepts the printed token, and stops with exit 0 on SIGTERM or Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request

import pytest
from typer.testing import CliRunner

from heatwatch.demo.services import free_port, terminate
from heatwatch.gateway.cli import app as gateway_cli
from heatwatch.gateway.db import Database
from heatwatch.gateway.migrations import upgrade
from heatwatch.gateway.settings import SettingsError, parse_settings
from heatwatch.gateway.users.command import RoleName
from heatwatch.gateway.users.models import Role
from heatwatch.gateway.webhooks.delivery import RetryPolicy

CLI = [sys.executable, "-m", "heatwatch.cli", "gateway"]


def _config(tmp_path, db_url: str, broker_url: str = "mqtt://127.0.0.1:1", port: int = 8000) -> str:
    path = tmp_path / "gateway.toml"
    path.write_text(f"[database]\nurl = '{db_url}'\n\n[broker]\nurl = '{broker_url}'\nclient_id = 'gw-run-test'\n\n"
                    f"[api]\nport = {port}\n")
    return str(path)


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_user_add_prints_the_token_once(tmp_path, empty_db_url):
    config = _config(tmp_path, empty_db_url)
    unmigrated = _cli("user", "add", "Ada", "--role", "admin", "--config", config)
    assert unmigrated.returncode == 3 and "heatwatch gateway migrate" in unmigrated.stderr
    db = Database.open(empty_db_url)
    upgrade(db)
    db.close()

    made = _cli("user", "add", "Ada", "--role", "admin", "--email", "ada@example.org", "--config", config)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("hwt_") and len(token) > 40 and "\n" not in token  # the token alone on stdout
    assert "user 1 'Ada' (admin)" in made.stderr and token not in made.stderr

    runner = CliRunner()  # the refusals in this process: quicker than a process each
    for args, message in [(("Cy", "--role", "customer"), "give --customer ID"),
                          (("Cy", "--role", "customer", "--customer", "42"), "no customer 42"),
                          (("Dee", "--role", "dispatcher", "--customer", "1"), "drop --customer"),
                          (("Ada2", "--role", "admin", "--email", "ada@example.org"), "exists"),
                          (("Eve", "--role", "boss"), "boss")]:
        refused = runner.invoke(gateway_cli, ["user", "add", *args, "--config", config])
        assert refused.exit_code == 2 and message in refused.stderr, (args, refused.output)


def _wait_healthy(proc: subprocess.Popen, url: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gateway exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            status, body = _get(url)
            if status == 200:
                return body
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the gateway did not become healthy")


def test_run_serves_and_stops_cleanly_on_sigterm(tmp_path, empty_db_url, broker):
    _serve_and_stop(tmp_path, empty_db_url, broker, signal.SIGTERM)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_run_stops_cleanly_on_ctrl_c(tmp_path, empty_db_url, broker):
    _serve_and_stop(tmp_path, empty_db_url, broker, signal.SIGINT)


def _serve_and_stop(tmp_path, empty_db_url: str, broker, stop: signal.Signals) -> None:
    port = free_port()
    config = _config(tmp_path, empty_db_url, broker.url, port)
    proc = subprocess.Popen([*CLI, "run", "--config", config, "--worker", "t1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        health = _wait_healthy(proc, f"http://127.0.0.1:{port}/healthz")
        assert health == {"status": "ok", "database": "ok", "broker": "connected", "webhooks": "running",
                          "periodic": "running", "commands": "running", "notifications": "off"}  # no channel
        # it migrated on start: users can be added to the same database, and their token works
        made = _cli("user", "add", "Dora", "--role", "dispatcher", "--config", config)
        assert made.returncode == 0, made.stderr
        status, me = _get(f"http://127.0.0.1:{port}/me", made.stdout.strip())
        assert status == 200 and me["role"] == "dispatcher"
        assert _get(f"http://127.0.0.1:{port}/tickets")[0] == 401
        proc.send_signal(stop)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr
        assert "Application shutdown complete" in stderr
    finally:
        terminate(proc)


def test_run_refuses_bad_settings_and_a_taken_port(tmp_path, broker):
    bad = tmp_path / "bad.toml"
    bad.write_text("[api]\nport = 70000\n")
    refused = _cli("run", "--config", str(bad))
    assert refused.returncode == 2 and "[api] port must be 1-65535" in refused.stderr

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = _config(tmp_path, f"sqlite:///{tmp_path / 'gw.db'}", broker.url, port)
        failed = _cli("run", "--config", config, "--no-ingest")
        assert failed.returncode == 1, failed.stderr


@pytest.mark.parametrize("body, message", [
    ("[api]\nhost = ''\n", "[api] host must not be empty"),
    ("[api]\nport = 0\n", "[api] port must be 1-65535"),
    ("[api]\nport = '8000'\n", "[api] port = '8000': expected int"),
    ("[webhooks]\nmax_attempts = 0\n", "[webhooks] max_attempts must be >= 1"),
    ("[webhooks]\nfirst_retry_seconds = 7200\n", "first_retry_seconds must be > 0 and <= max_retry_seconds"),
    ("[webhooks]\ntimeout_seconds = 0\n", "[webhooks] timeout_seconds must be > 0"),
    ("[webhooks]\nretries = 3\n", "[webhooks] unknown key(s): retries"),
])
def test_api_and_webhook_settings_are_checked(body, message):
    with pytest.raises(SettingsError) as err:
        parse_settings(tomllib.loads(body))
    assert message in str(err.value)


def test_the_cli_knows_every_role_without_importing_the_models():
    assert [r.value for r in RoleName] == [r.value for r in Role]
    probe = subprocess.run([sys.executable, "-c", "import sys, heatwatch.gateway.cli; "
                            "print('sqlalchemy' in sys.modules, 'fastapi' in sys.modules)"],
                           capture_output=True, text=True, timeout=60, check=True)
    assert probe.stdout.split() == ["False", "False"]  # mounting the gateway's commands stays cheap


def test_api_and_webhook_defaults():
    s = parse_settings({})
    assert (s.api.host, s.api.port) == ("127.0.0.1", 8000)
    assert RetryPolicy.from_settings(s.webhooks) == RetryPolicy()  # one set of defaults, not two
