"""A reader and their preference center, as the preference tests drive it."""

import html
import re

from django.apps import apps
from django.contrib.sessions.models import Session

from subscriptions.core import tokens
from subscriptions.models import Subscriber, Subscription

from .helpers import confirmed, found

ADDRESS = "reader@example.com"
PUBLIC = {"daily", "explaining-ukraine", "weekly-review", "breaking"}
LINK_INVALID = "This link doesn't work"


def confirmed_reader(client, *slugs: str) -> Subscriber:
    """The reader (ADDRESS), signed up for these lists and confirmed."""
    return confirmed(client, ADDRESS, *slugs)


def open_page(client, subscriber_id: int):
    """Follow the reader's preference link, as from an email, and show the page."""
    token = tokens.make_preferences_token(subscriber_id)
    assert client.get(f"/preferences/{token}/")["Location"] == "/preferences/"
    return client.get("/preferences/")


def save(client, *slugs: str, language: str = "en"):
    return client.post(
        "/preferences/", {"action": "save", "newsletter": slugs, "language": language}
    )


def text(response) -> str:
    return html.unescape(response.content.decode())


def boxes(response) -> tuple[set[str], set[str]]:
    """The lists the page shows, and those of them ticked."""
    page = response.content.decode()
    found_boxes = re.findall(r'name="newsletter" value="([^"]+)"( checked)?', page)
    return {slug for slug, _ in found_boxes}, {slug for slug, on in found_boxes if on}


def language_chosen(response) -> str:
    return found(r'name="language" value="(\w+)" checked', response.content.decode())


def statuses() -> dict[str, str]:
    return dict(Subscription.objects.values_list("newsletter__slug", "status"))


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table of the app (through tables too), and the sessions."""
    rows = {
        model._meta.db_table: list(model._default_manager.order_by("pk").values())
        for model in apps.get_app_config("subscriptions").get_models(include_auto_created=True)
    }
    return rows | {"sessions": [{"count": Session.objects.count()}]}
