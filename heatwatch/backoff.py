"""Reconnect backoff: wait longer after each failure, up to a cap; start over after a success.

One rule for every link that reconnects: the agent's sources (a serial line
that went away, a pump's broker) and the MQTT clients (the agent's publisher,
the simulated pumps' Wi-Fi modules), whose reconnects paho runs itself; the
MQTT plumbing (``heatwatch.mqtt``) hands paho its delays from a Backoff. Each
link chooses its own delays; the rule is here.

Jitter: with ``jitter`` j each delay is drawn from [(1 - j) x, x] around the
exponential x, so a fleet of agents that lost one broker together does not
knock on its door in lock step when it returns. A low cap is what keeps the
wait after the broker's return short: at most the cap.
"""

from __future__ import annotations

import random


class Backoff:
    """Exponential backoff: ``initial``, times ``factor`` per failure, capped at ``maximum``."""

    def __init__(self, initial: float = 0.5, factor: float = 2.0, maximum: float = 60.0, jitter: float = 0.0,
                 rng: random.Random | None = None) -> None:
        if not initial > 0 or factor < 1 or maximum < initial or not 0 <= jitter < 1:
            raise ValueError(f"backoff needs initial > 0, factor >= 1, maximum >= initial, 0 <= jitter < 1 "
                             f"(got {initial}, {factor}, {maximum}, {jitter})")
        self.initial, self.factor, self.maximum, self.jitter = initial, factor, maximum, jitter
        self.rng = rng or random.Random()
        self.failures = 0

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; counts a failure."""
        try:
            delay = min(self.maximum, self.initial * self.factor**self.failures)
        except OverflowError:  # some 1000 failures in a row (a day-long outage): long at the cap
            delay = self.maximum
        self.failures += 1
        if self.jitter:
            delay *= 1.0 - self.jitter * self.rng.random()
        return delay

    def reset(self) -> None:
        """The link works again: the next failure waits ``initial``."""
        self.failures = 0

    def __repr__(self) -> str:
        return (f"Backoff(initial={self.initial}, factor={self.factor}, maximum={self.maximum}, "
                f"jitter={self.jitter})")
