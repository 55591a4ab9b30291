from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Newsletter
from .validation import InvalidEmail, normalize_email

EMAIL_ERROR = _("Please, enter correct email address")
NEWSLETTER_ERROR = _("Please choose at least one newsletter")
FORM_EXPIRED = _("This form has expired. Please press Subscribe again.")
# Shown beside every form and stored verbatim with each consent (GDPR Art. 7(1)).
# Bump CONSENT_VERSION whenever this text changes.
CONSENT_WORDING = _(
    "We will email you this newsletter and nothing else. "
    "You can unsubscribe with one click from any email."
)


class SubscribeForm(forms.Form):
    # No max_length here: every bad address, long ones included, must get the one message.
    email = forms.CharField(strip=False, error_messages={"required": EMAIL_ERROR})
    newsletter = forms.MultipleChoiceField(
        error_messages={"required": NEWSLETTER_ERROR, "invalid_choice": NEWSLETTER_ERROR}
    )
    form_id = forms.SlugField(max_length=50, required=False)
    page = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._offered = {n.slug: n for n in Newsletter.objects.offered()}
        self.fields["newsletter"].choices = [(slug, n.name) for slug, n in self._offered.items()]

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["email"])
        except InvalidEmail:
            raise ValidationError(EMAIL_ERROR, code="invalid") from None

    def clean_page(self) -> str:
        page = self.cleaned_data["page"]
        # Only a path on this site is recorded as the consent's page.
        return page if page.startswith("/") and not page.startswith("//") else ""

    @property
    def newsletters(self) -> list[Newsletter]:
        # dict.fromkeys: a forged form may repeat a list; each counts once.
        return [self._offered[slug] for slug in dict.fromkeys(self.cleaned_data["newsletter"])]
