"""`python -m bot` start-up failures: one readable line, exit code 2, no traceback."""
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_bot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DEV_GUILD_ID", "DATABASE_PATH"}}
    base["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env={**base, **env}, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_missing_token_is_one_clear_line(tmp_path: Path) -> None:
    result = run_bot([], {}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DISCORD_TOKEN is not set" in lines[0] and ".env" in lines[0]
    assert "Traceback" not in result.stderr


def test_empty_token_in_env_file_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=\n")
    result = run_bot(["run"], {}, tmp_path)
    assert result.returncode == 2 and "DISCORD_TOKEN is not set" in result.stderr


def test_invalid_setting_names_it_and_never_prints_the_token(tmp_path: Path) -> None:
    result = run_bot([], {"DISCORD_TOKEN": "secret-token-123", "DEV_GUILD_ID": "abc"}, tmp_path)
    assert result.returncode == 2
    assert "DEV_GUILD_ID must be a whole number" in result.stderr
    assert "secret-token-123" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_check_needs_no_token(tmp_path: Path) -> None:
    result = run_bot(["check", str(REPO / "decks")], {}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_token_is_redacted_from_messages_and_tracebacks(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import setup_logging
    from bot.settings import Settings

    token = "MTIz.secret-token.xyz"
    setup_logging(Settings(token=token))
    log = logging.getLogger("recall.test")

    def fails() -> None:
        raise RuntimeError(f"login with {token} refused")  # the token in the exception text, as a library may put it

    try:
        fails()
    except RuntimeError:
        log.exception("start-up failed for %s", token)
    log.warning("a stack", stack_info=True)
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: login with [token] refused" in err
    assert "start-up failed for [token]" in err
    assert token not in err


def test_an_upload_limit_over_discords_is_refused_at_start_up(tmp_path: Path) -> None:
    result = run_bot([], {"DISCORD_TOKEN": "secret-token-123", "MAX_UPLOAD_BYTES": str(1024 ** 3)}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: MAX_UPLOAD_BYTES must be at most 10485760 (10 MB, Discord's attachment limit), got {1024 ** 3}."]


def test_a_start_up_write_kept_out_by_another_program_is_one_line(
    restore_logging: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.__main__ as entry
    from bot.core.errors import NotSaved

    async def locked_out(settings: object, *, sync_only: bool = False) -> int:
        raise NotSaved()  # what a start-up write (the command hash, a refiling) raises after BUSY_PATIENCE

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "r.db"))
    monkeypatch.setattr(entry, "_run", locked_out)
    assert entry.main(["run"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"error: DATABASE_PATH: another program kept {str(tmp_path / 'r.db')!r} locked; let it finish "
                     "(or stop it) and start Recall again."]
