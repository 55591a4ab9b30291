"""The preference center's pages against what readers, scanners and attackers send: bad
choices and bodies get a 400 and change nothing, links not ours open nothing, saving needs
CSRF, and a GET or HEAD of any reader page changes no table."""

import base64
import time
from unittest import mock

import pytest
from django.core import signing
from django.test import Client

from subscriptions import services
from subscriptions.core import tokens
from subscriptions.models import (
    DataExportEmail,
    Subscriber,
    Subscription,
)
from subscriptions.web.preference_forms import ACTION_ERROR, LANGUAGE_ERROR, LISTS_ERROR

from .support.helpers import found, latest_confirmation, sign_up
from .support.preferences import (
    ADDRESS,
    LINK_INVALID,
    boxes,
    confirmed_reader,
    open_page,
    save,
    snapshot,
    statuses,
    text,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"newsletter": ["daily", "no-such-list"], "language": "en"}, LISTS_ERROR),
        ({"newsletter": ["daily", "x" * 20000], "language": "en"}, LISTS_ERROR),
        ({"newsletter": ["daily\x00"], "language": "en"}, LISTS_ERROR),
        ({"newsletter": ["weekly-review"], "language": "fr"}, LANGUAGE_ERROR),
        ({"newsletter": ["weekly-review"], "language": ["en", "uk", "xx"]}, LANGUAGE_ERROR),
        ({"newsletter": ["weekly-review"]}, LANGUAGE_ERROR),
        ({"action": "unsubscribe-all", "language": "en"}, ACTION_ERROR),
        ({"action": "", "language": "en"}, ACTION_ERROR),
    ],
)
def test_bad_choices_get_a_message_and_400_and_change_nothing(
    client, newsletters, fields, message
):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)
    before = snapshot()
    answer = client.post("/preferences/", {"action": "save", **fields})
    assert answer.status_code == 400 and str(message) in text(answer)
    assert snapshot() == before


UNREADABLE, TOO_LARGE = "couldn't read", "more than this page accepts"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"action=save&newsletter=%FF%FE&language=en", 400, UNREADABLE),
        (b"action=save&newsletter=daily&language=\xc3\x28", 400, UNREADABLE),
        (b"action=save&language=en&newsletter=" + b"d" * 40 * 1024, 413, TOO_LARGE),
    ],
)
def test_junk_and_huge_bodies_are_refused_and_change_nothing(
    client, newsletters, body, status, message
):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)
    before = snapshot()
    form = "application/x-www-form-urlencoded"
    answer = client.generic("POST", "/preferences/", body, content_type=form)
    assert answer.status_code == status and message in text(answer)
    assert snapshot() == before


def other_purpose(subscriber: Subscriber) -> str:
    return tokens.make_unsubscribe_token(subscriber.subscriptions.get().pk)


def erased(subscriber: Subscriber) -> str:
    token = tokens.make_preferences_token(subscriber.pk)
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    return token


@pytest.mark.parametrize(
    "make_token",
    [
        lambda s: "forged",
        lambda s: tokens.make_preferences_token(s.pk)[:-4] + "AAAA",
        lambda s: signing.dumps({"m": s.pk}, salt=tokens.UNSUBSCRIBE),
        other_purpose,
        erased,
    ],
    ids=["junk", "bad signature", "other salt", "unsubscribe token", "erased subscriber"],
)
def test_a_link_that_is_not_ours_or_whose_reader_is_gone_doesnt_work(
    client, newsletters, make_token
):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)  # an earlier, good link's cookie is not what answers
    token = make_token(reader)
    before = snapshot()
    client.get(f"/preferences/{token}/")
    for answer in (client.get("/preferences/"), save(client, "weekly-review")):
        assert answer.status_code == 400 and LINK_INVALID in text(answer)
    assert snapshot() == before


def test_a_reader_erased_while_their_page_posts_gets_the_link_page_not_an_error(
    client, newsletters
):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)
    leave_all = services.unsubscribe_all

    def erased_meanwhile(**kwargs):
        services.erase_subscriber(subscriber_id=reader.pk, actor="editor:kate")
        return leave_all(**kwargs)

    with mock.patch.object(services, "unsubscribe_all", erased_meanwhile):
        answer = client.post("/preferences/", {"action": "unsubscribe_all"})
    assert answer.status_code == 400 and LINK_INVALID in text(answer)


def test_saving_needs_the_pages_csrf_token(newsletters):
    browser = Client(enforce_csrf_checks=True)
    reader = confirmed_reader(browser, "daily")
    page = open_page(browser, reader.pk)
    before = snapshot()
    for action in ("save", "unsubscribe_all", "export"):
        forged = browser.post("/preferences/", {"action": action, "language": "uk"})
        assert forged.status_code == 403
    assert snapshot() == before
    csrf = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    fields = {"action": "unsubscribe_all", "csrfmiddlewaretoken": csrf}
    assert browser.post("/preferences/", fields).status_code == 200
    assert statuses() == {"daily": "unsubscribed"}


def test_a_get_or_head_of_any_reader_page_changes_nothing(client, newsletters):
    reader = confirmed_reader(client, "daily")
    sign_up(client, ADDRESS, "weekly-review")  # pending: the confirm page has a list to show
    assert services.request_data_export(subscriber_id=reader.pk)
    subscription = Subscription.objects.get(newsletter__slug="daily")
    links = {
        "/preferences/": tokens.make_preferences_token(reader.pk),
        "/your-data/": tokens.make_data_export_token(DataExportEmail.objects.get().pk),
        "/unsubscribe/": tokens.make_unsubscribe_token(subscription.pk),
        "/confirm/": tokens.make_confirm_token(latest_confirmation().pk),
    }
    pages = ["/preferences/?action=unsubscribe_all", "/your-data/download/"]
    before = snapshot()
    browser = Client()
    for page, token in links.items():
        assert browser.head(f"{page}{token}/").status_code in (302, 405)  # refused or kept
        assert browser.head(page).status_code in (200, 400, 405)
        assert browser.get(f"{page}{token}/")["Location"] == page
        assert browser.head(page).status_code in (200, 405)
        assert browser.get(page).status_code == 200
    for page in pages:
        assert browser.head(page).status_code in (200, 405)
        assert browser.get(page).status_code == 200
    assert snapshot() == before


def test_the_preference_token_carries_only_an_id_and_never_expires(client, newsletters):
    reader = confirmed_reader(client, "daily")
    years_ago = time.time() - 10 * 365 * 86400
    with mock.patch("django.core.signing.time.time", return_value=years_ago):
        token = tokens.make_preferences_token(reader.pk)
    assert signing.loads(token, salt=tokens.PREFERENCES) == {"m": reader.pk}
    payload = token.split(":")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"reader" not in decoded.lower() and b"example" not in decoded.lower()
    assert "reader" not in token.lower()
    assert tokens.check_preferences_token(token).valid
    client.get(f"/preferences/{token}/")
    page = client.get("/preferences/")
    assert page.status_code == 200 and boxes(page)[1] == {"daily"}
