"""Fixtures of the browser tests: Debian's chromium driven by Playwright (sync API), against
gunicorn and a real celery worker (tests/support/stack.py)."""

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ..support.browser import READER_SPEED, SCRIPT_ERRORS
from ..support.stack import require_binary

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT = 10_000  # ms, for anything the page itself does


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an asyncio event loop in this thread for as long as it is
    started. Django refuses ORM calls from a thread with a running loop
    (SynchronousOnlyOperation), so the fixtures' database setup/flush and the tests' own
    queries would all fail. Nothing here is actually concurrent: the ORM is only called between
    Playwright calls, never from a coroutine, so the guard can be switched off, for the browser
    tests only: autouse per module, it is set up before `browser` starts the loop and undone
    after it stops.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_binary("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        # Assertions keep their own 5 s default, which set_default_timeout doesn't reach.
        expect.set_options(timeout=WAIT)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (own cookies); the page records any script error."""
    contexts = []

    def open_(base_url: str, **options) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(WAIT)
        contexts.append(context)
        page = context.new_page()
        errors = SCRIPT_ERRORS.setdefault(page, [])
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def prod_stack(make_stack):
    """Production-like: DEBUG off, anymail's Postmark backend to the fake provider."""
    return make_stack(**READER_SPEED)


@pytest.fixture
def web(prod_stack) -> str:
    return prod_stack.start_web()


@pytest.fixture
def dev_stack(make_stack):
    """DEBUG on with the dev mailbox backend, as `make run` runs: /dev/mailbox/ exists."""
    return make_stack(DEBUG="1", EMAIL_BACKEND="newsroom.devmail.EmailBackend", **READER_SPEED)
