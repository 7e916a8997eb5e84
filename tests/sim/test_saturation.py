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
