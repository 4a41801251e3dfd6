"""Memory models end to end: /recall-admin memory-model (Fit now, Roll back), /recall-admin retention's
recommendation, the Memory field of /stats and the background pass, through the emulator on both backends."""
from __future__ import annotations

import asyncio
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, Callable

import pytest
from fsrs import Rating

from bot.core import memory as core_memory
from bot.core import scheduling
from bot.core.clock import utcnow
from bot.emulator import driver as emulator_driver
from bot.services.memory import predicted_recall
from bot.store import memory as memory_store
from bot.store.guilds import get_guild_settings
from bot.store.srs import save_review
from bot.core.memory import SERVER_SCOPE
from bot.ui.memory import FIT_BUSY, NOTHING_TO_ROLL_BACK, ROLLED_BACK
from bot.ui.replies import FAILED

# Lowered so a test history of a thousand reviews is enough for a member (the real threshold is 400). The server's
# pooled set is fitted only where a test lowers its threshold too: pooled from Bob's reviews alone, it is fitted on
# the very reviews his own candidate is judged on, so his candidate would never win after it.
MIN_REVIEWS = 150
NEVER = 10**9


async def until(condition: Callable[[], Any], what: str, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def study_history(world, user_id: int, *, cards: int, days: int, seed: int) -> int:
    """A learner who forgets faster than FSRS-6's defaults expect (true recall = predicted ** 3), studying every due
    card daily with Good/Again, stored as the study path stores ratings. Returns the reviews written."""
    rng = random.Random(seed)
    plain = scheduling.scheduler()
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    state = {}
    written = 0

    async def body(conn) -> None:
        nonlocal written
        for day in range(days):
            at = start + timedelta(days=day)
            for index in range(min(cards, (day + 1) * 8)):  # eight new cards a day until the deck is in
                item = f"c{index}"
                card = state.get(item) or scheduling.new_card(at)
                if card.due > at:
                    continue
                predicted = predicted_recall(card, at, None)
                recall = 0.8 if card.last_review is None else scheduling.retrievability(card, at) ** 3
                rating = Rating.Good if rng.random() < recall else Rating.Again
                state[item], _log = plain.review_card(card, rating, review_datetime=at)
                await save_review(conn, guild_id=world.guild.id, user_id=user_id, deck_id="seed", item_id=item,
                                  kind="card", card=state[item], rating=int(rating), at=at,
                                  predicted_recall=predicted)
                written += 1

    await world.bot.db.atomic(body)
    return written


@pytest.fixture
async def studied(world) -> dict[str, int]:
    """Bob with a long history (his own set once fitted), Carol with a short one (the server's set or defaults)."""
    service = world.bot.services.memory
    service.min_member_reviews, service.min_server_reviews = MIN_REVIEWS, NEVER
    bob = await study_history(world, world.bob.user.id, cards=60, days=60, seed=3)
    carol = await study_history(world, world.carol.user.id, cards=8, days=3, seed=4)
    assert bob >= MIN_REVIEWS > carol > 0
    return {"bob": bob, "carol": carol}


async def open_model(world, member=None):
    ix = await world.emu.slash(member or world.admin, world.channel, "recall-admin memory-model")
    return await ix.wait_message()


def field(message, name: str) -> str:
    return next(f["value"] for f in message.embeds[0]["fields"] if f["name"] == name)


async def model_row(world, user_id: int):
    return (await memory_store.models(world.bot.db, world.guild.id)).get(user_id)


async def test_memory_model_shows_the_counts_and_fit_now_fits_and_adopts(world, studied):
    message = await open_model(world)
    assert message.ephemeral and message.visible_to == world.admin.user.id
    assert field(message, "Members") == "Own parameters: 0 · The server's: 0 · FSRS-6 defaults: 2"
    total = studied["bob"] + studied["carol"]
    assert field(message, "Reviews") == (f"{total:,} reviews · the server's pooled set: not fitted yet\n"
                                         f"A member's own set needs {MIN_REVIEWS} reviews; the server's, {NEVER:,}.")
    assert field(message, "Last fit") == "No fit yet."
    assert [b["label"] for b in message.buttons()] == ["Fit now", "Roll back"]

    ix = await world.emu.click(world.admin, message, label="Fit now")
    await ix.wait_ack()
    await until(lambda: "This fit" in message.text(), "the fit's result")
    fits = await memory_store.recent_fits(world.bot.db, world.guild.id, limit=10)
    assert [(f.user_id, f.adopted) for f in fits] == [(world.bob.user.id, True)]  # Carol has too few reviews
    assert field(message, "This fit") == "1 scope fitted · 1 adopted · 60 cards rescheduled"  # all Bob's cards
    assert field(message, "Members") == "Own parameters: 1 · The server's: 0 · FSRS-6 defaults: 1"
    last = fits[0]
    adopted = field(message, "Last adopted fit")
    assert f"Log loss {last.log_loss_before:.3f} → {last.log_loss_after:.3f}" in adopted
    assert f"RMSE(bins) {last.rmse_before:.3f} → {last.rmse_after:.3f}" in adopted
    assert last.log_loss_after < last.log_loss_before and last.rmse_after < last.rmse_before
    assert f"<@{world.bob.user.id}>'s own set · {studied['bob']:,} reviews\n✅ adopted" in field(message, "Last fit")
    assert [b["label"] for b in message.buttons()] == ["Fit now", "Roll back"]
    own = await model_row(world, world.bob.user.id)
    assert own is not None and core_memory.parameters_from_text(own.parameters) != core_memory.DEFAULT_PARAMETERS
    assert own.last_fit_reviews == studied["bob"]
    assert not world.emu.failed_interactions


async def test_roll_back_says_when_there_is_nothing_then_restores_the_previous_set(world, studied):
    message = await open_model(world)
    ix = await world.emu.click(world.admin, message, label="Roll back")
    reply = await ix.wait_message()
    assert reply.ephemeral and reply.text() == NOTHING_TO_ROLL_BACK

    world.bot.services.memory.min_server_reviews = MIN_REVIEWS
    await world.bot.services.memory.fit_server(world.guild.id)
    assert (await model_row(world, SERVER_SCOPE)).parameters is not None
    ix = await world.emu.click(world.admin, message, label="Roll back")
    await ix.wait_ack()
    await until(lambda: ROLLED_BACK in message.text(), "the rollback note")
    server = await model_row(world, SERVER_SCOPE)
    assert (server.parameters, server.previous) == (None, None)  # back to no set: FSRS-6's defaults
    assert field(message, "Reviews").endswith("not fitted yet\n"
                                              f"A member's own set needs {MIN_REVIEWS} reviews; the server's, "
                                              f"{MIN_REVIEWS}.")
    assert "the server's pooled set" in field(message, "Last fit")
    assert "rolled back to the previous set" in field(message, "Last fit")


async def test_members_without_manage_server_are_refused(world, studied, monkeypatch):
    monkeypatch.setattr(emulator_driver, "check_member_can_use", lambda *args: None)  # a server granted the command
    refused = await open_model(world, world.alice)
    assert refused.ephemeral and "You need the **Manage Server** permission" in refused.text()

    message = await open_model(world)
    world.emu.set_channel_permissions(world.channel, world.admin, deny=["manage_guild"])
    for label in ("Fit now", "Roll back"):
        ix = await world.emu.click(world.admin, message, label=label)
        reply = await ix.wait_message()
        assert reply.ephemeral and "You need the **Manage Server** permission" in reply.text()
    assert await memory_store.recent_fits(world.bot.db, world.guild.id) == []


async def test_a_second_fit_while_one_runs_is_told_it_is_busy(world, studied, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real_judge = core_memory.judge

    def slow_judge(*args, **kwargs):  # runs in the fit's worker thread
        entered.set()
        release.wait(10)
        return real_judge(*args, **kwargs)

    monkeypatch.setattr(world.bot.services.memory, "fitter", ThreadPoolExecutor(1))  # core.judge patched here
    monkeypatch.setattr(core_memory, "judge", slow_judge)
    first = await open_model(world)
    ix = await world.emu.click(world.admin, first, label="Fit now")
    await asyncio.to_thread(entered.wait, 10)
    await until(lambda: "Fitting this server's memory models" in first.text(), "the progress note")
    assert first.buttons() == []

    second = await open_model(world)
    busy_ix = await world.emu.click(world.admin, second, label="Fit now")
    busy = await busy_ix.wait_message()
    assert busy.ephemeral and busy.text() == FIT_BUSY

    release.set()
    await ix.wait_ack()
    await until(lambda: "This fit" in first.text(), "the first fit's result")
    assert field(first, "This fit") == "1 scope fitted · 1 adopted · 60 cards rescheduled"
    assert len(await memory_store.recent_fits(world.bot.db, world.guild.id)) == 1  # the busy click fitted nothing


async def test_retention_without_a_value_recommends_one_and_the_button_sets_it(world, studied):
    ix = await world.emu.slash(world.admin, world.channel, "recall-admin retention")
    reply = await ix.wait_message(timeout=60)  # a simulated year of study: seconds on a busy machine
    advice = await world.bot.services.memory.retention_advice(world.guild.id)  # the same, cached
    assert advice.current == 0.9 and advice.scope == "default"
    assert core_memory.RETENTION_RANGE[0] <= advice.recommended <= core_memory.RETENTION_RANGE[1]
    assert reply.ephemeral
    assert f"Desired retention now: **0.90**\nRecommended: **{advice.recommended:.2f}**" in reply.text()
    assert "the least study time per card remembered" in reply.text()
    label = f"Use {advice.recommended:.2f}"
    assert [b["label"] for b in reply.buttons()] == [label]
    assert (await get_guild_settings(world.bot.db, world.guild.id)).desired_retention == 0.9  # nothing by itself

    world.emu.set_channel_permissions(world.channel, world.admin, deny=["manage_guild"])
    refused = await (await world.emu.click(world.admin, reply, label=label)).wait_message()
    assert refused.ephemeral and "You need the **Manage Server** permission" in refused.text()
    assert (await get_guild_settings(world.bot.db, world.guild.id)).desired_retention == 0.9

    world.emu.set_channel_permissions(world.channel, world.admin)
    click = await world.emu.click(world.admin, reply, label=label)
    await click.wait_ack()
    await until(lambda: reply.buttons() == [], "the retention to be set")
    assert f"**{advice.recommended:.0%}**" in reply.text()
    assert (await get_guild_settings(world.bot.db, world.guild.id)).desired_retention == advice.recommended


async def stats_memory(world, member) -> str:
    message = await (await world.emu.slash(member, world.channel, "stats")).wait_message()
    return next(f["value"] for f in message.embeds[0]["fields"] if f["name"] == "Memory")


async def test_stats_shows_whose_parameters_and_the_models_calibration(world, studied):
    assert (await stats_memory(world, world.alice)).splitlines() == [
        "Parameters: FSRS-6 defaults", "Due today: none", "30 days: not enough reviews yet",
    ]
    before = (await stats_memory(world, world.bob)).splitlines()
    assert before[0] == "Parameters: FSRS-6 defaults"

    await world.bot.services.memory.fit_server(world.guild.id)
    lines = (await stats_memory(world, world.bob)).splitlines()
    own = await model_row(world, world.bob.user.id)
    assert lines[0] == f"Parameters: your own since <t:{int(own.adopted_at.timestamp())}:d>"
    now = utcnow()
    memory = await world.bot.services.memory.member_memory(world.guild.id, world.bob.user.id, now=now,
                                                           day_end=now + timedelta(hours=1))
    assert memory.due_today > 0
    assert lines[1].startswith(f"Due today: {memory.due_today} · predicted recall now ")
    calibration = await memory_store.calibration(world.bot.db, world.guild.id, world.bob.user.id,
                                                 now - timedelta(days=30))
    assert calibration.reviews > 0 and calibration.actual < calibration.predicted  # he forgets faster than predicted
    assert lines[2] == (f"30 days: recalled {calibration.actual:.0%} · predicted {calibration.predicted:.0%} "
                        f"({calibration.reviews} reviews)")
    assert (await stats_memory(world, world.carol)).splitlines()[0] == "Parameters: FSRS-6 defaults"
    world.bot.services.memory.min_server_reviews = MIN_REVIEWS
    await world.bot.services.memory.fit_server(world.guild.id)
    assert (await stats_memory(world, world.carol)).splitlines()[0] == "Parameters: the server's"


async def test_the_background_pass_fits_due_scopes_and_survives_failures(world, studied, monkeypatch):
    cog = world.bot.get_cog("Memory")
    service = world.bot.services.memory
    real_run_due = service.run_due
    calls = []

    async def flaky_run_due(*, owns):
        calls.append(owns)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return await real_run_due(owns=owns)

    monkeypatch.setattr(service, "run_due", flaky_run_due)
    monkeypatch.setattr(cog, "every", 0)
    loop = asyncio.create_task(cog.fit_loop())
    try:
        await until(lambda: len(calls) >= 3, "three background passes")
    finally:
        loop.cancel()
    assert all(owns is world.bot.owns_guild for owns in calls)
    assert (await model_row(world, world.bob.user.id)).parameters is not None  # the second pass fitted
    assert not cog._task.done()  # the cog's own loop is still waiting for its first interval

    await world.bot.remove_cog("Memory")
    await until(lambda: cog._task.done(), "the loop to stop with the cog")
    assert cog._task.cancelled()



async def test_a_failing_fit_is_answered_privately_and_the_summary_comes_back(world, studied, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("optimiser crashed")

    monkeypatch.setattr(world.bot.services.memory, "fitter", ThreadPoolExecutor(1))  # core.judge patched here
    monkeypatch.setattr(core_memory, "judge", broken)
    message = await open_model(world)
    ix = await world.emu.click(world.admin, message, label="Fit now")
    await until(lambda: ix.followups, "the private reply")
    reply = ix.followups[0]
    assert reply.ephemeral and reply.text() == FAILED
    await until(lambda: message.buttons() != [], "the summary to come back")
    assert field(message, "Last fit") == "No fit yet."
    assert [b["label"] for b in message.buttons()] == ["Fit now", "Roll back"]
    assert not world.bot.services.memory.fitting(world.guild.id)
