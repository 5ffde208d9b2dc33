"""compose.yaml: PostgreSQL, two bot processes and a reverse proxy, each with a health check."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "compose.yaml"
ENV = {
    "POSTGRES_PASSWORD": "pw",
    "BOT_DOMAIN": "bot.example.org",
    "WEBHOOK_PATH": "/tg-abc",
    "WEBHOOK_SECRET": "s3cret",
}


def test_every_service_has_a_health_check_and_the_bots_share_postgresql():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    bots = [services["bot-1"], services["bot-2"]]
    assert set(services) == {"postgres", "bot-1", "bot-2", "proxy"}
    assert all("healthcheck" in service for service in services.values())
    assert all(bot["environment"]["DATABASE_URL"].startswith("postgresql://") for bot in bots)
    assert all(bot["depends_on"]["postgres"]["condition"] == "service_healthy" for bot in bots)


def _compose() -> list[str] | None:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_docker_compose_config_validates(tmp_path):
    command = _compose()
    if command is None:
        pytest.skip("Docker Compose is not installed here")
    (tmp_path / ".env").write_text("BOT_TOKEN=\n")
    done = subprocess.run(
        [*command, "-f", str(COMPOSE), "--project-directory", str(tmp_path), "config", "--quiet"],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
