"""`python -m bot` start-up failures: one readable line, exit code 2, no traceback."""
import os
import subprocess
import sys
from pathlib import Path

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
