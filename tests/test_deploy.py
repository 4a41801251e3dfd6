"""deploy/: the compose file parses and has what compose needs, its Recall processes split the shards between them,
and each one's environment is one Recall's settings accept. Nothing is built or started (no network in tests)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.shards import parse_ids
from bot.settings import load_settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} (and $$ for a dollar), as `docker compose` reads them."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, kind, rest = match.groups()
        value = env.get(name, "")
        if kind == "-" and not value:
            return rest
        if kind == "?" and not value:
            raise LookupError(f"{name}: {rest}")
        return value

    return _VARIABLE.sub(one, text)


def recall_services(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in doc["services"].items() if "python" in s.get("command", [])}


def test_the_database_service_is_postgres_15_kept_in_a_volume_and_health_checked() -> None:
    doc = compose()
    db = doc["services"]["db"]
    assert db["image"] == "postgres:15"
    volume = db["volumes"][0].split(":")[0]
    assert volume in doc["volumes"] and db["volumes"][0].endswith(":/var/lib/postgresql/data")
    check = db["healthcheck"]
    assert check["test"][0] == "CMD-SHELL" and "pg_isready" in check["test"][1]
    assert "ports" not in db  # only the Recall processes reach it


def test_recall_processes_split_the_shards_and_wait_for_a_healthy_database() -> None:
    services = recall_services(compose())
    assert len(services) >= 2
    counts = {int(s["environment"]["SHARD_COUNT"]) for s in services.values()}
    assert len(counts) == 1, "every process must use the same SHARD_COUNT"
    count = counts.pop()
    shards = [shard for s in services.values() for shard in parse_ids(s["environment"]["SHARD_IDS"])]
    assert sorted(shards) == list(range(count)), "together the processes run every shard exactly once"
    for service in services.values():
        assert service["command"] == ["python", "-m", "bot", "run"]
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["env_file"] == ".env" and service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]


def test_each_process_environment_is_accepted_by_recall() -> None:
    env = env_example() | {"DISCORD_TOKEN": "token", "POSTGRES_PASSWORD": "s3cret"}
    for name, service in recall_services(compose()).items():
        environ = env | {k: interpolate(str(v), env) for k, v in service["environment"].items()}
        settings = load_settings(environ, env_file=None, check_paths=False)
        assert settings.database_url == "postgresql://recall:s3cret@db:5432/recall", name
        assert settings.shard_count == 2 and settings.shard_ids is not None, name
        assert "s3cret" not in repr(settings)


def test_a_missing_password_stops_compose_with_a_message() -> None:
    env = env_example()
    assert env["POSTGRES_PASSWORD"] == ""  # the example holds no password
    url = next(iter(recall_services(compose()).values()))["environment"]["DATABASE_URL"]
    with pytest.raises(LookupError, match="POSTGRES_PASSWORD: set POSTGRES_PASSWORD in deploy/.env"):
        interpolate(url, env)


def test_env_example_names_every_variable_compose_reads() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    used = {m.group(1) for m in _VARIABLE.finditer(text) if m.group(1)}
    assert used <= set(env_example())
    assert "DISCORD_TOKEN" in env_example() and env_example()["DISCORD_TOKEN"] == ""


def test_the_image_installs_recall_and_runs_it_as_a_user() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[0] == "FROM python:3.11-slim"
    assert any(line.startswith("RUN pip install") for line in lines)
    assert any(line.startswith("COPY decks") for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert lines[-1] == 'CMD ["python", "-m", "bot", "run"]'
    # The build context is the whole repository (.venv, data, …): everything is left out but what the image needs.
    ignore = [line.strip() for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*" and {"!pyproject.toml", "!README.md", "!bot/", "!decks/"} <= set(ignore)
