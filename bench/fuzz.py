"""Seeded hostile-update fuzzing: the real bot on the in-process emulator, several users (two staff)
sending valid but hostile updates in batches, with the invariants checked after every batch.

    python bench/fuzz.py [--updates 50000] [--seed 1] [--batch 500] [--gap 3]

The emulator keeps Telegram's flood limits (1 message/s per private chat with a burst of 3, 20/min per
group, 30/s overall); --gap sets the emulated seconds between two updates of one user (less than 1
makes every user a flood: the flood gate's one "slow down" and silence then count as answers).

Prints the updates run, the time, and every failure with its seed and the update that caused it
(`--seed S --updates N` replays the same updates; only the bot's own random tokens and references
differ). The outbox is paced on the emulator's clock and drained after every update, so what it
sends is blamed on the update that queued it. tests/test_fuzz.py runs the same fuzzer, short.

Invariants: no ERROR log (the error handler's, the outbox's); no 4xx/429 answer from the emulator
(users are paced like humans); nothing staff-only in a non-staff chat (a user's private chat, the
village group) or button answer: no staff button, no line only staff templates have, no other user's
case reference that the user (or staff writing to them) did not type; /start from a fresh user is
still answered.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import random
import re
import string
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.callbacks import KINDS, parse
from bot.config import Settings, load_settings
from bot.content import Content, content_dir, load_content
from bot.emulator import Emulator, FloodLimits, SimGroup, SimUser
from bot.emulator.world import Message
from bot.handlers import FLOWS
from bot.handlers.commands import STAFF_COMMANDS as BOT_STAFF_COMMANDS
from bot.handlers.commands import USER_COMMANDS as BOT_USER_COMMANDS
from bot.local import LocalBot, local_bot
from bot.telegram_html import utf16_len
from bot.wizard import Media, Phone, Text

STAFF_IDS = (9001, 9002)
STAFF_CHAT = -100999
VILLAGE_CHAT = -100777
REFERENCE = re.compile(r"LP-[2-9A-HJ-NP-Z]{6}")
STAFF_KINDS = frozenset({"st", "cl", "sc", "bc"})  # callback kinds of staff buttons
EXPORTS = frozenset({"reports.csv", "registrations.csv"})  # the files /export sends
USER_GAP = 3.0  # emulated seconds at least between two updates of one user (plus think time)
GROUP_GAP = 4.0  # ... and of one group: Telegram allows a bot 20 messages a minute there
# Real seconds the outbox may take to send what one update queued (paced on the emulator's clock, it
# needs milliseconds); a row queued without waking it waits for its 30 s idle poll and fails this.
OUTBOX_DRAIN = 5.0
FRESH_START = 500_000  # IDs of the fresh users that check /start after each batch
FLOWS_BY_NAME = {flow.name: flow for flow in FLOWS}

# -- hostile text -------------------------------------------------------------------------------

ZERO_WIDTH = ("\u200b", "\u200c\u200d", "\ufeff", "\u2060\u200b", "\u200e", "\u200f\u200b")
EMOJI = ("👍", "👍🏽", "👨‍👩‍👧‍👦", "🇮🇩🇹🇼", "🆘🆘🆘", "❤️‍🔥", "🙏🏻 tolong", "😭😭")
RTL = ("مرحبا كيف حالك", "שלום עולם", "\u202egnp.exe", "\u202bمرحبا\u202c Siti", "اردو ‮abc‬")
HTML = (
    "<b>&</i>",
    "<script>alert(1)</script>",
    "&amp;&lt;&gt;&#0;",
    "<a href='tg://x'>x</a>",
    "</code>",
    "<",
)
TEMPLATE = ("{{ 7*7 }}", "{% for x in y %}", "{{ operator }}", "${jndi:x}", "%s%s%n", "\\N{BULLET}")
QUESTIONS = (
    "gmn cara daftar kerja ke taiwan",
    "gaji sy blm dibayar 3 bulan",
    "paspor saya ditahan majikan",
    "tolong saya dipukul majikan",
    "berapa biaya penempatan ke hongkong",
    "how do I find a licensed agency",
    "anak saya hilang kontak di malaysia",
    "apa itu P3MI",
    "terima kasih",
    "halo",
    "asdfghjkl",
)
NAMES = (
    "Siti Aminah",
    "Budi",
    "O'Neil",
    "Nur-Aini",
    "A",
    "Siti2",
    "Ṡïtï Ämînåh",
    "李小龙",
    "X Æ A-12",
    "S\u200bA",
)
PLACES = ("kab. malang", "Kromengan", "KAB BLITAR", "Kab.", "Desa (Lama)/Baru", "ß" * 59, "1", "Ö'x", "__")
PHONES = ("0812-3456-7890", "+852 6123 4567", "+62 812 3456 7890", "123", "+62", "0000000000", "٠٨١٢٣٤٥٦٧٨٩٠")
USER_COMMANDS = (*BOT_USER_COMMANDS, "frobnicate", "START")
STAFF_COMMANDS = (*BOT_STAFF_COMMANDS, "cases all", "cases mine", "cases urgent", "cases zzz")


def clip(text: str, limit: int = 4096) -> str:
    """At most `limit` UTF-16 units (Telegram's message limit), never an empty string."""
    while utf16_len(text) > limit:
        text = text[: len(text) - max(1, (utf16_len(text) - limit) // 2)]
    return text or "."


class Texts:
    """Hostile but valid message texts, drawn from one seeded generator."""

    def __init__(self, rng: random.Random, content: Content):
        self.rng = rng
        labels = ("user-button-back", "user-button-cancel", "user-button-share-phone", "user-button-confirm")
        self.labels = tuple(content.text(lang, key) for lang in ("id", "en") for key in labels)
        self.references: list[str] = []  # case references seen so far (any user's)

    def reference(self) -> str:
        rng = self.rng
        if self.references and rng.random() < 0.8:
            return rng.choice(self.references)
        return "LP-" + "".join(rng.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6))

    def huge(self) -> str:
        rng = self.rng
        alphabet = rng.choice((string.printable, "gaji tolong paspor ", "😭ñ中\u200bا", "<>&\"'"))
        size = rng.choice((1000, 3001, 4096, 5000))
        return clip("".join(rng.choice(alphabet) for _ in range(size)))

    def command(self, staff: bool = False) -> str:
        rng = self.rng
        name = rng.choice(STAFF_COMMANDS if staff or rng.random() < 0.25 else USER_COMMANDS)
        if name in ("status", "case") and rng.random() < 0.7:
            name += " " + rng.choice((self.reference(), self.reference().lower(), "LP-", " x" * 300))
        suffix = rng.choice(("", "", "", "@pmi_helpdesk_bot", "@other_bot", " " + self.piece()))
        return clip(f"/{name}{suffix}")

    def piece(self) -> str:
        rng = self.rng
        pools = (ZERO_WIDTH, EMOJI, RTL, HTML, TEMPLATE, QUESTIONS, NAMES, PLACES, PHONES, self.labels)
        return rng.choice(rng.choice(pools))

    def any(self) -> str:
        """Any hostile text: huge, empty-ish, mixed pieces, a command, another user's reference."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.06:
            return self.huge()
        if roll < 0.12:
            return rng.choice(ZERO_WIDTH)
        if roll < 0.2:
            return self.command()
        if roll < 0.25:
            return self.reference()
        text = "".join(self.piece() + rng.choice(("", " ", "\n", "\t")) for _ in range(rng.randint(1, 3)))
        return clip(text.strip() or rng.choice(ZERO_WIDTH))


# -- the fuzzer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    seed: int
    update: int  # index of the update that was running (0-based)
    action: str  # what that update was
    problem: str

    def __str__(self) -> str:
        return f"seed={self.seed} update={self.update} action={self.action}\n    {self.problem}"


class ErrorLog(logging.Handler):
    """Keeps every log record at ERROR or above."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def fuzz_settings(folder: Path) -> Settings:
    """A fresh database, two staff members and a staff group."""
    return load_settings(
        {
            "DATABASE_PATH": str(folder / "fuzz.sqlite3"),
            "STAFF_IDS": ",".join(map(str, STAFF_IDS)),
            "STAFF_CHAT_ID": str(STAFF_CHAT),
        }
    )


# Staff texts that anyone may see: button labels in the staff group, the refusal non-staff get; and
# the answers to /chatid and /export, which staff may send in any group.
SHOWN_TO_ANYONE = ("staff-button-", "staff-command-", "staff-not-allowed")
SHOWN_IN_GROUPS = ("staff-chatid", "staff-export-sent", "staff-export-private-first")


def staff_markers(also_shown: tuple[str, ...] = ()) -> frozenset[str]:
    """Lines of staff-* templates that no user-* template has: seen in a non-staff chat, they leak."""
    staff, user = set(), []
    for lang in ("id", "en"):
        messages = yaml.safe_load((content_dir() / lang / "messages.yaml").read_text(encoding="utf-8"))
        for key, source in messages.items():
            plain = html.unescape(re.sub(r"<[^>]+>", "", str(source)))
            if key.startswith("user-"):
                user.append(plain)
            elif key.startswith("staff-") and not key.startswith((*SHOWN_TO_ANYONE, *also_shown)):
                for part in re.split(r"\{\{.*?\}\}|\{%.*?%\}|\n", plain):
                    if len(part.strip()) >= 16:
                        staff.add(part.strip())
    return frozenset(m for m in staff if not any(m in u for u in user))


def _desc(text: str) -> str:
    return repr(text) if len(text) <= 60 else f"{text[:40]!r}...({len(text)} chars)"


class Fuzzer:
    """Drives users, groups and staff against a running bot; `run` returns the failures found."""

    def __init__(
        self,
        running: LocalBot,
        content: Content,
        seed: int,
        *,
        people: int = 6,
        avoid: Callable[[str], bool] | None = None,
    ) -> None:
        """`avoid`: callback data never to press (a known bug's trigger), replaced by random data."""
        self.running, self.emulator, self.content = running, running.emulator, content
        self.seed, self.rng = seed, random.Random(seed)
        self.texts = Texts(self.rng, content)
        self.markers = staff_markers()
        self.group_markers = staff_markers(SHOWN_IN_GROUPS)
        emu = self.emulator
        names = ("Siti", "<b>&</i>", "\u202eRTL", "👩‍🌾 Ani", "x" * 64, "Dewi")
        langs = ("id", "en", None, "ar", "zh-hans", "id")
        self.people = [
            emu.user(id=1001 + i, first_name=names[i % len(names)], language_code=langs[i % len(langs)])
            for i in range(people)
        ]
        self.staff = [emu.user(id=uid, first_name=f"Petugas{uid}", language_code="id") for uid in STAFF_IDS]
        self.outsider = emu.user(id=9003, first_name="Tono", language_code="id")  # in the staff group
        self.everyone = [*self.people, *self.staff, self.outsider]
        self.staff_group = emu.group(id=STAFF_CHAT, title="Petugas", members=[*self.staff, self.outsider])
        self.village = emu.group(id=VILLAGE_CHAT, title="Desa", members=self.everyone)
        self.count = 0  # updates sent
        self.action = ""
        self.failures: list[Failure] = []
        self.owner: dict[str, int] = {}  # case reference -> the user who reported it
        self.typed: dict[int, set[str]] = {}  # user -> references that user typed
        self._last_case = 0
        self._last_at: dict[int, float] = {}
        self._requests = 0
        self._scanned: dict[int, int] = {}  # chat -> newest message ID checked for leaks
        self._checked_at = 0  # unix time of the last check: messages edited since are checked again
        self._answers = 0  # callback queries already checked for leaks
        self.avoid = avoid
        self._fresh = FRESH_START
        self.user_gap = USER_GAP
        self.errors = ErrorLog()

    # -- running --------------------------------------------------------------------------------

    async def run(self, updates: int, batch: int = 500) -> list[Failure]:
        """Send `updates` updates, checking the invariants after every `batch`; the failures found."""
        logging.getLogger().addHandler(self.errors)
        try:
            while self.count < updates:
                for _ in range(min(batch, updates - self.count)):
                    await self.step()
                await self.check()
        finally:
            logging.getLogger().removeHandler(self.errors)
        return self.failures

    async def step(self) -> None:
        """One update, then what it broke."""
        errors = len(self.errors.records)
        try:
            await self._act()
            await self.running.services.outbox.drain(OUTBOX_DRAIN)
        except Exception as error:  # the driver or the bot raised through the emulator, or a stuck outbox
            self._fail(f"raised {error!r}")
        self._blame(errors)
        await self._note_cases()
        self.count += 1

    def _blame(self, errors: int) -> None:
        for record in self.errors.records[errors:]:
            exc = record.exc_info[1] if record.exc_info else None
            detail = f" ({type(exc).__name__}: {exc})" if exc else ""
            self._fail(f"ERROR log {record.name}: {record.getMessage()}{detail}")
        for call in self.emulator.requests[self._requests :]:
            if call.status >= 400:
                sent = next((f for f in ("text", "caption") if isinstance(call.params.get(f), str)), None)
                where = " ".join(
                    f"{k}={call.params[k]}" for k in ("chat_id", "message_id") if k in call.params
                )
                what = f" ({where}, {sent} {call.params[sent][:30]!r})" if sent else f" ({where})"
                self._fail(f"API {call.status} {call.method}: {call.description}{what}")
        self._requests = len(self.emulator.requests)

    def _fail(self, problem: str) -> None:
        self.failures.append(Failure(self.seed, self.count, self.action, problem))

    async def _note_cases(self) -> None:
        rows = await self.running.services.store.db.fetch_all(
            "SELECT id, reference, user_id FROM cases WHERE id > ? ORDER BY id", (self._last_case,)
        )
        for row in rows:
            self._last_case = row["id"]
            self.owner[row["reference"]] = row["user_id"]
            self.texts.references.append(row["reference"])

    # -- the checks after each batch -----------------------------------------------------------

    async def check(self) -> None:
        self.action = "(batch check)"
        errors = len(self.errors.records)
        staff_typed = set().union(*(self.typed.get(member.id, set()) for member in self.staff))
        for user in [*self.people, self.outsider]:
            self._check_chat(user.id, staff_typed)
        self._check_chat(self.village.id, staff_typed)
        self._check_answers(staff_typed)
        self._checked_at = self.emulator.unix_time()
        await self._check_fresh_start()
        self._blame(errors)

    def _check_chat(self, chat_id: int, staff_typed: set[str]) -> None:
        """A non-staff chat (a user's, or the village group), new or edited messages: no staff button,
        no staff-only line, no case of another user (unless the user, or staff writing to them,
        typed its reference)."""
        seen, newest = self._scanned.get(chat_id, 0), 0
        for message in self.emulator.messages_in(chat_id):
            newest = message.message_id
            edited = message.edit_date is not None and message.edit_date >= self._checked_at
            if message.sender is not self.emulator.bot or (message.message_id <= seen and not edited):
                continue
            text = (message.text if message.text is not None else message.caption) or ""
            where = f"chat {chat_id} message {message.message_id} {_desc(text)}"
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    data = parse(button.get("callback_data"))
                    if data is not None and data.kind in STAFF_KINDS:
                        self._fail(f"staff button {button['callback_data']!r} in {where}")
            if message.file is not None and message.file.file_name in EXPORTS:
                self._fail(f"staff export {message.file.file_name} in {where}")
            self._check_text(chat_id, text, where, staff_typed)
        self._scanned[chat_id] = max(seen, newest)

    def _check_answers(self, staff_typed: set[str]) -> None:
        """Button answers (toasts, alerts) to non-staff users: the same rules as their chats."""
        queries = list(self.emulator.queries.values())
        for query in queries[self._answers :]:
            if query.user.id not in STAFF_IDS and query.answer and query.answer.get("text"):
                text = query.answer["text"]
                where = f"answer to user {query.user.id} {_desc(text)}"
                self._check_text(query.user.id, text, where, staff_typed)
        self._answers = len(queries)

    def _check_text(self, chat_id: int, text: str, where: str, staff_typed: set[str]) -> None:
        for marker in self.group_markers if chat_id < 0 else self.markers:
            if marker in text:
                self._fail(f"staff text {marker!r} in {where}")
        if chat_id < 0:  # a group: anyone in it may have typed a reference
            return
        user_id = chat_id
        typed = self.typed.get(user_id, set()) | staff_typed
        for reference in set(REFERENCE.findall(text)):
            if self.owner.get(reference, user_id) != user_id and reference not in typed:
                self._fail(f"case {reference} of user {self.owner[reference]} in {where}")

    async def _check_fresh_start(self) -> None:
        self._fresh += 1
        fresh = self.emulator.user(id=self._fresh, first_name="Baru", language_code="id")
        self.action = f"user {fresh.id} send('/start') (fresh)"
        await fresh.send("/start")
        if not (fresh.last is not None and fresh.last.buttons):
            self._fail(f"/start from a fresh user got no menu: {fresh.last_text!r}")

    # -- the updates ----------------------------------------------------------------------------

    async def _act(self) -> None:
        actions: tuple[tuple[Callable[[], Awaitable[None]], int], ...] = (
            (self._text, 18),
            (self._answer, 12),
            (self._persevere, 12),
            (self._press, 22),
            (self._command, 9),
            (self._media, 8),
            (self._edit, 3),
            (self._forged, 10),
            (self._reply, 3),
            (self._group, 5),
            (self._staff, 6),
        )
        act = self.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        await act()

    def _user(self) -> SimUser:
        return self.rng.choice(self.people) if self.rng.random() < 0.85 else self.rng.choice(self.everyone)

    def _pace(self, key: int, gap: float) -> None:
        """Wait (emulated) until `key` (a user or a group) acted `gap` seconds ago at the earliest."""
        now = self.emulator.now()
        last = self._last_at.get(key)
        if last is not None and now - last < gap:
            self.emulator.advance(gap - (now - last))
        self._last_at[key] = self.emulator.now() + self.emulator.think_time

    def _begin(self, user: SimUser, what: str, group: SimGroup | None = None) -> None:
        self._pace(user.id, self.user_gap)
        if group is not None:
            self._pace(group.id, GROUP_GAP)
        self.action = f"user {user.id} {what}"

    async def _say(self, user: SimUser, text: str) -> None:
        self._begin(user, f"send({_desc(text)})")
        self._typed(user, text)
        await user.send(text)

    def _typed(self, user: SimUser, text: str) -> None:
        self.typed.setdefault(user.id, set()).update(REFERENCE.findall(text.upper()))

    async def _text(self) -> None:
        await self._say(self._user(), self.texts.any())

    async def _command(self) -> None:
        await self._say(self._user(), self.texts.command())

    async def _persevere(self) -> None:
        """A persevering user (two people, one staff member) goes on with their form: every flow gets
        finished now and then."""
        await self._answer(self.rng.choice([*self.people[:2], self.staff[0]]))

    async def _answer(self, user: SimUser | None = None) -> None:
        """Mostly a fitting answer to the user's open form step (a button of it, a valid name, phone,
        file...), sometimes a hostile one: so the run gets deep into every flow."""
        user, rng = user or self._user(), self.rng
        draft = await self.running.services.store.get_draft(user.id)
        flow = FLOWS_BY_NAME.get(draft.flow) if draft else None
        if flow is None or draft.step not in {s.key for s in flow.steps}:
            starts = ["/report", "/register", "/start", "/status"]
            starts += [
                f"/{name}" for name in BOT_STAFF_COMMANDS if user in self.staff and name == "broadcast"
            ]
            text = rng.choice(starts) if rng.random() < 0.6 else None
            await self._say(user, text or self.texts.any())
            return
        step, hostile = flow.step(draft.step), rng.random() < 0.2
        buttons = self._draft_buttons(draft)
        if buttons and not hostile and (not isinstance(step, Text | Phone) or rng.random() < 0.1):
            chat_id, message, data = rng.choice(buttons)
            group = self.staff_group if chat_id == STAFF_CHAT else None
            await self._click(user, chat_id, message, data, group)
        elif isinstance(step, Media) or (isinstance(step, Text) and step.media and rng.random() < 0.3):
            await self._send_media(user, rng.choice(("send_photo", "send_document", "send_voice")))
        elif isinstance(step, Phone) and rng.random() < 0.3:
            self._begin(user, "send_contact(own)")
            await user.send_contact(rng.choice(PHONES))
        else:
            pools = {"name": NAMES, "district": PLACES, "village": PLACES, "phone": PHONES}
            fitting = rng.choice(pools.get(step.key, QUESTIONS)) + rng.choice(("", " " + rng.choice(HTML)))
            await self._say(user, self.texts.any() if hostile else fitting)

    def _draft_buttons(self, draft) -> list[tuple[int, Message, str]]:
        """The buttons of the draft's newest prompt, mostly without Cancel and Back."""
        prefix = f"wz:1:{draft.token}:"
        for message in reversed(self._bot_messages(draft.chat_id, buttons=True)):
            found = [d for d in _callback_buttons(message) if d.startswith(prefix)]
            if found:
                onward = [d for d in found if not d.endswith((":_cancel", ":_back"))]
                chosen = onward if onward and self.rng.random() < 0.9 else found
                return [(draft.chat_id, message, data) for data in chosen]
        return []

    async def _media(self) -> None:
        kinds = ("send_photo", "send_document", "send_voice", "send_sticker", "send_location", "send_contact")
        await self._send_media(self._user(), self.rng.choice(kinds))

    async def _send_media(self, user: SimUser, kind: str) -> None:
        rng = self.rng
        if kind == "send_photo":
            caption = rng.choice((None, None, self.texts.piece(), clip(self.texts.huge(), 1024)))
            self._begin(user, f"send_photo(caption={_desc(caption or '')})")
            await user.send_photo(caption)
        elif kind == "send_document":
            name = rng.choice(("dokumen.pdf", "<b>&</i>.pdf", "\u202efdp.exe", "x" * 200 + ".txt", "📄"))
            self._begin(user, f"send_document({_desc(name)})")
            await user.send_document(name=name, mime_type=rng.choice(("application/pdf", "text/html")))
        elif kind == "send_location":
            where = (rng.uniform(-90, 90), rng.uniform(-180, 180))
            self._begin(user, f"send_location{where}")
            await user.send_location(*where)
        elif kind == "send_contact":
            phone, own = rng.choice(PHONES), rng.random() < 0.7
            self._begin(user, f"send_contact({phone!r}, own={own})")
            await user.send_contact(phone, own=own)
        elif kind == "send_sticker":
            self._begin(user, "send_sticker()")
            await user.send_sticker(rng.choice(EMOJI))
        else:
            self._begin(user, "send_voice()")
            await user.send_voice()

    async def _edit(self) -> None:
        user, text = self._user(), self.texts.any()
        if not any(m.sender is user.user and m.text for m in self.emulator.messages_in(user.id)):
            await self._say(user, text)
            return
        self._begin(user, f"edit_last({_desc(text)})")
        self._typed(user, text)
        await user.edit_last(text)

    def _bot_messages(self, chat_id: int, *, buttons: bool = False) -> list[Message]:
        bot = self.emulator.bot
        messages = [m for m in self.emulator.messages_in(chat_id)[-40:] if m.sender is bot]
        if buttons:
            messages = [m for m in messages if _callback_buttons(m)]
        return messages

    async def _press(self) -> None:
        """Press a button the user sees: mostly on the newest keyboard, sometimes an old one."""
        user, rng = self._user(), self.rng
        keyboard = user._reply_keyboard()
        if keyboard and rng.random() < 0.4:
            button = rng.choice([b for row in keyboard for b in row])
            label = button if isinstance(button, str) else button["text"]
            if isinstance(button, dict) and button.get("request_contact"):
                self._begin(user, f"press reply button {label!r} (contact)")
                await user.send_contact()
            else:
                await self._say(user, label)
            return
        messages = self._bot_messages(user.id, buttons=True)
        if not messages:
            await self._say(user, "/start")
            return
        message = messages[-1] if rng.random() < 0.7 else rng.choice(messages)
        buttons = _callback_buttons(message)
        onward = [d for d in buttons if not d.endswith((":_cancel", ":_back"))]
        await self._click(
            user, user.chat.id, message, rng.choice(onward if onward and rng.random() < 0.75 else buttons)
        )

    async def _click(self, user: SimUser, chat_id: int, message: Message, data: str, group=None) -> None:
        if self.avoid is not None and self.avoid(data):
            data = _random_data(self.rng)
        self._begin(user, f"press({data!r}) on message {message.message_id} in chat {chat_id}", group)
        self._typed(user, data)
        await self.emulator.click(user.user, self.emulator.chats[chat_id], message.message_id, data)

    async def _forged(self) -> None:
        """Callback data the user's client should never send: random, mutated, another user's."""
        user, rng = self._user(), self.rng
        messages = self._bot_messages(user.id)
        if not messages:
            await self._say(user, "/start")
            return
        roll = rng.random()
        if roll < 0.25:
            data = _random_data(rng)
        elif roll < 0.5:
            data = _shaped_data(rng)
        else:
            others = [m for u in self.everyone for m in self._bot_messages(u.id, buttons=True)[-5:]]
            others += self._bot_messages(STAFF_CHAT, buttons=True)[-10:]
            pool = [d for m in others for d in _callback_buttons(m)]
            data = rng.choice(pool) if pool else _random_data(rng)
            if roll < 0.75:
                data = _mutated(rng, data)
        message = messages[-1] if rng.random() < 0.7 else rng.choice(messages)
        await self._click(user, user.id, message, data)

    async def _reply(self) -> None:
        """A reply (in the private chat) to one of the bot's messages, e.g. a staff message."""
        user = self._user()
        messages = self._bot_messages(user.id)
        if not messages:
            await self._say(user, "/start")
            return
        target, text = self.rng.choice(messages), self.texts.any()
        self._begin(user, f"reply to {target.message_id}: {_desc(text)}")
        self._typed(user, text)
        await self.emulator.post(user.user, user.chat, text=text, reply_to=target)

    async def _group(self) -> None:
        """Chatter, commands, replies and button presses in the village group and the staff group."""
        rng = self.rng
        group = self.village if rng.random() < 0.5 else self.staff_group
        members = [u for u in self.everyone if u.id in group.chat.members]
        user = rng.choice(members)
        messages = self._bot_messages(group.id)
        roll = rng.random()
        if roll < 0.3 and messages:
            target = rng.choice(messages)
            buttons = _callback_buttons(target)
            if buttons:
                data = rng.choice(buttons) if rng.random() < 0.8 else _shaped_data(rng)
                await self._click(user, group.id, target, data, group)
                return
            text = self.texts.any()
            self._begin(user, f"reply_in({group.id}, {target.message_id}, {_desc(text)})", group)
            self._typed(user, text)
            await user.reply_in(group, target.message_id, text)
            return
        text = self.texts.command() if roll < 0.7 else self.texts.any()
        self._begin(user, f"send_in({group.id}, {_desc(text)})", group)
        self._typed(user, text)
        await user.send_in(group, text)

    async def _staff(self) -> None:
        """Staff at work: commands, card buttons, replies to cards (to reporters), notes."""
        rng = self.rng
        member = rng.choice(self.staff)
        roll = rng.random()
        cards = self._bot_messages(STAFF_CHAT, buttons=True) + self._bot_messages(member.id, buttons=True)
        if roll < 0.3:
            text = self.texts.command(staff=True)
            if rng.random() < 0.5:
                await self._say(member, text)
                return
            self._begin(member, f"send_in({STAFF_CHAT}, {_desc(text)})", self.staff_group)
            self._typed(member, text)
            await member.send_in(self.staff_group, text)
        elif roll < 0.7 and cards:
            card = rng.choice(cards[-10:])
            chat_id = card.chat.id
            group = self.staff_group if chat_id == STAFF_CHAT else None
            await self._click(member, chat_id, card, rng.choice(_callback_buttons(card)), group)
        else:
            messages = self._bot_messages(STAFF_CHAT)
            if not messages:
                await self._say(member, "/cases")
                return
            target = rng.choice(messages[-10:])
            text = rng.choice((rng.choice(QUESTIONS), self.texts.any()))
            self._begin(
                member, f"reply_in({STAFF_CHAT}, {target.message_id}, {_desc(text)})", self.staff_group
            )
            self._typed(member, text)
            await member.reply_in(self.staff_group, target.message_id, text)


def _callback_buttons(message: Message) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def _fit(data: str) -> str:
    """Telegram's limit: 1-64 bytes."""
    while len(data.encode()) > 64:
        data = data[:-1]
    return data or "x"


def _random_data(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + ":_-.~" + "ÿ€😀\u200b١"
    return _fit("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 64))))


def _shaped_data(rng: random.Random) -> str:
    """kind:version:args with a declared kind and junk (or plausible) arguments."""
    kind = rng.choice(list(KINDS))
    version = rng.choice(("1", "1", "1", "0", "2", "", "01"))
    junk = ("LP-222222", "open", "take", "0", "99", "9999999999", "-1", "abcdef", "_ok", "_back", "~name")
    junk += ("", "x" * 40, "١٢", "TW", "more", "y", "zz", *(flow.name for flow in FLOWS))
    args = [rng.choice(junk) for _ in range(rng.randint(0, 3))]
    return _fit(":".join((kind, version, *args)))


def _mutated(rng: random.Random, data: str) -> str:
    parts = data.split(":")
    i = rng.randrange(len(parts))
    parts[i] = rng.choice(
        (
            str(rng.randint(0, 99)),
            "".join(rng.choice("0123456789abcdef") for _ in range(6)),
            rng.choice(("_ok", "_back", "_cancel", "_edit", "_more", "_show", "~name", "~phone", "no", "w1")),
            rng.choice(("take", "res", "contact", "note", "ref", "refk", "back")),
            "",
        )
    )
    return _fit(":".join(parts))


# -- the command line ---------------------------------------------------------------------------


DEPTH = {  # how deep the run got: rows the flows wrote
    "registrations": "SELECT COUNT(*) FROM registrations",
    "cases": "SELECT COUNT(*) FROM cases",
    "case events": "SELECT COUNT(*) FROM case_events",
    "broadcasts": "SELECT COUNT(*) FROM broadcasts",
    "messages sent by the outbox": "SELECT COUNT(*) FROM outbox WHERE status = 'sent'",
}


TELEGRAM = FloodLimits(private_per_second=1.0, private_burst=3, group_per_minute=20, overall_per_second=30.0)


async def fuzz(
    updates: int, seed: int, batch: int, folder: Path, gap: float = USER_GAP
) -> tuple[list[Failure], float, int, dict]:
    content = load_content()
    emulator = Emulator(flood=TELEGRAM)
    async with local_bot(
        fuzz_settings(folder), emulator=emulator, content=content, virtual_pacing=True
    ) as running:
        fuzzer = Fuzzer(running, content, seed)
        fuzzer.user_gap = gap
        started = time.perf_counter()
        failures = await fuzzer.run(updates, batch)
        elapsed = time.perf_counter() - started
        db = running.services.store.db
        depth = {name: await db.fetch_value(sql) for name, sql in DEPTH.items()}
        return failures, elapsed, fuzzer.count, depth


def report(failures: list[Failure], repeats: int = 3) -> list[str]:
    """Every failure, but at most `repeats` of one problem (then how many more there were)."""
    lines, seen = [], Counter()
    for failure in failures:
        key = re.sub(r"\d+", "#", re.sub(r" \(chat_id.*\)$|'.*'", "…", failure.problem))[:120]
        seen[key] += 1
        if seen[key] <= repeats:
            lines.append(str(failure))
    lines += [f"... and {n - repeats} more like: {key}" for key, n in seen.items() if n > repeats]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--gap", type=float, default=USER_GAP, help="emulated seconds between a user's updates"
    )
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # ERROR records are collected as failures, not printed
    with tempfile.TemporaryDirectory() as folder:
        failures, elapsed, count, depth = asyncio.run(
            fuzz(args.updates, args.seed, args.batch, Path(folder), args.gap)
        )
    print(f"seed {args.seed}: {count} updates in {elapsed:.1f} s ({count / elapsed:.0f} updates/s)")
    print(", ".join(f"{n} {name}" for name, n in depth.items()))
    print(f"{len(failures)} failures")
    for line in report(failures):
        print(line)
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
