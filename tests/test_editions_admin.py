"""Editors write draft editions in the admin; what can't be sent well is refused on its field
(issue 24)."""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone
from django.utils.formats import localize

from editions import services
from editions.models import Edition, EditionEvent, EditionStatus

pytestmark = pytest.mark.django_db

ADD = "/admin/editions/edition/add/"
URLENCODED = "application/x-www-form-urlencoded"
# A sentence of Ukrainian: each letter is two bytes in UTF-8, six characters percent-encoded.
UKRAINIAN = "Київ — столиця України, місто над Дніпром, де метро стало укриттям. "


def fields(newsletter, **changes) -> dict[str, object]:
    return {
        "newsletter": newsletter.pk,
        "subject": "Metro shelters",
        "preheader": "Sixty metres under the Dnipro",
        "body": "## Underground\n\nA paragraph.",
        **changes,
    }


def post_as_a_browser(client, url: str, data: dict[str, object]):
    """The admin's form has no file field, so browsers post it urlencoded (not multipart,
    the test client's default), where each Cyrillic letter takes six bytes."""
    return client.post(url, urlencode(data), content_type=URLENCODED)


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors


def test_a_draft_is_created_with_the_editor_as_author_and_its_history(editor_client, newsletters):
    response = post_as_a_browser(editor_client, ADD, fields(newsletters["explaining-ukraine"]))
    assert response.status_code == 302
    edition = Edition.objects.get()
    assert (edition.subject, edition.status) == ("Metro shelters", EditionStatus.DRAFT)
    assert str(edition.author) == "kate"
    assert [(e.to_status, e.actor) for e in EditionEvent.objects.all()] == [
        ("draft", "editor:kate")
    ]


def test_a_posted_status_or_author_changes_nothing(editor_client, newsletters):
    data = fields(newsletters["daily"], status="sent", author="999")
    post_as_a_browser(editor_client, ADD, data)
    edition = Edition.objects.get()
    assert edition.status == EditionStatus.DRAFT and str(edition.author) == "kate"
    change = f"/admin/editions/edition/{edition.pk}/change/"
    response = post_as_a_browser(editor_client, change, {**data, "subject": "Renamed"})
    assert response.status_code == 302
    edition.refresh_from_db()
    assert (edition.subject, edition.status) == ("Renamed", EditionStatus.DRAFT)


def test_no_subject_is_refused_on_its_field(editor_client, newsletters):
    response = post_as_a_browser(editor_client, ADD, fields(newsletters["daily"], subject=""))
    assert form_errors(response)["subject"] == ["An edition needs a subject."]
    assert not Edition.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n\n  ", "<script>alert(1)</script>"])
def test_an_empty_body_is_refused_on_its_field(editor_client, newsletters, body):
    response = post_as_a_browser(editor_client, ADD, fields(newsletters["daily"], body=body))
    assert "body" in form_errors(response)
    assert not Edition.objects.exists()


def test_a_body_over_100_kb_of_html_is_refused_with_gmails_clipping_named(
    editor_client, newsletters
):
    body = "A paragraph of a long edition, written in plain words.\n\n" * 2000
    response = post_as_a_browser(editor_client, ADD, fields(newsletters["daily"], body=body))
    [message] = form_errors(response)["body"]
    assert "over 100 KB" in message and "Gmail clips" in message
    assert not Edition.objects.exists()


def test_a_long_ukrainian_body_gets_the_forms_message_not_a_bare_413(editor_client, newsletters):
    body = "\n\n".join([UKRAINIAN * 10] * 85)  # 110 KB of HTML, 294 KB posted
    data = fields(newsletters["explaining-ukraine"], body=body)
    assert len(urlencode(data)) > 256 * 1024  # more than the admin used to take
    response = post_as_a_browser(editor_client, ADD, data)
    assert "Gmail clips" in form_errors(response)["body"][0]


def test_a_body_near_the_limit_is_saved_with_a_warning(editor_client, newsletters):
    body = "\n\n".join([UKRAINIAN * 10] * 72)  # 94 KB of HTML
    response = post_as_a_browser(editor_client, ADD, fields(newsletters["daily"], body=body))
    assert response.status_code == 302
    assert any("near the 100 KB" in str(m) for m in get_messages(response.wsgi_request))


def test_a_left_out_image_is_reported_after_saving(editor_client, newsletters):
    body = "Text.\n\n![A pixel](http://example.org/pixel.gif)"
    response = post_as_a_browser(editor_client, ADD, fields(newsletters["daily"], body=body))
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("http://example.org/pixel.gif" in m and "https://" in m for m in shown)


def test_the_list_field_offers_active_lists_only(editor_client, newsletters):
    newsletters["breaking"].is_active = False
    newsletters["breaking"].save()
    form = editor_client.get(ADD).context["adminform"].form
    offered = set(form.fields["newsletter"].queryset.values_list("slug", flat=True))
    assert "breaking" not in offered and "explaining-ukraine" in offered
    data = fields(newsletters["breaking"])
    assert "newsletter" in form_errors(post_as_a_browser(editor_client, ADD, data))


def test_an_edition_past_draft_is_shown_read_only(editor_client, newsletters):
    post_as_a_browser(editor_client, ADD, fields(newsletters["daily"]))
    edition = Edition.objects.get()
    Edition.objects.filter(pk=edition.pk).update(status=EditionStatus.SENT)
    change = f"/admin/editions/edition/{edition.pk}/change/"
    assert editor_client.get(change).status_code == 200  # still readable
    response = post_as_a_browser(editor_client, change, fields(newsletters["daily"], subject="X"))
    assert response.status_code == 302  # back to the read-only page, told why (below)
    edition.refresh_from_db()
    assert edition.subject == "Metro shelters"


def test_the_history_shows_its_times_in_the_admins_zone_as_the_dates_beside_it(
    editor_client, newsletters, settings
):
    settings.TIME_ZONE = "Europe/Kyiv"  # two or three hours from UTC: a UTC time shows
    post_as_a_browser(editor_client, ADD, fields(newsletters["daily"]))
    edition = Edition.objects.get()
    page = editor_client.get(f"/admin/editions/edition/{edition.pk}/change/").content.decode()
    kyiv = timezone.localtime(edition.events.get().at, ZoneInfo("Europe/Kyiv"))
    assert f"{localize(kyiv)} · ∅ → draft" in page


def test_a_page_saved_after_its_edition_left_draft_is_told_and_saves_nothing(
    editor_client, newsletters
):
    post_as_a_browser(editor_client, ADD, fields(newsletters["daily"]))
    edition = Edition.objects.get()
    services.move(edition=edition, to=EditionStatus.SENDING, actor="system")
    change = f"/admin/editions/edition/{edition.pk}/change/"
    response = post_as_a_browser(editor_client, change, fields(newsletters["daily"], subject="X"))
    assert response.status_code == 302
    told = [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert "Only a draft can be edited; this edition is sending. Nothing was saved." in told
    assert Edition.objects.get().subject == "Metro shelters"


def test_a_save_that_meets_the_edition_leaving_draft_in_the_flow_saves_nothing(
    editor_client, newsletters, monkeypatch
):
    post_as_a_browser(editor_client, ADD, fields(newsletters["daily"]))
    edition = Edition.objects.get()
    real = services.update_draft

    def sent_meanwhile(**kwargs):
        services.move(edition=edition, to=EditionStatus.SENDING, actor="system")
        return real(**kwargs)

    monkeypatch.setattr(services, "update_draft", sent_meanwhile)
    change = f"/admin/editions/edition/{edition.pk}/change/"
    response = post_as_a_browser(editor_client, change, fields(newsletters["daily"], subject="X"))
    assert response.status_code == 302
    told = [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert "Only a draft can be edited" in told
    assert Edition.objects.get().subject == "Metro shelters"
