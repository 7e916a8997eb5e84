"""Monthly climate normals by latitude: the cold a site can expect when nothing better is known.

A coarse table for Europe's heat pump markets: the mean air temperature of
each month at one representative place per latitude band, approximately
(within about a degree) the 1991-2020 normals of Madrid, Milan, Frankfurt,
Copenhagen, Oslo, Oulu, and for 68° N a blend of inland and coastal northern
Scandinavia; Milan and Oslo are the simulator's climate presets. It tells
January from May and Milan from Oslo, which is all the priority needs when
there is no forecast; it knows neither altitude nor the sea. Values
between bands and between mid-month days are interpolated; the southern
hemisphere mirrors the latitude and shifts the seasons by half a year.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np

# latitude (°N) -> mean air temperature Jan..Dec (°C)
MONTHLY_NORMALS_C: dict[float, tuple[float, ...]] = {
    40.0: (6.3, 7.9, 11.2, 13.1, 17.1, 22.7, 26.1, 25.6, 21.1, 15.5, 9.9, 6.9),
    45.5: (3.0, 5.0, 9.5, 13.3, 17.8, 22.1, 24.7, 24.1, 19.6, 14.3, 8.4, 3.8),
    50.0: (1.6, 2.5, 6.0, 10.2, 14.2, 17.6, 19.7, 19.2, 15.2, 10.4, 5.6, 2.4),
    55.7: (1.5, 1.2, 3.1, 7.1, 11.5, 15.0, 17.6, 17.4, 14.0, 9.7, 5.6, 2.7),
    59.9: (-3.7, -3.6, 0.1, 4.9, 10.6, 14.6, 17.3, 16.1, 11.6, 6.1, 1.3, -2.6),
    65.0: (-9.6, -9.3, -5.2, 0.8, 7.6, 13.5, 16.8, 14.4, 9.3, 2.9, -2.6, -6.6),
    68.0: (-12.0, -11.0, -7.0, -2.0, 4.5, 10.5, 13.5, 11.0, 6.0, -0.5, -6.5, -10.0),
}
_LATS = np.array(sorted(MONTHLY_NORMALS_C))
_TABLE = np.array([MONTHLY_NORMALS_C[lat] for lat in _LATS])  # (bands, 12)


def normal_temperature(latitude: float, day: date) -> float:
    """The normal daily mean air temperature (°C) at this latitude on this day."""
    if not -90.0 <= latitude <= 90.0:
        raise ValueError(f"latitude {latitude}: between -90 and 90")
    return _normal(latitude, day)


@lru_cache(maxsize=4096)
def _normal(latitude: float, day: date) -> float:
    """Memoised: a pure function of its arguments (the table is constant), asked for the same
    few sites and days on every ticket judged; twelve interpolations a call otherwise."""
    year_days = 366 if day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0) else 365
    month_pos = (day.timetuple().tm_yday - 0.5) / year_days * 12.0 - 0.5  # 0 = mid-January
    if latitude < 0:
        month_pos += 6.0  # the southern seasons
    month_pos %= 12.0
    lat = min(max(abs(latitude), _LATS[0]), _LATS[-1])
    by_month = np.array([np.interp(lat, _LATS, _TABLE[:, m]) for m in range(12)])
    wrapped = np.concatenate([by_month[-1:], by_month, by_month[:1]])
    return float(np.interp(month_pos, np.arange(-1, 13), wrapped))
