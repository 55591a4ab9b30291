"""The admin's own pages as an editor meets them: the site's name, finding who joined when,
and records that can only be read."""

from datetime import datetime

import pytest
from django.utils import timezone

from subscriptions import services
from subscriptions.models import Consent, Subscription

from .support.helpers import latest_confirmation, sign_up, staff_client

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/subscriptions/subscription/"


def test_the_admin_is_headed_with_the_sites_name_not_djangos(editor_client, settings):
    settings.SITE_NAME = "The Kyiv Ledger"
    page = editor_client.get("/admin/").content.decode()
    assert "Django administration" not in page and "Django site admin" not in page
    header = page.split('id="site-name"')[1].split("</div>")[0]
    assert "The Kyiv Ledger" in header
    assert "The Kyiv Ledger" in page.split("<title>")[1].split("</title>")[0]


def at(day: str) -> datetime:
    """Noon of a day in the site's time zone."""
    return timezone.make_aware(datetime.fromisoformat(f"{day}T12:00"))


@pytest.fixture
def joined(client, newsletters):
    """Three readers who signed up (and one confirmed) on days an editor asks about."""
    for email in ("march@example.com", "april@example.com", "may@example.com"):
        sign_up(client, email, "daily")
    rows = {s.subscriber.email: s for s in Subscription.objects.select_related("subscriber")}
    Subscription.objects.filter(pk=rows["march@example.com"].pk).update(
        created_at=at("2026-03-10")
    )
    Subscription.objects.filter(pk=rows["april@example.com"].pk).update(
        created_at=at("2026-04-10")
    )
    Subscription.objects.filter(pk=rows["may@example.com"].pk).update(created_at=at("2026-05-10"))
    services.confirm(email_id=latest_confirmation().pk, now=at("2026-05-11"))


def listed(client, **query) -> set[str]:
    page = client.get(CHANGELIST, query)
    assert page.status_code == 200
    html = page.content.decode()
    return {e for e in ("march", "april", "may") if f"{e}@example.com" in html}


def test_subscriptions_filter_by_a_range_of_sign_up_dates(editor_client, joined):
    both = {"created_at__from": "2026-04-01", "created_at__to": "2026-05-10"}
    assert listed(editor_client, **both) == {"april", "may"}  # "to" includes its whole day
    assert listed(editor_client, created_at__from="2026-04-11") == {"may"}
    assert listed(editor_client, created_at__to="2026-04-10") == {"march", "april"}
    assert listed(editor_client) == {"march", "april", "may"}
    assert listed(editor_client, _facets="True", created_at__to="2026-03-10") == {"march"}


def test_subscriptions_filter_by_a_range_of_confirmation_dates(editor_client, joined):
    assert listed(editor_client, confirmed_at__from="2026-05-11") == {"may"}
    assert listed(editor_client, confirmed_at__to="2026-05-10") == set()


def test_the_date_filter_keeps_the_search_and_the_other_filters(editor_client, joined):
    page = editor_client.get(CHANGELIST, {"q": "april", "status": "pending"}).content.decode()
    # The filter's own form carries what is already chosen, so applying it keeps them.
    form = page.split('class="date-range-filter"')[1].split("</form>")[0]
    assert 'name="q" value="april"' in form and 'name="status" value="pending"' in form
    chosen = {"q": "a", "status": "pending", "created_at__from": "2026-04-01"}
    assert listed(editor_client, **chosen) == {"april"}


def test_a_bad_date_in_the_filter_is_explained_not_an_error_page(editor_client, joined):
    page = editor_client.get(CHANGELIST, {"created_at__from": "2026-13-45"})
    assert page.status_code == 200
    assert "Enter a valid date" in page.content.decode()
    assert listed(editor_client, created_at__from="yesterday") == {"march", "april", "may"}
    backwards = {"created_at__from": "2026-05-01", "created_at__to": "2026-04-01"}
    page = editor_client.get(CHANGELIST, backwards).content.decode()
    assert "The “from” date is after the “to” date." in page


def test_read_only_pages_have_no_save_button(editor_client, joined):
    subscription = Subscription.objects.get(subscriber__email="may@example.com")
    consent = Consent.objects.filter(subscriber=subscription.subscriber).get()
    pages = [
        f"/admin/subscriptions/subscription/{subscription.pk}/change/",
        f"/admin/subscriptions/subscriber/{subscription.subscriber_id}/change/",
        f"/admin/subscriptions/consent/{consent.pk}/change/",
        f"/admin/subscriptions/confirmationemail/{latest_confirmation().pk}/change/",
    ]
    for url in pages:
        html = editor_client.get(url).content.decode()
        assert 'name="_save"' not in html, url
        assert 'name="_continue"' not in html, url
        assert "closelink" in html, url


def test_a_viewer_sees_no_save_button_either(joined):
    viewer = staff_client("view_subscription", "view_subscriber")
    subscription = Subscription.objects.get(subscriber__email="may@example.com")
    html = viewer.get(f"{CHANGELIST}{subscription.pk}/change/").content.decode()
    assert 'name="_save"' not in html and "closelink" in html
