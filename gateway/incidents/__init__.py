"""Incidents: one open problem per device and fault, fed by the agents' events."""
