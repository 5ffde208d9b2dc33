"""Menu screens built from content: each returns the text and the inline keyboard to show."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import pack
from bot.content import LANGUAGES, Content

# Built-in screens that a menu item may name; flows add theirs when they exist.
SCREENS = {
    "contacts": ("user-button-contacts", ("ctc",)),
    "language": ("user-button-language", ("langm",)),
    "register": ("user-button-register", ("flow", "register")),
    "report": ("user-button-report", ("flow", "report")),
    "announcements": ("user-button-announcements", ("ann", "show")),
}


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup


def button(label: str, kind: str, *args: str) -> InlineKeyboardButton:
    """An inline button whose callback data is packed (and checked) by bot/callbacks.py."""
    return InlineKeyboardButton(label, callback_data=pack(kind, *args))


def _nav(content: Content, lang: str, back: tuple[str, ...] | None) -> list[InlineKeyboardButton]:
    row = [button(content.text(lang, "user-button-back"), *back)] if back else []
    return [*row, button(content.text(lang, "user-button-menu"), "menu")]


def _menu_button(content: Content, lang: str, item: dict[str, Any]) -> InlineKeyboardButton | None:
    if "section" in item:
        section = content.sections[lang].get(item["section"])
        if section is None:
            return None
        label = f"{item.get('icon', '')} {section.title}".strip()
        return button(label, "sec", section.key)
    if item.get("screen") in SCREENS:
        key, data = SCREENS[item["screen"]]
        return button(content.text(lang, key), *data)
    return None


def main_menu(content: Content, lang: str, text_key: str = "user-menu-title", **kwargs: Any) -> Screen:
    rows = []
    for row in content.menu.get("main", []):
        buttons = [b for b in (_menu_button(content, lang, item) for item in row) if b]
        if buttons:
            rows.append(buttons)
    return Screen(content.text(lang, text_key, **kwargs), InlineKeyboardMarkup(rows))


def topics(content: Content, lang: str) -> Screen:
    """The FAQ sections only (for /faq)."""
    rows = [
        [b]
        for row in content.menu.get("main", [])
        for item in row
        if "section" in item and (b := _menu_button(content, lang, item))
    ]
    return Screen(
        content.text(lang, "user-menu-title"), InlineKeyboardMarkup([*rows, _nav(content, lang, None)])
    )


def section(content: Content, lang: str, key: str) -> Screen | None:
    found = content.sections[lang].get(key)
    if found is None:
        return None
    rows = [[button(entry.title, "faq", entry.id)] for entry in found.entries]
    title, intro = html.escape(found.title), html.escape(found.intro)
    text = f"<b>{title}</b>\n{intro}" if found.entries else content.text(lang, "user-section-empty")
    return Screen(text, InlineKeyboardMarkup([*rows, _nav(content, lang, None)]))


def entry(content: Content, lang: str, entry_id: str, actions: frozenset[str]) -> Screen | None:
    found = content.entry(lang, entry_id)
    if found is None:
        return None
    rows = [
        [button(related.title, "faq", related.id)]
        for related in filter(None, (content.entry(lang, r) for r in found.related))
    ]
    for action in found.actions:
        if action in actions and action in SCREENS:
            key, data = SCREENS[action]
            rows.append([button(content.text(lang, key), *data)])
    return Screen(
        content.answer(lang, entry_id),
        InlineKeyboardMarkup([*rows, _nav(content, lang, ("sec", found.section))]),
    )


def contacts(content: Content, lang: str) -> Screen:
    main = [c for c in content.countries.values() if c.main]
    buttons = [button(c.name(lang), "ctcc", c.code) for c in main]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([button(content.text(lang, "user-button-other-countries"), "ctcc", "more")])
    return Screen(
        content.text(lang, "user-contacts-title"), InlineKeyboardMarkup([*rows, _nav(content, lang, None)])
    )


def more_countries(content: Content, lang: str) -> Screen:
    others = [c for c in content.countries.values() if not c.main and c.code != "ID"]
    buttons = [button(c.name(lang), "ctcc", c.code) for c in others]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Screen(
        content.text(lang, "user-contacts-title"),
        InlineKeyboardMarkup([*rows, _nav(content, lang, ("ctc",))]),
    )


def country_contacts(content: Content, lang: str, code: str) -> Screen | None:
    if code not in content.countries:
        return None
    listing = content.contacts_listing(lang, country=code)
    text = content.text(
        lang,
        "user-contacts-country",
        country=content.country_name(code, lang),
        body=listing or content.text(lang, "user-contacts-country-empty"),
    )
    return Screen(text, InlineKeyboardMarkup([_nav(content, lang, ("ctc",))]))


def languages(content: Content, lang: str) -> Screen:
    rows = [[button(content.text(lang, f"user-button-lang-{code}"), "lang", code) for code in LANGUAGES]]
    return Screen(
        content.text(lang, "user-language-pick"), InlineKeyboardMarkup([*rows, _nav(content, lang, None)])
    )
