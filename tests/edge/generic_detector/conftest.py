"""Shared fixtures of the generic detector's tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from heatwatch.channels import CHANNEL_NAMES
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from tests.support.once import once_per_run

OSLO = """name: crossfit_oslo
fleet: {size: 4}
climate: oslo
start: 2024-12-01
duration: 58d
step: 60s
seed: 4242
refrigerant: R32
sites:
  - {name: north, climate: oslo, pumps: 2}
  - {name: south, climate: milan, refrigerant: R290, pumps: 2}
"""
LABELS = ("fault", "fault_active", "tripped", "error_code")


def hourly_pump(scenario_yaml: str, device: str, folder) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A simulated pump's hourly means (the simulator's 1-minute rows averaged), their times and the
    column names, labels left out: what a user of --given hands the detector."""
    path = folder / "scenario.yaml"
    path.write_text(scenario_yaml)
    fleet = Fleet(load_scenario(str(path)))
    dev = fleet.devices.index(device)
    rows, ts = [], []
    for chunk in fleet.chunks(steps=1440):
        rows.append(chunk.values[:, dev, :])
        ts.append(chunk.ts)
    V, T = np.concatenate(rows), np.concatenate(ts)
    n = len(V) // 60 * 60
    keep = [j for j, c in enumerate(CHANNEL_NAMES) if c not in LABELS]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a channel missing for a whole hour
        H = np.nanmean(V[:n, keep].reshape(-1, 60, len(keep)), axis=1)
    return H, T[:n:60].astype(np.float64), [CHANNEL_NAMES[j] for j in keep]


@pytest.fixture(scope="session")
def oslo(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The heldout part's Oslo pump hp-001, hourly (hourly_pump), simulated once per run: three files
    use it, and with --dist loadfile they may go to both workers (tests/support/once.py)."""

    def make(folder: Path) -> None:
        H, T, names = hourly_pump(OSLO, "hp-001", folder)
        np.savez(folder / "oslo.npz", H=H, T=T, names=np.array(names))

    with np.load(once_per_run(tmp_path_factory, "oslo_hourly", make) / "oslo.npz") as z:
        return z["H"], z["T"], [str(n) for n in z["names"]]
