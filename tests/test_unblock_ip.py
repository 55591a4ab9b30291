"""An operator lifts one client address's blocks (`manage.py unblock_ip`): its sign-up
limit, its failed admin sign-ins and axes' lockouts from it; nobody else's."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from subscriptions.models import ConfirmationEmail

from .support.helpers import sign_up

pytestmark = pytest.mark.django_db

OFFICE, OTHER = "198.51.100.20", "198.51.100.21"


def unblock(*args: str) -> str:
    out = io.StringIO()
    call_command("unblock_ip", *args, stdout=out)
    return out.getvalue()


def admin_login(password: str, ip: str, username: str = "kate") -> int:
    answer = Client().post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )
    return answer.status_code


def confirmations_after_sign_ups(ip: str, start: int, count: int) -> int:
    for i in range(start, start + count):
        sign_up(Client(), f"reader{i}@example.com", json=True, headers={"REMOTE_ADDR": ip})
    return ConfirmationEmail.objects.count()


def test_an_office_over_its_sign_up_limit_can_sign_up_again_and_others_stay_counted(
    newsletters, settings, one_rate_window
):
    settings.SIGNUP_IP_LIMITS = "3/hour"
    one_rate_window()
    assert confirmations_after_sign_ups(OFFICE, 0, 5) == 3  # two refused
    assert confirmations_after_sign_ups(OTHER, 10, 3) == 6  # OTHER at its limit
    assert "unblocked 198.51.100.20" in unblock(OFFICE)
    assert confirmations_after_sign_ups(OFFICE, 20, 1) == 7
    assert confirmations_after_sign_ups(OTHER, 30, 1) == 7  # still blocked


def test_an_editor_locked_out_from_an_address_can_sign_in_again(settings, one_rate_window):
    User.objects.create_superuser("kate", "kate@example.com", "right")
    settings.ADMIN_LOGIN_IP_LIMIT = "6/hour"
    one_rate_window()
    # Five wrong passwords lock kate out from the office (axes), and a sixth failure for
    # another name uses up the office's per-IP limit too.
    assert [admin_login("wrong", OFFICE) for _ in range(5)] == [200] * 4 + [429]
    assert admin_login("wrong", OFFICE, username="nobody") == 200
    assert admin_login("right", OFFICE) == 429
    assert "2 axes record(s) gone" in unblock(OFFICE, "--by", "ops-anna")
    assert admin_login("right", OFFICE) == 302


@pytest.mark.parametrize("text", ["", "198.51.100", "not-an-ip", "10.0.0.1; DROP"])
def test_a_mistyped_address_is_refused_with_a_clear_message(text):
    with pytest.raises(CommandError, match="is not an IP address"):
        unblock(text)


def test_requests_counted_without_a_client_address_can_be_unblocked_too(
    newsletters, settings, one_rate_window
):
    # gunicorn on a unix socket gives no REMOTE_ADDR: every reader is one "unknown" client.
    settings.SIGNUP_IP_LIMITS = "2/hour"
    one_rate_window()
    assert confirmations_after_sign_ups("", 0, 3) == 2
    assert "unblocked unknown" in unblock("unknown")
    assert confirmations_after_sign_ups("", 10, 1) == 3
