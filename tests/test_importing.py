"""`python -m bot import`: the import runs in the same limited worker as uploads, so a pathological file ends with a
clear error instead of hanging, and an unfinished progress bar is ended before the error is printed."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from bot.importing import PROGRESS_FROM_BYTES, run_import

REPO = Path(__file__).resolve().parent.parent


def test_a_file_that_takes_too_long_stops_with_an_error_on_its_own_line(tmp_path: Path) -> None:
    source = tmp_path / "huge.csv"
    source.write_bytes(b"front,back\n" + b"cat,chat\n" * (PROGRESS_FROM_BYTES // 9 + 1))  # large enough for a bar
    out, err = io.StringIO(), io.StringIO()
    code = run_import(source, None, tmp_path / "huge.yaml", stdout=out, stderr=err, time_limit=1,
                      importer="tests.test_import_worker:spin")  # draws 10% of the bar, then never finishes
    assert code == 1
    bar, error = err.getvalue().split("\n")[:2]
    assert bar.endswith("10% 1/10")
    assert error.startswith(f"error: {source}: `huge.csv` took too long to read (over 1 s)")
    assert out.getvalue() == "" and not (tmp_path / "huge.yaml").exists()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "import", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_the_time_limit_option(tmp_path: Path) -> None:
    source = tmp_path / "words.csv"
    source.write_text("front,back\ncat,chat\n", encoding="utf-8")
    refused = run_cli(str(source), "--time-limit", "0", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr == "error: --time-limit must be at least 1 second\n"
    done = run_cli(str(source), "--time-limit", "5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "decks" / "words.yaml").read_text(encoding="utf-8").count("front:") == 1
