"""make run's demo has a draft edition of Explaining Ukraine to open (issue 24)."""

import io

import pytest
from django.core.management import CommandError, call_command

from editions.body import render
from editions.models import Edition, EditionStatus

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo_editions", *args, stdout=out)
    return out.getvalue()


def test_the_demo_draft_is_added_once_with_a_heading_an_image_a_quote_a_link_and_a_button(
    settings, newsletters
):
    settings.DEBUG = True
    load()
    assert "left as it is" in load()
    edition = Edition.objects.get()
    assert edition.newsletter.slug == "explaining-ukraine"
    assert edition.status == EditionStatus.DRAFT
    rendered = render(edition.body)
    for element in ("<h2 ", '<img src="https://', "<blockquote ", '<a href="https://'):
        assert element in rendered.html
    assert "background-color:#0b5cad" in rendered.html  # the "Support our reporting" button
    assert rendered.warnings == ()


def test_with_debug_off_it_refuses_unless_forced(settings, newsletters):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        load()
    assert not Edition.objects.exists()
    load("--force")
    assert Edition.objects.count() == 1
