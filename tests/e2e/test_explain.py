"""/explain end to end: the real bot against the emulator."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import discord

from bot.core import decks as limits
from bot.core.decks import Concept, Deck, ExplainPrompt
from bot.core.explain import MAX_ANSWER_CHARS, ExplainGrade, SavedAttempt
from bot.core.streaks import StreakState, StreakUpdate
from bot.store.explain import get_open_prompt
from bot.ui.explain import prompt_embed, prompt_view, result_embed
from bot.ui.items import MALFORMED
from bot.ui.replies import FAILED, FAILED_SAVED
from tests.conftest import fail_once

DECK = "pytorch-lr-schedulers"
WHY = "why-schedulers-are-useful"
STEPLR = "how-steplr-changes-the-rate"
FULL_WHY = (
    "A scheduler lets the model take big steps at first so it learns faster, then smaller steps so it can settle "
    "near the best solution. That way it avoids getting stuck and reaches better accuracy."
)
PARTIAL_WHY = "It makes training faster at the beginning."


async def ask(world: Any, member: Any, **options: Any) -> Any:
    ix = await world.emu.slash(member, world.channel, "explain", **options)
    return await ix.wait_message()


async def open_modal(world: Any, member: Any, message: Any) -> Any:
    ix = await world.emu.click(member, message, label="Answer")
    assert await ix.wait_ack() == 9, "Answer should open a modal"
    return ix


async def stored_prompt(world: Any) -> Any:
    """Alice's open prompt once the bot has noted its message (it can only do so after Discord answered)."""
    for _ in range(100):
        stored = await get_open_prompt(world.bot.db, world.guild.id, world.alice.user.id)
        if stored is None or stored.message_id is not None:
            return stored
        await asyncio.sleep(0.01)
    return stored


async def rows(world: Any, sql: str, *params: Any) -> list[Any]:
    return await world.bot.db.fetchall(sql, params)


async def test_prompt_hint_answer_and_score(world: Any) -> None:
    prompt = await ask(world, world.alice, deck=DECK)
    assert prompt.ephemeral and prompt.visible_to == world.alice.user.id
    assert "why learning rate schedulers are useful" in prompt.text()
    assert [(b["label"], b["disabled"]) for b in prompt.buttons()] == [("Hint", False), ("Answer", False)]
    stored = await stored_prompt(world)
    assert stored is not None and (stored.prompt_id, stored.message_id, stored.public) == (WHY, prompt.id, False)

    hint = await world.emu.click(world.alice, prompt, label="Hint")
    shown = await hint.wait_message()
    assert shown.id == prompt.id
    assert "Think about how changing speed helps" in shown.text()
    assert [(b["label"], b["disabled"]) for b in shown.buttons()] == [("Hint", True), ("Answer", False)]

    modal_ix = await open_modal(world, world.alice, shown)
    text_input = modal_ix.modal["components"][0]["component"]
    assert (text_input["style"], text_input["max_length"]) == (2, 1500)

    submit = await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})
    result = await submit.wait_message()
    text = result.text()
    assert "You got 4/4 concepts" in text
    assert "✓ Big steps early for fast progress" in text and "✗" not in text
    assert "Model answer" in text and "A scheduler changes the learning rate" in text
    assert "Hint used" in text and "Rated **Hard**" in text
    assert result.buttons() == []

    (attempt,) = await rows(
        world, "SELECT user_id, deck_id, prompt_id, text, hit, total, hint_used, rating FROM explain_attempts"
    )
    assert tuple(attempt) == (world.alice.user.id, DECK, WHY, FULL_WHY, 4, 4, 1, 2)
    (review,) = await rows(world, "SELECT kind, rating FROM reviews")
    assert tuple(review) == ("explain", 2)
    (activity,) = await rows(world, "SELECT user_id, kind FROM activity")
    assert tuple(activity) == (world.alice.user.id, "explain")
    (member,) = await rows(world, "SELECT display_name FROM members")
    assert member["display_name"].casefold() == "alice"  # the global name the emulator gives
    assert world.emu.failed_interactions == []


async def test_without_hint_a_partial_answer_lists_missed_concepts(world: Any) -> None:
    prompt = await ask(world, world.alice, deck=DECK)
    modal_ix = await open_modal(world, world.alice, prompt)
    result = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": PARTIAL_WHY})).wait_message()
    text = result.text()
    assert "You got 1/4 concepts" in text
    assert "✓ Big steps early for fast progress" in text
    assert "✗ Small steps later to settle near the best solution" in text
    assert "No hint used" in text and "Rated **Again**" in text


async def test_hint_and_answer_survive_restarts(world: Any) -> None:
    prompt = await ask(world, world.alice, deck=DECK)
    await (await world.emu.click(world.alice, prompt, label="Hint")).wait_message()

    await world.restart_bot()
    modal_ix = await open_modal(world, world.alice, prompt)  # the old message's button, handled by the new bot

    await world.restart_bot()  # while the member is typing
    result = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
    assert "You got 4/4 concepts" in result.text()
    assert "Hint used" in result.text()  # remembered across both restarts
    (attempt,) = await rows(world, "SELECT hint_used, rating FROM explain_attempts")
    assert tuple(attempt) == (1, 2)
    assert world.emu.failed_interactions == []


async def test_another_member_cannot_use_someone_elses_prompt(world: Any) -> None:
    prompt = await ask(world, world.alice, deck=DECK, public=True)
    assert not prompt.ephemeral

    for label in ("Hint", "Answer"):
        ix = await world.emu.click(world.bob, prompt, label=label)
        note = await ix.wait_message()
        assert note.ephemeral and note.visible_to == world.bob.user.id
        assert f"This belongs to <@{world.alice.user.id}>" in note.text() and "`/explain`" in note.text()
        assert ix.modal is None

    shown = await get_open_prompt(world.bot.db, world.guild.id, world.alice.user.id)
    assert shown is not None and not shown.hint_used and not shown.answered
    assert "Think about how changing speed" not in prompt.text()
    assert await rows(world, "SELECT id FROM explain_attempts") == []


async def test_a_double_submit_stores_one_attempt(world: Any) -> None:
    prompt = await ask(world, world.alice, deck=DECK)
    modal_ix = await open_modal(world, world.alice, prompt)
    first = await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})
    second = await world.emu.submit_modal(world.alice, modal_ix, {"answer": PARTIAL_WHY})
    texts = sorted([(await first.wait_message()).text(), (await second.wait_message()).text()])
    assert sum("You got" in t for t in texts) == 1
    assert sum("already recorded" in t for t in texts) == 1
    assert len(await rows(world, "SELECT id FROM explain_attempts")) == 1
    assert len(await rows(world, "SELECT id FROM reviews")) == 1
    assert len(await rows(world, "SELECT id FROM activity")) == 1


async def test_buttons_of_a_replaced_or_answered_prompt_explain_themselves(world: Any) -> None:
    old = await ask(world, world.alice, deck=DECK)
    new = await ask(world, world.alice, deck=DECK)
    stale = await (await world.emu.click(world.alice, old, label="Answer")).wait_message()
    assert stale.ephemeral and "replaced by a newer one" in stale.text()

    hint = await world.emu.click(world.alice, new, label="Hint")  # captured before answering
    await hint.wait_message()
    modal_ix = await open_modal(world, world.alice, new)
    await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
    again = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
    assert again.ephemeral and "already recorded" in again.text()


async def test_without_a_deck_the_most_due_prompt_comes_first(world: Any) -> None:
    async def answer_next(text: str) -> str:
        prompt = await ask(world, world.alice)
        modal_ix = await open_modal(world, world.alice, prompt)
        await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": text})).wait_message()
        return prompt.text()

    assert "why learning rate schedulers" in await answer_next(FULL_WHY)  # Good: back in ~10 minutes
    assert "StepLR" in await answer_next("No idea really.")  # never seen counts as due now; Again: back in ~1 minute
    assert "StepLR" in (await ask(world, world.alice)).text()  # the poorly explained prompt comes back first
    states = await rows(world, "SELECT item_id, due FROM srs_state WHERE kind = 'explain'")
    due = {r["item_id"]: r["due"] for r in states}
    assert due[STEPLR] < due[WHY]


async def test_deck_option_problems_answer_privately(world: Any) -> None:
    unknown = await ask(world, world.alice, deck="no-such-deck")
    assert unknown.ephemeral and "no deck `no-such-deck`" in unknown.text()
    assert await rows(world, "SELECT * FROM explain_open") == []


async def test_deck_autocomplete_offers_the_shipped_deck(world: Any) -> None:
    choices = await world.emu.autocomplete(world.alice, world.channel, "explain", "deck", "pyt")
    assert DECK in [c["value"] for c in choices]


async def test_racing_submits_from_two_windows(world: Any) -> None:
    # Two modals of the same showing (the member clicked Answer twice), submitted at the same moment.
    prompt = await ask(world, world.alice, deck=DECK)
    first_modal = await open_modal(world, world.alice, prompt)
    second_modal = await open_modal(world, world.alice, prompt)
    submits = await asyncio.gather(
        world.emu.submit_modal(world.alice, first_modal, {"answer": FULL_WHY}),
        world.emu.submit_modal(world.alice, second_modal, {"answer": FULL_WHY}),
    )
    texts = [(await ix.wait_message()).text() for ix in submits]
    assert sum("You got 4/4" in t for t in texts) == 1
    assert len(await rows(world, "SELECT id FROM explain_attempts")) == 1


async def test_a_prompt_whose_deck_went_away_says_so(world: Any) -> None:
    prompt = await ask(world, world.alice, deck=DECK)
    world.bot.decks.replace_shipped({})  # as after a reload without the deck file
    note = await (await world.emu.click(world.alice, prompt, label="Answer")).wait_message()
    assert note.ephemeral and f"`{DECK}` changed" in note.text()
    assert world.emu.failed_interactions == []


async def test_the_streak_line_ends_the_result(world: Any, monkeypatch: Any) -> None:
    async def streak(conn: Any, guild_id: int, user_id: int, kind: str, at: Any) -> StreakUpdate:
        assert kind == "explain"
        return StreakUpdate(StreakState(current=3, best=3), grew=True)

    monkeypatch.setattr("bot.services.explain.record_activity", streak)
    prompt = await ask(world, world.alice, deck=DECK)
    modal_ix = await open_modal(world, world.alice, prompt)
    result = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": PARTIAL_WHY})).wait_message()
    assert result.embeds[0]["footer"]["text"] == "🔥 3-day streak"


def test_the_largest_deck_items_fit_discords_embed_limits() -> None:
    concepts = tuple(Concept("n" * limits.MAX_CONCEPT_NAME, ("k",)) for _ in range(limits.MAX_CONCEPTS))
    prompt = ExplainPrompt("p", "P" * limits.MAX_PROMPT, concepts, hint="H" * limits.MAX_HINT,
                           answer="A" * limits.MAX_MODEL_ANSWER, level="advanced")
    deck = Deck("d", "T" * limits.MAX_TITLE, explain=(prompt,))
    grade = ExplainGrade((True,) * len(concepts), tuple(c.name for c in concepts), len(concepts), len(concepts), "ok")
    streak = StreakUpdate(StreakState(current=365, best=365, freezes=2), grew=True, freezes_used=2, freeze_earned=True)
    saved = SavedAttempt(1, 2, True, datetime(2030, 1, 1, tzinfo=timezone.utc), streak)
    embeds = [prompt_embed(deck, prompt, hint_shown=True), result_embed(prompt, grade, saved, "x" * MAX_ANSWER_CHARS)]
    for embed in embeds:
        assert isinstance(embed, discord.Embed)
        assert len(embed) <= 6000
        assert len(embed.description or "") <= 4096
        assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in embed.fields)


def test_a_prompt_without_hint_has_only_the_answer_button() -> None:
    labels = [item.item.label for item in prompt_view(7, "abcdefgh", has_hint=False, hint_shown=False).children]
    assert labels == ["Answer"]
    labels = [item.item.label for item in prompt_view(7, "abcdefgh", has_hint=True, hint_shown=False).children]
    assert labels == ["Hint", "Answer"]


# --- Failures and forged ids: always a private reply, and the bot keeps serving ---------------------------------------


def forge(message: Any, label: str, custom_id: str) -> None:
    """Change the custom id Discord stored for a button, as a modified client could send any id."""
    from bot.emulator.state import walk_components

    buttons = [c for c in walk_components(message.components) if c.get("type") == 2 and c.get("label") == label]
    assert buttons, f"no {label} button"
    for button in buttons:
        button["custom_id"] = custom_id


async def test_a_failure_in_hint_answers_privately_and_the_next_click_works(world: Any, monkeypatch: Any) -> None:
    service = world.bot.services.explain
    monkeypatch.setattr(service, "use_hint", fail_once(service.use_hint))
    prompt = await ask(world, world.alice, deck=DECK)

    failed = await (await world.emu.click(world.alice, prompt, label="Hint")).wait_message()
    assert failed.ephemeral and failed.visible_to == world.alice.user.id and failed.text() == FAILED
    assert not (await get_open_prompt(world.bot.db, world.guild.id, world.alice.user.id)).hint_used

    shown = await (await world.emu.click(world.alice, prompt, label="Hint")).wait_message()
    assert shown.id == prompt.id and "Think about how changing speed helps" in shown.text()
    assert world.emu.failed_interactions == []


async def test_a_failure_in_answer_answers_privately_and_the_next_click_opens_the_form(
    world: Any, monkeypatch: Any
) -> None:
    service = world.bot.services.explain
    monkeypatch.setattr(service, "showing", fail_once(service.showing))
    prompt = await ask(world, world.alice, deck=DECK)

    failed = await (await world.emu.click(world.alice, prompt, label="Answer")).wait_message()
    assert failed.ephemeral and failed.visible_to == world.alice.user.id and failed.text() == FAILED

    await open_modal(world, world.alice, prompt)
    assert world.emu.failed_interactions == []


async def test_a_failure_before_the_answer_is_stored_says_to_try_again(world: Any, monkeypatch: Any) -> None:
    service = world.bot.services.explain
    monkeypatch.setattr(service, "submit", fail_once(service.submit))
    prompt = await ask(world, world.alice, deck=DECK)
    modal_ix = await open_modal(world, world.alice, prompt)

    failed = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
    assert failed.ephemeral and failed.text() == FAILED
    assert await rows(world, "SELECT id FROM explain_attempts") == []

    result = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
    assert "You got 4/4 concepts" in result.text()
    assert world.emu.failed_interactions == []


async def test_a_failure_after_the_answer_is_stored_says_it_was_saved(world: Any, monkeypatch: Any) -> None:
    import bot.cogs.explain as cog_module

    real = cog_module.result_embed
    calls: list[int] = []

    def embed_once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("forced failure after the commit")
        return real(*args)

    monkeypatch.setattr(cog_module, "result_embed", embed_once)
    prompt = await ask(world, world.alice, deck=DECK)
    modal_ix = await open_modal(world, world.alice, prompt)

    failed = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
    assert failed.ephemeral and failed.visible_to == world.alice.user.id and failed.text() == FAILED_SAVED
    assert len(await rows(world, "SELECT id FROM explain_attempts")) == 1  # the answer was kept

    again = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
    assert again.ephemeral and "already recorded" in again.text()
    following = await ask(world, world.alice, deck=DECK)  # the bot keeps serving
    modal_ix = await open_modal(world, world.alice, following)
    result = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": PARTIAL_WHY})).wait_message()
    assert "You got" in result.text()
    assert len(await rows(world, "SELECT id FROM explain_attempts")) == 2
    assert world.emu.failed_interactions == []


async def test_forged_explain_ids_are_refused_privately(world: Any) -> None:
    alice, bob = world.alice.user.id, world.bob.user.id
    prompt = await ask(world, world.alice, deck=DECK)
    shown = await get_open_prompt(world.bot.db, world.guild.id, alice)
    nonce = shown.nonce

    forged = {
        f"explain:hint:{bob}:{nonce}": f"This belongs to <@{bob}>",  # another member's id
        f"explain:answer:{bob}:{nonce}": f"This belongs to <@{bob}>",
        f"explain:hint:{alice}:not*a*nonce": MALFORMED,  # garbage nonce
        f"explain:answer:{alice}:{'9' * 30}:x": MALFORMED,
        f"explain:answer:{'9' * 25}:{nonce}": MALFORMED,  # a huge number
        f"explain:hint:-{alice}:{nonce}": MALFORMED,
        "explain:answer": MALFORMED,
    }
    for custom_id, expected in forged.items():
        label = "Hint" if custom_id.startswith("explain:hint") else "Answer"
        forge(prompt, label, custom_id)
        ix = await world.emu.click(world.alice, prompt, label=label)
        note = await ix.wait_message()
        assert note.ephemeral and note.visible_to == alice, custom_id
        assert expected in note.text(), (custom_id, note.text())
        assert ix.modal is None

    # A forged answer form: submitted under another member's id, or with a garbage nonce.
    forge(prompt, "Answer", f"explain:answer:{alice}:{nonce}")
    modal_ix = await open_modal(world, world.alice, prompt)
    for custom_id, expected in {
        f"explain:submit:{bob}:{nonce}": f"This belongs to <@{bob}>",
        f"explain:submit:{alice}:{'x' * 40}": MALFORMED,
        f"explain:submit:{'1' * 21}:{nonce}": MALFORMED,
    }.items():
        modal_ix.modal["custom_id"] = custom_id
        note = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
        assert note.ephemeral and expected in note.text(), (custom_id, note.text())

    assert await rows(world, "SELECT id FROM explain_attempts") == []
    fresh = await get_open_prompt(world.bot.db, world.guild.id, alice)
    assert not fresh.hint_used and not fresh.answered
    # The genuine id still works afterwards.
    modal_ix.modal["custom_id"] = f"explain:submit:{alice}:{nonce}"
    result = await (await world.emu.submit_modal(world.alice, modal_ix, {"answer": FULL_WHY})).wait_message()
    assert "You got 4/4 concepts" in result.text()
    assert world.emu.failed_interactions == []
