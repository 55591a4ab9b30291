"""Emails as readers receive them: a confirmation built from its shared rendered parts reads
exactly as the templates render it for that one reader."""

from unittest import mock

import pytest
from django.urls import reverse

from subscriptions import services
from subscriptions.core.tokens import make_confirm_token
from subscriptions.models import ConfirmationEmail, Subscription
from subscriptions.sending import emails

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("address", ["reader@example.com", "o'brien&co@example.com"])
def test_a_confirmation_from_shared_parts_is_what_the_templates_render_for_its_reader(
    newsletters, address
):
    lists = [newsletters["weekly-review"], newsletters["daily"]]
    result = services.sign_up(email=address, newsletters=lists, consent=None)
    assert result.confirmation_email_id is not None
    confirmation = ConfirmationEmail.objects.get(pk=result.confirmation_email_id)
    pending = list(Subscription.objects.pending_of_confirmation_emails([confirmation.pk]))
    # One clock for both: a token carries the second it was signed in.
    with mock.patch("django.core.signing.time.time", return_value=1_800_000_000.0):
        fast = emails.confirmation_message(confirmation, pending)
        token = make_confirm_token(confirmation.pk)
    slow_parts = emails.render_parts(
        "subscriptions/email/confirm",
        {
            "newsletters": [s.newsletter for s in pending],
            "email": address,
            "confirm_url": emails.absolute_url(
                reverse("subscriptions:confirm_link", args=[token])
            ),
            "expires_days": 7,
        },
    )
    slow = emails.build_mail(slow_parts, to=address)
    assert (fast.subject, fast.body, fast.to) == (slow.subject, slow.body, slow.to)
    assert fast.alternatives == slow.alternatives
    assert "&amp;" in fast.alternatives[0][0] or "&" not in address  # escaped in the HTML
