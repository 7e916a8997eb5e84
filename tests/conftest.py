"""Shared fixtures: real services on free ports (Mosquitto, a socat pty pair)."""

from __future__ import annotations

import pytest

from heatwatch.demo.services import Mosquitto, PtyPair


@pytest.fixture
def broker():
    """A private Mosquitto on a free port; ``broker.stop()/start()`` for outages."""
    b = Mosquitto().start()
    yield b
    b.stop()


@pytest.fixture
def pty_pair():
    """A serial line: pump end ``.a``, agent end ``.b``."""
    p = PtyPair().start()
    yield p
    p.stop()
