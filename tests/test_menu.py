import pytest
from journeys import label

from bot.callbacks import pack


async def test_start_greets_in_indonesian_with_the_main_menu(siti, content):
    await siti.send("/start")
    assert siti.last_text == label("user-welcome", name="Siti")
    assert content.sections["id"]["placement"].title in " ".join(siti.buttons)


async def test_start_greets_in_english(john):
    await john.send("/start")
    assert john.last_text == label("user-welcome", "en", name="John")


async def test_other_telegram_languages_get_the_default(bot):
    user = bot.emulator.user(id=7, first_name="Ana", language_code="ms")
    await user.send("/start")
    assert user.last_text == label("user-welcome", name="Ana")


async def test_menu_round_trip_edits_in_place(siti, content):
    await siti.send("/start")
    first = siti.last.message_id
    section = content.sections["id"]["placement"]
    await siti.press(f"🧳 {section.title}")
    await siti.press(section.entries[0].title)
    assert section.entries[0].title in siti.last_text and "Sumber:" in siti.last_text
    await siti.press(label("user-button-back"))
    assert section.intro in siti.last_text
    await siti.press(label("user-button-menu"))
    assert siti.last.message_id == first and len(siti.messages) == 1


async def test_language_persists_across_a_rebuilt_application(settings, content):
    from bot.emulator import Emulator
    from bot.local import local_bot

    emulator = Emulator()
    async with local_bot(settings, emulator=emulator, content=content):
        user = emulator.user(id=5, first_name="Dewi", language_code="id")
        await user.send("/language")
        await user.press(label("user-button-lang-en"))
    async with local_bot(settings, emulator=emulator, content=content):
        await user.send("/start")
    assert user.last_text == label("user-welcome", "en", name="Dewi")


@pytest.mark.parametrize(
    "data",
    [
        "faq:0:placement.requirements",
        "faq:1:no.such.topic",
        "menu:9",
        "sec:1:nothing",
        "ctcc:1:XX",
        "totally forged",
        "case:1:close:1",
    ],
)
async def test_stale_or_forged_buttons_get_an_apology_and_the_menu(siti, data):
    await siti.send("/start")
    query = await siti.press_data(data, siti.last.message_id)
    assert siti.answer(query)["text"].startswith(label("user-stale-button"))
    assert siti.last_text.startswith(label("user-stale-button")) and siti.buttons


async def test_every_callback_query_is_answered(siti, content):
    await siti.send("/start")
    for key in (
        "user-button-contacts",
        "user-button-other-countries",
        "user-button-back",
        "user-button-menu",
    ):
        query = await siti.press(label(key))
        assert siti.answer(query) is not None


async def test_help_lists_commands(siti):
    await siti.send("/help")
    assert "/menu" in siti.last_text and "/language" in siti.last_text


async def test_commands_are_registered_per_language(bot):
    await bot.emulator.wait_idle(timeout=0.1)
    id_names = [c["command"] for c in bot.emulator.commands_for(language_code="id")]
    en_descriptions = [c["description"] for c in bot.emulator.commands_for(language_code="en")]
    assert "start" in id_names and "Main menu" in en_descriptions


def test_every_button_the_content_can_produce_fits(content):
    for lang in ("id", "en"):
        for entry in content.entries[lang].values():
            assert len(pack("faq", entry.id).encode()) <= 64
            assert len(pack("sec", entry.section).encode()) <= 64
    assert all(len(pack("ctcc", code)) <= 64 for code in content.countries)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_walking_every_menu_button_reaches_all_topics(bot, content, lang):
    """Breadth-first over every button of the menu tree, as a user would press them."""
    import yaml

    user = bot.emulator.user(id=3000 + len(lang), first_name="Walker", language_code=lang)
    await user.send("/menu")
    seen_data, reached, queue = set(), set(), [user.last]
    while queue:
        message = queue.pop(0)
        for row in message.buttons:
            for button in row:
                if button.data in seen_data or button.data.startswith(("flow:", "langm", "lang:")):
                    continue
                seen_data.add(button.data)
                await user.press_data(button.data, message.message_id)
                shown = user.last
                if button.data.startswith("faq:"):
                    reached.add(button.data.split(":")[2])
                    assert "Sumber:" in shown.text or "Source:" in shown.text
                queue.append(shown)
    topics = yaml.safe_load((content.root / "topics.yaml").read_text())["topics"]
    assert set(topics) <= reached and len(topics) == 44


def test_the_terminal_chat_shows_numbered_buttons_and_opens_a_section(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "chat.sqlite3")}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="/start\n1\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "Halo" in out and "[1] 🧳" in out and "[3] 🆘 Laporkan masalah" in out
    assert "*Bekerja ke luar negeri secara aman*" in out and "Syarat menjadi PMI" in out
