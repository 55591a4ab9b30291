"""An edition's body as readers get it: every formatting an editor may use, and nothing that
could run, track or hide (issue 24)."""

from editions.body import render

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
    for element in ("<h1>", "<h2>", "<strong>", "<em>", "<blockquote>", "<ul>", "<ol>", "<hr>"):
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
