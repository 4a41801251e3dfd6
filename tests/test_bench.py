"""The benchmark runs end to end at a tiny size and prints its table. No timing is asserted: machines are noisy."""
from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from bench import report
from bench.backends import SCHEMA_PREFIX, URL_VARIABLE, Backend, Target, with_search_path
from bench.boards import Population, seed_rows, server_sizes
from bench.common import Sizes, percentile, study_deck_yaml
from bench.decks import write_many_decks, write_question_decks
from bench.memory import Learner, band_of, load_balancer_off, spread, true_parameters
from bench.pg_seed import KNOWN_TRIGGERS, seed_postgres
from bench.quiz import reaction_plan
from bench.reminders import EXTRAPOLATE_TO, ReminderSizes, extrapolated, pace
from bench.run import chosen_phases
from bot.core import scheduling
from bot.core.decks import load_deck_dir, parse_deck
from bot.core.memory import DEFAULT_PARAMETERS, checked_parameters
from bot.emulator import Emulator, GlobalRateLimit
from tests.backends import require_postgres

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


def test_saved_results_print_as_a_table_again(tmp_path: Path) -> None:
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps({
        "machine": {"cpus": 2, "cpu_model": "Test CPU", "python": "3.11", "sqlite": "3.40", "load_average": [0.1]},
        "seconds": 1.0,
        "phases": {"quiz": {"sent": 500, "graded": 500, "results_after_close_s": 0.02}},
    }))
    done = subprocess.run([sys.executable, "-m", "bench", "--report", str(saved), "--markdown"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| quiz crowd | reactions graded / sent | 500 / 500 |  | all | ok |" in done.stdout


# --- PostgreSQL -------------------------------------------------------------------------------------------------

TOTAL_TABLES = {
    "board_totals": "guild_id, user_id, deck_id",
    "board_member_totals": "guild_id, user_id",
    "board_months": "guild_id, month, user_id, deck_id",
    "board_member_months": "guild_id, month, user_id",
}


async def _bench_schemas(url: str) -> set[str]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", SCHEMA_PREFIX + "%")
        return {row[0] for row in rows}
    finally:
        await conn.close()


def test_quick_postgres_run_prints_labelled_figures() -> None:
    url = require_postgres()
    before = asyncio.run(_bench_schemas(url))
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--backend", "postgres", "--only", "recall",
         "--phases", "study,quiz,boards,sharded", "--postgres-url", url],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    assert [part.strip() for part in table.splitlines()[0].split("|")][:4] == [
        "phase", "metric", "Recall · PostgreSQL", "baseline"]
    for metric in ("interactions/s (best run)", "p99 latency", "database server CPU per interaction",
                   "close → results message", "points · all p50 / p99", "streak p50 / p99",
                   "2 bots (separate processes), flat-out interactions/s together", "… each bot: p99 time in line"):
        assert cells(table, metric)[2] not in ("", "-"), f"no figure for {metric!r}:\n{table}"
    assert cells(table, "Recall / baseline")[4] == "≥ 0.6"  # PostgreSQL's target, not SQLite's
    assert cells(table, "failed / unanswered / refused")[2] == "0 / 0 / 0"
    graded, sent = cells(table, "reactions graded / sent")[2].split(" / ")
    assert graded == sent == str(Sizes.quick().quiz_members)
    # Nothing failed in the two sharded processes, and each received only the events of its own server.
    assert cells(table, "failed or unanswered; each bot got only its server's events")[2] == "0; yes"
    assert "PostgreSQL 15" in table or "PostgreSQL 1" in table
    assert asyncio.run(_bench_schemas(url)) <= before  # every schema the run made is dropped


def test_unreachable_postgres_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--backend", "postgres", "--phases", "boards",
         "--postgres-url", "postgresql://nobody:secret@127.0.0.1:1/none"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and not done.stdout
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1 and "PostgreSQL at postgresql://nobody:***@127.0.0.1:1/none" in line
    assert "secret" not in line and URL_VARIABLE in line


def test_phases_per_backend() -> None:
    assert chosen_phases(None, "sqlite") == ("study", "quiz", "boards", "decks", "startup", "imports", "memory")
    assert chosen_phases(None, "postgres") == ("study", "quiz", "boards", "sharded", "memory")
    assert "sharded" in chosen_phases(None, "both")
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        chosen_phases("study,sharded", "sqlite")
    with pytest.raises(ValueError, match="unknown phases: nope"):
        chosen_phases("study,nope", "postgres")


def test_targets_point_the_bot_at_their_database(tmp_path: Path) -> None:
    url = with_search_path("postgresql://u:pw@db:5432/recall?sslmode=disable&search_path=old", "recall_bench_1")
    assert url == "postgresql://u:pw@db:5432/recall?sslmode=disable&search_path=recall_bench_1"
    postgres = Target("postgres", tmp_path / "x.db", url)
    assert postgres.env() == {"DATABASE_PATH": str(tmp_path / "x.db"), "DATABASE_URL": url}
    assert postgres.settings().database_url == url
    assert Target("sqlite", tmp_path / "x.db").env() == {"DATABASE_PATH": str(tmp_path / "x.db")}


def test_a_failed_phase_drops_its_postgres_schema(tmp_path: Path) -> None:
    url = require_postgres()
    backend = Backend.postgres(url)

    async def fail_inside() -> str:
        async with backend.target(tmp_path, "doomed") as target:
            assert target.url is not None
            schema = target.url.rsplit("search_path=", 1)[1]
            assert await target.rows("SELECT current_schema()") == [(schema,)]  # the bot's connections land there
            raise RuntimeError(schema)
        raise AssertionError("unreachable")

    with pytest.raises(RuntimeError) as failed:
        asyncio.run(fail_inside())
    assert failed.value.args[0].startswith(SCHEMA_PREFIX)
    assert failed.value.args[0] not in asyncio.run(_bench_schemas(url)) and not backend.schemas


async def _totals(target: Target) -> dict[str, list[tuple]]:
    return {table: await target.rows(f"SELECT * FROM {table} ORDER BY {key}") for table, key in TOTAL_TABLES.items()}


async def _seed_both_ways(tmp_path: Path, url: str) -> tuple[dict, dict]:
    """The board totals after the bench's fast seeding, and after inserting the same rows one by one (the
    triggers keeping the totals, as in a running bot)."""
    from bot.store.open import open_database

    backend = Backend.postgres(url)
    now = datetime(2024, 5, 3, 12, 0, tzinfo=timezone.utc)

    def rows() -> dict:
        return seed_rows(Population(120, 3), 1_500, now, random.Random(3))

    async with backend.target(tmp_path, "fast") as fast, backend.target(tmp_path, "slow") as slow:
        from bench.boards import COLUMNS

        await seed_postgres(fast, {t: (COLUMNS[t], generated) for t, generated in rows().items()})
        db = await open_database(slow.settings())
        try:
            async with db.pool.acquire() as conn:
                for table, generated in rows().items():
                    columns = COLUMNS[table]
                    marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
                    await conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                           list(generated))
        finally:
            await db.close()
        (triggers,), = await fast.rows(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled = 'O' AND c.relnamespace = current_schema()::regnamespace")
        assert triggers == sum(len(names) for names in KNOWN_TRIGGERS.values())  # switched back on
        return await _totals(fast), await _totals(slow)


def test_postgres_seeding_fills_the_totals_the_triggers_would_keep(tmp_path: Path) -> None:
    url = require_postgres()
    fast, slow = asyncio.run(_seed_both_ways(tmp_path, url))
    assert all(fast[table] for table in TOTAL_TABLES)
    assert fast == slow


def test_side_by_side_table_merges_the_backends() -> None:
    def study(per_second: float, ratio: float) -> dict:
        recall = {"flat_per_second": per_second, "paced_p99_ms": 5.0, "failed": 0, "timeouts": 0, "refusals": 0}
        return {"summary": {"recall": recall, "baseline": {"flat_per_second": 2000.0}, "ratio": ratio}}

    sharded = {"processes": 2, "in_process": False, "each_got_only_its_server": True,
               "flat": {"per_second": 1500.0, "failed": 0, "server_cpu": 0.5, "processes": [
                   {"per_second": 800.0, "p99_ms": 40.0, "bot_cpu": 0.6},
                   {"per_second": 700.0, "p99_ms": 45.0, "bot_cpu": 0.6}]},
               "paced": {"failed": 0, "processes": [{"p99_ms": 8.0, "offered_rate": 200.0},
                                                    {"p99_ms": 60.0, "offered_rate": 200.0}]}}
    results = {
        "machine": {"cpus": 2, "cpu_model": "Test CPU", "python": "3.11", "sqlite": "3.40", "postgres": "15.2",
                    "load_average": [0.1]},
        "seconds": 1.0,
        "phases": {"study": study(1500.0, 0.75), "decks": {"questions": 10, "load_seconds": 0.1, "problems": [],
                                                             "decks": 1, "items": 10, "rss_before_mb": 1.0,
                                                             "rss_mb": 2.0}},
        "postgres": {"server": "postgresql://postgres@db:5432/test",
                     "phases": {"study": study(1300.0, 0.65), "sharded": sharded}},
    }
    text = report.table(results)
    lines = text.splitlines()
    assert [c.strip() for c in lines[0].split("|")][:5] == [
        "phase", "metric", "Recall · SQLite", "Recall · PostgreSQL", "baseline"]
    ratio = cells(text, "Recall / baseline")
    assert ratio[2:4] == ["0.75", "0.65"] and ratio[5] == "SQLite ≥ 0.7 · PostgreSQL ≥ 0.6" and ratio[6] == "ok"
    assert cells(text, "interactions/s (best run)")[4] == "2,000"  # one baseline for both
    decks = cells(text, "load + validate 10 questions")
    assert decks[2] == "0.10 s" and decks[3] == ""  # no database: SQLite's column only
    paced = cells(text, "paced p99, each bot (400/s offered together)")
    assert paced[3] == "8.00 ms / 60.0 ms" and paced[6] == "MISSED"  # one bot over 50 ms misses
    assert lines.index(next(line for line in lines if line.startswith("sharded"))) > lines.index(
        next(line for line in lines if "failed / unanswered" in line))
    assert "PostgreSQL 15.2 at postgresql://postgres@db:5432/test" in text
    assert report.markdown(results).splitlines()[0].count("|") == 8


# --- Memory models ---------------------------------------------------------------------------------------------------


def test_quick_memory_phase_prints_its_rows_and_band_table() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--phases", "memory"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    worst = cells(table, "worst learner: RMSE(bins) fitted / defaults, log loss change")[2]
    assert worst.endswith(" reviews)") and "(learner " in worst
    seconds = cells(table, "fit time per 10,000 reviews (median of 3)")[2].split(" s (")[0]
    assert float(seconds) >= 0
    paced = cells(table, "paced ratings p50 / p99 while fits run")[2]
    fits = int(paced.split(" fits)")[0].rsplit(" ", 1)[1])
    assert fits > 0, paced  # the fits really ran beside the paced ratings
    assert "| reviews (first days) | learners |" in table and "| < 400 | 2 | " in table


def test_true_parameters_are_valid_and_away_from_the_defaults() -> None:
    rng = random.Random(3)
    drawn = [true_parameters(rng) for _ in range(20)]
    for params in drawn:
        assert checked_parameters(list(params)) == params
        assert all(low <= p <= high for p, low, high in zip(params, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS))
    assert all(params != DEFAULT_PARAMETERS for params in drawn)
    assert len(set(drawn)) == 20


def test_learner_recalls_with_the_true_models_probability() -> None:
    learner = Learner(1, 1, None, DEFAULT_PARAMETERS, 5)
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    learner.histories["c"] = [(3, start)]
    # FSRS-6's defaults give a card first rated Good a stability of about 2.3 days: 91% recall after 2 days, 60%
    # after 60 (2,000 draws: a standard error near 0.011).
    for days, expected in ((2, 0.909), (60, 0.603)):
        answers = [learner.answer("c", start + timedelta(days=days)) for _ in range(2000)]
        assert abs(sum(r > 1 for r in answers) / 2000 - expected) < 0.04


def test_bands_split_at_the_member_threshold_and_the_load_balancer_patch_is_undone() -> None:
    assert [band_of(n) for n in (0, 399, 400, 999, 1000, 5000)] == [
        "< 400", "< 400", "400–999", "400–999", "≥ 1,000", "≥ 1,000"]
    review = scheduling.review
    with load_balancer_off():
        assert scheduling.review is not review
    assert scheduling.review is review


def test_spread_measures_unevenness_not_growth() -> None:
    assert spread(list(range(90))) == {"std": 0.0, "max_over_mean": 1.0}  # a workload growing evenly is even
    uneven = spread([20] * 45 + [30, 10] * 22 + [20])
    assert uneven["std"] > 9 and uneven["max_over_mean"] > 1.4


# --- Reminders -------------------------------------------------------------------------------------------------------


def test_quick_reminders_phase_delivers_every_dm_and_prints_its_rows() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--phases", "reminders"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    members = ReminderSizes.quick().members
    delivered = cells(table, f"DMs delivered / owed ({members:,} members, one minute)")
    assert delivered[2] == f"{members} / {members}" and delivered[-1] == "ok"
    # The first reminders of each member: the member check, opening the DM and the message.
    assert cells(table, "requests per reminder (member check / DM open / message)")[2] == (
        f"3.0 ({members} / {members} / {members})")
    assert cells(table, "429s received")[2] == "0"  # the sender stays under the global limit
    first, last = cells(table, "minute → first / last DM")[2].split(" (")[0].split(" / ")
    assert float(first.removesuffix(" s")) <= float(last.removesuffix(" s"))
    assert float(cells(table, f"minute → last DM, {EXTRAPOLATE_TO:,} members (EXTRAPOLATED)")[2].removesuffix(" s")) > 0
    paced = cells(table, "study paced p50 / p99 while sending")[2]
    assert "alone " in paced and paced.endswith(", 0 failed)") and not paced.startswith("-")


def test_extrapolation_keeps_the_measured_rate() -> None:
    assert extrapolated(first_s=1.0, last_s=3.0, sent=3, target=5) == 5.0  # one DM a second after the first
    assert extrapolated(first_s=1.0, last_s=1.0, sent=1, target=5) is None
    counts = {"messages": 3, "first_s": 1.0, "last_s": 3.0, "requests": 9}
    assert pace(counts, members=3) == {"requests_per_reminder": 3.0, "reminders_per_second": 1.0,
                                       "extrapolated_to": EXTRAPOLATE_TO, "extrapolated_last_s": 10_000.0}
    assert pace(counts, members=EXTRAPOLATE_TO)["extrapolated_last_s"] is None


def test_global_rate_limit_is_a_sliding_second_of_passed_requests() -> None:
    limit = GlobalRateLimit(3)
    assert [limit.retry_after(t) for t in (0.0, 0.1, 0.2)] == [None, None, None]
    assert limit.retry_after(0.3) == pytest.approx(0.7)
    assert limit.retry_after(0.5) == pytest.approx(0.5)  # refused requests do not count
    assert limit.retry_after(1.0) is None  # the request at 0.0 left the window
    assert limit.retry_after(1.05) == pytest.approx(0.05)
    with pytest.raises(ValueError):
        GlobalRateLimit(0)


async def _limited_emulator_calls() -> tuple[list[int], dict, dict[str, str], list[int], int]:
    import aiohttp
    import discord

    async with Emulator() as emu:
        emu.global_limit = GlobalRateLimit(5)
        headers = {"Authorization": f"Bot {emu.token}"}
        async with aiohttp.ClientSession(emu.base_url) as http:
            statuses = []
            for _ in range(6):
                async with http.get("/api/v10/users/@me", headers=headers) as resp:
                    statuses.append(resp.status)
                    body, limited_headers = await resp.json(), dict(resp.headers)
            # Interaction endpoints are not bound by the global limit: an unknown token, not a 429.
            async with http.post("/api/v10/webhooks/1/nope", json={"content": "x"}) as resp:
                exempt = resp.status
        # discord.py waits out retry_after and retries: every call succeeds, some only after a 429.
        client = discord.http.HTTPClient(asyncio.get_running_loop())
        base = discord.http.Route.BASE
        discord.http.Route.BASE = emu.api_base
        try:
            await client.static_login(emu.token)
            before = len(emu.rest_calls)
            users = await asyncio.gather(*(client.get_user(emu.bot_user.id) for _ in range(12)))
            refused = sum(1 for call in emu.rest_calls[before:] if call.status == 429)
        finally:
            discord.http.Route.BASE = base
            await client.close()
        return statuses, body, limited_headers, [int(u["id"]) for u in users] + [exempt], refused


def test_emulator_global_limit_answers_like_discord_and_discord_py_retries() -> None:
    statuses, body, headers, results, refused = asyncio.run(_limited_emulator_calls())
    assert statuses == [200] * 5 + [429]
    assert body["global"] is True and 0 < body["retry_after"] <= 1
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global" and headers["Via"]
    *user_ids, exempt = results
    assert len(user_ids) == 12 and len(set(user_ids)) == 1 and exempt != 429
    assert refused > 0
