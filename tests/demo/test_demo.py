"""`heatwatch demo` as a newcomer runs it, headless (stdout piped: plain progress lines).

One run from pump to customer on Mosquitto: a ticket opens before its pump
trips, the customer's email arrives in the demo's SMTP mailbox and the
board's mailbox page shows it, the run ends on its own with a summary and
leaves no folder behind. The runs stopped by Ctrl-C and the refused
arguments are in test_demo_stop.py (its own file: --dist loadfile puts it on
the other worker, not behind this run's minute).
"""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest

from heatwatch.demo.services import free_port
from tests.support.demo_run import running_demo


@pytest.mark.timeout(180)  # a fresh clone compiles the agents' kernels first (kernel_warmup: 10-30 s)
def test_demo_opens_a_ticket_before_the_trip_and_the_customer_reads_the_email_on_the_board() -> None:
    port = free_port()
    with running_demo("--minutes", "0.9", "--pumps", "4", "--speed", "4000", "--port", str(port)) as (proc, out):
        work = Path(out.wait_for(r"^work folder: (\S+)", 60).group(1))
        board = out.wait_for(r"board on (http://127\.0\.0\.1:\d+)/board", 60).group(1)
        assert board.endswith(f":{port}")
        assert out.wait_for(r"dispatcher token: (hwt_\S+)", 5)
        assert (work / "mosquitto").is_dir()  # Mosquitto's folder lives in the work folder
        lead = out.wait_for(r"(hp-\d{3}): tripped; ticket #(\d+) opened (.+) before the trip", 110)
        device = lead.group(1)
        email = out.wait_for(rf"{device}: ticket #{lead.group(2)} opened .*<(\S+@example\.com)>", 1).group(1)
        deadline = time.monotonic() + 30  # the notification worker polls every 5 s
        page = ""
        while time.monotonic() < deadline and f"to {email}" not in page:
            with urllib.request.urlopen(f"{board}/demo/mailbox", timeout=10) as answer:
                page = answer.read().decode()
            time.sleep(1)
        assert f"to {email}" in page, page[-3000:]
        text = out.finish(timeout=90)
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    assert re.search(r"^\[\s*\d+ s\] pump time .* tickets \d+", text, re.M), "no plain progress lines when piped"
    summary = text[text.index("Summary"):]
    before = re.search(r"opened before trip: (\d+) of (\d+) tripped pumps", summary)
    assert before and int(before.group(1)) >= 1, summary
    sent = re.search(r"emails sent: (\d+) \(in the mailbox: (\d+)", summary)
    assert sent and int(sent.group(1)) >= 1 and sent.group(1) == sent.group(2), summary
    assert not work.exists(), f"{work} left behind"
