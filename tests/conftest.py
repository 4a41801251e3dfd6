"""Shared fixtures: a local Discord emulator and the real Recall bot connected to it."""
from __future__ import annotations

import asyncio
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from tests.backends import BACKENDS, database_settings

REPO = Path(__file__).resolve().parent.parent
SHIPPED_DECKS = REPO / "decks"
SEED_DECK = "pytorch-lr-schedulers.yaml"


_skipped_postgres: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "postgres" in report.nodeid:
        _skipped_postgres.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # RECALL_REQUIRE_POSTGRES=1 (CI): a PostgreSQL test that skipped for any reason fails the run.
    if _skipped_postgres and os.environ.get("RECALL_REQUIRE_POSTGRES") == "1":
        print(f"\nRECALL_REQUIRE_POSTGRES=1 but {len(_skipped_postgres)} PostgreSQL tests were skipped, e.g. "
              f"{_skipped_postgres[0]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on: every store, service and end-to-end test runs on both (tests/backends.py)."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _seeded_random() -> None:
    # fsrs fuzzing and quiz shuffles use the global random: seed it so failures reproduce.
    random.seed(1234)


@pytest.fixture
def decks_dir(tmp_path: Path) -> Path:
    """The bot's decks folder in end-to-end tests: the seed deck only, so tests do not shift as decks are added.

    A test module that needs every shipped deck overrides this fixture with `all_shipped_decks(tmp_path)`.
    """
    target = tmp_path / "decks"
    target.mkdir()
    shutil.copy(SHIPPED_DECKS / SEED_DECK, target / SEED_DECK)
    return target


def all_shipped_decks(tmp_path: Path) -> Path:
    target = tmp_path / "decks"
    target.mkdir(exist_ok=True)
    for deck in SHIPPED_DECKS.glob("*.yaml"):
        shutil.copy(deck, target / deck.name)
    return target


@dataclass
class World:
    """An emulator with one server, a channel and members, plus the running bot (restartable)."""

    emu: Any
    settings: Any
    guild: Any
    channel: Any
    alice: Any
    bob: Any
    carol: Any
    admin: Any
    bot: Any = None
    _task: asyncio.Task | None = None
    extra: dict = field(default_factory=dict)

    async def start_bot(self) -> Any:
        from bot.app import RecallBot

        self.bot = RecallBot(self.settings, guild_ready_timeout=0.1)
        self._task = asyncio.create_task(self.bot.start(self.settings.token))
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            self._task.result()
        if ready not in done:
            ready.cancel()
            raise TimeoutError("the bot did not become ready within 15 s")
        return self.bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.close()
            if self._task is not None:
                await asyncio.wait({self._task}, timeout=10)
                if not self._task.done():
                    self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        self.bot = None
        self._task = None

    async def restart_bot(self) -> Any:
        await self.stop_bot()
        return await self.start_bot()


@pytest.fixture
async def world(tmp_path: Path, decks_dir: Path, backend: str) -> AsyncIterator[World]:
    from bot.emulator import Emulator
    from bot.settings import Settings

    async with Emulator() as emu, database_settings(backend, tmp_path) as database:
        guild = emu.add_guild("Study Hall")
        channel = emu.add_channel(guild, "general")
        members = {name: emu.add_member(guild, name) for name in ("alice", "bob", "carol")}
        admin = emu.add_member(guild, "teacher", manage_guild=True)
        settings = Settings(
            token=emu.token,
            decks_dir=decks_dir,
            api_base=emu.api_base,
            gateway_url=emu.gateway_url,
            **database,
        )
        world = World(emu, settings, guild, channel, members["alice"], members["bob"], members["carol"], admin)
        await world.start_bot()
        try:
            yield world
        finally:
            await world.stop_bot()


def fail_once(real: Any, message: str = "a forced failure for the test") -> Any:
    """`real` (a function or coroutine function), except that its first call raises, as an unexpected bug would.
    The calls made are kept in its `calls` attribute."""
    calls: list[tuple] = []

    def first_call(args: tuple) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError(message)

    if asyncio.iscoroutinefunction(real):
        async def failing(*args: Any, **kwargs: Any) -> Any:
            first_call(args)
            return await real(*args, **kwargs)
    else:
        def failing(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            first_call(args)
            return real(*args, **kwargs)
    failing.calls = calls  # type: ignore[attr-defined]
    return failing


@pytest.fixture
async def pseudo(world: World, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """The world's members and server in the pseudo-language (tests/pseudo.py), with every message body the bot
    sends or edits and every modal it opens recorded; `pseudo.check(allowed=...)` fails on untranslated text."""
    from bot.emulator import driver, responses
    from tests import pseudo as pseudo_language

    pseudo_language.register()
    for member in (world.alice, world.bob, world.carol, world.admin):
        member.user.locale = pseudo_language.PSEUDO_LOCALE
    world.emu.set_guild_locale(world.guild, pseudo_language.PSEUDO_LOCALE)
    # Work without an interaction (quiz rounds closing, the daily challenge) reads the bot's copy of the server.
    for _attempt in range(200):
        guild = world.bot.get_guild(world.guild.id)
        if guild is not None and str(guild.preferred_locale) == pseudo_language.PSEUDO_LOCALE:
            break
        await asyncio.sleep(0.01)
    recorder = pseudo_language.Recorder()

    def recording(real: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            message = real(self, *args, **kwargs)
            recorder.bodies.append({"content": message.content, "embeds": message.embeds,
                                    "components": message.components})
            return message
        return wrapper

    monkeypatch.setattr(driver.Emulator, "_create_message", recording(driver.Emulator._create_message))
    monkeypatch.setattr(driver.Emulator, "_edit_message", recording(driver.Emulator._edit_message))
    real_check_modal = responses.check_modal

    def recording_modal(data: dict[str, Any]) -> None:
        real_check_modal(data)
        recorder.bodies.append({"content": data.get("title", ""), "components": data.get("components") or []})

    monkeypatch.setattr(responses, "check_modal", recording_modal)
    yield recorder
    pseudo_language.unregister()
