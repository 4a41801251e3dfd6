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
