"""bench/weather_fault.py: the onset in the judged period's mildest week and the signature from it on;
bench/weather_bench.py's fresh18 part: climates given by their numbers, none a preset."""

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from weather_bench import PARTS  # noqa: E402
from weather_fault import mildest_onset, shifted  # noqa: E402

from firmware_sim.scenario import parse_scenario  # noqa: E402


def test_mildest_onset_is_the_warm_weeks_first_judged_row():
    per_day, train = 24, 14 * 24
    air = np.full(60 * 24, 5.0)
    air[:train] = 30.0  # the training's warmth does not count: only judged rows are searched
    air[40 * 24:47 * 24] = 15.0
    assert mildest_onset(air, train, per_day) == 40 * 24
    with pytest.raises(ValueError, match="fewer than 7 judged days"):
        mildest_onset(air[:train + 6 * 24], train, per_day)


def test_shifted_moves_only_the_columns_after_the_onset():
    rows = [["t0", "hp", "1", "2", ""], ["t1", "hp", "1", "2", ""], ["t2", "hp", "1", "", "3"]]
    out = shifted(rows, 1, [2, 3, 4], 4.0)
    assert out[0] == rows[0]
    assert out[1] == ["t1", "hp", "5", "6", ""]
    assert out[2] == ["t2", "hp", "5", "", "7"]
    assert rows[1] == ["t1", "hp", "1", "2", ""]  # the input is not changed


def test_fresh18_climates_are_given_by_their_numbers():
    scen = parse_scenario(yaml.safe_load(PARTS["fresh18"]), "fresh18")
    names = {s.climate for s in scen.sites}
    assert names == {"chicago-like", "calgary-like", "bergen-like"}
    assert {s.refrigerant for s in scen.sites} == {"R32", "R290"}
    caps = [d.capacity_kw for d in scen.devices.values()]
    assert min(caps) == 3.5 and max(caps) == 20.0
