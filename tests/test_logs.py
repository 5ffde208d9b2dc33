import io
import logging

import pytest

from bot import logs
from bot.logs import RedactingStream, RedactTokens, redact, setup_logging

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ_0123456789"


def test_redact_removes_token_shapes():
    assert TOKEN not in redact(f"POST https://api.telegram.org/bot{TOKEN}/getMe")


def test_filter_cleans_arguments_and_tracebacks(caplog):
    caplog.handler.addFilter(RedactTokens())
    logger = logging.getLogger("test")
    logger.warning("url %s", f"/bot{TOKEN}/sendMessage")
    try:
        raise RuntimeError(f"failed at bot{TOKEN}")
    except RuntimeError:
        logger.exception("boom")
    assert TOKEN not in caplog.text and "[token]" in caplog.text


async def test_one_info_line_per_update_names_its_handler_and_no_user_text(bot, siti, caplog):
    caplog.set_level(logging.INFO, logger="bot.updates")
    await siti.send("/start")
    await siti.send("paspor saya ditahan majikan")
    await siti.press_data("nonsense:9")
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.updates"]
    assert len(lines) == 3
    assert " by menu.start+wizard.remind_if_busy in " in lines[0] and " by fallback.free_text in " in lines[1]
    assert " by menu.stale_button in " in lines[2]
    assert "paspor" not in caplog.text and "Siti" not in caplog.text


@pytest.fixture
def restore_logging():
    names = ("", "bot", "httpx")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    logs._SECRETS.clear()
    logging.captureWarnings(False)


def test_debug_is_for_the_bot_only(restore_logging):
    setup_logging("DEBUG")
    assert logging.getLogger("bot.handlers.wizard").isEnabledFor(logging.DEBUG)
    assert not any(
        logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in ("telegram.ext", "aiosqlite")
    )
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_configured_secrets_are_redacted_whatever_their_shape(restore_logging):
    setup_logging("INFO", secrets=("s3cret-Webhook_value", ""))
    assert redact("POST /hook?secret=s3cret-Webhook_value") == "POST /hook?secret=[secret]"


def test_stderr_wrapper_redacts_every_write():
    target = io.StringIO()
    stream = RedactingStream(target)
    print(f"Exception ignored in: <session url=https://api.telegram.org/bot{TOKEN}/getMe>", file=stream)
    assert (
        target.getvalue() == "Exception ignored in: <session url=https://api.telegram.org/bot[token]/getMe>\n"
    )
