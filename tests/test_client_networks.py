"""One client, one count: an IPv6 client is counted by its /64 (IPV6_CLIENT_PREFIX), since a
home or a phone gets a whole /64 to pick addresses from, and an IPv4-mapped IPv6 address
(what a dual-stack socket reports for an IPv4 client) as its IPv4. The sign-up limits, the
admin sign-in limit and axes share that key; the consent keeps the real address."""

import io
import itertools

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from subscriptions.models import ConfirmationEmail, Consent

from .support.clean_process import app_setting_value, settings_value
from .support.helpers import sign_up

pytestmark = pytest.mark.django_db

HOME = "2001:db8:1:2::"  # one /64: HOME + "1", HOME + "abcd:7", ...
NEIGHBOUR = "2001:db8:1:3::1"  # the next /64
READERS = itertools.count()


def confirmations_from(*ips: str) -> int:
    """Sign a new reader up from each address in turn; the confirmations sent so far."""
    for ip in ips:
        sign_up(Client(), f"reader{next(READERS)}@example.com", json=True, ip=ip)
    return ConfirmationEmail.objects.count()


def admin_login(username: str, password: str, ip: str) -> int:
    return (
        Client()
        .post(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password},
            REMOTE_ADDR=ip,
        )
        .status_code
    )


def test_thirty_sign_ups_from_thirty_addresses_of_one_64_are_limited_like_one_client(
    newsletters, settings, one_rate_window
):
    settings.SIGNUP_IP_LIMITS = "10/hour"
    one_rate_window()
    assert confirmations_from(*(f"{HOME}{i:x}:{i:x}" for i in range(1, 31))) == 10
    assert confirmations_from(NEIGHBOUR) == 11


def test_the_consent_keeps_the_readers_own_ipv6_address(newsletters):
    confirmations_from(f"{HOME}beef")
    assert Consent.objects.get().ip_address == f"{HOME}beef"


def test_an_ipv4_client_and_its_ipv4_mapped_spelling_count_together(
    newsletters, settings, one_rate_window
):
    settings.SIGNUP_IP_LIMITS = "3/hour"
    one_rate_window()
    both = ["198.51.100.7", "::ffff:198.51.100.7"] * 3
    assert confirmations_from(*both) == 3


def test_the_ipv6_prefix_is_a_setting(newsletters, settings, one_rate_window):
    settings.SIGNUP_IP_LIMITS = "1/hour"
    one_rate_window()
    settings.IPV6_CLIENT_PREFIX = 48  # a whole site: 2001:db8:1::/48 holds both /64s
    assert confirmations_from(f"{HOME}1", NEIGHBOUR) == 1
    settings.IPV6_CLIENT_PREFIX = 128  # every IPv6 address a client of its own
    assert confirmations_from(f"{HOME}2", f"{HOME}3") == 3


def test_twelve_wrong_passwords_from_twelve_addresses_of_one_64_lock_the_account_there(
    settings, one_rate_window
):
    User.objects.create_superuser("kate", "kate@example.com", "right")
    one_rate_window()
    statuses = [admin_login("kate", "wrong", f"{HOME}{i:x}") for i in range(1, 13)]
    assert statuses == [200] * 4 + [429] * 8  # axes: AXES_FAILURE_LIMIT 5
    assert admin_login("kate", "right", f"{HOME}ffff") == 429
    assert admin_login("kate", "right", NEIGHBOUR) == 302


def test_many_usernames_from_one_64_use_up_its_sign_in_limit(settings, one_rate_window):
    User.objects.create_superuser("kate", "kate@example.com", "right")
    settings.ADMIN_LOGIN_IP_LIMIT = "6/hour"
    one_rate_window()
    statuses = [admin_login(f"guess{i}", "wrong", f"{HOME}{i:x}") for i in range(1, 13)]
    assert statuses == [200] * 6 + [429] * 6
    assert admin_login("kate", "right", NEIGHBOUR) == 302


def test_unblocking_an_address_lifts_the_64_it_falls_under(settings, one_rate_window):
    User.objects.create_superuser("kate", "kate@example.com", "right")
    one_rate_window()
    [admin_login("kate", "wrong", f"{HOME}{i:x}") for i in range(1, 6)]
    assert admin_login("kate", "right", f"{HOME}1") == 429
    out = io.StringIO()
    call_command("unblock_ip", f"{HOME}dead:beef", stdout=out)
    assert "unblocked 2001:db8:1:2::/64" in out.getvalue()
    assert admin_login("kate", "right", f"{HOME}1") == 302


def test_unblocking_an_ipv4_mapped_address_lifts_its_ipv4(newsletters, settings, one_rate_window):
    settings.SIGNUP_IP_LIMITS = "1/hour"
    one_rate_window()
    assert confirmations_from("198.51.100.7", "198.51.100.7") == 1
    out = io.StringIO()
    call_command("unblock_ip", "::ffff:198.51.100.7", stdout=out)
    assert "unblocked 198.51.100.7" in out.getvalue()
    assert confirmations_from("198.51.100.7") == 2


@pytest.mark.parametrize("prefix", ["0", "129"])
def test_a_prefix_no_ipv6_address_has_is_refused_at_start(prefix):
    value = settings_value("s.IPV6_CLIENT_PREFIX", DEBUG="1", IPV6_CLIENT_PREFIX=prefix)
    assert "IPV6_CLIENT_PREFIX must be between 1 and 128" in value


def test_the_ipv6_prefix_is_64_unless_set(tmp_path):
    assert app_setting_value("IPV6_CLIENT_PREFIX", VAR_DIR=str(tmp_path)) == "64"
