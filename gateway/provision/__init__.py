"""Provisioning: a device's (or the gateway's) broker credentials, ACL and ready config.

``mosquitto_files`` makes the lines Mosquitto reads (password hash, ACL) and
merges them into the broker's own files; ``edge_config`` writes the Pi's
edge.toml; ``registry`` puts the device in the gateway's database;
``command`` is ``heatwatch provision``.
"""
