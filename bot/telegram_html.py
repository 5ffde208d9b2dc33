"""Strict parser and validator for Telegram's HTML parse mode (the project's only one).

It follows the Bot API "HTML style" rules and tdlib's error wording. It is deliberately
stricter than Telegram in three places, so content that passes here is safe there: a bare
"&" is an error (Telegram keeps it literally), unknown attributes are errors (Telegram ignores
them), and a link must use an http, https, tg or mailto URL (Telegram drops other links).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_ATTRIBUTES = {
    "a": {"href"},
    "span": {"class"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "blockquote": {"expandable"},
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_MARKUP = re.compile(r"[&<]")
_TRIMMED = "".join(chr(c) for c in range(33))


class HtmlError(ValueError):
    """Markup Telegram would reject; ``description`` reads like the Bot API's."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.description = f"can't parse entities: {reason}"


@dataclass(frozen=True)
class ParsedText:
    """Plain text after parsing plus Bot API MessageEntity dicts (UTF-16 offsets)."""

    text: str
    entities: list[dict] = field(default_factory=list)

    def strip(self) -> ParsedText:
        """Trim leading/trailing whitespace as Telegram does, shifting and clipping entities."""
        head = len(self.text) - len(self.text.lstrip(_TRIMMED))
        text = self.text.strip(_TRIMMED)
        shift, end = utf16_len(self.text[:head]), utf16_len(text)
        entities = []
        for entity in self.entities:
            start = max(entity["offset"] - shift, 0)
            stop = min(entity["offset"] + entity["length"] - shift, end)
            if stop > start:
                entities.append({**entity, "offset": start, "length": stop - start})
        return replace(self, text=text, entities=entities)


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units, the unit of Telegram's limits and offsets."""
    return len(s.encode("utf-16-le")) // 2


def validate(html: str, *, limit: int = 4096) -> list[str]:
    """Problems Telegram would report for this HTML message text; empty when it is fine."""
    try:
        parsed = parse(html).strip()
    except HtmlError as exc:
        return [exc.description]
    if not parsed.text:
        return ["message text is empty after parsing"]
    size = utf16_len(parsed.text)
    if size > limit:
        return [f"message is too long: {size} UTF-16 units after parsing, limit {limit}"]
    return []


def parse(html: str) -> ParsedText:
    """Parse Telegram HTML into plain text and entities; raise HtmlError on bad markup."""
    return _Parser(html).run()


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    offset: int
    position: int
    language: str = ""


class _Parser:
    """A single pass over the markup, in the manner of tdlib's parse_html."""

    def __init__(self, html: str):
        self.html = html
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_Open] = []
        self.entities: list[tuple[dict, _Open]] = []

    def run(self) -> ParsedText:
        html, i = self.html, 0
        while i < len(html):
            ch = html[i]
            if ch == "&":
                decoded, i = self._entity(i)
                self._emit(decoded)
            elif ch != "<":
                match = _MARKUP.search(html, i)
                end = match.start() if match else len(html)
                self._emit(html[i:end])
                i = end
            elif html.startswith("</", i):
                i = self._end_tag(i)
            else:
                i = self._start_tag(i)
        if self.stack:
            raise HtmlError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"')
        return ParsedText("".join(self.out), self._finish())

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_len(text)

    def _at(self, i: int) -> str:
        return f"at byte offset {self._byte(i)}"

    def _tag_at(self, tag: str, i: int) -> str:
        return f'the tag "{tag}" {self._at(i)}'

    def _byte(self, i: int) -> int:
        return len(self.html[:i].encode("utf-8"))

    def _entity(self, i: int) -> tuple[str, int]:
        end = self.html.find(";", i, i + 12)
        name = self.html[i + 1 : end] if end > 0 else ""
        if name in _NAMED_ENTITIES:
            return _NAMED_ENTITIES[name], end + 1
        if re.fullmatch(r"#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,6}", name):
            code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), end + 1
        if name and re.fullmatch(r"#?[A-Za-z0-9]+", name):
            raise HtmlError(f'Unsupported HTML entity "&{name};" at byte offset {self._byte(i)}')
        raise HtmlError(f'Unescaped "&" at byte offset {self._byte(i)}; use &amp;')

    def _start_tag(self, begin: int) -> int:
        html, j = self.html, begin + 1
        while j < len(html) and not html[j].isspace() and html[j] != ">":
            j += 1
        if j >= len(html):
            raise HtmlError(f"Unclosed start tag at byte offset {self._byte(begin)}")
        tag = html[begin + 1 : j].lower()
        if tag not in _ENTITY_TYPES:
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {self._byte(begin)}')
        attrs, j = self._attributes(tag, begin, j)
        self._check_start(tag, attrs, begin)
        self.stack.append(_Open(tag, attrs, self.offset, begin))
        return j

    def _attributes(self, tag: str, begin: int, j: int) -> tuple[dict[str, str], int]:
        html, attrs = self.html, {}
        while True:
            while j < len(html) and html[j].isspace():
                j += 1
            if j >= len(html):
                raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {self._byte(begin)}')
            if html[j] == ">":
                return attrs, j + 1
            start = j
            while j < len(html) and not html[j].isspace() and html[j] not in "=>":
                j += 1
            name = html[start:j]
            if not name:
                raise HtmlError(f"Empty attribute name in {self._tag_at(tag, begin)}")
            if name not in _ATTRIBUTES.get(tag, ()):
                raise HtmlError(f'Unsupported attribute "{name}" in {self._tag_at(tag, begin)}')
            while j < len(html) and html[j].isspace():
                j += 1
            if name == "expandable" and (j >= len(html) or html[j] != "="):
                attrs[name] = ""
                continue
            if j >= len(html) or html[j] != "=":
                raise HtmlError(
                    f"Expected equal sign in declaration of an attribute of {self._tag_at(tag, begin)}"
                )
            j += 1
            while j < len(html) and html[j].isspace():
                j += 1
            attrs[name], j = self._attribute_value(tag, begin, j)

    def _attribute_value(self, tag: str, begin: int, j: int) -> tuple[str, int]:
        html = self.html
        if j >= len(html):
            raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {self._byte(begin)}')
        if html[j] not in "'\"":
            token = _NAME_TOKEN.match(html, j).group()
            end = j + len(token)
            if end >= len(html) or not (html[end].isspace() or html[end] == ">"):
                raise HtmlError(f"Unexpected end of name token at byte offset {self._byte(end)}")
            return token.lower(), end
        quote, j, value = html[j], j + 1, []
        while j < len(html) and html[j] != quote:
            if html[j] == "&":
                decoded, j = self._entity(j)
                value.append(decoded)
            elif html[j] == "<":
                raise HtmlError(f'Unescaped "<" in an attribute at byte offset {self._byte(j)}')
            else:
                value.append(html[j])
                j += 1
        if j >= len(html):
            raise HtmlError(f"Unclosed start tag at byte offset {self._byte(begin)}")
        return "".join(value), j + 1

    def _check_start(self, tag: str, attrs: dict[str, str], begin: int) -> None:
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" {self._at(begin)}')
        if tag == "a" and not attrs.get("href", "").lower().startswith(_LINK_SCHEMES):
            raise HtmlError(f'Tag "a" needs an http, https, tg or mailto href {self._at(begin)}')
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HtmlError(f'Tag "tg-emoji" must have a numeric "emoji-id" {self._at(begin)}')
        if tag == "code" and "class" in attrs:
            if not attrs["class"].startswith("language-") or len(attrs["class"]) == 9:
                raise HtmlError(f'Tag "code" may only have class "language-..." {self._at(begin)}')
            parent = self.stack[-1] if self.stack else None
            if parent is None or parent.tag != "pre" or parent.offset != self.offset:
                raise HtmlError(f"Programming language can't be specified outside of pre {self._at(begin)}")

    def _end_tag(self, begin: int) -> int:
        html, j = self.html, begin + 2
        while j < len(html) and not html[j].isspace() and html[j] != ">":
            j += 1
        name = html[begin + 2 : j].lower()
        while j < len(html) and html[j].isspace():
            j += 1
        if j >= len(html) or html[j] != ">":
            raise HtmlError(f"Unclosed end tag at byte offset {self._byte(begin)}")
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {self._byte(begin)}")
        opened = self.stack.pop()
        if name and name != opened.tag:
            raise HtmlError(
                f"Unmatched end tag at byte offset {self._byte(begin)}, "
                f'expected "</{opened.tag}>", found "</{name}>"'
            )
        self._close(opened)
        return j + 1

    def _close(self, opened: _Open) -> None:
        length = self.offset - opened.offset
        entity = {"type": _ENTITY_TYPES[opened.tag], "offset": opened.offset, "length": length}
        if opened.tag == "a":
            entity["url"] = opened.attrs["href"]
        elif opened.tag == "tg-emoji":
            entity["custom_emoji_id"] = opened.attrs["emoji-id"]
        elif opened.tag == "pre" and opened.language:
            entity["language"] = opened.language
        elif opened.tag == "blockquote" and "expandable" in opened.attrs:
            entity["type"] = "expandable_blockquote"
        if opened.tag == "code" and self.stack and self.stack[-1].tag == "pre":
            self.stack[-1].language = opened.attrs.get("class", "")[len("language-") :]
            return
        if length > 0 and not any(_swallows(outer.tag, opened.tag) for outer in self.stack):
            self.entities.append((entity, opened))

    def _finish(self) -> list[dict]:
        """Entities sorted as Telegram returns them: by offset, then outer before inner."""
        ordered = sorted(self.entities, key=lambda e: (e[0]["offset"], -e[0]["length"], e[1].position))
        return [entity for entity, _ in ordered]


def _swallows(outer: str, inner: str) -> bool:
    """Telegram keeps nothing inside code/pre and no blockquote inside a blockquote."""
    return outer in ("code", "pre") or (outer == inner == "blockquote")
