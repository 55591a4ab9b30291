"""Cross-origin sign-ups from partner front ends (CORS), and nothing else cross-origin."""

import json

import pytest
from django.urls import reverse

from subscriptions.models import ConfirmationEmail

from .support.clean_process import run_clean
from .support.helpers import EVIL, PARTNER, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(settings):
    # settings.py derives both from the PARTNER_ORIGINS variable (tested below); set both here.
    settings.PARTNER_ORIGINS = [PARTNER]
    settings.CORS_ALLOWED_ORIGINS = [PARTNER]
    return PARTNER


def test_cors_origins_are_the_partner_origins():
    code = "import json, newsroom.settings as s; print(json.dumps(s.CORS_ALLOWED_ORIGINS))"
    result = run_clean(["-c", code], DEBUG="1", PARTNER_ORIGINS=f"{PARTNER},https://b.example")
    assert json.loads(result.stdout) == [PARTNER, "https://b.example"]


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",")}


def test_partner_sign_up_is_accepted_and_readable_by_the_partner_page(
    client, newsletters, partner
):
    response = sign_up(client, "reader@example.com", json=True, origin=partner)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response["Access-Control-Allow-Origin"] == partner
    assert "origin" in vary(response)
    assert "Access-Control-Allow-Credentials" not in response


def test_partner_preflight_allows_post_with_content_type_and_accept(client, partner):
    response = client.options(
        "/subscribe/",
        HTTP_ORIGIN=partner,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == partner
    assert response["Access-Control-Allow-Methods"] == "POST"
    assert response["Access-Control-Allow-Headers"] == "accept, content-type"
    assert "Access-Control-Allow-Credentials" not in response


def test_partner_page_can_fetch_a_fresh_form_token(client, partner):
    response = client.get(reverse("subscriptions:form_token"), HTTP_ORIGIN=partner)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == partner


@pytest.mark.parametrize("origin", [EVIL, "null", "http://partner.example"])
def test_other_origins_get_no_cors_headers_and_their_post_is_refused(
    client, newsletters, partner, origin
):
    response = sign_up(client, "reader@example.com", json=True, origin=origin)
    assert response.status_code == 403
    assert not any(h.lower().startswith("access-control-") for h in response.headers)
    preflight = client.options(
        "/subscribe/", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert not any(h.lower().startswith("access-control-") for h in preflight.headers)
    assert not ConfirmationEmail.objects.exists()


def test_cors_is_limited_to_the_sign_up_endpoints(client, partner):
    for path in ("/", "/admin/login/", "/healthz"):
        response = client.get(path, HTTP_ORIGIN=partner)
        assert "Access-Control-Allow-Origin" not in response, path
