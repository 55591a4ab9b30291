import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import translation

from subscriptions.app_settings import app_settings
from subscriptions.core import catalog, dispatch
from subscriptions.guards.abuse import reset_limits
from subscriptions.models import Newsletter

from .support import metrics
from .support.fake_postmark import FakePostmark
from .support.stack import ROOT, Stack


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Each test starts with empty per-IP counters: this run's Redis prefix is emptied; in the
    database, each test's rows go with its transaction."""
    if not app_settings.rate_limit_storage_url.startswith("database"):
        reset_limits()


@pytest.fixture
def one_rate_window():
    """Wait, if need be, so what follows runs inside one minute, hour and day of the epoch.

    limits' sliding window counter weighs the previous window by how much of it is still in
    view, and floors the sum: a burst that straddles a minute's edge may let one more hit
    through, by design. A test counting exact hits must not meet that edge by chance."""

    def wait(seconds: float = 10.0) -> None:
        now = time.time()
        left = min(span - now % span for span in (60, 3600, 86400))
        if left < seconds:
            time.sleep(left + 0.05)

    return wait


@pytest.fixture
def clock():
    """The wall clock, moved by hand: `clock.shift(seconds)` jumps it forward, and it keeps
    ticking in between. time-machine moves time.time() and datetime.now(), which the signed
    tokens' ages, the fill time and the rows' timestamps read; time.monotonic() (wake-ups,
    budgets) keeps real time, so no wait or timeout in the code under test jumps with it."""
    with time_machine.travel(time.time(), tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_list_cache():
    """Each test reads the lists its own database holds, not a copy an earlier test cached."""
    catalog.forget()


@pytest.fixture(autouse=True)
def _no_recent_wake_ups():
    """Each test starts as a fresh process: no wake-up published within the last window."""
    dispatch.forget_wake_ups()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. LocaleMiddleware activates a request's
    language in this thread and leaves it active (e.g. "uk" after a test signs up with
    Accept-Language: uk), where code run outside a request would pick it up."""
    translation.deactivate()


@pytest.fixture
def newsletters(db) -> dict[str, Newsletter]:
    call_command("load_demo", "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return {n.slug: n for n in Newsletter.objects.all()}


@pytest.fixture
def fake_postmark():
    server = FakePostmark().start()
    yield server
    server.stop()


@pytest.fixture
def postmark_settings(settings, fake_postmark):
    """Send through anymail's real Postmark backend, to the fake provider on loopback."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "fake", "POSTMARK_API_URL": fake_postmark.url}
    return fake_postmark


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "SECRET_KEY": "tests",
        "STATIC_ROOT": str(root),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return root


@pytest.fixture
def make_stack(transactional_db, newsletters, fake_postmark, static_root, tmp_path):
    """Build a Stack (gunicorn, real celery worker and beat) with extra environment."""
    stacks: list[Stack] = []

    def make(**env: str) -> Stack:
        workdir = tmp_path / f"stack{len(stacks)}"
        workdir.mkdir()
        stacks.append(Stack(workdir, static_root, fake_postmark.url, **env))
        return stacks[-1]

    yield make
    for running in stacks:
        running.stop()
        for name in ("web", "worker", "beat"):
            if running.log(name):
                sys.stdout.write(f"\n--- {name} log (tail) ---\n{running.log(name)[-3000:]}")


@pytest.fixture
def stack(make_stack):
    """Gunicorn plus a real celery worker, sending through anymail to the fake provider."""
    return make_stack()


@pytest.fixture
def scrape(client, settings):
    """/metrics as operators read it, with the scrape token: each sample -> value."""
    settings.METRICS_TOKEN = metrics.TOKEN

    def read() -> dict[str, float]:
        answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics.TOKEN}")
        assert answer.status_code == 200
        assert answer["Content-Type"].startswith("text/plain")
        return metrics.samples(answer.content.decode())

    return read


@pytest.fixture
def editor_client(client):
    """A client logged in as an editor with every permission (a superuser).

    force_login: axes' backend refuses client.login(), which authenticates with no request.
    """
    client.force_login(User.objects.create_superuser("kate", "kate@example.com", "pw"))
    return client
