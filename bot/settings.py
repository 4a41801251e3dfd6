"""Settings read from the environment (and `.env` when present).

Every problem becomes one readable line naming the setting, never a traceback and never the token itself.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from dotenv import dotenv_values

from bot.core.shards import AUTO, ShardCount, format_ids, ids_outside, parse_count, parse_ids

# Discord's attachment limit in a server without boosts (discord.py 2.7: utils.DEFAULT_FILE_SIZE_LIMIT_BYTES; boost
# levels 2 and 3 raise it to 50 and 100 MiB). Enough for any deck (a deck file holds at most 2 MB and an .apkg's
# media is left out); a larger MAX_UPLOAD_BYTES would only let each upload held in memory cost more.
DISCORD_ATTACHMENT_LIMIT = 10 * 1024 * 1024

TOKEN_HELP = (
    "DISCORD_TOKEN is not set. Create an application at https://discord.com/developers/applications, "
    "open Bot → Reset Token, and put the token in .env as DISCORD_TOKEN=... (see README, 'Create the Discord application')."
)


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line meant for the person running the bot."""


@dataclass(frozen=True)
class Settings:
    token: str = ""
    database_path: Path = Path("data/recall.db")
    database_url: str | None = None  # postgresql://…: PostgreSQL instead of the SQLite file at database_path
    database_pool_size: int = 10
    decks_dir: Path = Path("decks")
    dev_guild_id: int | None = None
    api_base: str | None = None
    gateway_url: str | None = None
    log_level: str = "INFO"
    max_upload_bytes: int = 2 * 1024 * 1024
    max_deck_items: int = 5000
    import_cpu_seconds: int = 5  # each upload is read in a worker process stopped past this much CPU time
    import_memory_mb: int = 384  # … or past this much memory (a 64 MB Anki collection needs about 300)
    imports_at_once: int = 2  # uploads read at the same time, all servers together (one per server)
    shard_count: ShardCount | None = None  # None: one unsharded connection; "auto": Discord's recommended count
    shard_ids: tuple[int, ...] | None = None  # this process's shards; None: every shard of shard_count

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    def __repr__(self) -> str:  # the token (and a database password) must never reach a log line through a repr
        shown = {k: v for k, v in self.__dict__.items() if k != "token"}
        if self.database_url:
            shown["database_url"] = redact_url(self.database_url)
        return f"Settings(token={'<set>' if self.token else '<missing>'}, {shown})"

    def require_token(self) -> str:
        if not self.token:
            raise SettingsError(TOKEN_HELP)
        return self.token


def _env(env_file: Path | None, environ: Mapping[str, str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)  # the real environment wins over .env
    return values


def _int(values: Mapping[str, str], name: str, default: int | None, minimum: int = 0,
         maximum: int | None = None, why: str = "") -> int | None:
    raw = values.get(name, "").strip()
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}.") from None
    if number < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {number}.")
    if maximum is not None and number > maximum:
        raise SettingsError(f"{name} must be at most {maximum}{why}, got {number}.")
    return number


def _url(values: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = values.get(name, "").strip()
    if not raw:
        return None
    if not raw.startswith(tuple(f"{s}://" for s in schemes)):
        raise SettingsError(f"{name} must start with {' or '.join(s + '://' for s in schemes)}, got {raw!r}.")
    return raw.rstrip("/")


def redact_url(url: str) -> str:
    """The URL with its password (if any) replaced by ***, for log lines and error messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _database_url(values: Mapping[str, str]) -> str | None:
    raw = values.get("DATABASE_URL", "").strip()
    if not raw:
        return None
    if not raw.startswith(("postgresql://", "postgres://")):
        raise SettingsError(
            f"DATABASE_URL must start with postgresql:// (e.g. postgresql://recall@localhost:5432/recall), got "
            f"{redact_url(raw)!r}. Leave it unset to use the SQLite file at DATABASE_PATH."
        )
    return raw


def _shards(values: Mapping[str, str], database_url: str | None) -> tuple[ShardCount | None, tuple[int, ...] | None]:
    count: ShardCount | None = None
    raw_count = values.get("SHARD_COUNT", "").strip()
    if raw_count:
        try:
            count = parse_count(raw_count)
        except ValueError as exc:
            raise SettingsError(f"SHARD_COUNT {exc}.") from None
    raw_ids = values.get("SHARD_IDS")
    if raw_ids is None:
        return count, None
    # Set but blank is refused rather than read as "every shard": in a deployment of several processes, a blank
    # SHARD_IDS would make each of them serve every server.
    try:
        ids = parse_ids(raw_ids)
    except ValueError as exc:
        raise SettingsError(f"SHARD_IDS {exc}.") from None
    if count is None:
        raise SettingsError(
            f"SHARD_IDS={raw_ids.strip()} needs SHARD_COUNT, the number of shards of all Recall processes together "
            "(e.g. SHARD_COUNT=4 with SHARD_IDS=0-1 here and SHARD_IDS=2-3 in the other process)."
        )
    if count == AUTO:
        raise SettingsError(
            "SHARD_IDS needs a fixed SHARD_COUNT, not auto: every process must split the same number of shards, and "
            "Discord's recommendation can change between starts. Set SHARD_COUNT to a number, or leave SHARD_IDS "
            "out to run every shard in this process."
        )
    outside = ids_outside(ids, count)
    if outside:
        raise SettingsError(
            f"SHARD_IDS={format_ids(ids)}: with SHARD_COUNT={count} the shards are 0 to {count - 1}, "
            f"so {format_ids(outside)} does not exist."
        )
    if database_url is None and len(ids) < count:
        raise SettingsError(
            f"SHARD_IDS={format_ids(ids)} runs {len(ids)} of the {count} shards, but several processes cannot share "
            "one SQLite file: set DATABASE_URL to PostgreSQL, or run every shard in this process (leave SHARD_IDS out)."
        )
    return count, ids


def _writable_database(path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"DATABASE_PATH: cannot create folder {str(path.parent)!r} ({exc.strerror}).") from None
    if path.is_dir():
        raise SettingsError(f"DATABASE_PATH: {str(path)!r} is a folder; give a file path such as data/recall.db.")
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise SettingsError(f"DATABASE_PATH: {str(target)!r} is not writable by this user.")
    return path


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env"), *, check_paths: bool = True
) -> Settings:
    """Read settings; `environ` replaces os.environ (tests), `env_file` None skips .env."""
    values = _env(env_file, environ)
    level = values.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in logging.getLevelNamesMapping():
        raise SettingsError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {level!r}.")
    database_path = Path(values.get("DATABASE_PATH", "").strip() or "data/recall.db")
    database_url = _database_url(values)
    if check_paths and database_url is None:
        database_path = _writable_database(database_path)
    shard_count, shard_ids = _shards(values, database_url)
    return Settings(
        token=values.get("DISCORD_TOKEN", "").strip(),
        database_path=database_path,
        database_url=database_url,
        database_pool_size=_int(values, "DATABASE_POOL_SIZE", Settings.database_pool_size, minimum=1,
                                maximum=100) or 0,
        decks_dir=Path(values.get("DECKS_DIR", "").strip() or "decks"),
        dev_guild_id=_int(values, "DEV_GUILD_ID", None, minimum=1),
        api_base=_url(values, "DISCORD_API_BASE", ("http", "https")),
        gateway_url=_url(values, "DISCORD_GATEWAY_URL", ("ws", "wss")),
        log_level=level,
        max_upload_bytes=_int(values, "MAX_UPLOAD_BYTES", 2 * 1024 * 1024, minimum=1024,
                              maximum=DISCORD_ATTACHMENT_LIMIT, why=" (10 MB, Discord's attachment limit)") or 0,
        max_deck_items=_int(values, "MAX_DECK_ITEMS", 5000, minimum=1) or 0,
        import_cpu_seconds=_int(values, "IMPORT_CPU_SECONDS", Settings.import_cpu_seconds, minimum=1,
                                maximum=300) or 0,
        import_memory_mb=_int(values, "IMPORT_MEMORY_MB", Settings.import_memory_mb, minimum=128) or 0,
        imports_at_once=_int(values, "IMPORTS_AT_ONCE", Settings.imports_at_once, minimum=1, maximum=16) or 0,
        shard_count=shard_count,
        shard_ids=shard_ids,
    )
