"""Fixtures for the board's browser tests: one populated SQLite gateway served by uvicorn per module,
Debian's chromium driven by Playwright (it cannot download its own browser here), and a page per test
that fails the test on any console error it did not expect."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from heatwatch.gateway.db import Database
from tests.gateway.board.serve import BoardServer

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts" / "board"  # screenshots (git-ignored)


@pytest.fixture(scope="module")
def board_db(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("board") / "gateway.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    db = Database.open(url)
    yield db, url
    db.close()


@pytest.fixture(scope="module")
def board_world(board_db):
    from tests.gateway.board.world import build_board_world  # imported late: it imports api_world, a plugin

    return build_board_world(board_db[0])


@pytest.fixture(scope="module")
def server(board_db, board_world):
    srv = BoardServer(*board_db, poll_seconds=1.0).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: deploy/install-system-deps.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Console:
    """The console errors of a page; ``expect(text)`` allows the ones containing text (a refused form
    is a 403 the browser reports as a failed load)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[str] = []

    def expect(self, text: str) -> None:
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser, server, console, request):
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.on("console", lambda m: console.errors.append(f"{pg.url}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: console.errors.append(f"{pg.url}: {e}"))
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert console.unexpected() == [], "console errors on the board's pages"


@contextmanager
def customer_phone(browser, console: Console, locale: str = "sv-SE"):
    """A customer's phone-sized page, its console errors kept with the board's (prefixed "customer")."""
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    customer = phone.new_page()
    customer.set_default_timeout(15_000)
    customer.on("console", lambda m: console.errors.append(f"customer {customer.url}: {m.text}")
                if m.type == "error" else None)
    try:
        yield customer
    finally:
        phone.close()
