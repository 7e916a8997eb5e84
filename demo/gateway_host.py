"""The demo's gateway process: `python -m heatwatch.demo.gateway_host WORKDIR`.

The same pieces `heatwatch gateway run` serves (create_app: ingest, incidents
and tickets, the notification worker, the periodic jobs, the board), on the
demo's gateway.toml, plus the demo's local SMTP mailbox and its page on the
board (/demo/mailbox). A process of its own, so the gateway has its own
interpreter (and core) beside the agents. The demo has already migrated and
seeded the database. SIGTERM or SIGINT: uvicorn stops, the workers stop,
the mailbox closes, exit 0.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path


def main(workdir: str) -> int:
    import uvicorn

    from heatwatch.demo import mailbox_page
    from heatwatch.demo.mailbox import Maildir, SmtpMailbox
    from heatwatch.gateway.app import create_app
    from heatwatch.gateway.db import Database
    from heatwatch.gateway.settings import load_settings

    work = Path(workdir)
    plan = json.loads((work / "gateway-host.json").read_text())
    logging.basicConfig(level=logging.WARNING, filename=work / "gateway.log",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(work / "gateway.toml")
    maildir = Maildir(plan["maildir"])
    smtp = SmtpMailbox(maildir, plan["smtp_port"]).start()
    db = Database.from_settings(settings.database)
    try:
        app = create_app(settings, db=db)
        mailbox_page.install(app, maildir, smtp.port)
        server = uvicorn.Server(uvicorn.Config(app, host=settings.api.host, port=settings.api.port,
                                               log_level="warning", lifespan="on"))
        server.run()
        return 0 if server.started else 1
    finally:
        smtp.stop()
        db.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
