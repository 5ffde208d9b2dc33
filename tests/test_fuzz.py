"""Fuzzing: properties of the callback codec and of every typed-answer parser (hypothesis), a seeded
run of hostile updates through the emulator (bench/fuzz.py runs the same fuzzer, long), and the
smallest reproductions of what the fuzzing found. A new finding goes here as a strict xfail test."""

import importlib.util
import logging
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from journeys import full_report, label

from bot.callbacks import KINDS, MAX_BYTES, Callback, pack, parse
from bot.emulator import Emulator
from bot.handlers import FLOWS, screens
from bot.local import local_bot
from bot.wizard import Invalid, Phone, Text, validate


def _bench():
    path = Path(__file__).resolve().parents[1] / "bench" / "fuzz.py"
    spec = importlib.util.spec_from_file_location("bench_fuzz", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fuzz = _bench()
PROPERTY = hypothesis_settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# -- the callback codec -------------------------------------------------------------------------

SHAPED = st.builds(
    lambda kind, version, args: ":".join((kind, version, *args)),
    st.sampled_from([*KINDS, "", "MENU", "wz2"]),
    st.sampled_from(["1", "0", "2", "", "01", " 1", "١"]),
    st.lists(st.text(alphabet="az09_.-~:LPAHZ١ \u200b😀", max_size=45), max_size=4),
)
VALID = st.sampled_from(sorted(KINDS)).flatmap(
    lambda kind: st.tuples(
        st.just(kind), st.tuples(*(st.from_regex(p, fullmatch=True) for p in KINDS[kind].args))
    )
)


@PROPERTY
@given(st.one_of(st.none(), st.text(max_size=100), SHAPED))
def test_parse_never_raises_and_accepts_only_declared_shapes(data):
    parsed = parse(data)
    assert parsed is None or (
        parsed.kind in KINDS and KINDS[parsed.kind].matches(parsed.args) and len(data.encode()) <= MAX_BYTES
    )


@PROPERTY
@given(VALID)
def test_pack_then_parse_round_trips_within_64_bytes(kind_and_args):
    kind, args = kind_and_args
    data = pack(kind, *args)
    assert len(data.encode()) <= MAX_BYTES and parse(data) == Callback(kind, args)


# -- typed answers --------------------------------------------------------------------------------

PHONE_LIMIT = 16  # E.164: "+" and at most 15 digits
TYPED = [(flow.name, step) for flow in FLOWS for step in flow.steps if isinstance(step, Text | Phone)]
TRICKY = "aZ ßﬃİŉǰ'’.-()/0123456789+٠١\u200b\u202e\t\nkab.😭中"
WORDS = ["ß", "ﬃ", "ŉ", "Siti", "kab.", "(x)", "O'Neil", "١٢", "\u200b"]


def answers(limit: int):
    """Any text, tricky characters, words that grow when capitalised, and the fuzzer's samples."""
    return st.one_of(
        st.text(max_size=limit),
        st.text(alphabet=TRICKY, max_size=limit),
        st.lists(st.sampled_from(WORDS), max_size=limit // 2).map(" ".join).map(lambda t: t[:limit]),
        st.sampled_from([*fuzz.NAMES, *fuzz.PLACES, *fuzz.PHONES]),
    )


def _limits(step) -> tuple[int, int]:
    """(longest input the engine passes to the parser, longest value it may return)."""
    return (step.max_length, step.max_length) if isinstance(step, Text) else (300, PHONE_LIMIT)


GROWING = " ".join(["ﬃ"] * 30)  # 59 characters that capitalize() makes 119 (place() once kept them)
STEPS = [pytest.param(step, id=f"{flow}-{step.key}") for flow, step in TYPED]


@pytest.mark.parametrize("step", STEPS)
def test_a_typed_answer_parses_or_names_a_message_in_both_languages(step, content):
    limit, _ = _limits(step)

    @PROPERTY
    @given(answers(limit))
    def check(text):
        try:
            step.parse(text)
        except Invalid as invalid:
            for lang in ("id", "en"):
                assert content.has_text(lang, invalid.key), (lang, invalid.key)
                assert content.text(lang, invalid.key, **invalid.context)

    check()


@pytest.mark.parametrize("step", STEPS)
def test_a_parsed_answer_is_bounded(step):
    limit, bound = _limits(step)

    @PROPERTY
    @given(answers(limit))
    @example(GROWING)
    def check(text):
        try:
            value = step.parse(text)
        except Invalid:
            return
        assert len(str(value)) <= bound

    check()


def test_a_place_that_grows_past_60_characters_is_refused():
    with pytest.raises(Invalid):
        validate.place(GROWING)


# -- the seeded run -------------------------------------------------------------------------------


# Open bugs, each pinned by a strict xfail test below: (action pattern, problem pattern, that test).
# The seeded run tolerates their failures; when the xfail test passes, delete its line here.
OPEN_BUGS: tuple[tuple[str, str, str], ...] = ()


def unexplained(failures):
    """The failures no open bug explains."""
    return [
        f
        for f in failures
        if not any(
            re.match(action, f.action) and re.search(problem, f.problem) for action, problem, _ in OPEN_BUGS
        )
    ]


@pytest.mark.parametrize("seed", [1, 2])
async def test_a_seeded_hostile_run_breaks_nothing(tmp_path, content, seed):
    emulator = Emulator()
    settings = fuzz.fuzz_settings(tmp_path)
    async with local_bot(settings, emulator=emulator, content=content, virtual_pacing=True) as running:
        fuzzer = fuzz.Fuzzer(running, content, seed)
        failures = await fuzzer.run(updates=1500, batch=250)
    assert fuzzer.count == 1500
    assert unexplained(failures) == [], "\n".join(fuzz.report(unexplained(failures)))


def test_the_leak_check_knows_staff_only_lines():
    markers, in_groups = fuzz.staff_markers(), fuzz.staff_markers(fuzz.SHOWN_IN_GROUPS)
    assert any("menulis ke pelapor" in m for m in markers) and not any(m == "Petugas" for m in markers)
    assert any("STAFF_CHAT_ID" in m for m in markers) and not any("STAFF_CHAT_ID" in m for m in in_groups)


# -- what the fuzzing found (fixed in 0c63cf7; kept as regression tests) ----------------------------


@pytest.fixture
def errors():
    """ERROR log records while the test runs."""
    log = fuzz.ErrorLog()
    logging.getLogger().addHandler(log)
    yield log.records
    logging.getLogger().removeHandler(log)


async def test_a_forged_step_index_is_a_stale_button(siti, errors):
    await siti.send("/register")
    token = parse(siti.last.buttons[0][0].data).args[0]
    query = await siti.press_data(pack("wz", token, "99", "yes"))
    assert errors == [] and siti.answer(query)["text"] == label("user-stale-button")


async def test_a_question_summary_offers_no_empty_edit_screen(siti):
    await siti.send("resep rendang padang enak")
    await siti.press(label("user-button-ask-staff"))
    assert label("user-button-edit") not in siti.buttons and label("user-button-confirm") in siti.buttons


async def test_the_error_handler_does_not_answer_a_query_twice(siti, errors, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    await siti.send("/language")
    monkeypatch.setattr(screens, "main_menu", broken)  # fails after the press was answered
    await siti.press(label("user-button-lang-en"))
    assert len(errors) == 1  # and the fixture checks that no answerCallbackQuery was refused


@pytest.mark.parametrize("button", ["section", "feedback"])
async def test_a_double_tap_does_not_edit_a_message_into_itself(siti, button):
    await siti.send("/faq" if button == "section" else "berapa biaya penempatan ke taiwan")
    message = next(m for m in reversed(siti.messages) if m.buttons)
    data = message.buttons[0][0].data
    await siti.press_data(data, message.message_id)
    await siti.press_data(data, message.message_id)  # the fixture checks for "message is not modified"


@pytest.fixture
async def desk(tmp_path, content):
    """The bot with staff 9001 in the staff group; the test checks the API errors itself."""
    emulator = Emulator()
    async with local_bot(fuzz.fuzz_settings(tmp_path), emulator=emulator, content=content) as running:
        staff = emulator.user(id=fuzz.STAFF_IDS[0], first_name="Ani", language_code="id")
        group = emulator.group(id=fuzz.STAFF_CHAT, title="Petugas", members=[staff])
        yield running, staff, group


async def reported(running) -> str:
    """Siti's report, its card sent to the staff group; returns its reference."""
    siti = running.emulator.user(id=1001, first_name="Siti", language_code="id")
    await full_report(siti)
    await running.services.outbox.drain(5)
    return fuzz.REFERENCE.search(siti.last_text).group()


async def test_taking_a_case_twice_edits_nothing(desk):
    running, staff, group = desk
    await reported(running)
    await staff.press(label("staff-button-take"), group)
    await staff.press(label("staff-button-take"), group)
    assert running.emulator.errors == []


async def test_card_edits_for_other_chats_go_out_at_once(desk):
    """Taking a case already in progress, under /case in a private chat, sends no notice: only the
    group's copy of the card is edited, through the outbox, which must be woken for it (an idle
    outbox looks at its queue again only after 30 s)."""
    running, staff, group = desk
    reference = await reported(running)
    await staff.press(label("staff-button-prog"), group)
    await running.services.outbox.drain(2)
    await staff.send(f"/case {reference}")
    await staff.press(label("staff-button-take"))
    await running.services.outbox.drain(2)
    card = next(m for m in group.messages if reference in m.text and m.buttons)
    assert "Ani" in card.text  # the assignee, shown on every copy


@pytest.mark.parametrize(
    "flow", [f.name for f in FLOWS if f.name in ("note", "question", "followup", "broadcast")]
)
async def test_a_forged_flow_button_starts_no_staff_or_internal_flow(bot, siti, flow):
    await siti.send("/start")
    await siti.press_data(pack("flow", flow))
    assert await bot.services.store.get_draft(siti.id) is None


async def test_a_button_pressed_on_a_file_message_crashes_nothing(desk, errors):
    running, staff, group = desk
    await staff.send("/export")
    document = next(m for m in staff.messages if m.kind == "document")
    await staff.press_data(pack("menu"), document.message_id)
    assert errors == [] and running.emulator.errors == []


@pytest.mark.parametrize("direction", ["to reporter", "to staff", "added information"])
async def test_long_relayed_messages_fit_telegram(desk, direction):
    running, staff, group = desk
    siti = running.emulator.user(id=1001, first_name="Siti", language_code="id")
    reference = await reported(running)
    card = group.messages[0]
    if direction == "added information":
        await siti.send(f"/status {reference}")
        await siti.press(label("user-button-add-info"))
        await siti.send("😭" * 3000)  # 3000 characters, 6000 UTF-16 units
    else:
        await staff.reply_in(group, card.message_id, "x" * (4096 if direction == "to reporter" else 10))
        await running.services.outbox.drain(5)
    if direction == "to staff":
        relayed = running.emulator.find_message(siti.chat, siti.messages[-1].message_id)
        await running.emulator.post(siti.user, siti.chat, text="y" * 4096, reply_to=relayed)
    await running.services.outbox.drain(5)
    assert running.emulator.errors == []


async def test_a_long_case_history_is_shown_to_staff(desk, errors):
    running, staff, group = desk
    reference = await reported(running)
    card = group.messages[0]
    for n in range(8):  # from about the fourth reply on, the history is over 4000 characters
        running.emulator.advance(5)
        await staff.reply_in(group, card.message_id, "&" * (195 + n))
        await staff.send(f"/case {reference}")
    assert errors == [] and running.emulator.errors == []


async def test_a_staff_command_shows_no_case_in_a_non_staff_group(desk):
    running, staff, group = desk
    reference = await reported(running)
    siti = running.emulator.user(id=1001)
    village = running.emulator.group(id=fuzz.VILLAGE_CHAT, title="Desa", members=[staff, siti])
    await staff.send_in(village, f"/case {reference}")
    assert not any(reference in m.text for m in village.messages)


# -- found by the long runs (fixed in d014a22; kept as regression tests) ----------------------------


async def test_a_repeated_staff_button_in_a_private_chat_edits_no_card_into_itself(desk):
    running, staff, group = desk
    reference = await reported(running)
    await staff.send(f"/case {reference}")
    for _ in range(2):
        await staff.press(label("staff-button-take"))
        await running.services.outbox.drain(5)
    assert running.emulator.errors == []


async def test_a_staff_button_pressed_on_a_file_message_crashes_nothing(desk, errors):
    running, staff, group = desk
    await reported(running)
    await staff.send("/export")
    document = next(m for m in staff.messages if m.kind == "document")
    await staff.press_data(pack("st", "1", "take"), document.message_id)  # a forged press
    assert errors == [] and running.emulator.errors == []


async def test_a_double_tap_on_announcements_edits_nothing(bot, siti):
    await siti.send("/start")
    message = siti.last
    for _ in range(2):
        await siti.press_data(pack("ann", "show"), message.message_id)
    assert bot.emulator.errors == []
