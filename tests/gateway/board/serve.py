"""A real uvicorn server of create_app on a free port, in a thread of the test process."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import uvicorn

from heatwatch.demo.services import free_port
from heatwatch.gateway.app import create_app
from heatwatch.gateway.db import Database
from heatwatch.gateway.settings import BoardSettings, DatabaseSettings, GatewaySettings, NotificationSettings


class BoardServer:
    def __init__(self, db: Database, db_url: str, poll_seconds: float = 1.0,
                 notifications: NotificationSettings | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = settings = GatewaySettings(
            database=DatabaseSettings(url=db_url),
            board=BoardSettings(session_secret="t" * 40, poll_seconds=poll_seconds),
            # status links point at this server
            notifications=replace(notifications or NotificationSettings(), status_base_url=self.url))
        app = create_app(settings, db=db, ingest=False, webhooks_worker=False)
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, name="board-uvicorn", daemon=True)

    def start(self) -> BoardServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
