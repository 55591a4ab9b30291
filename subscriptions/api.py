"""This app's public face: all another app (the project in newsroom/, editions/) imports
from it, besides the models (`subscriptions.models`, which other apps' models point to while
the app registry is still loading) and the settings (`subscriptions.app_settings`, which
newsroom/celery.py reads before Django is set up). Everything else is this app's own, and
pyproject.toml's "public face" contract holds every other package to this list, so that a
layer can be rearranged without reading another app.

- The flows, `services`: the only public writers (sign up, confirm, unsubscribe, erase...),
  and, for a kind of email, `services.queue(Model, rows)` inside the caller's transaction and
  `services.record_refused` when the provider refuses an address.
- Sending: declaring a kind of queued email (`Kind`, `register_kind`, from an AppConfig's
  ready()) and composing list mail (`ListContent`, `compose_list_mail` for confirmed
  subscriptions, `compose_list_batches` the same in batch calls where the provider can
  merge each reader's links and headers, `compose_list_message` to one `Recipient`, such as
  `list_tester`, an editor's test whose links change nothing), which carries every list's
  headers, sender and unsubscribe links; `absolute_url` for a link in an email; `send_email` and
  `is_transient_error` for a message sent outside the outbox (an editor's test);
  `EmailPageView` shows an email's HTML part.
- Work for a worker: `enqueue(task_name, *ids)`, after the current transaction commits.
- An editor's Markdown as list mail renders it: `render_markdown` with a `MarkdownPolicy` of
  the kind's own (the welcome email's is `WELCOME_MARKDOWN`), and `html_to_text`, the text
  part read from that sanitised HTML (editions render their bodies with both).
- The actors a history records (`editor_actor(username)`, `SYSTEM_ACTOR`), so another app's
  history names people as subscriptions' does.
- `DemoCommand`: the base of a command that writes demo data (refused with DEBUG off).
- Hooks: `newsletter_page`, to add to a list's sign-up page (README "Adding a kind of email").
- What the project's own middleware and views share with this app: where a request comes from
  (`client_ip`, `client_key`), the per-IP limits (`ratelimit`), and what /metrics shows
  (`REQUEST_SECONDS`, `DatabaseCollector`).
"""

from . import services
from .core.dispatch import enqueue
from .core.kinds import Kind
from .core.kinds import register as register_kind
from .core.lifecycle import SYSTEM as SYSTEM_ACTOR
from .core.lifecycle import editor as editor_actor
from .core.signals import newsletter_page
from .guards import ratelimit
from .guards.origin import client_ip, client_key
from .management.demo import DemoCommand
from .sending.emails import absolute_url
from .sending.emails import is_transient as is_transient_error
from .sending.emails import send as send_email
from .sending.listbatch import messages as compose_list_batches
from .sending.listmail import (
    WELCOME_MARKDOWN,
    ListContent,
    MarkdownPolicy,
    Recipient,
    render_markdown,
)
from .sending.listmail import message as compose_list_message
from .sending.listmail import messages as compose_list_mail
from .sending.listmail import tester as list_tester
from .sending.plaintext import html_to_text
from .stats.instruments import REQUEST_SECONDS
from .stats.scrape import DatabaseCollector
from .web.email_page import EmailPageView

__all__ = [
    "REQUEST_SECONDS",
    "SYSTEM_ACTOR",
    "WELCOME_MARKDOWN",
    "DatabaseCollector",
    "DemoCommand",
    "EmailPageView",
    "Kind",
    "ListContent",
    "MarkdownPolicy",
    "Recipient",
    "absolute_url",
    "client_ip",
    "client_key",
    "compose_list_batches",
    "compose_list_mail",
    "compose_list_message",
    "editor_actor",
    "enqueue",
    "html_to_text",
    "is_transient_error",
    "list_tester",
    "newsletter_page",
    "ratelimit",
    "register_kind",
    "render_markdown",
    "send_email",
    "services",
]
