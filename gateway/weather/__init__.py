"""The cold ahead of a site: forecasts (behind a provider interface), recent readings, climate normals."""
