"""The registry of devices: one edge agent and the pump it watches."""
