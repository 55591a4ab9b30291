"""load_demo fills a dev database with the demo lists, and nothing else: run against a real
database (issue 20 item 14) it overwrote a real list's name."""

import io

import pytest
from django.core.management import CommandError, call_command

from subscriptions.management.commands.load_demo import DEMO_LISTS
from subscriptions.models import Newsletter

pytestmark = pytest.mark.django_db


def load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_an_existing_list_keeps_its_name_and_texts_and_the_missing_ones_are_created(settings):
    settings.DEBUG = True
    real = Newsletter.objects.create(
        slug="daily",
        name="Our Real Morning Letter",
        description="What our readers signed up for.",
        welcome_subject="Hello from the real desk",
        welcome_body="Written by an editor.",
        sort_order=1,
    )
    out = load_demo()
    real.refresh_from_db()
    assert (real.name, real.description, real.sort_order) == (
        "Our Real Morning Letter",
        "What our readers signed up for.",
        1,
    )
    assert (real.welcome_subject, real.welcome_body) == (
        "Hello from the real desk",
        "Written by an editor.",
    )
    assert set(Newsletter.objects.values_list("slug", flat=True)) == {
        entry["slug"] for entry in DEMO_LISTS
    }
    assert "left as it is: Our Real Morning Letter" in out


def test_with_debug_off_it_refuses_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        load_demo()
    assert not Newsletter.objects.exists()
    load_demo("--force")
    assert Newsletter.objects.count() == len(DEMO_LISTS)
