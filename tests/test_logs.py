import logging

from bot.logs import RedactTokens, redact

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
