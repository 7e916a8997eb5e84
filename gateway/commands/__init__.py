"""Commands to the devices' agents: sending them (sender.py) and taking their answers (acks.py)."""
