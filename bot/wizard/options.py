"""Option builders for Choice steps, shared by every flow (labels come from content)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.content import Content
from bot.wizard.steps import Option, Text

Options = Callable[[Content, str, object], Sequence[Option]]


def labelled(prefix: str, values: tuple[str, ...]) -> Options:
    """One option per value, labelled by the content message `<prefix>-<value>`."""

    def options(content: Content, lang: str, answers: object) -> list[Option]:
        return [Option(value, content.text(lang, f"{prefix}-{value}")) for value in values]

    return options


def countries(main: bool, *, home: bool = False) -> Options:
    """The main destinations (or the others, behind "more"); Indonesia itself only when `home`."""

    def options(content: Content, lang: str, answers: object) -> list[Option]:
        return [
            Option(c.code, c.name(lang))
            for c in content.countries.values()
            if c.main == main and (home or c.code != "ID")
        ]

    return options


# "Not in this list" (CLDR's unknown region): the user then types the country's name.
OTHER_COUNTRY = "ZZ"


def country_typed(prompt: str, label: str, key: str = "country") -> Text:
    """The step after "not in this list": the country's name as typed (escaped wherever shown)."""
    return Text(
        f"{key}_typed",
        prompt,
        label=label,
        parse=lambda text: " ".join(text.split()),
        max_length=60,
        when=lambda answers: answers.get(key) == OTHER_COUNTRY,
    )


def country_of(answers: Mapping[str, Any], key: str = "country") -> Any:
    """The chosen country code, or the typed name when the country was not in the list."""
    value = answers.get(key)
    return answers.get(f"{key}_typed") if value == OTHER_COUNTRY else value


def provinces(main: bool) -> Options:
    """The largest sending provinces first (or the others, behind "more")."""

    def options(content: Content, lang: str, answers: object) -> list[Option]:
        return [Option(p["value"], p["name"]) for p in content.provinces if bool(p.get("main")) == main]

    return options


def with_all(build: Options, label: str = "staff-broadcast-all") -> Options:
    """`build`'s options after an "everyone" option (value "all")."""

    def options(content: Content, lang: str, answers: object) -> list[Option]:
        return [Option("all", content.text(lang, label)), *build(content, lang, answers)]

    return options
