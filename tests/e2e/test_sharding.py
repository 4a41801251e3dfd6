"""Recall sharded, end to end: the real bot (discord.py's AutoShardedBot) against the emulator, four servers, two on
each of two shards.

One process running both shards works on SQLite; two processes splitting the shards need one shared database, so
those tests run on PostgreSQL (skipped, saying why, without a server). Most tests run the "processes" as RecallBot
instances in this test's process; the last ones run `python -m bot` as real processes (one of them killed with
SIGKILL). Each only ever receives its own servers' events, and work no member triggered (closing quiz rounds a
restart cut off, refiling months, loading server decks) touches only its own servers.
"""
from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import discord
import pytest

from bot.app import RecallBot, ShardedRecallBot
from bot.core.decks import Deck, load_deck_dir
from bot.core.quiz import LETTERS, PACING
from bot.core.shards import Shards
from bot.emulator import Emulator, FakeChannel, FakeGuild, FakeMember, FakeMessage
from bot.settings import Settings
from tests.conftest import REPO, SHIPPED_DECKS

DECK = "pytorch-lr-schedulers"
SERVERS = (("North", 0), ("East", 1), ("South", 0), ("West", 1))  # (name, shard of 2), interleaved


@dataclass
class Server:
    name: str
    shard_id: int
    guild: FakeGuild
    channel: FakeChannel
    alice: FakeMember
    bob: FakeMember


@dataclass
class Running:
    bot: RecallBot
    task: asyncio.Task[None]
    # The servers whose interactions and reactions reached this bot, as discord.py delivered them.
    heard: set[int] = field(default_factory=set)


@dataclass
class ShardWorld:
    """The emulator with four servers, and the Recall bots started against it (the shape of tests/conftest.World)."""

    emu: Emulator
    settings: Settings
    servers: list[Server]
    running: list[Running] = field(default_factory=list)

    def on_shard(self, shard_id: int) -> list[Server]:
        return [s for s in self.servers if s.shard_id == shard_id]

    def ids(self, servers: list[Server]) -> set[int]:
        return {s.guild.id for s in servers}

    async def start(self, **changes: Any) -> Running:
        settings = replace(self.settings, **changes)
        bot = RecallBot(settings, guild_ready_timeout=0.1, identify_pause=0)
        run = Running(bot, asyncio.create_task(bot.start(settings.token)))

        async def heard(event: Any) -> None:
            if event.guild_id is not None:
                run.heard.add(event.guild_id)

        bot.add_listener(heard, "on_interaction")
        bot.add_listener(heard, "on_raw_reaction_add")
        self.running.append(run)
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, run.task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if run.task in done:
            run.task.result()
        if ready not in done:
            ready.cancel()
            raise TimeoutError("the bot did not become ready within 15 s")
        return run

    async def stop(self, run: Running) -> None:
        await run.bot.close()
        await asyncio.wait({run.task}, timeout=10)
        if not run.task.done():
            run.task.cancel()
        await asyncio.gather(run.task, return_exceptions=True)
        self.running.remove(run)

    async def stop_all(self) -> None:
        for run in list(self.running):
            await self.stop(run)


@pytest.fixture
async def shard_world(tmp_path: Path, decks_dir: Path) -> AsyncIterator[ShardWorld]:
    async with Emulator(shard_count=2) as emu:
        servers = []
        for name, shard_id in SERVERS:
            guild = emu.add_guild(name, shard=(shard_id, 2))
            channel = emu.add_channel(guild, "general")
            servers.append(Server(name, shard_id, guild, channel, emu.add_member(guild, f"{name.lower()}-alice"),
                                  emu.add_member(guild, f"{name.lower()}-bob")))
        settings = Settings(token=emu.token, database_path=tmp_path / "data" / "recall.db", decks_dir=decks_dir,
                            api_base=emu.api_base, gateway_url=emu.gateway_url)
        world = ShardWorld(emu, settings, servers)
        try:
            yield world
        finally:
            await world.stop_all()


@pytest.fixture
def quick_quiz(monkeypatch: pytest.MonkeyPatch) -> None:
    """/quiz seconds=5 lasts 4 real seconds (members react right after the letters appear)."""
    monkeypatch.setattr(PACING, "time_scale", 4 / 5)
    monkeypatch.setattr(PACING, "edit_interval", 0.05)


@pytest.fixture
def long_quiz(monkeypatch: pytest.MonkeyPatch) -> None:
    """/quiz seconds=5 lasts 60 real seconds: rounds are cut off (a restart) or stopped (the Stop button) first."""
    monkeypatch.setattr(PACING, "time_scale", 60 / 5)
    monkeypatch.setattr(PACING, "edit_interval", 0.05)


def postgres_url() -> Any:
    """An async context manager yielding the URL of an empty schema of its own on the test server (skips the test,
    saying why, when the PostgreSQL backend or a server is missing)."""
    if importlib.util.find_spec("bot.store.postgres") is None or importlib.util.find_spec("tests.backends") is None:
        pytest.skip("several processes share one database only on PostgreSQL, and the PostgreSQL backend "
                    "(bot/store/postgres.py) is not in this checkout yet")
    from tests.backends import postgres_schema

    return postgres_schema()


# --- Members at work ------------------------------------------------------------------------------------------------


async def until(condition: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    """Poll until condition() is truthy; return its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := condition()):
        if loop.time() > deadline:
            raise asyncio.TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
    return value


def posts(emu: Emulator, server: Server, title_start: str) -> list[FakeMessage]:
    return [m for m in emu.messages(server.channel) if m.author_id == emu.bot_user.id and not m.ephemeral
            and m.embeds and str(m.embeds[0].get("title", "")).startswith(title_start)]


async def posted(emu: Emulator, server: Server, title_start: str) -> FakeMessage:
    return (await until(lambda: posts(emu, server, title_start), f"{title_start!r} in {server.name}"))[0]


async def study_one_card(emu: Emulator, server: Server, member: FakeMember) -> None:
    """/study, Reveal, Good: one review."""
    ix = await emu.slash(member, server.channel, "study", deck=DECK)
    card = await ix.wait_message()
    for label in ("Reveal", "Good"):
        button = next(b for b in card.buttons() if (b["label"] or "").startswith(label))
        await (await emu.click(member, card, custom_id=button["custom_id"])).wait_message()
    assert "Reveal" in [b["label"] for b in card.buttons()]  # the next card is up: the rating was taken


@lru_cache(maxsize=1)
def seed_deck() -> Deck:
    """The deck every bot here quizzes on (tests/conftest.py's decks_dir holds only this one)."""
    return load_deck_dir(SHIPPED_DECKS).decks[DECK]


async def open_question(emu: Emulator, server: Server, *, seconds: int = 5) -> tuple[FakeMessage, str, str]:
    """Start a one-question /quiz; its question once the bot's letters are on it, the right and a wrong letter."""
    ix = await emu.slash(server.alice, server.channel, "quiz", deck=DECK, questions=1, seconds=seconds)
    await ix.wait_ack()
    question = await posted(emu, server, "Question 1/1")
    choices = next(f for f in question.embeds[0]["fields"] if f["name"] == "Choices")["value"].split("\n")
    await until(lambda: all(emu.bot_user.id in question.reactions.get(e, []) for e in LETTERS[:len(choices)]),
                f"the letters on {server.name}'s question")
    text = question.embeds[0]["description"].split("\n\n")[0]
    asked = next(q for q in seed_deck().quiz if q.question == text)
    right = [c.split(" ", 1)[1] for c in choices].index(asked.answer)
    return question, LETTERS[right], LETTERS[(right + 1) % len(choices)]


async def answer(emu: Emulator, server: Server, question: FakeMessage, right: str, wrong: str) -> None:
    assert await emu.react(server.alice, question, right)
    assert await emu.react(server.bob, question, wrong)


async def play_quiz(emu: Emulator, server: Server) -> FakeMessage:
    """A one-question round: alice right, bob wrong; the scoreboard."""
    question, right, wrong = await open_question(emu, server)
    await answer(emu, server, question, right, wrong)
    return await posted(emu, server, "🏁 Quiz over")


async def leaderboard(emu: Emulator, server: Server) -> str:
    ix = await emu.slash(server.bob, server.channel, "leaderboard", board="points", period="all")
    return (await ix.wait_message()).text()


def mention(member: FakeMember) -> str:
    return f"<@{member.user.id}>"


async def per_server(bot: RecallBot, sql: str) -> dict[int, int]:
    """`SELECT guild_id, COUNT(*) … GROUP BY guild_id` as {guild: count}."""
    return {row[0]: row[1] for row in await bot.db.fetchall(sql)}


async def recovery_done(bot: RecallBot) -> None:
    """Wait until the start-up recovery of cut-off quiz rounds has gone through every running round."""
    quiz: Any = bot.get_cog("Quiz")
    assert quiz is not None and quiz._recovery is not None
    await asyncio.wait_for(asyncio.shield(quiz._recovery), 15)


async def statuses(bot: RecallBot) -> dict[int, str]:
    return {row[0]: row[1] for row in await bot.db.fetchall("SELECT guild_id, status FROM quiz_rounds")}


async def serve_everything(world: ShardWorld) -> None:
    """Members study, play a quiz and read the points board in all four servers."""
    emu = world.emu
    for server in world.servers:
        await study_one_card(emu, server, server.alice)
        await study_one_card(emu, server, server.bob)
    boards = await asyncio.gather(*(play_quiz(emu, s) for s in world.servers))
    for server, board in zip(world.servers, boards):
        assert f"🥇 {mention(server.alice)}" in board.text() and "1/1 correct" in board.text()
    for server in world.servers:
        text = await leaderboard(emu, server)
        others = [m for s in world.servers if s is not server for m in (s.alice, s.bob)]
        assert server.alice.user.global_name in text  # only alice scored
        assert not any(m.user.global_name in text for m in others)


async def check_rows(world: ShardWorld, bot: RecallBot) -> None:
    everywhere = {s.guild.id: 2 for s in world.servers}  # two members in each server
    assert await per_server(bot, "SELECT guild_id, COUNT(*) FROM reviews GROUP BY guild_id") == everywhere
    assert await per_server(bot, "SELECT guild_id, COUNT(*) FROM quiz_answers GROUP BY guild_id") == everywhere
    assert await per_server(bot, "SELECT guild_id, COUNT(*) FROM quiz_rounds WHERE status = 'finished' "
                                 "GROUP BY guild_id") == {s.guild.id: 1 for s in world.servers}
    assert await per_server(bot, "SELECT guild_id, COUNT(*) FROM streaks WHERE current = 1 GROUP BY guild_id") \
        == everywhere


# --- One process, both shards (SQLite) ------------------------------------------------------------------------------


async def test_one_process_runs_both_shards_on_sqlite(
    shard_world: ShardWorld, quick_quiz: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="recall")
    run = await shard_world.start(shard_count=2)
    bot = run.bot
    assert isinstance(bot, ShardedRecallBot) and isinstance(bot, discord.AutoShardedClient)
    assert bot.shards_run == Shards(2, (0, 1)) and sorted(bot.shards) == [0, 1]
    assert {g.id: g.shard_id for g in bot.guilds} == {s.guild.id: s.shard_id for s in shard_world.servers}

    await serve_everything(shard_world)
    await check_rows(shard_world, bot)
    assert run.heard == shard_world.ids(shard_world.servers)
    # Each shard's connection carried only the events of its own two servers.
    for shard_id in (0, 1):
        assert shard_world.emu.guilds_sent_to(shard_id) == shard_world.ids(shard_world.on_shard(shard_id))

    lines = [r.getMessage() for r in caplog.records if r.name == "recall"]
    assert "Recall runs shards 0-1 of 2 in this process" in lines
    assert any(line.startswith("Recall ready as Recall (shards 0-1 of 2): ") for line in lines)
    for shard_id in (0, 1):
        assert f"shard {shard_id} of 2: connected" in lines
        assert f"shard {shard_id} of 2: ready, 2 servers" in lines


async def test_without_shard_settings_recall_stays_one_unsharded_connection(tmp_path: Path, decks_dir: Path) -> None:
    async with Emulator() as emu:
        guild = emu.add_guild("Hall")
        channel = emu.add_channel(guild, "general")
        member = emu.add_member(guild, "alice")
        settings = Settings(token=emu.token, database_path=tmp_path / "recall.db", decks_dir=decks_dir,
                            api_base=emu.api_base, gateway_url=emu.gateway_url)
        world = ShardWorld(emu, settings, [Server("Hall", 0, guild, channel, member, member)])
        try:
            run = await world.start()
            assert type(run.bot) is RecallBot and not isinstance(run.bot, discord.AutoShardedClient)
            assert run.bot.shards_run is None and run.bot.owns_guild(guild.id)
            assert emu.gateway.sent and all(shard is None for shard, _, _ in emu.gateway.sent)  # no shard in IDENTIFY
            assert not any(c.path == "/gateway/bot" for c in emu.rest_calls)
        finally:
            await world.stop_all()


async def test_shard_count_auto_takes_discords_recommendation_before_start_up_work(shard_world: ShardWorld) -> None:
    run = await shard_world.start(shard_count="auto")
    assert run.bot.shards_run == Shards(2, (0, 1)) and sorted(run.bot.shards) == [0, 1]
    assert [c.path for c in shard_world.emu.rest_calls].count("/gateway/bot") == 1


async def test_a_quiz_left_open_on_another_shard_is_not_closed_by_this_process(
    shard_world: ShardWorld, long_quiz: None
) -> None:
    emu = shard_world.emu
    north, east = shard_world.servers[0], shard_world.servers[1]  # shard 0, shard 1
    first = await shard_world.start(shard_count=2)
    asked = {}
    for server in (north, east):
        question, right, wrong = await open_question(emu, server)
        await answer(emu, server, question, right, wrong)
        asked[server.name] = question
    await shard_world.stop(first)  # both rounds cut off mid-question
    # One shard at a time on the same file: settings refuse this split on SQLite for two processes at once, but it
    # is only ever one process here.
    shard0 = await shard_world.start(shard_count=2, shard_ids=(0,))
    await recovery_done(shard0.bot)
    assert "interrupted by a restart" in (await posted(emu, north, "🏁 Quiz over")).text()
    assert await statuses(shard0.bot) == {north.guild.id: "interrupted", east.guild.id: "running"}
    assert posts(emu, east, "Question 1/1: the answer") == [] and posts(emu, east, "🏁 Quiz over") == []
    await shard_world.stop(shard0)

    shard1 = await shard_world.start(shard_count=2, shard_ids=(1,))
    await recovery_done(shard1.bot)
    board = await posted(emu, east, "🏁 Quiz over")
    assert "interrupted by a restart" in board.text() and f"🥇 {mention(east.alice)}" in board.text()
    assert await statuses(shard1.bot) == {north.guild.id: "interrupted", east.guild.id: "interrupted"}
    assert len(posts(emu, north, "🏁 Quiz over")) == 1  # north's round was closed once, by shard 0
    assert await per_server(shard1.bot, "SELECT guild_id, COUNT(*) FROM quiz_answers GROUP BY guild_id") == {
        north.guild.id: 2, east.guild.id: 2}


async def test_start_up_work_touches_only_this_processs_servers(shard_world: ShardWorld) -> None:
    """Month refiles and server decks of the other shard's servers are left to that shard's process."""
    first = await shard_world.start(shard_count=2)
    deck_text = (shard_world.settings.decks_dir / f"{DECK}.yaml").read_text()

    async def seed(conn: Any) -> None:
        for server in shard_world.servers:
            # A timezone set before month totals existed (no month starts yet), and an uploaded deck.
            await conn.execute("INSERT INTO guild_settings (guild_id, timezone) VALUES (?, 'Europe/Paris')",
                               (server.guild.id,))
            await conn.execute(
                "INSERT INTO server_decks (guild_id, deck_id, title, yaml_text, source_format, source_name, "
                "item_count, uploaded_by, uploaded_at) VALUES (?, 'club', 'Club deck', ?, 'yaml', 'club.yaml', 1, ?, "
                "'2025-01-01T00:00:00.000000+00:00')", (server.guild.id, deck_text, server.alice.user.id))

    await first.bot.db.atomic(seed)
    await shard_world.stop(first)

    shard1 = await shard_world.start(shard_count=2, shard_ids=(1,))
    refiled = {row[0] for row in await shard1.bot.db.fetchall("SELECT DISTINCT guild_id FROM board_month_starts")}
    assert refiled == shard_world.ids(shard_world.on_shard(1))
    with_club = {s.guild.id for s in shard_world.servers if "club" in shard1.bot.decks.server_decks(s.guild.id)}
    assert with_club == shard_world.ids(shard_world.on_shard(1))
    await shard_world.stop(shard1)

    shard0 = await shard_world.start(shard_count=2, shard_ids=(0,))
    refiled = {row[0] for row in await shard0.bot.db.fetchall("SELECT DISTINCT guild_id FROM board_month_starts")}
    assert refiled == shard_world.ids(shard_world.servers)  # shard 0's process refiled its own two as well


# --- Two processes, one shard each (PostgreSQL) ---------------------------------------------------------------------


async def test_two_processes_split_the_shards_over_one_postgres_database(
    shard_world: ShardWorld, quick_quiz: None
) -> None:
    async with postgres_url() as url:
        on_pg = {"database_url": url, "database_pool_size": 4, "shard_count": 2}
        first = await shard_world.start(**on_pg, shard_ids=(0,))
        second = await shard_world.start(**on_pg, shard_ids=(1,))
        for run, shard_id in ((first, 0), (second, 1)):
            assert run.bot.shards_run == Shards(2, (shard_id,))
            assert {g.id for g in run.bot.guilds} == shard_world.ids(shard_world.on_shard(shard_id))

        await serve_everything(shard_world)
        await check_rows(shard_world, first.bot)
        # Each process only ever received its own servers' events.
        for run, shard_id in ((first, 0), (second, 1)):
            own = shard_world.ids(shard_world.on_shard(shard_id))
            assert run.heard == own
            assert shard_world.emu.guilds_sent_to(shard_id) == own
        await shard_world.stop_all()


async def test_a_restarted_process_closes_its_own_round_and_leaves_the_others_live_one(
    shard_world: ShardWorld, long_quiz: None
) -> None:
    emu = shard_world.emu
    north, east, south = shard_world.servers[0], shard_world.servers[1], shard_world.servers[2]
    async with postgres_url() as url:
        on_pg = {"database_url": url, "database_pool_size": 4, "shard_count": 2}
        first = await shard_world.start(**on_pg, shard_ids=(0,))
        second = await shard_world.start(**on_pg, shard_ids=(1,))
        live, right, wrong = await open_question(emu, north)
        await answer(emu, north, live, right, wrong)
        cut, right_e, wrong_e = await open_question(emu, east)
        await answer(emu, east, cut, right_e, wrong_e)

        await shard_world.stop(second)  # east's process goes away mid-question…
        await study_one_card(emu, south, south.alice)  # (the other process's servers keep working meanwhile)
        second = await shard_world.start(**on_pg, shard_ids=(1,))  # …and comes back
        await recovery_done(second.bot)
        board = await posted(emu, east, "🏁 Quiz over")
        assert "interrupted by a restart" in board.text() and f"🥇 {mention(east.alice)}" in board.text()
        # North's round is live in the first process all along: the restarted one did not touch it.
        assert await statuses(second.bot) == {north.guild.id: "running", east.guild.id: "interrupted"}
        assert posts(emu, north, "Question 1/1: the answer") == [] and posts(emu, north, "🏁 Quiz over") == []
        quiz: Any = first.bot.get_cog("Quiz")
        assert [s.record.guild_id for s in quiz.sessions.values()] == [north.guild.id]

        # Its own process closes it when that one restarts in turn: each round closed once, every answer kept.
        await shard_world.stop(first)
        first = await shard_world.start(**on_pg, shard_ids=(0,))
        await recovery_done(first.bot)
        board = await posted(emu, north, "🏁 Quiz over")
        assert "interrupted by a restart" in board.text() and f"🥇 {mention(north.alice)}" in board.text()
        assert await statuses(first.bot) == {north.guild.id: "interrupted", east.guild.id: "interrupted"}
        assert [len(posts(emu, s, "🏁 Quiz over")) for s in (north, east)] == [1, 1]
        assert await per_server(first.bot, "SELECT guild_id, COUNT(*) FROM quiz_answers GROUP BY guild_id") == {
            north.guild.id: 2, east.guild.id: 2}
        assert await per_server(first.bot, "SELECT guild_id, COUNT(*) FROM reviews GROUP BY guild_id") == {
            south.guild.id: 1}
        await shard_world.stop_all()


# --- Real processes: python -m bot ------------------------------------------------------------------------------------


class BotProcess:
    """`python -m bot run` as its own process against the emulator in this one; its log lines kept as they come."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, name: str, env: dict[str, str], cwd: Path) -> BotProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        return cls(name, process)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def log(self) -> str:
        return "\n".join(self.lines[-60:])

    async def wait_for(self, fragment: str, timeout: float = 30) -> str:
        """The first log line containing `fragment`; fails with the log if the process ends or never says it."""
        def found() -> str | None:
            line = next((line for line in self.lines if fragment in line), None)
            if line is None and self.process.returncode is not None:
                pytest.fail(f"{self.name} exited ({self.process.returncode}) before saying {fragment!r}:\n{self.log()}")
            return line

        try:
            return await until(found, f"{self.name} to log {fragment!r}", timeout)
        except asyncio.TimeoutError:
            pytest.fail(f"{self.name} never logged {fragment!r}:\n{self.log()}")

    async def exit_code(self, timeout: float = 30) -> int:
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except asyncio.TimeoutError:
            await self.kill()
            pytest.fail(f"{self.name} kept running instead of stopping:\n{self.log()}")
        await self._reader
        return code

    async def kill(self) -> None:
        """kill -9: no goodbye to Discord, no clean close of anything."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        await self._reader

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.exit_code()


def process_env(emu: Emulator, tmp_path: Path, decks_dir: Path, **settings: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith(("DISCORD_", "DATABASE_", "DEV_GUILD", "SHARD_"))}
    return {
        **inherited,
        "PYTHONPATH": str(REPO),
        "LOG_LEVEL": "INFO",
        "DISCORD_TOKEN": emu.token,
        "DISCORD_API_BASE": emu.api_base,
        "DISCORD_GATEWAY_URL": emu.gateway_url,
        "DATABASE_PATH": str(tmp_path / "data" / "recall.db"),
        "DECKS_DIR": str(decks_dir),
        **settings,
    }


async def refused(emu: Emulator, tmp_path: Path, decks_dir: Path, **settings: str) -> str:
    """Run `python -m bot` expecting it to stop with exit code 2 and one error line, no traceback: that line."""
    process = await BotProcess.start("recall", process_env(emu, tmp_path, decks_dir, **settings), tmp_path)
    code = await process.exit_code()
    text = process.log()
    errors = [line for line in process.lines if line.startswith("error:")]
    assert code == 2 and "Traceback" not in text and len(errors) == 1 and process.lines[-1] == errors[0], text
    return errors[0]


async def test_python_m_bot_refuses_shard_settings_discord_or_sqlite_cannot_serve(
    shard_world: ShardWorld, tmp_path: Path, decks_dir: Path
) -> None:
    emu = shard_world.emu  # expects two shards
    line = await refused(emu, tmp_path, decks_dir, SHARD_COUNT="2", SHARD_IDS="1")
    assert line == ("error: SHARD_IDS=1 runs 1 of the 2 shards, but several processes cannot share one SQLite file: "
                    "set DATABASE_URL to PostgreSQL, or run every shard in this process (leave SHARD_IDS out).")
    assert emu.connections == 0 and not emu.rest_calls  # refused before anything went online

    line = await refused(emu, tmp_path, decks_dir)  # unsharded, where Discord wants two shards
    assert line.startswith("error: SHARD_COUNT: Discord requires this bot to shard (gateway close 4011")
    line = await refused(emu, tmp_path, decks_dir, SHARD_COUNT="1")  # a count Discord refuses
    assert line.startswith("error: SHARD_COUNT=1, SHARD_IDS=all: Discord refused these shards (gateway close 4010")
    assert emu.connections == 0  # no IDENTIFY was accepted


async def test_two_processes_on_postgres_survive_a_kill_9_mid_quiz(
    shard_world: ShardWorld, tmp_path: Path, decks_dir: Path
) -> None:
    """The issue's scenario: two `python -m bot` processes (SHARD_IDS=0 and 1 of SHARD_COUNT=2) on one PostgreSQL
    database. Members study, quiz and read boards in all four servers; each process only ever receives its own
    servers' events. One process is killed with SIGKILL in the middle of a quiz; the other's servers keep working
    throughout; the killed one restarts, grades the interrupted question from its reactions and closes the round;
    no review, answer or streak day is lost or doubled."""
    import asyncpg

    emu = shard_world.emu
    north, east, south, west = shard_world.servers  # shards 0, 1, 0, 1
    carol = emu.add_member(east.guild, "east-carol")
    async with postgres_url() as url:
        def env(shard_ids: str) -> dict[str, str]:
            return process_env(emu, tmp_path, decks_dir, DATABASE_URL=url, SHARD_COUNT="2", SHARD_IDS=shard_ids)

        first = await BotProcess.start("the shard 0 process", env("0"), tmp_path)
        await first.wait_for("Recall ready as")
        second = await BotProcess.start("the shard 1 process", env("1"), tmp_path)
        await second.wait_for("Recall ready as")
        database = await asyncpg.connect(url)
        try:
            async def count(sql: str) -> dict[int, int]:
                return {row[0]: row[1] for row in await database.fetch(sql)}

            # Everyone studies one card; the shard 1 process's round in East is then cut off by a kill -9.
            for server in shard_world.servers:
                await study_one_card(emu, server, server.alice)
            question, right, wrong = await open_question(emu, east, seconds=120)
            await answer(emu, east, question, right, wrong)
            answers = "SELECT guild_id, COUNT(*) FROM quiz_answers GROUP BY guild_id"
            while (await count(answers)).get(east.guild.id, 0) < 2:  # both answers stored before the kill
                await asyncio.sleep(0.02)
            await second.kill()
            assert await emu.react(carol, question, right)  # while its process is dead: found on the message later

            # The shard 0 process's servers keep working throughout.
            for server in (north, south):
                await study_one_card(emu, server, server.bob)
            board = await play_quiz(emu, north)
            assert f"🥇 {mention(north.alice)}" in board.text()
            assert north.alice.user.global_name in await leaderboard(emu, north)

            second = await BotProcess.start("the restarted shard 1 process", env("1"), tmp_path)
            await second.wait_for("Recall ready as")
            board = await posted(emu, east, "🏁 Quiz over")
            assert "interrupted by a restart" in board.text()
            reveal = (await posted(emu, east, "Question 1/1: the answer")).text()
            assert f"{mention(east.alice)} **+" in reveal and f"{mention(carol)} **+500**" in reveal  # carol at t = T
            assert f"{mention(east.bob)} chose {wrong}" in reveal
            for server in (east, west):
                await study_one_card(emu, server, server.bob)
            assert east.alice.user.global_name in await leaderboard(emu, east)

            # Counted in the database: every action once.
            everyone = {s.guild.id: 2 for s in shard_world.servers}
            assert await count("SELECT guild_id, COUNT(*) FROM reviews GROUP BY guild_id") == everyone
            assert await count(answers) == {north.guild.id: 2, east.guild.id: 3}
            assert await count("SELECT guild_id, COUNT(*) FROM quiz_rounds GROUP BY guild_id") == {
                north.guild.id: 1, east.guild.id: 1}
            statuses = {row[0]: row[1] for row in await database.fetch("SELECT guild_id, status FROM quiz_rounds")}
            assert statuses == {north.guild.id: "finished", east.guild.id: "interrupted"}
            activity = {s.guild.id: 2 for s in shard_world.servers} | {north.guild.id: 4, east.guild.id: 5}
            assert await count("SELECT guild_id, COUNT(*) FROM activity GROUP BY guild_id") == activity
            members = {s.guild.id: 2 for s in shard_world.servers} | {east.guild.id: 3}
            assert await count("SELECT guild_id, COUNT(*) FROM streaks WHERE current = 1 GROUP BY guild_id") == members
            assert await count("SELECT guild_id, COUNT(*) FROM streaks GROUP BY guild_id") == members
        finally:
            await database.close()
            codes = [await process.stop() for process in (first, second)]
        assert codes == [0, 0], first.log() + "\n" + second.log()
        for process in (first, second):
            assert "Traceback" not in process.log(), process.log()
        # Each process only ever received its own servers' events (the killed one's session too).
        for shard_id in (0, 1):
            assert emu.guilds_sent_to(shard_id) == shard_world.ids(shard_world.on_shard(shard_id))
        assert any("shard 1 of 2: ready, 2 servers" in line for line in second.lines)
