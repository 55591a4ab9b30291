"""The sign-up form, and the typed state a re-shown form is drawn from.

The view that answers a sign-up and the template tag that draws forms share FormState, so a
reader who got an error sees their own form again, filled in as they left it.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..app_settings import app_settings
from ..core.catalog import offered_lists
from ..guards.validation import InvalidEmail, normalize_email
from ..models import Newsletter

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")
_UNSAFE_IN_PATH = re.compile(r"[\\\x00-\x20\x7f-\x9f]")

EMAIL_ERROR = _("Please, enter correct email address")
NEWSLETTER_ERROR = _("Please choose at least one newsletter")
# The second step a check that a fast person can trip asks for (abuse.py).
FORM_EXPIRED = _("This form has expired. Please press Subscribe again.")
PRESS_AGAIN = _("Please press Subscribe again.")
CAPTCHA_NEEDED = _(
    "Many sign-ups came from your network just now. "
    "Please complete the check below and press Subscribe again."
)


class LenientCharField(forms.CharField):
    """A CharField without Django's own NUL check, whose "Null characters are not allowed."
    would reach the reader: the form's clean methods refuse control characters themselves."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            v
            for v in self.validators
            if not isinstance(v, validators.ProhibitNullCharactersValidator)
        ]


class SubscribeForm(forms.Form):
    # No max_length here: every bad address, long ones included, must get the one message.
    email = LenientCharField(strip=False, error_messages={"required": EMAIL_ERROR})
    newsletter = forms.MultipleChoiceField(
        error_messages={"required": NEWSLETTER_ERROR, "invalid_choice": NEWSLETTER_ERROR}
    )
    # Hidden fields the page fills in: a bad value is dropped, never shown as an error.
    form_id = LenientCharField(required=False)
    page = LenientCharField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._offered = {n.slug: n for n in offered_lists()}
        self.offered_choices = [(slug, n.name) for slug, n in self._offered.items()]
        self.fields["newsletter"].choices = self.offered_choices  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["email"])
        except InvalidEmail:
            raise ValidationError(EMAIL_ERROR, code="invalid") from None

    def clean_form_id(self) -> str:
        form_id: str = self.cleaned_data["form_id"]
        return form_id if _SLUG.fullmatch(form_id) else ""

    def clean_page(self) -> str:
        page: str = self.cleaned_data["page"]
        # Only a path on this site, or a page of a listed partner (the admin's embed code): it
        # is the consent's page and the "Back to the article" link. Browsers read
        # /\evil.example/ (and the same with a tab inside) as another host, so no backslash
        # or control character, whatever Django's check makes of them.
        parts = urlsplit(page)
        partner = f"{parts.scheme}://{parts.netloc}".lower() in {
            origin.rstrip("/").lower() for origin in app_settings.PARTNER_ORIGINS
        }
        safe = (
            len(page) <= 500
            and (page.startswith("/") or partner)
            and not _UNSAFE_IN_PATH.search(page)
            and url_has_allowed_host_and_scheme(
                page, allowed_hosts={parts.netloc} if partner else None
            )
        )
        return page if safe else ""

    @property
    def newsletters(self) -> list[Newsletter]:
        # dict.fromkeys: a forged form may repeat a list; each counts once.
        return [self._offered[slug] for slug in dict.fromkeys(self.cleaned_data["newsletter"])]

    def error_messages(self) -> dict[str, str]:
        """The first message per field; errors not tied to a field come under "form"."""
        return {("form" if f == "__all__" else f): str(e[0]) for f, e in self.errors.items()}


def over_limit_message(retry_after: int) -> str:
    minutes = math.ceil(retry_after / 60)
    if minutes <= 90:
        wait = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    else:
        hours = math.ceil(retry_after / 3600)
        wait = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return gettext(
        "Too many sign-ups came from your network in a short time. Many people can share "
        "one network address: an office, a university, a mobile network. "
        "Please try again in %(wait)s."
    ) % {"wait": wait}


@dataclass(frozen=True)
class Answer:
    """The public answer to an accepted sign-up: the same whatever became of the address."""

    heading: str
    message: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def success_answer() -> Answer:
    return Answer(
        heading=gettext("Almost done"),
        message=gettext("Check your inbox and press the button in our email."),
    )


@dataclass(frozen=True)
class TypoQuestion:
    """ "Did you mean …?" for a likely typo in a common domain, asked before anything is
    recorded; the reader takes the suggestion or keeps what they typed."""

    typed: str
    suggested: str

    @property
    def message(self) -> str:
        return gettext("Did you mean %(address)s?") % {"address": self.suggested}

    def as_json(self) -> dict[str, str]:
        return {"message": self.message, "typed": self.typed, "suggested": self.suggested}


@dataclass(frozen=True)
class FormState:
    """A submitted form as it is shown again: what the reader typed, and the answer."""

    form_id: str
    form_token: str
    page: str  # the page the form lives on, not /subscribe/: for consent and the way back
    email: str = ""
    selected: frozenset[str] = frozenset()
    errors: Mapping[str, str] = field(default_factory=dict)
    success: Answer | None = None
    question: TypoQuestion | None = None
    captcha: bool = False  # over the per-IP limit: the form shows the captcha
