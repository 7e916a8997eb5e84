"""The demo's service helpers clean up after themselves."""

from __future__ import annotations

import gc
import socket

from demo.services import Mosquitto


def test_a_broker_serves_again_after_a_restart_and_leaves_no_folder_behind() -> None:
    broker = Mosquitto().start()
    folder = broker.workdir
    broker.stop()
    broker.start()  # an outage and back: same port, same config folder
    socket.create_connection(("127.0.0.1", broker.port), timeout=2).close()
    broker.stop()
    assert folder.exists()
    del broker
    gc.collect()
    assert not folder.exists()
