"""The consent line of a sign-up form, in words that name what the reader chose.

A form with one list names it. A form with several names the lists the reader ticks: the
page's script rewrites the line as they tick, and the server stores the same sentence, built
here from the lists that came ticked. Nothing is ticked in advance: a pre-ticked box is not
consent (GDPR Art. 4(11), the CJEU's Planet49 ruling).

Bump CONSENT_VERSION when a sentence here changes, and say in VERSIONS what the old one meant:
old consent records keep their wording, and editors and readers read them with that note.
"""

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

# Filled with the lists' names by `wording` and, on the page, by subscribe.js.
NAMED = _(
    "We will email you %(lists)s and nothing else. "
    "You can unsubscribe with one click from any email."
)
LAST_OF_SEVERAL = _("%(most)s and %(last)s")
# A form with several lists before the reader ticks one (and without script).
UNNAMED = _(
    "We will email you the newsletters you tick and nothing else. "
    "You can unsubscribe with one click from any email."
)

VERSIONS = {
    "2026-11": _(
        "Every form said “We will email you this newsletter and nothing else.” On a form "
        "with several lists that meant the lists ticked on it, and the footer form came with "
        "every list ticked in advance: such a consent doesn't show which lists the reader "
        "chose."
    ),
    "2026-12": _("The sentence names the lists the reader ticked; no list was ticked in advance."),
    # Not a form's wording: the editor's own account of a consent given elsewhere.
    "editor-note": _(
        "Added by hand by an editor: the wording is the editor's note of where and when the "
        "reader gave their consent, not words a form showed."
    ),
}
# The version of a consent an editor recorded by hand (services.add_by_editor).
EDITOR_NOTE = "editor-note"


def wording(names: Sequence[str]) -> str:
    """The consent line naming `names`, in the active language (UNNAMED for none)."""
    if not names:
        return str(UNNAMED)
    return str(NAMED) % {"lists": join(names)}


def join(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return str(LAST_OF_SEVERAL) % {"most": ", ".join(names[:-1]), "last": names[-1]}


def meaning(version: str) -> str:
    """What a stored consent's wording version meant ('' for one we have no note of)."""
    return str(VERSIONS[version]) if version in VERSIONS else ""
