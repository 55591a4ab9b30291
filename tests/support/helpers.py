import time

from django.core import signing

from subscriptions.abuse import FORM_TOKEN_SALT
from subscriptions.models import ConfirmationRequest

GOOD = "Thank you for signing up for this newsletter. We've sent you a confirmation email."
BAD = "Please, enter correct email address"


def form_token(age: float = 30.0) -> str:
    """The signed render time of a form a reader opened `age` seconds ago."""
    return signing.dumps({"t": time.time() - age}, salt=FORM_TOKEN_SALT)


def form_data(email: str, *slugs: str, form_id: str = "daily", **extra) -> dict:
    """What a person's browser posts from a form they took half a minute to fill."""
    return {
        "form_token": form_token(),
        "email": email,
        "newsletter": list(slugs) or ["daily"],
        "offered": list(slugs) or ["daily"],
        "form_id": form_id,
        "page": "/",
        **extra,
    }


def sign_up(client, email: str, *slugs: str, json: bool = False, **headers):
    """POST a sign-up the way a browser on this site does, running on-commit hooks."""
    if json:
        headers.setdefault("HTTP_ACCEPT", "application/json")
    headers.setdefault("HTTP_ORIGIN", "http://testserver")
    return client.post("/subscribe/", form_data(email, *slugs), **headers)


def latest_request() -> ConfirmationRequest:
    return ConfirmationRequest.objects.order_by("-pk").first()
