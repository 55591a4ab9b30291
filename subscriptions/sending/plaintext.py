"""Readable plain text from sanitised HTML: the text part of an email an editor wrote in
Markdown.

Python-Markdown has no text output, and html2text is GPL. This reads the HTML that nh3 has
already cleaned (listmail.render_markdown) with the standard library's html.parser, so the
text part says exactly what the HTML part shows: what nh3 dropped (a `<script>` and its
text) is not here either, and no Markdown syntax is left to read. It knows the few tags an
editor's text may become (listmail.ALLOWED_TAGS, and an edition's images and rules); any
other tag passes its text through.
"""

from html.parser import HTMLParser

# Tags that end the paragraph before them and start a new one.
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "hr"}


def html_to_text(html: str) -> str:
    """Paragraphs apart by a blank line, list items as `- item` or `1. item`, a quote
    indented, and a link as `text (url)` (the bare address when the text is the address)."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._paragraphs: list[tuple[str, bool]] = []  # (text, follows the last on its line)
        self._inline: list[str] = []
        self._links: list[tuple[str, int]] = []  # (href, where its text starts in _inline)
        self._lists: list[list[int]] = []  # per open list: [next number], or [] if unordered
        self._marker = ""  # a list item's `- ` or `1. `, until its first line is written
        self._quotes = 0
        self._new_list = False  # the next paragraph is an outermost list's first

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._flush()
        if tag == "br":
            self._inline.append("\n")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self._inline)))
        elif tag in ("ul", "ol"):
            self._new_list = self._new_list or not self._lists
            self._lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            self._marker = self._next_marker()
        elif tag == "blockquote":
            self._quotes += 1
        elif tag == "img" and (alt := dict(attrs).get("alt")):
            # What the image shows, as its description says it (an edition's images have one).
            self._inline.append(f"[{alt}]")
        elif tag == "hr":
            self._inline.append("* * *")
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._links:
            href, start = self._links.pop()
            self._inline.append(_link_tail("".join(self._inline[start:]), href))
        if tag in _BLOCKS:
            self._flush()
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "blockquote":
            self._quotes = max(0, self._quotes - 1)

    def handle_data(self, data: str) -> None:
        # A line break in the source is a space on the page; only <br> breaks a line.
        self._inline.append(" ".join(data.split("\n")))

    def text(self) -> str:
        self._flush()
        out = ""
        for paragraph, tight in self._paragraphs:
            out += ("\n" if tight else "\n\n") + paragraph if out else paragraph
        return out

    def _next_marker(self) -> str:
        if not self._lists or not self._lists[-1]:
            return "- "
        number = self._lists[-1][0]
        self._lists[-1][0] += 1
        return f"{number}. "

    def _flush(self) -> None:
        lines = [" ".join(line.split()) for line in "".join(self._inline).split("\n")]
        self._inline = []
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        if not lines:
            return
        indent = "  " * max(0, len(self._lists) - 1) + "    " * self._quotes
        first = indent + self._marker
        rest = indent + " " * len(self._marker)
        body = "\n".join([first + lines[0], *(rest + line for line in lines[1:])])
        # A list's items follow one another line by line; the list itself stands apart.
        tight = bool(self._lists) and not self._new_list
        self._paragraphs.append((body, tight))
        self._marker, self._new_list = "", False


def _link_tail(text: str, href: str) -> str:
    """What follows a link's text: its address in brackets, unless the text already says it."""
    address = href.removeprefix("mailto:")
    if not address or address == " ".join(text.split()):
        return ""
    return f" ({address})"
