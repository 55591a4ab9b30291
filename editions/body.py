"""An edition's body: the editor's Markdown as the email's HTML and text.

The same path as the welcome email's (subscriptions' render_markdown: Python-Markdown, then
nh3), with an edition's policy: more tags (headings, rules, images), the same refusals (no
script, style, event attribute, `javascript:` or `data:` URL). Then one rule nh3 can't say:
an image needs an `https` address (an `http:` one would be mixed content, and a blocked or
tracking-prone request in many clients) and a description (alt text, for readers who can't
see it and for clients that block images). An image that fails either is left out, and the
editor is told (`Rendered.warnings`).
"""

from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from django.utils.translation import gettext as _

from subscriptions.api import MarkdownPolicy, html_to_text, render_markdown

EDITION_MARKDOWN = MarkdownPolicy(
    tags=frozenset(
        {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "hr", "img"}
        | {"h1", "h2", "h3", "h4"}
    ),
    attributes={"a": frozenset({"href", "title"}), "img": frozenset({"src", "alt", "title"})},
    # Links may be http (some sources still are); images are held to https below.
    url_schemes=frozenset({"https", "http", "mailto"}),
)

# Gmail clips an HTML part over about 102 KB, and the clipped part holds the footer with the
# unsubscribe link. The body's HTML plus the layout around it (LAYOUT_BYTES: the masthead,
# the footer and its links: about 2 KB in Ukrainian today, with room for the hidden preheader
# and "View in browser" still to come) must stay under HTML_LIMIT.
HTML_LIMIT = 100_000
LAYOUT_BYTES = 5_000
HTML_WARN = 90_000

# Images as wide as the column at most, on their own line: written by us, after nh3.
_IMAGE_STYLE = "display:block;max-width:100%;height:auto;border:0"


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str
    warnings: tuple[str, ...]  # what was left out, for the form and the preview

    @property
    def html_bytes(self) -> int:
        """The size Gmail counts: the body's HTML in UTF-8, with the layout around it."""
        return len(self.html.encode()) + LAYOUT_BYTES


def render(markdown_text: str) -> Rendered:
    images = _ImageFilter()
    images.feed(render_markdown(markdown_text, EDITION_MARKDOWN))
    images.close()
    # A paragraph that held only a left-out image would show as a gap.
    html = "".join(images.out).replace("<p></p>", "")
    return Rendered(html=html, text=html_to_text(html), warnings=tuple(images.warnings))


class _ImageFilter(HTMLParser):
    """nh3's output as it is, less the images without https or a description; each kept
    image rewritten with its three attributes and the email's style. Everything else is
    passed through as nh3 wrote it (convert_charrefs off: entities stay escaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.warnings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.out.append(self._image(dict(attrs)))
        else:
            self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def _image(self, attrs: dict[str, str | None]) -> str:
        src, alt = (attrs.get("src") or "").strip(), (attrs.get("alt") or "").strip()
        if not src.lower().startswith("https://"):
            # nh3 has already removed a `javascript:` or `data:` address: no src at all.
            self.warnings.append(
                _("An image was left out: its address must start with https:// (%(src)s).")
                % {"src": src or _("an address that isn't allowed")}
            )
            return ""
        if not alt:
            self.warnings.append(
                _("An image was left out: it needs a description, ![like this](…) (%(src)s).")
                % {"src": src}
            )
            return ""
        title = attrs.get("title")
        title_attr = f' title="{escape(title)}"' if title else ""
        return f'<img src="{escape(src)}" alt="{escape(alt)}"{title_attr} style="{_IMAGE_STYLE}">'
