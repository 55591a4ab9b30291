"""Random and adversarial input to every public endpoint: a 4xx or the normal answer, never a
5xx, and nothing stored for input that isn't a valid sign-up."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscriptions.core import tokens
from subscriptions.guards.validation import InvalidEmail, normalize_email
from subscriptions.models import Consent, Subscriber, Subscription

pytestmark = pytest.mark.django_db(transaction=False)

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
nasty = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=250, max_size=5000),
    st.sampled_from(
        [
            "a@b.c\r\nBcc: x@y.z",
            "\x00@example.com",
            "a@exa mple.com",
            "😀@example.com",
            "a@😀.com",
            "a" * 65 + "@example.com",
            "@",
            "a@.com",
            "a@b..com",
            "<a@b.com>",
            '"a b"@example.com',
            "a@[127.0.0.1]",
        ]
    ),
)


def is_valid(raw: str) -> bool:
    try:
        normalize_email(raw)
    except InvalidEmail:
        return False
    return True


@FUZZ
@given(
    email=nasty,
    form_id=st.text(max_size=80),
    page=st.text(max_size=800),
    lists=st.lists(st.text(max_size=30), max_size=5),
)
def test_sign_up_never_errors_and_stores_nothing_for_invalid_input(
    newsletters, email, form_id, page, lists
):
    data = {"email": email, "newsletter": lists, "form_id": form_id, "page": page}
    before = (Subscriber.objects.count(), Subscription.objects.count(), Consent.objects.count())
    for accept in ("text/html", "application/json"):
        response = Client().post("/subscribe/", data, HTTP_ACCEPT=accept)
        assert response.status_code in (200, 400), response.status_code
    after = (Subscriber.objects.count(), Subscription.objects.count(), Consent.objects.count())
    if response.status_code == 400 or not is_valid(email):
        assert after == before


@FUZZ
@given(token=st.text(max_size=3000))
def test_link_endpoints_answer_4xx_or_a_page_for_any_token(newsletters, token):
    client = Client()
    for path in ("/confirm/", "/unsubscribe/", "/preferences/", "/your-data/"):
        try:
            link = client.get(path + token.replace("/", "%2F") + "/")
        except Exception as exc:  # the test client refuses some URLs outright
            pytest.fail(f"{path}: {exc!r}")
        assert link.status_code < 500
        for method in (client.get, client.post):
            assert method(path).status_code in (302, 400, 404, 405)


@FUZZ
@given(email=nasty)
def test_valid_addresses_normalise_to_at_most_254_ascii_domain_chars(email):
    try:
        normalized = normalize_email(email)
    except InvalidEmail:
        return
    assert len(normalized) <= 254
    assert "\n" not in normalized and "\r" not in normalized
    assert normalized.rpartition("@")[2].isascii()


def test_oversized_body_is_refused_with_a_4xx(client, newsletters):
    response = client.post("/subscribe/", {"email": "a@example.com", "page": "x" * 300_000})
    assert 400 <= response.status_code < 500
    assert not Subscriber.objects.exists()


PUBLIC_PATHS = [
    "/",
    "/healthz",
    "/subscribe/form-token",
    "/confirm/",
    "/confirm/resend/",
    "/unsubscribe/",
    "/preferences/",
    "/your-data/",
    "/your-data/download/",
    "/dev/mailbox/",
]
fields = st.dictionaries(st.text(max_size=30), st.text(max_size=500), max_size=6)
PREFERENCE_FIELDS = ["action", "newsletter", "language", "csrfmiddlewaretoken"]
field_values = st.one_of(
    st.text(max_size=500),
    st.sampled_from(["save", "export", "unsubscribe_all", "en", "uk", "daily", "weekly-review"]),
    st.lists(st.sampled_from(["daily", "breaking", "nope", "\x00"]), max_size=5),
)


@FUZZ
@given(query=fields, body=fields)
def test_every_public_endpoint_answers_below_500_to_any_input(newsletters, query, body):
    client = Client()
    for path in PUBLIC_PATHS:
        assert client.get(path, query).status_code < 500, path
        assert client.post(path, body).status_code < 500, path
    assert not Subscriber.objects.exists()


@FUZZ
@given(body=st.dictionaries(st.sampled_from(PREFERENCE_FIELDS), field_values, max_size=4))
def test_any_preference_form_gets_a_page_or_a_400_never_a_500(newsletters, body):
    # Examples share the database: the reader is made once, and what one example changed is
    # the next one's "before".
    reader, _ = Subscriber.objects.get_or_create(
        email="fuzz@example.com", email_key="fuzz@example.com", inbox_key="fuzz@example.com"
    )
    client = Client()
    client.get(f"/preferences/{tokens.make_preferences_token(reader.pk)}/")
    before = list(Subscription.objects.values_list("pk", "status")), Consent.objects.count()
    answer = client.post("/preferences/", body)
    assert answer.status_code in (200, 400), answer.status_code
    if answer.status_code == 400:
        after = list(Subscription.objects.values_list("pk", "status")), Consent.objects.count()
        assert after == before
