"""Hooks other apps use to add to this app's pages, so this app never imports them."""

from django.dispatch import Signal

# Sent as a list's sign-up page (/newsletters/<slug>/) is drawn, with `newsletter` and
# `request`. Each receiver returns HTML to show below the form (a SafeString: the receiver
# escapes what it shows), or None. The editions archive adds the list's editions this way.
# The page is served from shared caches: a receiver must show every visitor the same thing.
newsletter_page = Signal()
