"""The whole-array saturation functions the simulator uses give exactly the core table's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.refrigerant import REFRIGERANTS, p_sat, p_sat_array, t_sat, t_sat_array


@pytest.mark.parametrize("ref", REFRIGERANTS)
def test_p_sat_array_is_p_sat_bit_for_bit(ref):
    inside = np.linspace(-39.5, 69.5, 2001)
    assert np.array_equal(p_sat_array(inside, ref), p_sat(inside, ref))  # the fast path
    for t in (np.array([-55.0, 0.0, 85.0]), np.array([np.nan, 10.0]), np.arange(-5, 5), np.empty(0), 12.0):
        np.testing.assert_array_equal(p_sat_array(t, ref), p_sat(t, ref))


@pytest.mark.parametrize("ref", REFRIGERANTS)
def test_t_sat_array_is_t_sat_bit_for_bit(ref):
    p = p_sat(np.linspace(-39.5, 69.5, 2001), ref)
    assert np.array_equal(t_sat_array(p, ref), t_sat(p, ref))  # the fast path
    for x in (np.array([0.0, 5.0]), np.array([-1.0, 5.0]), np.array([0.2, 80.0]), np.array([np.nan, 5.0]), 5.0):
        np.testing.assert_array_equal(t_sat_array(x, ref), t_sat(x, ref))


def test_unknown_refrigerant_is_refused_on_the_fast_path_too():
    with pytest.raises(ValueError, match="unknown refrigerant"):
        p_sat_array(np.array([1.0, 2.0]), "R410A")
    with pytest.raises(ValueError, match="unknown refrigerant"):
        t_sat_array(np.array([5.0, 6.0]), "R410A")


@pytest.mark.parametrize("ref", REFRIGERANTS)
def test_t_sat_array_is_t_sat_to_the_byte_on_a_chunks_columns(ref):
    """The agent reads its pressures' saturation temperatures by t_sat_array (columns_kernel, the compressor's
    energy balance, the sensor offsets): t_sat's bytes on strided columns of a chunk, inside the table and with a
    pressure past its ends, a NaN, a zero or a negative one among them."""
    rng = np.random.default_rng(7)
    for trial in range(200):
        X = rng.uniform(0.5, 60.0, size=(int(rng.integers(1, 300)), 3))
        if trial % 4 == 1:
            X[rng.integers(len(X)), 1] = rng.choice([np.nan, 0.0, -0.0, -1.0, 1e-4, 500.0])
        col = X[:, 1]  # a strided view, as X[:, P_HIGH] is
        assert t_sat_array(col, ref).tobytes() == t_sat(col, ref).tobytes()
