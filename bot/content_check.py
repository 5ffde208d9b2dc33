"""`python -m bot check-content`: every problem in the content, named by file and entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import callbacks, telegram_html
from bot.content import LANGUAGES, NONE_OF_THEM, Content, ContentError, content_dir
from bot.store import Broadcast, Case, CaseEvent, Registration, User, Worker
from bot.store.casework import CasePage
from bot.store.privacy import Erasure
from bot.store.roles import Hold, StaffMember

SOFT_LIMIT = 1200
ACTIONS = {"report", "contacts", "register"}
CONTACT_KINDS = {"phone", "whatsapp", "web", "app"}
CONTACT_PURPOSES = {"emergency", "embassy", "kp2mi", "helpline", "crisis", "protection", "government", "info"}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# Anything that looks like a phone number typed into an answer instead of {{ contact("key") }}.
_TYPED_NUMBER = re.compile(r"(?<![\w-])(\+?\d[\d -]{6,}\d)(?![\w-])")


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_content(root: Path | None = None) -> Report:
    """Load the content and check it; a load failure is itself the one error."""
    root = root or content_dir()
    report = Report()
    try:
        content = Content(root)
    except ContentError as error:
        report.errors.append(str(error))
        return report
    _check_topics(content, root, report)
    _check_messages(content, report)
    for lang in LANGUAGES:
        _check_entries(content, lang, report)
    _check_contacts(content, report)
    _check_outside(content, report)
    _check_asked(content, report)
    if not content.operator.get("configured"):
        report.warnings.append("operator.yaml: operator details are not set (configured: false)")
    return report


def _check_topics(content: Content, root: Path, report: Report) -> None:
    required = (yaml.safe_load((root / "topics.yaml").read_text(encoding="utf-8")) or {}).get("topics", [])
    for lang in LANGUAGES:
        have = set(content.entries[lang])
        report.errors += [f"{lang}/faq: topic {t} is missing" for t in required if t not in have]
    for lang, other in (("id", "en"), ("en", "id")):
        for entry_id in set(content.entries[lang]) - set(content.entries[other]):
            entry = content.entries[lang][entry_id]
            report.errors.append(f"{entry.file}: entry {entry_id}: no {other} translation")


def _sample_context() -> dict[str, Any]:
    """A realistic value for every variable the handlers pass to messages."""
    worker = Worker(id=1, relation="child", name="Siti Aminah", country="HK", stage="abroad", updated_at=0)
    registration = Registration(
        user_id=1,
        phone="+6281234567890",
        province="jawa-timur",
        district="Kabupaten Malang",
        village="Kromengan",
        consent_at=0,
        updated_at=0,
        workers=(worker,),
    )
    case = Case(
        id=1,
        reference="LP-ABC234",
        user_id=1,
        category="abuse",
        urgent=True,
        subject="me",
        worker_id=None,
        country="HK",
        description="…",
        contact_method="telegram",
        contact_phone=None,
        lang="id",
        status="in_progress",
        assignee=None,
        created_at=0,
        updated_at=0,
    )
    event = CaseEvent(
        id=1,
        case_id=1,
        kind="message_out",
        actor=None,
        body="<Halo & selamat>",
        old_status=None,
        new_status=None,
        created_at=0,
    )
    return {
        "name": "Siti",
        "country": "Taiwan",
        "body": "…",
        "reference": "LP-ABCDEF",
        "flow": "pendaftaran",
        "limit": 100,
        "answers": {"relation": "self", "category": "abuse", "question": "<gaji & paspor?>"},
        "summary": [("Nama", "Siti")],
        "result": case,
        "count": 2,
        "case": case,
        "events": [event],
        "user": User(
            id=1,
            first_name="Siti",
            telegram_language="id",
            language=None,
            first_seen=0,
            last_seen=0,
            blocked=False,
        ),
        "registration": registration,
        "draft": None,
        "province": "Jawa Timur",
        "countries": {"HK": "Hong Kong"},
        "recipients": 300,
        "at": "",
        "data_retention_days": 730,
        "text": "<gaji & paspor?>",
        "reporter": "Siti",
        "assignee": "Budi",
        "created": "01-01-2026 08:00 WIB",
        "files": 2,
        "phone": "+6281234567890",
        "which": "open",
        "chat_id": -1001234567890,
        "page": CasePage([case], total=1, offset=0),
        "ages": ["01-01-2026 08:00 WIB"],
        "card": "<b>LP-ABC234</b>",
        "audit": [],
        "names": {},
        "when": lambda ts: "01-01-2026 08:00 WIB",
        "referred_to": "KBRI/KJRI",
        "reopened": True,
        "worker": worker,
        "story": True,
        "history": [{"when": "01-01-2026 08:00 WIB", "who": "Budi", "words": "<catatan & pesan>"}],
        "part": 1,
        "parts": 2,
        "kind": "assign",
        "old": "Baru",
        "new": "Sedang ditangani",
        "stats": {
            "users": 1,
            "users_this_week": 1,
            "users_last_week": 0,
            "blocked_users": 0,
            "registrations": 1,
            "workers": 1,
            "cases_this_week": 1,
            "cases_last_week": 0,
            "cases_by_status": {"new": 1},
            "cases_by_category": {"abuse": 1},
            "cases_by_country": {"HK": 1},
        },
    }


_TIMES = {
    "cases": 3,
    "response_median_h": 1.5,
    "response_p90_h": 20.0,
    "resolved": 1,
    "resolution_median_d": 2.0,
    "resolution_p90_d": None,
}
_OFFICER = StaffMember(1, "officer", (("Lombok Timur", "Sakra"), ("Lombok Tengah", "")))

# Messages whose variables differ in shape from the common sample above.
_SAMPLE_OVERRIDES: dict[str, dict[str, Any]] = {
    "staff-topic-name": {"category": "Kekerasan atau pelecehan", "status": "Baru"},
    "user-register-done": {"result": 2},
    "user-help": {"commands": [("start", "Mulai"), ("status", "Lihat status laporan saya")]},
    "user-followup-done": {"result": {"reference": "LP-ABC234"}},
    "staff-broadcast-done": {"result": 7},
    "staff-broadcast-bad-post": {"problem": "unsupported start tag <p>"},
    "staff-broadcast-progress": {
        "broadcast": Broadcast(
            id=7,
            created_by=1,
            html="<b>Info</b>",
            photo=None,
            audience={},
            recipients=300,
            status="sending",
            scheduled_at=0,
            started_at=0,
            finished_at=None,
            progress_chat=1,
            progress_message=2,
            created_at=0,
        ),
        "sent": 100,
        "failed": 2,
        "unknown": 1,
        "remaining": 197,
        "rate": 24.7,
        "left": 8,
    },
    "staff-broadcast-list": {"broadcasts": [], "counts": {}},
    "staff-team-list": {"members": [_OFFICER, StaffMember(2, "admin", (), True)], "names": {1: "Ani", 2: ""}},
    "staff-team-added": {"member": _OFFICER},
    "user-case-auto-closed": {"days": 14},
    "staff-stats-times": {
        "times": {
            "weeks": {"07-12-2026": _TIMES, "30-11-2026": {**_TIMES, "response_p90_h": None}},
            "categories": {"abuse": _TIMES},
            "over_target": ["LP-ABC234"],
            "target_hours": 24,
        },
        "ratings": {5: 3, 1: 1},
    },
    "staff-team-removed": {"user_id": 123},
    "staff-team-not-found": {"user_id": 123},
    "staff-team-env-admin": {"user_id": 123},
    "staff-team-bad-place": {"place": "Kab. ?"},
    "staff-team-chat-set": {"district": "Lombok Timur"},
    "staff-held": {"hold": Hold(7, 123, "<b>Transfer</b> & <i>now</i>")},
    "staff-broadcast-resending": {"count": 3},
    "staff-broadcast-button-resend": {"unknown": 3},
    "user-danger": {"country": "HK", "country_name": "Hong Kong", "danger": True},
    "user-self-harm": {"country": "HK", "country_name": "Hong Kong", "danger": True},
    "staff-urgent-alert": {"minutes": 10, "mentions": []},
    "staff-reporter-message_in": {"danger": "self_harm", "now_urgent": True},
    "staff-urgent-alert-all": {"minutes": 30, "mentions": [(9001, "Ani <&>"), (9002, "")]},
    "user-deletedata-ask-open": {"answers": {"_open": ["LP-ABC234", "LP-XYZ789"]}},
    "user-deletedata-done": {"result": Erasure(kept=("LP-ABC234",))},
    "user-status-list": {"total": 12, "first": 1, "last": 8},
    "staff-case-shell": {"updated": "02-01-2026 08:00 WIB"},
    "staff-case-idle": {"closes": "15-01-2026 08:00 WIB"},
    "user-phone-done": {"result": "+6281234567890"},
    "user-worker-done": {"result": "Siti Aminah"},
    # issue 23: workers' dates and reminders
    "user-dates-summary": {
        "worker_name": "Siti",
        "when": "12 Maret 2027, 98 hari lagi",
        "answers": {"kind": "passport"},
    },
    "user-dates-invalid-far": {"years": 6},
    "staff-stats-contracts": {
        "windows": (30, 90, 120),
        "places": [("Jawa Timur", "Kabupaten Malang", [1, 3, 4])],
        "more": False,
    },
    "user-dates-in-words": {"day": 12, "month": 3, "year": 2027, "days": 98},
    "user-mydata": {"dates": {1: [("contract", "12 Maret 2027, 98 hari lagi")]}},
    **{
        f"user-reminder-{kind}": {"when": "12 Maret 2027, 98 hari lagi", "days": 98}
        for kind in ("contract", "passport", "permit", "departure")
    },
}


def _check_messages(content: Content, report: Report) -> None:
    for lang, other in (("id", "en"), ("en", "id")):
        for key in set(content.message_sources[lang]) - set(content.message_sources[other]):
            report.errors.append(f"{other}/messages.yaml: {key}: missing translation")
    for lang in LANGUAGES:
        for key in content.message_sources[lang]:
            where = f"{lang}/messages.yaml: {key}"
            try:
                html = content.text(lang, key, **{**_sample_context(), **_SAMPLE_OVERRIDES.get(key, {})})
            except Exception as error:
                report.errors.append(f"{where}: does not render: {error}")
                continue
            report.errors += [f"{where}: {problem}" for problem in telegram_html.validate(html)]


def _check_entries(content: Content, lang: str, report: Report) -> None:
    seen_questions: dict[str, str] = {}
    for entry in content.entries[lang].values():
        where = f"{entry.file}: entry {entry.id}"
        problems = _entry_problems(content, entry, seen_questions)
        report.errors += [f"{where}: {p}" for p in problems if not p.startswith("warning: ")]
        report.warnings += [
            f"{where}: {p.removeprefix('warning: ')}" for p in problems if p.startswith("warning: ")
        ]


def _question_key(question: str) -> str:
    """A question line as compared for repeats: lower case, single spaces."""
    return " ".join(question.lower().split())


def _check_outside(content: Content, report: Report) -> None:
    """An out-of-scope example that is also a question line would teach the search both ways."""
    lines = {_question_key(q): e.id for e in content.faq_docs() for q in e.questions}
    seen: set[str] = set()
    for question in content.outside:
        key = _question_key(question)
        if key in lines:
            report.errors.append(f"outside.yaml: {question!r} is also a question line of {lines[key]}")
        elif key in seen or not key:
            report.errors.append(f"outside.yaml: {question!r} is empty or there twice")
        seen.add(key)


def _check_asked(content: Content, report: Report) -> None:
    """Every asked line names a language and an entry of that language, or "none"."""
    for line in content.asked:
        where = f"{line.file} line {line.line}"
        if line.lang not in content.entries:
            report.errors.append(f"{where}: unknown language {line.lang!r}")
        elif line.id != NONE_OF_THEM and line.id not in content.entries[line.lang]:
            report.errors.append(f"{where}: no entry {line.id!r} in {line.lang}")


def _entry_problems(content: Content, entry, seen_questions: dict[str, str]) -> list[str]:
    problems = []
    if not entry.questions:
        problems.append("has no question lines")
    for question in entry.questions:
        key = _question_key(question)
        if key in seen_questions and seen_questions[key] != entry.id:
            problems.append(f"question {question!r} also in {seen_questions[key]}")
        seen_questions.setdefault(key, entry.id)
    if not entry.source:
        problems.append("has no source line")
    problems += [
        f"related topic {r} does not exist" for r in entry.related if r not in content.entries[entry.lang]
    ]
    problems += [f"unknown action {a!r}" for a in entry.actions if a not in ACTIONS]
    problems += _twin_buttons(content, entry)
    if _TYPED_NUMBER.search(entry.answer):
        problems.append('types a phone number: use {{ contact("key") }}')
    try:
        callbacks.pack("faq", entry.id)
        callbacks.pack("sec", entry.section)
    except ValueError as error:
        problems.append(f"button: {error}")
    try:
        html = content.answer(entry.lang, entry.id)
    except Exception as error:
        return [*problems, f"answer does not render: {error}"]
    problems += telegram_html.validate(html)
    if not telegram_html.validate(html):
        length = telegram_html.utf16_len(telegram_html.parse(html).text)
        if length > SOFT_LIMIT:
            problems.append(f"warning: answer is {length} characters (aim for at most {SOFT_LIMIT})")
    return problems


def _bare(label: str) -> str:
    """A button label without its emoji and punctuation, for comparing what users read."""
    return " ".join(re.sub(r"[^\w\s]", " ", label.casefold()).split())


def _twin_buttons(content: Content, entry) -> list[str]:
    """A related entry whose title reads like one of the entry's action buttons (two buttons, one
    screen, one meaning: 'Important contacts' and '☎️ Important contacts')."""
    actions = {
        _bare(content.text(entry.lang, f"user-button-{a}")): a
        for a in entry.actions
        if a in ACTIONS and content.has_text(entry.lang, f"user-button-{a}")
    }
    twins = []
    for related_id in entry.related:
        related = content.entries[entry.lang].get(related_id)
        if related and _bare(related.title) in actions:
            action = actions[_bare(related.title)]
            twins.append(f"related {related_id} repeats the {action!r} button: drop one of them")
    return twins


def _check_contacts(content: Content, report: Report) -> None:
    unverified = []
    for contact in content.contacts.values():
        where = f"contacts.yaml: {contact.key}"
        if not contact.source:
            report.errors.append(f"{where}: no source")
        if str(contact.source_date) == "undated":
            report.warnings.append(f"{where}: the source is undated")
        elif not _DATE.match(str(contact.source_date or "")):
            report.errors.append(f"{where}: no source date (YYYY, YYYY-MM or YYYY-MM-DD, or undated)")
        if contact.purpose not in CONTACT_PURPOSES:
            report.errors.append(f"{where}: purpose must be one of {sorted(CONTACT_PURPOSES)}")
        if contact.low_confidence and not all(contact.note.get(lang) for lang in LANGUAGES):
            report.errors.append(f"{where}: confidence L needs a 'confirm first' note in every language")
        if contact.kind not in CONTACT_KINDS:
            report.errors.append(f"{where}: kind must be one of {sorted(CONTACT_KINDS)}")
        if contact.confidence[:1].upper() not in ("H", "M", "L"):
            report.errors.append(f"{where}: confidence must be H, M or L")
        report.errors += [f"{where}: no {lang} label" for lang in LANGUAGES if not contact.label.get(lang)]
        if contact.country not in content.countries:
            report.errors.append(f"{where}: unknown country {contact.country!r}")
        if not contact.verified_on:
            unverified.append(contact.key)
    if unverified:
        report.warnings.append(
            f"contacts.yaml: {len(unverified)} contacts not verified yet "
            f"(verified_on empty): {', '.join(unverified)}"
        )
    with_emergency = {c.country for c in content.contacts.values() if c.purpose == "emergency"}
    missing = [
        code for code in content.countries if code not in with_emergency and code != "ZZ"
    ]  # ZZ: not a country
    if missing:
        report.warnings.append(
            f"contacts.yaml: no emergency number (purpose: emergency) for {', '.join(missing)}"
        )
    for code in content.countries:
        try:
            callbacks.pack("ctcc", code)
        except ValueError as error:
            report.errors.append(f"countries.yaml: {code}: {error}")


def format_report(report: Report) -> str:
    lines = [f"error: {e}" for e in report.errors] + [f"warning: {w}" for w in report.warnings]
    lines.append(f"{len(report.errors)} errors, {len(report.warnings)} warnings")
    return "\n".join(lines)
