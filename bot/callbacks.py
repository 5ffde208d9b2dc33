"""Compact, versioned callback data: `kind:version:arg:arg`, at most 64 bytes by construction.

Every kind is declared once with its version and the shape of its arguments; `parse` returns None for
anything else (an old version, a forged kind, a malformed argument), so handlers never see junk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config import LANGUAGES

MAX_BYTES = 64
_ID = r"[a-z0-9_.-]{1,40}"
_REFERENCE = r"LP-[2-9A-HJ-NP-Z]{6}"


@dataclass(frozen=True)
class Kind:
    version: int
    args: tuple[str, ...]  # one regex per argument

    def matches(self, args: tuple[str, ...]) -> bool:
        return len(args) == len(self.args) and all(
            re.fullmatch(pattern, arg) for pattern, arg in zip(self.args, args, strict=True)
        )


KINDS: dict[str, Kind] = {
    "menu": Kind(1, ()),  # main menu
    "sec": Kind(1, (r"[a-z_]{1,20}",)),  # a FAQ section
    "faq": Kind(1, (_ID,)),  # a FAQ answer
    "ctc": Kind(1, ()),  # contacts: national hotlines + countries
    "ctcc": Kind(1, (r"[A-Z]{2}|more",)),  # contacts of one country
    "lang": Kind(1, ("|".join(LANGUAGES),)),  # choose a language
    "langm": Kind(1, ()),  # the language picker
    "flow": Kind(1, (r"[a-z]{1,12}",)),  # start a wizard flow (register, report)
    "fb": Kind(1, (_ID, r"y|n")),  # was this answer helpful?
    "ask": Kind(1, ()),  # send the question this message replies to, to staff
    "case": Kind(1, (_REFERENCE,)),  # one of the user's cases (/status)
    "cfu": Kind(1, (_REFERENCE, r"info|msg")),  # add information / a message to an open case
    "st": Kind(1, (r"[0-9]{1,10}", r"[a-z]{1,8}")),  # staff card: case id, action (handlers/staff.py)
    "cl": Kind(1, (r"open|mine|urgent|all", r"[0-9]{1,7}")),  # staff: a page of /cases
    "sc": Kind(1, (r"[0-9]{1,10}",)),  # staff: one case's history
    "bc": Kind(1, (r"[0-9]{1,10}", r"cancel|resend")),  # staff: control a broadcast
    "optout": Kind(1, ()),  # "stop announcements" under a broadcast
    "ann": Kind(1, (r"on|off|show",)),  # announcements switch in the menu
    # wizard: draft token, step, value
    "wz": Kind(1, (r"[0-9a-f]{6}", r"[0-9]{1,2}", r"[A-Za-z0-9_.~-]{1,30}")),
}


@dataclass(frozen=True)
class Callback:
    kind: str
    args: tuple[str, ...] = ()

    @property
    def arg(self) -> str:
        return self.args[0]


def pack(kind: str, *args: str) -> str:
    """Encode a button; raises ValueError for an undeclared shape or more than 64 bytes."""
    spec = KINDS[kind]
    if not spec.matches(args):
        raise ValueError(f"bad arguments for {kind}: {args!r}")
    data = ":".join((kind, str(spec.version), *args))
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None) -> Callback | None:
    """Decode a button press; None when it is stale, forged or malformed."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    kind, _, rest = data.partition(":")
    version, _, tail = rest.partition(":")
    spec = KINDS.get(kind)
    if spec is None or version != str(spec.version):
        return None
    args = tuple(tail.split(":")) if tail else ()
    return Callback(kind, args) if spec.matches(args) else None
