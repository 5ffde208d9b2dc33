import re
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, require_token

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ_0123456789"


def test_defaults_match_the_contract():
    settings = load_settings({})
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert str(settings.database_path) == "data/bot.sqlite3"
    assert (settings.staff_ids, settings.staff_chat_id) == (frozenset(), None)
    assert (settings.default_language, settings.broadcast_rate) == ("id", 25.0)
    assert settings.webhook_listen == ("127.0.0.1", 8080) and not settings.webhook_mode


def test_values_are_parsed():
    settings = load_settings(
        {
            "BOT_TOKEN": TOKEN,
            "STAFF_IDS": " 1, 22 ,333",
            "STAFF_CHAT_ID": "-100123",
            "DEFAULT_LANGUAGE": "en",
            "BROADCAST_RATE": "12.5",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.staff_ids == {1, 22, 333} and settings.staff_chat_id == -100123
    assert (settings.default_language, settings.broadcast_rate, settings.log_level) == ("en", 12.5, "DEBUG")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
        ({"STAFF_IDS": "12,abc"}, "STAFF_IDS"),
        ({"STAFF_IDS": "-5"}, "STAFF_IDS"),
        ({"STAFF_CHAT_ID": "group"}, "STAFF_CHAT_ID"),
        ({"DEFAULT_LANGUAGE": "jv"}, "DEFAULT_LANGUAGE"),
        ({"BROADCAST_RATE": "fast"}, "BROADCAST_RATE"),
        ({"BROADCAST_RATE": "0"}, "BROADCAST_RATE"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
        ({"WEBHOOK_URL": "http://example.org/hook", "WEBHOOK_SECRET": "s"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://example.org/hook"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "bad secret!"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_LISTEN": "8080"}, "WEBHOOK_LISTEN"),
        ({"UNANSWERED_RETENTION_DAYS": "0"}, "UNANSWERED_RETENTION_DAYS"),
        ({"CASE_REMIND_MINUTES": "-1"}, "CASE_REMIND_MINUTES"),
        ({"CASE_REMIND_MINUTES": "soon"}, "CASE_REMIND_MINUTES"),
        ({"OFFICE_HOURS": "Mon-Fri"}, "OFFICE_HOURS"),
    ],
)
def test_a_bad_value_names_its_variable(env, variable):
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert error.value.variable == variable and str(error.value).startswith(variable)


def test_run_without_token_says_how_to_get_one():
    with pytest.raises(ConfigError, match="@BotFather"):
        require_token(load_settings({}))


def test_environment_wins_over_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nDEFAULT_LANGUAGE="en"\nSTAFF_IDS=7\n')
    settings = load_settings({"STAFF_IDS": "8"}, dotenv)
    assert settings.default_language == "en" and settings.staff_ids == {8}


def test_token_is_not_in_repr():
    assert "ABCdef" not in repr(load_settings({"BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": "abc"}))


def test_operator_and_faq_only_are_read():
    settings = load_settings(
        {"OPERATOR_NAME": " Desa X ", "OPERATOR_CONTACT": "Kantor desa", "FAQ_ONLY": "1"}
    )
    assert (settings.operator_name, settings.operator_contact, settings.faq_only) == (
        "Desa X",
        "Kantor desa",
        True,
    )
    assert load_settings({}).faq_only is False


@pytest.mark.parametrize(
    "env", [{"FAQ_ONLY": "ya"}, {"OPERATOR_NAME": "x" * 201}, {"OPERATOR_CONTACT": "a\nb"}]
)
def test_a_bad_operator_or_faq_only_value_names_its_variable(env):
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert error.value.variable == next(iter(env))


def test_env_example_lists_every_variable():
    root = Path(__file__).resolve().parent.parent
    read = set(re.findall(r'get\("([A-Z_]+)"\)', (root / "bot" / "config.py").read_text()))
    listed = set(re.findall(r"^([A-Z_]+)=", (root / ".env.example").read_text(), re.MULTILINE))
    assert read - listed == set()
