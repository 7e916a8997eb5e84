"""edge.toml: the shipped examples load; mistakes get errors naming section and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from heatwatch.edge.config import ConfigError, load_config
from tests.support.tls import make_ca

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.parametrize("name", ["edge-serial.toml", "edge-mqtt.toml"])
def test_shipped_examples_load(tmp_path, name):
    """As installed: the files they name under /etc/heatwatch are there (a real CA certificate)."""
    make_ca(tmp_path)
    f = tmp_path / name
    f.write_text((DEPLOY / name).read_text().replace("/etc/heatwatch/", f"{tmp_path}/"))
    cfg = load_config(f)
    assert cfg.device.startswith("hp-")
    assert cfg.source.kind in ("modbus", "mqtt")


@pytest.mark.parametrize("body, message", [
    ("[source]\nkind='modbus'\n", "[device] id is required"),
    ("[device]\nid='hp 1'\n", "[device] id 'hp 1'"),
    ('[device]\nid="hp-1\\n"\n', "[device] id 'hp-1\\n'"),  # a real newline: it would reach the broker's files
    ("[device]\nid='hp-1'\n[source]\nbaudrate='fast'\n", "[source] baudrate = 'fast': expected int"),
    ("[device]\nid='hp-1'\n[source]\nkind='canbus'\n", "[source] kind 'canbus'"),
    ("[device]\nid='hp-1'\n[source]\nkind='mqtt'\nurl='http://x'\n", "[source] url"),
    ("[device]\nid='hp-1'\n[brokr]\nurl='mqtt://x'\n", "unknown section(s): brokr"),
    ("[device]\nid='hp-1'\n[broker]\nurl='mqtt://x'\nqos=2\n", "[broker] unknown key(s): qos"),
    ("[device]\nid='hp-1'\nrefrigerant='R22'\n", "refrigerant 'R22'"),
    ("[device]\nid='hp-1'\n[detector]\ncommissioning_days=0\n", "commissioning_days must be > 0"),
    ("[device]\nid='hp-1'\n[detector]\nmin_training_rows=0\n", "min_training_rows must be >= 1"),
    ("[device\nid='hp-1'\n", "not valid TOML"),
    ("[device]\nid='hp-1'\n[detector]\nmin_training_rows=600\nmax_training_rows=500\n", "max_training_rows 500"),
    ("[device]\nid='hp-1'\n[broker]\nreconnect_max_delay=0.1\n", "reconnect_max_delay"),
    ("[device]\nid='hp-1'\nrated_current_a='16 A'\n", "[device] rated_current_a = '16 A': expected a number of amperes"),
    ("[device]\nid='hp-1'\nrated_current_a=16500\n", "[device] rated_current_a = 16500: the compressor's rated current in A"),
    ("[device]\nid='hp-1'\nrated_current_a=-3.0\n", "[device] rated_current_a = -3.0"),
    ("[device]\nid='hp-1'\nrated_current_a=nan\n", "[device] rated_current_a = nan"),
])
def test_config_errors_name_section_and_key(tmp_path, body, message):
    f = tmp_path / "edge.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as exc:
        load_config(f)
    assert message in str(exc.value)


def test_edge_run_with_bad_config_exits_2_without_traceback(tmp_path):
    import subprocess
    import sys

    f = tmp_path / "edge.toml"
    f.write_text("[device]\nid='hp-1'\n[source]\nkind='canbus'\n")
    p = subprocess.run([sys.executable, "-m", "heatwatch.cli", "edge", "run", "--config", str(f)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "config error" in p.stderr and "Traceback" not in p.stderr


def test_edge_run_with_bad_rule_file_names_file_rule_and_field(tmp_path):
    import subprocess
    import sys

    rules = tmp_path / "site-rules.yaml"
    rules.write_text("rules:\n  - name: leak_fast\n    fault: refrigerant_leak\n    confidence: 2.0\n"
                     "    require: {superheat: up}\n    explanation: x\n")
    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid='hp-1'\n[source]\nkind='mqtt'\nurl='mqtt://127.0.0.1:1'\n"
                 f"[outbox]\npath='{tmp_path / 'o.db'}'\n[detector]\nrule_files=['{rules}']\n")
    p = subprocess.run([sys.executable, "-m", "heatwatch.cli", "edge", "run", "--config", str(f)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    assert "site-rules.yaml" in p.stderr and "leak_fast" in p.stderr and "confidence" in p.stderr


def test_detector_section_defaults_are_the_detectors_own():
    """An agent configured with nothing under [detector] learns as long as the detector would alone."""
    from heatwatch.edge.config import DetectorSection
    from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig

    section, detector = DetectorSection(), HeatPumpDetectorConfig()
    assert section.min_training_rows == detector.min_training_rows
    assert section.max_training_rows == detector.max_training_rows
    assert section.commissioning_days * 86400.0 == detector.commissioning_seconds


def test_a_configured_rated_current_is_the_prognosis_over_current_limit(tmp_path):
    """[device] rated_current_a reaches the agent's prognosis: the relay's limit 25 % above it,
    kept when the pump is repaired and its learned limits are forgotten."""
    from heatwatch.edge.agent import EdgeAgent
    from heatwatch.edge.heatpump.prognosis import OVERCURRENT_MARGIN

    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid='hp-1'\nrated_current_a=16.5\n[source]\nport='{tmp_path / 'no-line'}'\n"
                 f"[outbox]\npath='{tmp_path / 'outbox.db'}'\n")
    cfg = load_config(f)
    assert cfg.rated_current_a == 16.5
    agent = EdgeAgent(cfg)
    try:
        tracker = agent.pipeline.prognosis
        assert tracker.limits["compressor_a"].threshold == pytest.approx(OVERCURRENT_MARGIN * 16.5)
        tracker.forget_history(keep_learned_limits=False)
        assert tracker.limits["compressor_a"].threshold == pytest.approx(OVERCURRENT_MARGIN * 16.5)
    finally:
        agent.outbox.close()


def test_design_derate_room_reaches_the_prognosis(tmp_path):
    """[design] derate_room_k (the pump model's: the kelvin its derate can take off the discharge) reaches
    the agent's prognosis and stays through a repair; not given, the default; a value no pump has, an error."""
    from heatwatch.edge.agent import EdgeAgent
    from heatwatch.edge.heatpump.prognosis_derate import DERATE_ROOM_K

    base = f"[device]\nid='hp-1'\n[source]\nport='{tmp_path / 'no-line'}'\n[outbox]\npath='{tmp_path / 'outbox.db'}'\n"
    f = tmp_path / "edge.toml"
    for design, expected in (("", DERATE_ROOM_K), ("[design]\nderate_room_k = 45\n", 45.0)):
        f.write_text(base + design)
        agent = EdgeAgent(load_config(f))
        try:
            assert agent.pipeline.prognosis.derate_room_k == expected
            agent.pipeline.prognosis.forget_history(keep_learned_limits=False)
            assert agent.pipeline.prognosis.derate_room_k == expected
        finally:
            agent.outbox.close()
    f.write_text(base + "[design]\nderate_room_k = 200\n")
    with pytest.raises(ConfigError, match=r"\[design\] derate_room_k = 200.0: outside 5..80"):
        load_config(f)


def test_design_derate_start_and_minimum_frequency_reach_the_prognosis(tmp_path):
    """[design] derate_start_c and min_frequency_hz (the pump model's derate set point and its compressor's
    minimum frequency) reach the agent's prognosis; not given, the defaults; a value no pump has, an error."""
    from heatwatch.edge.agent import EdgeAgent
    from heatwatch.edge.heatpump.prognosis_derate import DERATE_START_C, F_MIN_HZ

    base = f"[device]\nid='hp-1'\n[source]\nport='{tmp_path / 'no-line'}'\n[outbox]\npath='{tmp_path / 'outbox.db'}'\n"
    f = tmp_path / "edge.toml"
    cases = (("", DERATE_START_C, F_MIN_HZ),
             ("[design]\nderate_start_c = 105\nmin_frequency_hz = 15\n", 105.0, 15.0))
    for design, start, f_min in cases:
        f.write_text(base + design)
        agent = EdgeAgent(load_config(f))
        try:
            tracker = agent.pipeline.prognosis
            assert (tracker.derate_start_c, tracker.min_frequency_hz) == (start, f_min)
            tracker.forget_history(keep_learned_limits=False)
            assert (tracker.derate_start_c, tracker.min_frequency_hz) == (start, f_min)
        finally:
            agent.outbox.close()
    for bad, message in (("derate_start_c = 200", r"derate_start_c = 200.0: outside 80..130"),
                         ("min_frequency_hz = 0.5", r"min_frequency_hz = 0.5: outside 5..60")):
        f.write_text(base + "[design]\n" + bad + "\n")
        with pytest.raises(ConfigError, match=r"\[design\] " + message):
            load_config(f)
