from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"DISCORD_TOKEN": "abc"}, env_file=None)
    assert settings.token == "abc"
    assert settings.database_path == Path("data/recall.db")
    assert (tmp_path / "data").is_dir()  # parent folder created
    assert settings.decks_dir == Path("decks")
    assert settings.dev_guild_id is None and settings.api_base is None and settings.gateway_url is None
    assert settings.log_level == "INFO"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"DISCORD_TOKEN=from-file\nDEV_GUILD_ID=42\nDATABASE_PATH={tmp_path}/x/r.db\n")
    settings = load_settings({"DISCORD_TOKEN": "from-env"}, env_file=env)
    assert settings.token == "from-env"
    assert settings.dev_guild_id == 42
    assert settings.database_path == tmp_path / "x" / "r.db"


def test_missing_token_says_how_to_get_one() -> None:
    settings = load_settings({}, env_file=None, check_paths=False)
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set.*Developer|developers"):
        settings.require_token()


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DEV_GUILD_ID", "my-server", "DEV_GUILD_ID must be a whole number"),
        ("DEV_GUILD_ID", "0", "DEV_GUILD_ID must be at least 1"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
        ("DISCORD_API_BASE", "127.0.0.1:8080", "DISCORD_API_BASE must start with http://"),
        ("DISCORD_GATEWAY_URL", "http://x", "DISCORD_GATEWAY_URL must start with ws://"),
        ("MAX_UPLOAD_BYTES", "lots", "MAX_UPLOAD_BYTES must be a whole number"),
    ],
)
def test_invalid_values_name_the_setting(name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment):
        load_settings({name: value}, env_file=None, check_paths=False)


def test_unwritable_database_path_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SettingsError, match="DATABASE_PATH"):
        load_settings({"DATABASE_PATH": str(blocker / "sub" / "r.db")}, env_file=None)
    with pytest.raises(SettingsError, match="DATABASE_PATH: .* is a folder"):
        load_settings({"DATABASE_PATH": str(tmp_path)}, env_file=None)


def test_repr_never_shows_the_token() -> None:
    settings = load_settings({"DISCORD_TOKEN": "very-secret-token"}, env_file=None, check_paths=False)
    assert "very-secret-token" not in repr(settings)
    assert "very-secret-token" not in str(settings)


def test_upload_and_import_limits(tmp_path: Path) -> None:
    defaults = load_settings({}, env_file=None, check_paths=False)
    assert (defaults.max_upload_bytes, defaults.import_cpu_seconds, defaults.import_memory_mb,
            defaults.imports_at_once) == (2 * 1024 * 1024, 5, 384, 2)
    chosen = load_settings({"MAX_UPLOAD_BYTES": "10485760", "IMPORT_CPU_SECONDS": "10", "IMPORT_MEMORY_MB": "256",
                            "IMPORTS_AT_ONCE": "1"}, env_file=None, check_paths=False)
    assert (chosen.max_upload_bytes, chosen.import_cpu_seconds, chosen.import_memory_mb,
            chosen.imports_at_once) == (10 * 1024 * 1024, 10, 256, 1)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_UPLOAD_BYTES", "10485761",
         "MAX_UPLOAD_BYTES must be at most 10485760 (10 MB, Discord's attachment limit), got 10485761."),
        ("IMPORT_CPU_SECONDS", "0", "IMPORT_CPU_SECONDS must be at least 1, got 0."),
        ("IMPORT_MEMORY_MB", "64", "IMPORT_MEMORY_MB must be at least 128, got 64."),
        ("IMPORTS_AT_ONCE", "0", "IMPORTS_AT_ONCE must be at least 1, got 0."),
    ],
)
def test_upload_and_import_limits_out_of_range(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({name: value}, env_file=None, check_paths=False)
    assert str(refused.value) == message


# --- Sharding -------------------------------------------------------------------------------------------------------

PG = {"DATABASE_URL": "postgresql://recall@localhost:5432/recall"}


def test_unsharded_by_default() -> None:
    settings = load_settings({}, env_file=None, check_paths=False)
    assert (settings.shard_count, settings.shard_ids, settings.sharded) == (None, None, False)


@pytest.mark.parametrize(
    ("values", "count", "ids"),
    [
        ({"SHARD_COUNT": "2"}, 2, None),  # every shard in this process: fine on SQLite
        ({"SHARD_COUNT": "auto"}, "auto", None),
        ({"SHARD_COUNT": " AUTO "}, "auto", None),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-3"}, 4, (0, 1, 2, 3)),  # all of them, named: SQLite is fine too
        ({"SHARD_COUNT": "4", "SHARD_IDS": "2,3", **PG}, 4, (2, 3)),
        ({"SHARD_COUNT": "6", "SHARD_IDS": "4, 0-1", **PG}, 6, (0, 1, 4)),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1", **PG}, 2, (1,)),
    ],
)
def test_shard_settings(values: dict[str, str], count: object, ids: object) -> None:
    settings = load_settings(values, env_file=None, check_paths=False)
    assert (settings.shard_count, settings.shard_ids, settings.sharded) == (count, ids, True)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be a whole number of at least 1, or auto; got '0'."),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT must be a whole number of at least 1, or auto; got 'two'."),
        ({"SHARD_COUNT": "-1"}, "SHARD_COUNT must be a whole number of at least 1, or auto; got '-1'."),
        ({"SHARD_IDS": "0"}, "SHARD_IDS=0 needs SHARD_COUNT, the number of shards of all Recall processes together "
                             "(e.g. SHARD_COUNT=4 with SHARD_IDS=0-1 here and SHARD_IDS=2-3 in the other process)."),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "", **PG},
         "SHARD_IDS is empty; list this process's shards (e.g. 0-1) or leave it out to run every shard."),
        ({"SHARD_COUNT": "2", "SHARD_IDS": " , ", **PG},
         "SHARD_IDS must list shard ids or ranges such as 0-3, 4,5 or 0-1,3; got ','."),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-1,x", **PG},
         "SHARD_IDS must list shard ids or ranges such as 0-3, 4,5 or 0-1,3; got '0-1,x'."),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-2,1", **PG}, "SHARD_IDS names shard 1 more than once; got '0-2,1'."),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3-1", **PG},
         "SHARD_IDS has the range '3-1' running backwards; write it as 1-3."),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "2-5", **PG},
         "SHARD_IDS=2-5: with SHARD_COUNT=4 the shards are 0 to 3, so 4-5 does not exist."),
        ({"SHARD_COUNT": "auto", "SHARD_IDS": "0", **PG},
         "SHARD_IDS needs a fixed SHARD_COUNT, not auto: every process must split the same number of shards, and "
         "Discord's recommendation can change between starts. Set SHARD_COUNT to a number, or leave SHARD_IDS out "
         "to run every shard in this process."),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0"},
         "SHARD_IDS=0 runs 1 of the 2 shards, but several processes cannot share one SQLite file: set DATABASE_URL "
         "to PostgreSQL, or run every shard in this process (leave SHARD_IDS out)."),
    ],
)
def test_invalid_shard_settings_are_one_line_naming_the_setting(values: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(values, env_file=None, check_paths=False)
    assert str(refused.value) == message


def test_shard_settings_from_the_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("SHARD_COUNT=4\nSHARD_IDS=0-3\n")
    settings = load_settings({}, env_file=env, check_paths=False)
    assert (settings.shard_count, settings.shard_ids) == (4, (0, 1, 2, 3))
    env.write_text("SHARD_COUNT=4\nSHARD_IDS=\n")  # a blank line left in .env is refused, not read as "every shard"
    with pytest.raises(SettingsError, match="SHARD_IDS is empty"):
        load_settings({}, env_file=env, check_paths=False)
