"""Welcome emails and the inbox's daily cap (issue 20, item 5): a preference link travels with
every forwarded list email, and alternating saves must not flood the inbox with welcomes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions import services
from subscriptions.app_settings import app_settings
from subscriptions.models import ConfirmationEmail, Subscription, WelcomeEmail

from .support.helpers import latest_confirmation, sign_up
from .support.preferences import ADDRESS, confirmed_reader, open_page, save

pytestmark = pytest.mark.django_db


def emails_to_the_inbox() -> int:
    return ConfirmationEmail.objects.count() + WelcomeEmail.objects.count()


def welcomes_of(slug: str) -> int:
    return WelcomeEmail.objects.filter(subscription__newsletter__slug=slug).count()


def test_alternating_saves_send_one_welcome_per_list_and_no_more_emails_than_the_cap(
    client, newsletters, settings
):
    reader = confirmed_reader(client, "daily")  # a confirmation and a welcome
    open_page(client, reader.pk)
    for _ in range(8):
        save(client, "daily", "weekly-review")
        save(client, "daily")
    assert welcomes_of("weekly-review") == 1
    assert emails_to_the_inbox() == app_settings.ADDRESS_DAILY_CAP == 3
    # The cap reached, a list ticked for the first time today is added without its welcome.
    save(client, "daily", "breaking")
    assert Subscription.objects.get(newsletter__slug="breaking").status == "confirmed"
    assert welcomes_of("breaking") == 0
    assert emails_to_the_inbox() == 3


def test_welcome_emails_count_against_the_cap_of_later_sign_ups(client, newsletters):
    sign_up(client, ADDRESS, "daily", "weekly-review")
    services.confirm(email_id=latest_confirmation().pk)  # 1 confirmation and 2 welcomes
    sign_up(client, ADDRESS, "breaking")
    assert ConfirmationEmail.objects.count() == 1
    assert emails_to_the_inbox() == 3


def test_a_list_left_and_added_again_the_next_day_is_welcomed_again(client, newsletters):
    reader = confirmed_reader(client, "daily")
    open_page(client, reader.pk)
    save(client, "daily", "weekly-review")
    save(client, "daily")
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    WelcomeEmail.objects.update(created_at=day_ago)
    ConfirmationEmail.objects.update(created_at=day_ago)
    save(client, "daily", "weekly-review")
    assert welcomes_of("weekly-review") == 2
