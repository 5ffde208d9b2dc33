"""The Telegram-HTML parser and validator: accepted markup, rejected markup, lengths."""

from __future__ import annotations

import pytest

from bot.telegram_html import HtmlError, ParsedText, parse, utf16_len, validate


def _entity(kind: str, offset: int, length: int, **extra: str) -> dict:
    return {"type": kind, "offset": offset, "length": length, **extra}


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("<b>bold</b> plain", "bold plain", [_entity("bold", 0, 4)]),
        ("<i>a<u>b</u></i>", "ab", [_entity("italic", 0, 2), _entity("underline", 1, 1)]),
        ("<STRONG>x</STRONG><em>y</em>", "xy", [_entity("bold", 0, 1), _entity("italic", 1, 1)]),
        (
            "<s>a</s><del>b</del><ins>c</ins>",
            "abc",
            [_entity("strikethrough", 0, 1), _entity("strikethrough", 1, 1), _entity("underline", 2, 1)],
        ),
        ("&lt;&gt;&amp;&quot;&#39;&#x27;&#128512;", "<>&\"''😀", []),
        ("a > b", "a > b", []),
        ("😀<b>x</b>", "😀x", [_entity("bold", 2, 1)]),
        (
            '<a href="https://example.com/?a=1&amp;b=2">x</a>',
            "x",
            [_entity("text_link", 0, 1, url="https://example.com/?a=1&b=2")],
        ),
        ("<a href='tg://user?id=1'>x</a>", "x", [_entity("text_link", 0, 1, url="tg://user?id=1")]),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [_entity("spoiler", 0, 1), _entity("spoiler", 1, 1)],
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [_entity("pre", 0, 5, language="python")],
        ),
        ("<code>a<b>b</b></code>", "ab", [_entity("code", 0, 2)]),
        ("<blockquote expandable>q</blockquote>", "q", [_entity("expandable_blockquote", 0, 1)]),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "👍",
            [_entity("custom_emoji", 0, 2, custom_emoji_id="5368324170671202286")],
        ),
        ("<b></b>x", "x", []),
        ("<b>x</>", "x", [_entity("bold", 0, 1)]),
    ],
)
def test_parse_accepts_telegram_markup(html, text, entities):
    assert parse(html) == ParsedText(text, entities)


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("a & b", 'Unescaped "&" at byte offset 2'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("x<br/>", 'Unsupported start tag "br/" at byte offset 1'),
        ("é<p>x</p>", 'Unsupported start tag "p" at byte offset 2'),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<b style="x">y</b>', 'Unsupported attribute "style" in the tag "b"'),
        ('<a title="t" href="https://x.org">y</a>', 'Unsupported attribute "title"'),
        ('<a href="javascript:alert(1)">x</a>', 'Tag "a" needs an http, https, tg or mailto href'),
        ("<a>x</a>", 'Tag "a" needs'),
        ('<span class="bold">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ('<code class="language-py">x</code>', "Programming language can't be specified"),
        ("<tg-emoji>x</tg-emoji>", '"tg-emoji" must have a numeric "emoji-id"'),
    ],
)
def test_parse_rejects_bad_markup(html, reason):
    with pytest.raises(HtmlError) as caught:
        parse(html)
    assert reason in caught.value.description
    assert caught.value.description.startswith("can't parse entities: ")


@pytest.mark.parametrize(("text", "units"), [("abc", 3), ("é", 1), ("😀", 2), ("🇮🇩", 4), ("", 0)])
def test_utf16_len_counts_code_units(text, units):
    assert utf16_len(text) == units


@pytest.mark.parametrize(
    "html", ["<b>Halo</b> &amp; selamat", "x" * 4096, "😀" * 2048, "<b>" + "x" * 4096 + "</b>"]
)
def test_validate_accepts_good_text(html):
    assert validate(html) == []


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("x" * 4097, "message is too long: 4097 UTF-16 units"),
        ("😀" * 2049, "message is too long: 4098 UTF-16 units"),
        ("", "message text is empty"),
        ("<b> \n </b>", "message text is empty"),
        ("<p>x</p>", "can't parse entities"),
    ],
)
def test_validate_reports_problems(html, problem):
    assert problem in validate(html)[0]


def test_validate_takes_a_caption_limit():
    assert validate("x" * 1024, limit=1024) == []
    assert "limit 1024" in validate("x" * 1025, limit=1024)[0]


def test_strip_trims_whitespace_and_shifts_entities():
    parsed = parse("  <b> hi </b>😀 ").strip()
    assert parsed == ParsedText("hi 😀", [_entity("bold", 0, 3)])
