"""Quiz crowd: hundreds of members react to one question, most of them in its last second.

Measured: how many of the reactions sent were graded (rows in quiz_answers; must be all), and the time from the
question's close (its closes_at, as Recall stored it) to the results message appearing in the channel.
"""
from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any, Callable

from bot.core.clock import from_text
from bot.emulator import FakeMessage

from bench.backends import Backend, Target
from bench.common import BENCH_DECK, TimedEmulator, collector_paused, write_study_decks
from bench.procs import BotProcess, BotSpec, bot_env

LETTERS = ("🇦", "🇧", "🇨", "🇩")
LAST_SECOND_SHARE = 0.8  # "most in the last second"
SAFETY = 0.15  # the last reaction goes out this long before the estimated close


def _title(message: FakeMessage) -> str:
    return str(message.embeds[0].get("title", "")) if message.embeds else ""


def _stamped(test: Callable[[FakeMessage], bool], stamps: dict[str, float], key: str) -> Callable[[FakeMessage], bool]:
    """A wait_for_message predicate that notes the wall-clock time the matching message was created or edited."""

    def predicate(message: FakeMessage) -> bool:
        if test(message):
            stamps.setdefault(key, time.time())
            return True
        return False

    return predicate


def reaction_plan(count: int, opened: float, window: float, rng: random.Random) -> list[float]:
    """Send times: a few spread over the window, most in its last second, none after close - SAFETY."""
    end = opened + window - SAFETY
    last_second = end - (1.0 - SAFETY)
    early = [rng.uniform(opened + 0.3, last_second) for _ in range(count - round(count * LAST_SECOND_SHARE))]
    late = [rng.uniform(last_second, end) for _ in range(round(count * LAST_SECOND_SHARE))]
    return sorted(early + late)


async def _stored(target: Target) -> tuple[int, str | None]:
    """(answers stored, closes_at) of the benchmark's single round, read after the bot stopped."""
    (answers,), = await target.rows("SELECT count(*) FROM quiz_answers")
    closes = await target.rows("SELECT closes_at FROM quiz_questions ORDER BY round_id, question_index LIMIT 1")
    return int(answers), closes[0][0] if closes else None


async def quiz_crowd(
    recall: BotSpec, members: int, seconds: int, workdir: Path, *, wait_for_ready: bool = True, seed: int = 11,
    backend: Backend | None = None,
) -> dict[str, Any]:
    backend = backend or Backend.sqlite()
    async with backend.target(workdir, "quiz") as target:
        result = await _crowd(recall, members, seconds, workdir, target, wait_for_ready, random.Random(seed))
    return {"backend": backend.name, **result}


async def _crowd(recall: BotSpec, members: int, seconds: int, workdir: Path, target: Target, wait_for_ready: bool,
                 rng: random.Random) -> dict[str, Any]:
    stamps: dict[str, float] = {}
    async with TimedEmulator() as emu:
        guild = emu.add_guild("Quiz Hall")
        channel = emu.add_channel(guild, "quiz")
        teacher = emu.add_member(guild, "teacher", manage_guild=True)
        crowd = [emu.add_member(guild, f"player{n}") for n in range(members)]
        decks = write_study_decks(workdir / "decks", cards=5)
        env = bot_env(token=emu.token, api_base=emu.api_base, gateway_url=emu.gateway_url, database=target,
                      decks=decks, session_ratings=10)
        bot = BotProcess(recall, env)
        await bot.start(until=None if wait_for_ready else emu.wait_until_connected)
        try:
            asked = emu.wait_for_message(
                _stamped(lambda m: _title(m).startswith("Question 1/") and ": the answer" not in _title(m),
                         stamps, "question"), timeout=20, channel=channel)
            ix = await emu.slash(teacher, channel, "quiz", deck=BENCH_DECK, questions=1, seconds=seconds)
            await ix.wait_ack(timeout=10)
            question = await asked
            revealed = asyncio.ensure_future(emu.wait_for_message(
                _stamped(lambda m: _title(m).endswith(": the answer"), stamps, "results"),
                timeout=seconds + 30, channel=channel))
            finished = asyncio.ensure_future(emu.wait_for_message(
                lambda m: _title(m).startswith("🏁"), timeout=seconds + 40, channel=channel))
            sent = 0
            opened = stamps["question"]  # wall clock, like the closes_at Recall stores
            with collector_paused():
                for member, at in zip(crowd, reaction_plan(len(crowd), opened, seconds, rng)):
                    delay = at - time.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if await emu.react(member, question, rng.choice(LETTERS)):
                        sent += 1
                last_sent_before_close = opened + seconds - time.time()
                await revealed
            await finished
            removed = sum(1 for call in emu.rest_calls if call.method == "DELETE" and "/reactions/" in call.path)
        finally:
            await bot.stop()
        graded, closes_at = await _stored(target)
    closes = from_text(closes_at).timestamp() if closes_at else None
    results_after = stamps["results"] - closes if closes and "results" in stamps else None
    return {
        "members": members,
        "seconds": seconds,
        "sent": sent,
        "graded": graded,
        "last_reaction_before_close_s": round(last_sent_before_close, 3),
        "reactions_removed_by_bot": removed,
        "results_after_close_s": round(results_after, 3) if results_after is not None else None,
        "bot_errors": bot.errors,
        "log_tail": bot.tail(8) if bot.errors else "",
    }
