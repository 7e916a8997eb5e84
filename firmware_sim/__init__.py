"""A simulated air-to-water heat pump fleet that behaves and fails like real pumps."""
