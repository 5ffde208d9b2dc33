"""Content: YAML strings and FAQ entries per language, rendered by one Jinja2 environment.

Everything a user reads lives under `content/`; Python refers to it by key. No `telegram` imports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from bot.config import LANGUAGES

OPERATOR_FIELDS = ("name", "contact")
SECTION_FILES = ("placement", "protection", "desmigratif", "family", "return", "about")


class ContentError(Exception):
    """Content that cannot be loaded; the message names the file and the entry."""


@dataclass(frozen=True)
class FaqEntry:
    lang: str
    section: str
    id: str
    title: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    source: str
    related: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    file: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    lang: str
    title: str
    intro: str
    entries: tuple[FaqEntry, ...]
    file: str = ""


@dataclass(frozen=True)
class Contact:
    key: str
    label: Mapping[str, str]
    value: str
    kind: str
    country: str
    national: bool = False
    purpose: str = ""  # emergency | embassy | kp2mi | helpline | crisis | protection | government | info
    hours: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    source_date: str = ""
    confidence: str = ""
    note: Mapping[str, str] = field(default_factory=dict)
    verified_on: str | None = None
    verified_by: str | None = None

    @property
    def link(self) -> str:
        """A tappable address: the URL itself, or a wa.me link for WhatsApp numbers."""
        if self.kind != "whatsapp":
            return self.value
        digits = "".join(ch for ch in self.value if ch.isdigit())
        return "https://wa.me/" + ("62" + digits[1:] if digits.startswith("0") else digits)

    @property
    def low_confidence(self) -> bool:
        return self.confidence.upper().startswith("L")


@dataclass(frozen=True)
class Country:
    code: str
    names: Mapping[str, str]
    flag: str = ""
    main: bool = False

    def name(self, lang: str) -> str:
        return f"{self.flag} {self.names[lang]}".strip()


def content_dir() -> Path:
    """The shipped content: ./content in a source checkout, else bot/_content inside the installed package."""
    checkout = Path(__file__).resolve().parent.parent / "content"
    if (checkout / "menu.yaml").is_file():
        return checkout
    return Path(__file__).resolve().parent / "_content"


def pick_language(chosen: str | None, telegram_code: str | None, default: str) -> str:
    """The user's /language choice, else their Telegram language when we have it, else the default."""
    if chosen in LANGUAGES:
        return chosen
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else default


# libyaml's parser when PyYAML has it (its wheels do): the same safe loading, about ten times less CPU
# than the pure-Python parser. Content loads at every start-up and in many tests.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    name = "/".join(path.parts[-3:]) if path.parent.name == "faq" else "/".join(path.parts[-2:])
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise ContentError(f"{name}: cannot read YAML: {error}") from error


@dataclass(frozen=True)
class AskedLine:
    """A question written by someone else and the entry that answers it (content/asked/)."""

    lang: str
    id: str  # an entry ID, or NONE_OF_THEM
    question: str
    file: str
    line: int


NONE_OF_THEM = "none"  # an asked line that no entry answers: an out-of-scope example


def _read_asked(root: Path) -> list[AskedLine]:
    """The lines of content/asked/*.tsv: language, entry ID (or "none"), question, tab-separated;
    "#" lines, the header and "smalltalk" lines (the small-talk table answers those) are skipped."""
    lines = []
    for path in sorted((root / "asked").glob("*.tsv")):
        where = f"asked/{path.name}"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ContentError(f"{where}: cannot read: {error}") from error
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith(("#", "lang\t")):
                continue
            fields = line.split("\t")
            if len(fields) != 3 or not all(f.strip() for f in fields):
                raise ContentError(f"{where} line {number}: needs language, ID and question, tab-separated")
            lang, entry_id, question = (f.strip() for f in fields)
            if entry_id != "smalltalk":
                lines.append(AskedLine(lang, entry_id, question, where, number))
    return lines


def _strings(values: Any, where: str) -> tuple[str, ...]:
    """A list of plain text lines (a stray "key: value" in YAML would make a mapping instead)."""
    values = values or ()
    if not isinstance(values, list) or not all(isinstance(v, str | int | float) for v in values):
        raise ContentError(f"{where}: every line must be plain text (quote a line that contains ': ')")
    return tuple(str(v).strip() for v in values)


class Content:
    """All loaded content plus the one Jinja2 environment that renders it.

    The environment is Jinja2's sandbox: content editors are not code reviewers, so a template can
    read the values it is given but cannot reach Python (`{{ cycler.__init__.__globals__ }}` fails)
    nor change anything (lists and dicts are read-only)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(root / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.globals.update(
            contact=self._contact,
            contacts_for=self._contacts_for,
            contacts_of=self._contacts_of,
            contacts_national=self._contacts_national,
            t=self._t,
        )
        self.menu: dict[str, Any] = _read_yaml(root / "menu.yaml") or {}
        self.operator: dict[str, Any] = _read_yaml(root / "operator.yaml") or {}
        self.operator_demo: dict[str, Any] = self.operator.pop("demo", None) or {}
        configured = bool(self.operator.get("configured"))
        self._operator_set = {key: configured and bool(self.operator.get(key)) for key in OPERATOR_FIELDS}
        self.contacts = self._load_contacts(root / "contacts.yaml")
        self.countries = self._load_countries(root / "countries.yaml")
        self.provinces: list[dict[str, Any]] = (_read_yaml(root / "provinces.yaml") or {}).get(
            "provinces", []
        )
        # Messages no FAQ entry answers: the search learns from them when not to answer (never shown).
        self.outside: tuple[str, ...] = tuple(
            str(q) for q in (_read_yaml(root / "outside.yaml") or {}).get("questions") or ()
        )
        # Questions written by other people: the search learns from them like question lines.
        self.asked: tuple[AskedLine, ...] = tuple(_read_asked(root))
        self.messages: dict[str, dict[str, jinja2.Template]] = {}
        self.message_sources: dict[str, dict[str, str]] = {}
        self.sections: dict[str, dict[str, Section]] = {}
        self.entries: dict[str, dict[str, FaqEntry]] = {}
        self._answers: dict[tuple[str, str], jinja2.Template] = {}
        for lang in LANGUAGES:
            self._load_language(lang)

    # -- loading -------------------------------------------------------------------------------

    def _compile(self, source: str, where: str) -> jinja2.Template:
        try:
            return self.env.from_string(source)
        except jinja2.TemplateSyntaxError as error:
            raise ContentError(f"{where}: template error: {error.message}") from error

    def _load_language(self, lang: str) -> None:
        path = self.root / lang / "messages.yaml"
        sources = _read_yaml(path) or {}
        self.message_sources[lang] = {str(k): str(v).rstrip("\n") for k, v in sources.items()}
        self.messages[lang] = {
            key: self._compile(text, f"{lang}/messages.yaml: {key}")
            for key, text in self.message_sources[lang].items()
        }
        self.sections[lang], self.entries[lang] = {}, {}
        for key in SECTION_FILES:
            path = self.root / lang / "faq" / f"{key}.yaml"
            if path.is_file():
                self._load_section(lang, key, path)

    def _load_section(self, lang: str, key: str, path: Path) -> None:
        where = f"{lang}/faq/{path.name}"
        data = _read_yaml(path) or {}
        entries = []
        for raw in data.get("entries") or []:
            try:
                entry = FaqEntry(
                    lang=lang,
                    section=key,
                    id=str(raw["id"]),
                    title=str(raw["title"]).strip(),
                    questions=_strings(raw.get("questions"), f"{where}: entry {raw.get('id')}: questions"),
                    keywords=_strings(raw.get("keywords"), f"{where}: entry {raw.get('id')}: keywords"),
                    answer=str(raw["answer"]).strip(),
                    source=str(raw.get("source") or "").strip(),
                    related=tuple(raw.get("related") or ()),
                    actions=tuple(raw.get("actions") or ()),
                    file=where,
                )
            except (KeyError, TypeError) as error:
                raise ContentError(f"{where}: entry {raw.get('id', '?')}: missing {error}") from error
            if entry.id in self.entries[lang]:
                raise ContentError(f"{where}: entry {entry.id}: duplicate ID")
            self._answers[lang, entry.id] = self._compile(entry.answer, f"{where}: {entry.id}")
            self.entries[lang][entry.id] = entry
            entries.append(entry)
        self.sections[lang][key] = Section(
            key=key,
            lang=lang,
            title=str(data.get("title", key)),
            intro=str(data.get("intro", "")),
            entries=tuple(entries),
            file=where,
        )

    @staticmethod
    def _load_contacts(path: Path) -> dict[str, Contact]:
        data = _read_yaml(path) if path.is_file() else {}
        contacts = {}
        for raw in (data or {}).get("contacts") or []:
            raw = {k: v for k, v in raw.items() if k in Contact.__dataclass_fields__}
            for key in ("source_date", "verified_on"):
                if raw.get(key) is not None:
                    raw[key] = str(raw[key])
            try:
                contact = Contact(**raw)
            except TypeError as error:
                missing = str(error).partition(":")[2].strip() or str(error)
                raise ContentError(f"contacts.yaml: {raw.get('key', '?')}: missing {missing}") from error
            contacts[contact.key] = contact
        return contacts

    @staticmethod
    def _load_countries(path: Path) -> dict[str, Country]:
        data = _read_yaml(path) if path.is_file() else {}
        return {
            code: Country(
                code=code,
                names={lang: raw[lang] for lang in LANGUAGES},
                flag=raw.get("flag", ""),
                main=bool(raw.get("main")),
            )
            for code, raw in ((data or {}).get("countries") or {}).items()
        }

    # -- rendering -----------------------------------------------------------------------------

    def text(self, lang: str, key: str, **context: Any) -> str:
        """Render the message `key` in `lang` (falls back to id when a translation is missing)."""
        template = self.messages[lang].get(key) or self.messages["id"].get(key)
        if template is None:
            raise KeyError(f"no message {key!r}")
        context = {"lang": lang, "operator": self.operator_for(lang), **context}
        return template.render(**context).strip()

    def has_text(self, lang: str, key: str) -> bool:
        return key in self.messages[lang]

    def answer(self, lang: str, entry_id: str) -> str:
        """The full answer message of one FAQ entry: title, body, source line."""
        entry = self.entries[lang][entry_id]
        context = {"lang": lang, "operator": self.operator_for(lang)}
        body = Markup(self._answers[lang, entry_id].render(**context).strip())
        return self.env.get_template("answer.html").render(entry=entry, body=body, **context).strip()

    def entry(self, lang: str, entry_id: str) -> FaqEntry | None:
        return self.entries[lang].get(entry_id)

    def faq_docs(self) -> Iterator[FaqEntry]:
        """Every entry of every language (what the search indexes)."""
        for lang in LANGUAGES:
            yield from self.entries[lang].values()

    def search_docs(self) -> Iterator[FaqEntry]:
        """Every entry as the search learns it: its question lines, then the asked lines it answers."""
        asked: dict[tuple[str, str], list[str]] = {}
        for line in self.asked:
            asked.setdefault((line.lang, line.id), []).append(line.question)
        for entry in self.faq_docs():
            extra = tuple(asked.get((entry.lang, entry.id), ()))
            yield replace(entry, questions=entry.questions + extra) if extra else entry

    def search_outside(self) -> tuple[str, ...]:
        """The out-of-scope examples, then the asked lines no entry answers."""
        return self.outside + tuple(line.question for line in self.asked if line.id == NONE_OF_THEM)

    def set_operator(self, name: str = "", contact: str = "") -> None:
        """OPERATOR_NAME and OPERATOR_CONTACT (the same text in every language) win over operator.yaml."""
        for key, value in zip(OPERATOR_FIELDS, (name, contact), strict=True):
            if value:
                self.operator[key] = value
                self._operator_set[key] = True

    def use_demo_operator(self) -> None:
        """`chat`: details still unset read as the visible demo operator of operator.yaml."""
        for key in self.operator_unset:
            if key in self.operator_demo:
                self.operator[key] = self.operator_demo[key]

    @property
    def operator_unset(self) -> tuple[str, ...]:
        """The operator details users would read as placeholders (neither in the environment nor in
        operator.yaml with `configured: true`)."""
        return tuple(key for key in OPERATOR_FIELDS if not self._operator_set[key])

    def operator_for(self, lang: str) -> dict[str, Any]:
        return {
            key: (value.get(lang, value.get("id")) if isinstance(value, dict) else value)
            for key, value in self.operator.items()
        }

    def province_name(self, value: str) -> str:
        return next((p["name"] for p in self.provinces if p["value"] == value), value)

    def country_name(self, code: str, lang: str) -> str:
        country = self.countries.get(code)
        return country.name(lang) if country else code

    @jinja2.pass_context
    def _t(self, context: jinja2.runtime.Context, key: str, **kwargs: Any) -> Markup:
        return Markup(self.text(context["lang"], key, **kwargs))

    @jinja2.pass_context
    def _contact(self, context: jinja2.runtime.Context, key: str) -> Markup:
        if key not in self.contacts:
            raise ContentError(f"unknown contact key {key!r}")
        return self._render_contacts(context["lang"], [self.contacts[key]])

    def contacts_listing(self, lang: str, *, country: str | None = None) -> Markup:
        """The contacts of one country (ISO code), or the national hotlines when country is None."""
        chosen = [
            c
            for c in self.contacts.values()
            if (c.national if country is None else c.country == country and not c.national)
        ]
        return self._render_contacts(lang, chosen)

    def contacts_by(self, country: str, purpose: str) -> list[Contact]:
        """One country's contacts (ISO code, "ID" for Indonesia) for one purpose, in file order:
        e.g. contacts_by("TW", "emergency"), contacts_by("ID", "crisis")."""
        return [c for c in self.contacts.values() if c.country == country and c.purpose == purpose]

    @jinja2.pass_context
    def _contacts_for(self, context: jinja2.runtime.Context, country: str) -> Markup:
        return self.contacts_listing(context["lang"], country=country)

    @jinja2.pass_context
    def _contacts_of(self, context: jinja2.runtime.Context, country: str, *purposes: str) -> Markup:
        """One country's contacts for these purposes, in that order (the emergency and crisis replies)."""
        chosen = [c for purpose in purposes for c in self.contacts_by(country, purpose)]
        return self._render_contacts(context["lang"], chosen)

    @jinja2.pass_context
    def _contacts_national(self, context: jinja2.runtime.Context) -> Markup:
        return self.contacts_listing(context["lang"])

    def _render_contacts(self, lang: str, contacts: list[Contact]) -> Markup:
        template = self.env.get_template("_contacts.html")
        return Markup(template.render(lang=lang, contacts=contacts).strip())


def load_content(root: Path | None = None) -> Content:
    """Load and compile every content file once (at start-up)."""
    return Content(root or content_dir())
