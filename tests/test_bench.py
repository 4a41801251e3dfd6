"""The benchmark runs end to end at a tiny size and prints its table. No timing is asserted: machines are noisy."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench import report
from bench.boards import server_sizes
from bench.common import Sizes, percentile, study_deck_yaml
from bench.decks import write_many_decks, write_question_decks
from bench.quiz import reaction_plan
from bot.core.decks import load_deck_dir, parse_deck

REPO = Path(__file__).resolve().parent.parent


def cells(table: str, metric: str) -> list[str]:
    """The stripped cells of the first table row whose metric column is `metric`."""
    for line in table.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 2 and parts[1] == metric:
            return parts
    raise AssertionError(f"no row {metric!r} in:\n{table}")


def test_quick_run_prints_the_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--phases", "study,boards,decks"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    assert [part.strip() for part in table.splitlines()[0].split("|")][:4] == ["phase", "metric", "Recall", "baseline"]
    metrics = ("interactions/s (best run)", "Recall / baseline", "p99 latency", "points · week p50 / p99",
               "streak p50 / p99")
    for metric in metrics:
        assert cells(table, metric)[2] not in ("", "-"), f"no figure for {metric!r}:\n{table}"
    assert cells(table, "interactions/s (best run)")[3] not in ("", "-")  # the baseline ran too
    # Both bots answered every interaction of the tiny run: nothing failed, went unanswered or was refused.
    assert cells(table, "failed / unanswered / refused")[2:4] == ["0 / 0 / 0", "0 / 0 / 0"]
    assert "machine: " in table


def test_table_has_a_row_for_every_phase() -> None:
    results = {
        "machine": {"cpus": 2, "cpu_model": "Test CPU", "python": "3.11", "sqlite": "3.40", "load_average": [0.1]},
        "seconds": 1.0,
        "phases": {
            "quiz": {"sent": 500, "graded": 499, "results_after_close_s": 0.02},
            "startup": {"connected_s": 0.4, "ready_s": 2.4, "warm_connected_s": 0.3, "warm_ready_s": 2.3,
                        "baseline_connected_s": 0.2, "baseline_ready_s": 2.2},
            "decks": {"questions": 15000, "load_seconds": 1.5, "problems": [], "decks": 100, "items": 50000,
                      "rss_before_mb": 50.0, "rss_mb": 99.0},
        },
    }
    lines = report.table(results).splitlines()
    graded = next(line for line in lines if "graded / sent" in line)
    assert "499 / 500" in graded and graded.rstrip().endswith("MISSED")  # one reaction lost is a miss
    assert next(line for line in lines if "load + validate" in line).rstrip().endswith("MISSED")  # 1.5 s > 1 s
    assert next(line for line in lines if "resident" in line).rstrip().endswith("ok")
    assert any("process start → ready" in line and "2.40 s" in line for line in lines)


def test_generated_decks_are_valid_and_as_large_as_asked(tmp_path: Path) -> None:
    questions = load_deck_dir(write_question_decks(tmp_path / "q", 2600))
    assert not questions.problems and sum(len(d.quiz) for d in questions.decks.values()) == 2600
    many = load_deck_dir(write_many_decks(tmp_path / "m", 4, 400))
    assert not many.problems and len(many.decks) == 4
    assert sum(d.item_count for d in many.decks.values()) == 400
    study = parse_deck(study_deck_yaml("bench-study", 7), deck_id="bench-study", source="test")
    assert len(study.cards) == 7 and study.quiz


def test_load_shapes() -> None:
    sizes = server_sizes(100_000, 10)
    assert sum(sizes) == 100_000 and sizes[0] == 30_000 and sizes == sorted(sizes, reverse=True)
    import random

    plan = reaction_plan(500, 100.0, 5, random.Random(1))
    assert len(plan) == 500 and plan == sorted(plan) and max(plan) < 105
    assert sum(1 for t in plan if t >= 104) >= 400  # most in the last second
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0 and percentile([1.0] * 99 + [50.0], 0.99) == 1.0
    assert Sizes.quick().phase_seconds < Sizes().phase_seconds


def test_json_output_is_machine_readable() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--phases", "decks", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    assert results["phases"]["decks"]["questions"] == Sizes.quick().deck_questions
    assert results["machine"]["cpus"] >= 1
