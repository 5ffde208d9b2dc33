# The bot with PostgreSQL support, for compose.yaml. Runs as an unprivileged user.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY content content
RUN pip install --no-cache-dir ".[postgresql]" && useradd --system --home /app pmibot
USER pmibot
CMD ["python", "-m", "bot", "run"]
