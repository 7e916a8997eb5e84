"""The aftermath's held level ends once its column reads as in training again.

A hold that began while the detector alarmed keeps each column at its level before the hold (a
fault already seen stays in view), and after it the envelope masks the return toward that level.
When the level came from rows that were themselves no fault the model knew (fresh21's radiator
pump: the first judged standby rows put the flow's level at -265 sigma), the pump then heats exactly
as in training, its raw residual 0, and every row was still judged at -265 sigma for up to
``PATIENCE`` / lambda rows (217 flagged hours of hp-000). Now a column whose raw residual is back
within ``MARGIN`` sigmas of the fit's 0 drops its level and envelope there; a column whose fault is
still in its raw residual keeps it.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector.aftermath import Aftermath


def _through_a_hold(release: bool = True) -> tuple[Aftermath, np.ndarray, np.ndarray]:
    """Column 0 read -50 sigma before the hold and 0 after it (healthy again); column 1 -50 throughout
    (a fault that stays). The alarm is on when the hold begins. Returns the aftermath, the held rows
    as judged and the rows after."""
    am = Aftermath(np.ones(2), 0.1)
    am.release = release
    am.apply(np.full((30, 2), -50.0), np.zeros(30, dtype=bool))  # judged rows: the level follows them
    am.alarm = True
    held = am.apply(np.full((10, 2), -80.0), np.ones(10, dtype=bool), np.ones(10, dtype=bool), np.ones(10))
    after = np.column_stack([np.zeros(40), np.full(40, -50.0)])
    return am, held, am.apply(after, np.zeros(40, dtype=bool))


def test_a_column_back_within_its_noise_is_no_longer_held() -> None:
    am, held, after = _through_a_hold()
    assert np.all(held < -40.0)  # during the hold both columns keep the level the alarm was raised at
    assert np.all(after[:, 0] == 0.0)  # back: read as it is, from its first row
    assert am.released > 0
    _, _, main = _through_a_hold(release=False)  # main: held at the level for the envelope's days
    assert np.all(main[:, 0] < -40.0)


def test_a_fault_still_in_the_raw_residual_stays_in_view() -> None:
    _, _, after = _through_a_hold()
    assert np.all(after[:, 1] <= -40.0)


def test_a_level_is_released_only_where_it_is_read() -> None:
    # no hold, no envelope: a judged row's residual is its own, and the level before an excursion is untouched
    am = Aftermath(np.ones(1), 0.1)
    am.alarm = am.alarmed = True
    am.apply(np.full((30, 1), -50.0), np.zeros(30, dtype=bool))
    base = am.base.copy()
    out = am.apply(np.zeros((1, 1)), np.zeros(1, dtype=bool))
    assert out[0, 0] == 0.0 and am.released == 0 and am.base[0] == 0.9 * base[0]
