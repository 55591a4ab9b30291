"""An edition's body: the editor's Markdown as the email's HTML and text.

The same path as the welcome email's (subscriptions' render_markdown: Python-Markdown, then
nh3), with an edition's policy: more tags (headings, rules, images), the same refusals (no
script, style, event attribute, `javascript:` or `data:` URL). Then one rule nh3 can't say:
an image needs an `https` address (an `http:` one would be mixed content, and a blocked or
tracking-prone request in many clients) and a description (alt text, for readers who can't
see it and for clients that block images). An image that fails either is left out, and the
editor is told (`Rendered.warnings`).

Then the email's look, written inline on what nh3 kept (Gmail and Outlook drop a <style>
block; the layout, templates/subscriptions/email/base.html, is inline for the same reason):
headings, rules and quotes in the layout's serif and greys, and a call to action as a
button, `[Support our reporting](https://…){.button}` (Python-Markdown's attr_list, which
also reads `{: .button}`). nh3 keeps no `style` and no class but `button` on a link, so every
style in the body is one written here.
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
    extensions=("attr_list",),
    classes={"a": frozenset({"button"})},
)

# Gmail clips an HTML part over about 102 KB, and the clipped part holds the footer with the
# unsubscribe link. The body's HTML plus the layout around it (LAYOUT_BYTES: the masthead,
# the footer and its links: about 2 KB in Ukrainian today, with room for the hidden preheader
# and "View in browser" still to come) must stay under HTML_LIMIT.
HTML_LIMIT = 100_000
LAYOUT_BYTES = 5_000
HTML_WARN = 90_000

# Written by us, after nh3, for the layout's 600 px column (its body text: Georgia 17px,
# #111111; its rules #dddbd3; its accent #0b5cad). Images as wide as the column at most, on
# their own line.
_IMAGE_STYLE = "display:block;max-width:100%;height:auto;border:0"
_SERIF = "font-family:Georgia,'Times New Roman',Times,serif;font-weight:bold;color:#111111"
_STYLES = {
    "h1": f"margin:24px 0 12px;{_SERIF};font-size:28px;line-height:1.25",
    "h2": f"margin:24px 0 10px;{_SERIF};font-size:23px;line-height:1.3",
    "h3": f"margin:20px 0 8px;{_SERIF};font-size:20px;line-height:1.35",
    "h4": f"margin:20px 0 8px;{_SERIF};font-size:17px;line-height:1.4",
    "hr": "border:0;border-top:1px solid #dddbd3;margin:24px 0",
    "blockquote": "margin:20px 0;padding:2px 0 2px 16px;border-left:3px solid #dddbd3;"
    "color:#555555",
}
# The confirmation email's button, bold: an inline-block link, so no table is needed and a
# client that drops the padding still shows a coloured link.
_BUTTON_STYLE = (
    "display:inline-block;background-color:#0b5cad;color:#ffffff;padding:12px 20px;"
    "text-decoration:none;border-radius:4px;font-family:Helvetica,Arial,sans-serif;"
    "font-size:16px;line-height:1.2;font-weight:bold"
)


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
    styler = _EmailStyler()
    styler.feed(render_markdown(markdown_text, EDITION_MARKDOWN))
    styler.close()
    # A paragraph that held only a left-out image would show as a gap.
    html = "".join(styler.out).replace("<p></p>", "")
    return Rendered(html=html, text=html_to_text(html), warnings=tuple(styler.warnings))


class _EmailStyler(HTMLParser):
    """nh3's output, in one pass: less the images without https or a description, each kept
    image rewritten with its three attributes and the email's style; headings, rules and
    quotes given theirs; a link of class `button` made a button, and no link keeps a class.
    Everything else is passed through as nh3 wrote it (convert_charrefs off: entities stay
    escaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.warnings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.out.append(self._image(dict(attrs)))
        elif tag == "a":
            self.out.append(_link(attrs))
        elif tag in _STYLES:
            # nh3 lets these tags keep no attribute, so the style is all they carry.
            self.out.append(f'<{tag} style="{_STYLES[tag]}">')
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


def _link(attrs: list[tuple[str, str | None]]) -> str:
    """A link as nh3 kept it, without its class; a button, styled, if the class said so and
    it still has somewhere to go (nh3 takes out a `javascript:` href)."""
    kept = [(name, value or "") for name, value in attrs if name != "class"]
    button = ("class", "button") in attrs and any(name == "href" for name, _value in kept)
    if button:
        kept.append(("style", _BUTTON_STYLE))
    return "<a" + "".join(f' {name}="{escape(value)}"' for name, value in kept) + ">"
