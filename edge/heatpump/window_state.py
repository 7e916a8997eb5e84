"""A commissioning window in the state file, so that a restart goes on with it instead of from nothing.

A window takes a week at least, and weeks when the physics prior holds it open (held_window.py): an
agent restarted inside it (a power cut, an update, an installer unplugging the Pi) began the window
again and a pump faulty from installation was named that much later. The window is its collected
rows (time, features and targets of each steady minute) and the bookkeeping around them; the rows go
into the JSON file as float64 bytes in base64, exact and about a third of the text per number that
JSON's decimal floats take: a week at a one-minute poll is a few thousand rows (1-2 MB), a window
held open for weeks at most ``max_training_rows`` (30,000 rows, about 10 MB).
"""

from __future__ import annotations

import base64

import numpy as np

Rows = tuple[list[float], list[np.ndarray], list[np.ndarray]]


def rows_state(ts: list[float], F: list[np.ndarray], Y: list[np.ndarray]) -> dict:
    """The rows as one little-endian float64 matrix (time, features, targets) in base64."""
    n_f = len(F[0]) if F else 0
    n_y = len(Y[0]) if Y else 0
    M = np.empty((len(ts), 1 + n_f + n_y), dtype="<f8")
    if len(ts):
        M[:, 0] = ts
        M[:, 1:1 + n_f] = np.asarray(F, dtype=float)
        M[:, 1 + n_f:] = np.asarray(Y, dtype=float)
    return {"n": len(ts), "features": n_f, "targets": n_y, "float64_le": base64.b64encode(M.tobytes()).decode("ascii")}


def rows_from_state(d: dict, n_features: int, n_targets: int) -> Rows:
    """What ``rows_state`` wrote, as the detector's lists; a file of another agent's columns is refused
    (ValueError: the agent commissions afresh, as for any unreadable state)."""
    n = int(d["n"])
    if n == 0:
        return [], [], []
    if (int(d["features"]), int(d["targets"])) != (n_features, n_targets):
        raise ValueError(f"commissioning rows of {d['features']} features and {d['targets']} targets, "
                         f"not this agent's {n_features} and {n_targets}")
    M = np.frombuffer(base64.b64decode(d["float64_le"]), dtype="<f8").astype(float)
    if M.size != n * (1 + n_features + n_targets):
        raise ValueError(f"commissioning rows: {M.size} numbers where {n} rows were said")
    M = M.reshape(n, 1 + n_features + n_targets)
    return M[:, 0].tolist(), list(M[:, 1:1 + n_features]), list(M[:, 1 + n_features:])


def float_or(v: float | None, default: float) -> float:
    return default if v is None else float(v)
