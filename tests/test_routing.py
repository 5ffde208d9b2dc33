"""Commands and buttons are declared once (bot/handlers/commands.py, bot/handlers/__init__.py)."""

import pytest

from bot.callbacks import KINDS
from bot.content import LANGUAGES
from bot.handlers import BUTTONS, staff
from bot.handlers.commands import COMMANDS, description


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_every_command_has_help_text(content, lang, command):
    assert description(content, lang, command).strip()


def test_every_command_is_declared_once():
    names = [command.name for command in COMMANDS]
    assert len(names) == len(set(names))


def test_every_callback_kind_has_exactly_one_handler():
    assert sorted(BUTTONS) == sorted(KINDS)


def test_staff_buttons_are_the_staff_handlers():
    # the one staff check covers every button handled in handlers/staff.py
    for kind, button in BUTTONS.items():
        assert button.staff == (button.callback.__module__ == staff.__name__) or kind in ("bc", "bh")
    assert BUTTONS["bc"].staff
