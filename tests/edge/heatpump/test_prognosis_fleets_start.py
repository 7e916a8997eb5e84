"""bench/prognosis_fleets.py --start: fleets that run into spring (held-out seasons for the prognosis)."""

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import prognosis_fleets  # noqa: E402


def _ts(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp()


def test_a_fleet_starts_on_the_day_asked_and_its_faults_begin_weeks_after_it():
    spring = prognosis_fleets.fleet_scenario(2099, "milan", per_fault=3, days=130,
                                             faults=("condenser_fouling",), start="2025-01-15")
    default = prognosis_fleets.fleet_scenario(2099, "milan", per_fault=3, days=130, faults=("condenser_fouling",))
    assert spring.start_ts == pytest.approx(_ts("2025-01-15"), abs=86400)
    assert default.start_ts == pytest.approx(_ts("2024-11-01"), abs=86400)
    assert spring.start_ts - default.start_ts == pytest.approx(75 * 86400)
    # the same seed draws the same onsets, counted from the fleet's own start
    onsets = [f.onset_s for d in spring.devices.values() for f in d.faults]
    assert onsets == [f.onset_s for d in default.devices.values() for f in d.faults]
    assert all(14 * 86400 <= s <= 40 * 86400 for s in onsets)


def test_the_command_line_passes_start_to_collect(monkeypatch, tmp_path):
    seen = {}

    def fake_collect(seed, *args, **kw):
        seen.update(kw, seed=seed)
        return []

    monkeypatch.setattr(prognosis_fleets, "collect", fake_collect)
    prognosis_fleets.main(["collect", str(tmp_path / "f.json"), "--seed", "2099", "--start", "2025-02-01"])
    assert seen["start"] == "2025-02-01" and seen["seed"] == 2099
    prognosis_fleets.main(["collect", str(tmp_path / "g.json"), "--seed", "2099"])
    assert seen["start"] == "2024-11-01"


@pytest.mark.parametrize("bad", ["2025-13-01", "15.01.2025", "2025-1-5", "spring"])
def test_a_bad_start_is_refused_before_the_simulator_runs(bad):
    with pytest.raises(ValueError, match="--start"):
        prognosis_fleets.fleet_scenario(2099, start=bad)


def test_collect_refuses_an_option_for_its_output_file_and_unknown_options(monkeypatch, tmp_path):
    monkeypatch.setattr(prognosis_fleets, "collect", lambda *a, **kw: pytest.fail("collect must not run"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="usage: collect OUT.json"):
        prognosis_fleets.main(["collect", "--help"])
    with pytest.raises(SystemExit, match="unknown option.*--sead"):
        prognosis_fleets.main(["collect", "f.json", "--sead", "2099"])
    with pytest.raises(SystemExit, match="a value missing"):
        prognosis_fleets.main(["collect", "f.json", "--seed"])
    assert list(tmp_path.iterdir()) == []
