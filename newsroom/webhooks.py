"""anymail's webhook URLs, each answering as a provider needs, whatever it is sent.

anymail's own views answer 500 to a body they can't parse (malformed JSON, `[1,2]`, `null`):
the provider retries a body that will never parse. They answer 500 at a provider whose keys
aren't configured, to anyone: nothing there is ours to take. And an event its receiver can't
store stops the loop over a batch, so the events after it (SendGrid posts up to a thousand in
one call) were never stored, on every retry. Here:

- a provider anymail can't set up (AnymailConfigurationError) is a 404, before any auth
  (Mandrill's view finds out only as it checks a request);
- a body the provider's parser refuses is a 400, logged with its traceback;
- every event of a batch is offered to the receivers; if one fails, the others are stored and
  the answer is a 500, so the provider sends the batch again (the stored ones are duplicates,
  which the receivers drop) and the failure is logged with its traceback.
"""

import copy
import logging
from typing import Any

from anymail.exceptions import AnymailConfigurationError
from anymail.urls import urlpatterns as anymail_urlpatterns
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern

logger = logging.getLogger("newsroom")

# What a parser raises on a body that isn't the provider's: bad JSON or UTF-8 (ValueError),
# the wrong shape (a list or null where an object was due), a missing field.
_UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError)


class _Guarded:
    """Mixed in before an anymail webhook view: its setup, parsing and dispatch, guarded."""

    configured = True
    esp_name: str
    signal: Any

    def __init__(self, **kwargs: Any) -> None:
        try:
            super().__init__(**kwargs)
        except AnymailConfigurationError:
            self.configured = False

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        if not self.configured:
            raise Http404("No such webhook.")
        super().setup(request, *args, **kwargs)  # type: ignore[misc]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self._validate(request)
            events = list(self.parse_events(request))  # type: ignore[attr-defined]
        except _UNREADABLE:
            logger.warning("event=webhook.unreadable esp=%s", self.esp_name, exc_info=True)
            return HttpResponseBadRequest(
                "The body is not an event this provider sends.", content_type="text/plain"
            )
        unstored = sum(self._offer(event) for event in events)
        return HttpResponse(status=500 if unstored else 200)

    def _validate(self, request: HttpRequest) -> None:
        try:
            self.run_validators(request)  # type: ignore[attr-defined]
        except AnymailConfigurationError as missing:  # Mandrill reads its key only here
            raise Http404("No such webhook.") from missing

    def _offer(self, event: Any) -> int:
        """0 if the receivers took the event, 1 if one of them failed (logged)."""
        try:
            self.signal.send(sender=self.__class__, event=event, esp_name=self.esp_name)
        except Exception:
            logger.exception("event=webhook.unstored esp=%s", self.esp_name)
            return 1
        return 0


def _guarded(pattern: Any) -> URLPattern:
    view = pattern.callback
    guarded_class: Any = type(view.view_class.__name__, (_Guarded, view.view_class), {})
    guarded = copy.copy(pattern)
    guarded.callback = guarded_class.as_view(**view.view_initkwargs)
    return guarded


urlpatterns = [_guarded(pattern) for pattern in anymail_urlpatterns]
app_name = "anymail"
