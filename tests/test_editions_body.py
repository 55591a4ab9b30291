"""An edition's body as readers get it: every formatting an editor may use, and nothing that
could run, track or hide (issue 24)."""

import re

from editions.body import render
from subscriptions.api import WELCOME_MARKDOWN, render_markdown

FULL = """\
# A heading

## A smaller one

A paragraph with **bold**, *italics* and [a link](https://example.org/story?a=1&b=2).

> A quote from a reader.

- one
- two

A paragraph between the lists.

1. first
2. second

---

[Support our reporting](https://example.org/donate?a=1&b=2){.button}

![Kyiv's Arsenalna station at night](https://example.org/arsenalna.jpg)
"""

HOSTILE = """\
<script>alert("script")</script>
<style>p { display: none }</style>
<p onclick="steal()">Click me</p>
[a js link](javascript:alert(1))
[a data link](data:text/html;base64,PHNjcmlwdD4=)
<a href="javascript:alert(2)">raw js</a>

![data image](data:image/png;base64,iVBORw0KGgo=)

![plain http image](http://example.org/pixel.gif)

![](https://example.org/no-description.jpg)

<img src="https://example.org/raw.gif" onerror="steal()">
"""


def test_every_allowed_element_reaches_the_html():
    html = render(FULL).html
    for element in ("<h1 ", "<h2 ", "<strong>", "<em>", "<blockquote ", "<ul>", "<ol>", "<hr "):
        assert element in html
    assert '<a href="https://example.org/story?a=1&amp;b=2"' in html
    assert '<img src="https://example.org/arsenalna.jpg" alt="Kyiv' in html
    assert "max-width:100%" in html  # no image wider than the email's column


def test_the_text_part_reads_every_element_without_markdown():
    text = render(FULL).text
    assert "A heading\n\nA smaller one" in text
    assert "a link (https://example.org/story?a=1&b=2)" in text
    assert "    A quote from a reader." in text
    assert "- one\n- two" in text
    assert "1. first\n2. second" in text
    assert "* * *" in text
    assert "Support our reporting (https://example.org/donate?a=1&b=2)" in text
    assert "[Kyiv's Arsenalna station at night]" in text
    assert "**" not in text and "](" not in text


def test_script_style_event_attributes_and_js_or_data_urls_never_get_through():
    rendered = render(HOSTILE)
    html = rendered.html.lower()
    for forbidden in ("<script", "alert(\"script\")", "<style", "display: none", "onclick",
                      "onerror", "javascript:", "data:"):  # fmt: skip
        assert forbidden not in html, forbidden
    assert "Click me" in rendered.html  # the text stays; only the attribute goes
    assert "javascript:" not in rendered.text and "data:" not in rendered.text


def test_an_image_without_https_or_a_description_is_left_out_and_the_editor_told():
    rendered = render(HOSTILE)
    assert "<img" not in rendered.html
    warnings = "\n".join(rendered.warnings)
    assert len(rendered.warnings) == 4  # data:, http:, no alt, raw <img> with no alt
    assert "http://example.org/pixel.gif" in warnings
    assert "https://example.org/no-description.jpg" in warnings
    assert "https://" in warnings


def test_a_body_with_only_good_images_has_no_warnings():
    assert render(FULL).warnings == ()


BRACES = """\
# A heading {.button}

[with an event](https://example.org/1){.button onclick=steal()}

[with an id](https://example.org/2){#top-anchor}

[with a style](https://example.org/3){style="color:red"}

[with another class](https://example.org/4){.other-class}

![an image](https://example.org/5.jpg){.button}

[a js button](javascript:alert(1)){.button}
"""


def styles(html: str) -> dict[str, str]:
    return dict(re.findall(r'<(\w+) [^>]*style="([^"]*)"', html))


def test_headings_rules_and_quotes_carry_the_layouts_style_inline():
    found = styles(render(FULL).html)
    assert "Georgia" in found["h1"] and "font-size:28px" in found["h1"]
    assert "Georgia" in found["h2"] and "font-size:23px" in found["h2"]
    assert found["hr"] == "border:0;border-top:1px solid #dddbd3;margin:24px 0"
    assert (
        "border-left:3px solid" in found["blockquote"] and "color:#555555" in found["blockquote"]
    )


def test_a_button_link_shows_as_a_button_in_html_and_as_a_link_in_text():
    link = "[Support our reporting](https://example.org/donate)"
    for braces in ("{.button}", "{: .button}"):  # attr_list reads both
        rendered = render(link + braces)
        assert rendered.html.startswith('<p><a href="https://example.org/donate" ')
        button = styles(rendered.html)["a"]
        assert "display:inline-block" in button and "background-color:#0b5cad" in button
        assert "color:#ffffff" in button and "text-decoration:none" in button
        assert "class=" not in rendered.html
        assert rendered.text == "Support our reporting (https://example.org/donate)"


def test_braces_add_no_attribute_but_a_links_button_class_and_that_only_as_our_style():
    html = render(BRACES).html
    for forbidden in ("class=", "onclick", "steal", "id=", "top-anchor", "color:red",
                      "other-class"):  # fmt: skip
        assert forbidden not in html, forbidden
    # One button: the link with an event attribute, which is dropped. The js link has no
    # address left, so it is no button; the heading and the image are never one.
    assert html.count("background-color:#0b5cad") == 1
    assert '<a href="https://example.org/1" rel="noopener noreferrer" style="' in html
    assert '<h1 style="margin' in html
    assert '<a rel="noopener noreferrer">a js button</a>' in html
    assert '<img src="https://example.org/5.jpg" alt="an image" style="display:block' in html


def test_the_welcome_email_shows_button_braces_as_typed():
    html = render_markdown("[Support us](https://example.org/donate){.button}", WELCOME_MARKDOWN)
    assert "{.button}" in html and "class" not in html and "style" not in html
