"""What each feature *should* read: the expectation model behind every residual.

The generic core only knows "healthy = the training window's typical value"
(:class:`MedianBaseline`). A machine whose readings follow its operating point
(a heat pump reads very differently at -10 °C and at +10 °C outdoors) needs a
model conditioned on it: :class:`LinearExpectation` regresses chosen target
features on input features (outdoor temperature, compressor frequency, ...)
through any basis the caller supplies, fitted with Huber IRLS so faulty
training rows get down-weighted. Any object with ``fit``/``expected``/
``expected_one`` (and ``state``/``load_state``, to be saved) works.
"""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

import numpy as np

from heatwatch.edge.generic_detector.robust import robust_location_scale

Basis = Callable[[np.ndarray], np.ndarray]  # (n, k) inputs -> (n, m) design matrix


class ExpectationModel(Protocol):
    """Predicts the healthy value of every feature from the sample itself."""

    def fit(self, X: np.ndarray) -> None: ...

    def expected(self, X: np.ndarray) -> np.ndarray:
        """(n, F) -> (n, F) expected values, row by row (no look-ahead)."""
        ...

    def expected_one(self, x: np.ndarray) -> np.ndarray: ...

    def state(self) -> dict:
        """The fitted parameters, JSON-safe (base.py)."""
        ...

    def load_state(self, state: dict) -> None: ...


class MedianBaseline:
    """Expected value = the training median of each feature (no conditioning)."""

    def __init__(self) -> None:
        self.loc = np.zeros(0)

    def fit(self, X: np.ndarray) -> None:
        self.loc, _ = robust_location_scale(X)

    def expected(self, X: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.loc, X.shape)

    def expected_one(self, x: np.ndarray) -> np.ndarray:
        return self.loc

    def state(self) -> dict:
        return {"loc": self.loc.tolist()}

    def load_state(self, state: dict) -> None:
        self.loc = np.array(state["loc"], dtype=np.float64)


def affine_basis(U: np.ndarray) -> np.ndarray:
    """[1, u1, u2, ...]: the default basis, a plane through the operating points."""
    return np.column_stack([np.ones(len(U)), U])


class LinearExpectation:
    """Targets regressed on input features through a basis, robustly (Huber IRLS).

    ``inputs`` are the conditioning features (their own expectation is their
    median: the operating point is given, not predicted). Rows whose inputs are
    NaN fall back to the target medians. ``ridge`` keeps collinear bases solvable.
    """

    def __init__(self, inputs: Sequence[int], basis: Basis = affine_basis, ridge: float = 1e-6,
                 huber_c: float = 1.345, iterations: int = 10) -> None:
        self.inputs = np.asarray(inputs, dtype=np.int64)
        self.basis = basis
        self.ridge = ridge
        self.huber_c = huber_c
        self.iterations = iterations
        self.loc = np.zeros(0)
        self.W = np.zeros((0, 0))

    def fit(self, X: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float64)
        self.loc, _ = robust_location_scale(X)
        ok = np.all(np.isfinite(X), axis=1)
        B = self.basis(X[ok][:, self.inputs])
        Y = X[ok] - self.loc
        W = np.zeros((B.shape[1], X.shape[1]))
        eye = self.ridge * np.eye(B.shape[1])
        for j in range(X.shape[1]):
            if j in self.inputs:
                continue
            w = np.ones(len(B))
            for _ in range(self.iterations):
                BW = B * w[:, None]
                coef = np.linalg.solve(B.T @ BW + eye * len(B), BW.T @ Y[:, j])
                r = Y[:, j] - B @ coef
                _, s = robust_location_scale(r[:, None])
                a = np.abs(r) / (self.huber_c * s[0])
                w = np.where(a <= 1.0, 1.0, 1.0 / np.maximum(a, 1e-12))
            W[:, j] = coef
        self.W = W

    def expected(self, X: np.ndarray) -> np.ndarray:
        U = X[:, self.inputs]
        ok = np.all(np.isfinite(U), axis=1)
        out = np.broadcast_to(self.loc, X.shape).copy()
        if ok.any():
            out[ok] += self.basis(U[ok]) @ self.W
        return out

    def expected_one(self, x: np.ndarray) -> np.ndarray:
        return self.expected(x[None, :])[0]

    def state(self) -> dict:
        return {"loc": self.loc.tolist(), "W": self.W.tolist()}

    def load_state(self, state: dict) -> None:
        self.loc = np.array(state["loc"], dtype=np.float64)
        self.W = np.array(state["W"], dtype=np.float64)
