"""/study end to end: the real bot against the local Discord emulator."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.clock import from_text, to_text, utcnow
from bot.core.decks import Card, Deck
from bot.emulator.state import walk_components
from bot.ui.items import MALFORMED
from bot.ui.replies import FAILED, FAILED_SAVED
from bot.ui.study import TUNING, CardRef, RateButton, RevealButton, StopButton, resolve_ref
from tests.conftest import fail_once
from tests.store.conftest import write

DECK = "pytorch-lr-schedulers"
DECK_TITLE = "Learning rate schedulers in PyTorch"


@pytest.fixture(autouse=True)
def _no_fuzz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TUNING, "fuzz", False)


def custom_id(message, label_start: str) -> str:
    """The custom id of the button whose label starts with `label_start` ("Good" matches "Good · 10m")."""
    for button in message.buttons():
        if (button["label"] or "").startswith(label_start):
            return button["custom_id"]
    raise AssertionError(f"no {label_start!r} button; buttons: {[b['label'] for b in message.buttons()]}")


def labels(message) -> list[str]:
    return [b["label"] for b in message.buttons()]


async def press(world, member, message, label_start: str):
    """Click a button and return the interaction once the bot answered it."""
    ix = await world.emu.click(member, message, custom_id=custom_id(message, label_start))
    await ix.wait_message()
    return ix


async def start(world, member, **options):
    ix = await world.emu.slash(member, world.channel, "study", **options)
    return ix, await ix.wait_message()


async def rows(world, sql: str, *params):
    return await world.bot.db.fetchall(sql, params)


async def test_a_member_studies_the_first_deck_to_the_end(world):
    ix, message = await start(world, world.alice, deck=DECK)
    assert message.ephemeral and message.visible_to == world.alice.user.id
    embed = message.embeds[0]
    assert embed["title"] == DECK_TITLE
    assert embed["description"] == "What is a learning rate scheduler in PyTorch?"
    assert "beginner" in embed["footer"]["text"] and "card 1 of 5 due today" in embed["footer"]["text"]
    assert labels(message) == ["Reveal", "Stop"]

    await press(world, world.alice, message, "Reveal")
    assert "changes the learning rate during training" in message.embeds[0]["description"]
    assert labels(message) == ["Again · 1m", "Hard · 6m", "Good · 10m", "Easy · 8d", "Stop"]

    fronts = [embed["description"]]
    await press(world, world.alice, message, "Good")
    while "Reveal" in labels(message):
        fronts.append(message.embeds[0]["description"])
        await press(world, world.alice, message, "Reveal")
        await press(world, world.alice, message, "Good")
    # Five new cards, then each again while its 10-minute step is close enough to study ahead.
    assert len(fronts) == 10 and fronts[:5] == fronts[5:] and len(set(fronts)) == 5

    summary = message.text()
    assert "Reviews this session: **10**" in summary
    assert "Again-rate: **0%**" in summary
    assert "Next card due <t:" in summary and ":R>" in summary
    assert message.buttons() == []
    _ix, later = await start(world, world.alice, deck=DECK)
    assert "Nothing due right now" in later.text() and "Next card due <t:" in later.text()

    reviews = await rows(world, "SELECT item_id, rating, reviewed_at, due_after FROM reviews WHERE user_id = ? ORDER BY id",
                         world.alice.user.id)
    assert len(reviews) == 10 and {r["rating"] for r in reviews} == {3}
    intervals: dict[str, list[timedelta]] = {}
    for r in reviews:
        intervals.setdefault(r["item_id"], []).append(from_text(r["due_after"]) - from_text(r["reviewed_at"]))
    assert len(intervals) == 5
    for item, (first, second) in intervals.items():
        assert first == timedelta(minutes=10), item
        assert second > first and second >= timedelta(days=1), item
    activity = await rows(world, "SELECT kind FROM activity WHERE user_id = ?", world.alice.user.id)
    assert [a["kind"] for a in activity] == ["study"] * 10


async def test_buttons_work_after_a_restart(world):
    _ix, message = await start(world, world.alice, deck=DECK)
    await world.restart_bot()
    await press(world, world.alice, message, "Reveal")
    assert "Good · 10m" in labels(message)
    await world.restart_bot()
    ix = await press(world, world.alice, message, "Good")
    assert not ix.failed
    assert message.embeds[0]["description"] == "Why do we adjust the learning rate during training?"
    # The first rating of the day starts the streak: the StreakUpdate the rating returned, as the note shows it.
    assert "Good · back in 10m · 🔥 1-day streak" in message.embeds[0]["footer"]["text"]
    assert len(await rows(world, "SELECT id FROM reviews")) == 1


async def test_a_double_click_stores_one_review(world):
    _ix, message = await start(world, world.alice, deck=DECK)
    await press(world, world.alice, message, "Reveal")
    good = custom_id(message, "Good")
    first, second = await asyncio.gather(
        world.emu.click(world.alice, message, custom_id=good), world.emu.click(world.alice, message, custom_id=good)
    )
    answers = await asyncio.gather(first.wait_message(), second.wait_message())
    assert not first.failed and not second.failed
    assert len(await rows(world, "SELECT id FROM reviews")) == 1
    notes = [m for m in answers if m.id != message.id]
    assert len(notes) == 1 and notes[0].ephemeral
    assert "already rated" in notes[0].text()
    assert message.embeds[0]["description"] == "Why do we adjust the learning rate during training?"


async def test_a_stale_message_is_refused(world):
    _ix, old = await start(world, world.alice, deck=DECK)
    await press(world, world.alice, old, "Reveal")
    good_on_old = custom_id(old, "Good")
    # A second /study while the card is open shows the same card again.
    _ix, again = await start(world, world.alice)
    assert again.id != old.id
    assert again.embeds[0]["description"] == "What is a learning rate scheduler in PyTorch?"
    assert "Your open card, shown again." in again.embeds[0]["footer"]["text"]
    await press(world, world.alice, again, "Reveal")
    await press(world, world.alice, again, "Easy")
    ix = await world.emu.click(world.alice, old, custom_id=good_on_old)
    note = await ix.wait_message()
    assert note.id != old.id and note.ephemeral and "already rated" in note.text()
    ratings = await rows(world, "SELECT rating FROM reviews")
    assert [r["rating"] for r in ratings] == [4]


async def test_public_session_and_another_members_clicks(world):
    _ix, message = await start(world, world.alice, deck=DECK, public=True)
    assert not message.ephemeral and message.visible_to is None
    assert "alice is studying" in message.text().lower()

    ix = await world.emu.click(world.bob, message, custom_id=custom_id(message, "Reveal"))
    note = await ix.wait_message()
    assert note.ephemeral and note.visible_to == world.bob.user.id
    assert note.text() == f"This belongs to <@{world.alice.user.id}>. Start your own with `/study`."
    assert labels(message) == ["Reveal", "Stop"]

    await press(world, world.alice, message, "Reveal")
    for label in ("Good", "Stop"):
        ix = await world.emu.click(world.bob, message, custom_id=custom_id(message, label))
        note = await ix.wait_message()
        assert note.ephemeral and f"belongs to <@{world.alice.user.id}>" in note.text()
    assert await rows(world, "SELECT id FROM reviews") == []

    await press(world, world.alice, message, "Good")
    assert [r["user_id"] for r in await rows(world, "SELECT user_id FROM reviews")] == [world.alice.user.id]
    assert "alice is studying" in message.text().lower() and not message.ephemeral


async def test_stop_shows_the_summary(world):
    _ix, message = await start(world, world.alice, deck=DECK)
    await press(world, world.alice, message, "Reveal")
    await press(world, world.alice, message, "Again")
    await press(world, world.alice, message, "Stop")
    text = message.text()
    assert "Session stopped" in text
    assert "Reviews this session: **1**" in text and "Again-rate: **100%** (1 of 1)" in text
    assert "still due" in text
    assert message.buttons() == []


async def test_without_a_deck_the_last_deck_is_used(world):
    _ix, message = await start(world, world.alice, deck=DECK)
    await press(world, world.alice, message, "Stop")
    _ix, message = await start(world, world.alice)
    assert message.embeds[0]["title"] == DECK_TITLE and "Reveal" in labels(message)


async def test_without_a_deck_or_history_a_menu_lists_the_decks(world):
    _ix, message = await start(world, world.carol)
    assert "Which deck?" in message.text()
    [menu] = message.selects()
    assert DECK in [o["value"] for o in menu["options"]]
    ix = await world.emu.select(world.carol, message, menu["custom_id"], [DECK])
    await ix.wait_message()
    assert message.embeds[0]["title"] == DECK_TITLE and labels(message) == ["Reveal", "Stop"]


async def test_a_missed_quiz_question_comes_up_as_a_card(world):
    await write(
        world.bot.db,
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
        "choice, correct, answered_at) VALUES (1, 0, ?, ?, ?, ?, 'scheduler-after-fixed-steps', 'ExponentialLR', 0, ?)",
        (world.guild.id, world.channel.id, world.alice.user.id, DECK, to_text(utcnow() - timedelta(minutes=5))),
    )
    _ix, message = await start(world, world.alice, deck=DECK)
    assert "Which PyTorch scheduler reduces learning rate after fixed steps?" in message.embeds[0]["description"]
    assert "missed this one in /quiz" in message.embeds[0]["description"]
    await press(world, world.alice, message, "Reveal")
    assert "**StepLR**" in message.embeds[0]["description"]
    assert "every fixed number of epochs" in message.embeds[0]["description"]
    await press(world, world.alice, message, "Good")
    [state] = await rows(world, "SELECT kind FROM srs_state WHERE item_id = 'scheduler-after-fixed-steps'")
    assert state["kind"] == "quiz"


async def test_a_removed_deck_gives_a_clear_message(world):
    _ix, message = await start(world, world.alice, deck=DECK)
    world.bot.decks.replace_shipped({})
    ix = await world.emu.click(world.alice, message, custom_id=custom_id(message, "Reveal"))
    note = await ix.wait_message()
    assert not ix.failed and note.ephemeral
    assert "no longer on this server" in note.text()


async def test_unknown_deck_and_autocomplete(world):
    _ix, note = await start(world, world.alice, deck="no-such-deck")
    assert note.ephemeral and "There is no deck `no-such-deck`" in note.text()
    choices = await world.emu.autocomplete(world.alice, world.channel, "study", "deck", "pyt")
    assert {"name": f"{DECK_TITLE} ({DECK})", "value": DECK} in choices


async def test_slow_work_is_deferred_first_and_still_shown(world, monkeypatch: pytest.MonkeyPatch):
    # A zero budget makes every answer take the slow path: acknowledge, then send or edit.
    monkeypatch.setattr(TUNING, "answer_budget", 0.0)
    ix, message = await start(world, world.alice, deck=DECK)
    assert ix.ack_type == 5  # deferred with "thinking…"
    assert message.embeds[0]["title"] == DECK_TITLE and labels(message) == ["Reveal", "Stop"]
    reveal = await press(world, world.alice, message, "Reveal")
    assert reveal.ack_type == 6  # deferred update, then the message was edited
    assert "Good · 10m" in labels(message)
    good_on_old = custom_id(message, "Good")
    _ix, again = await start(world, world.alice)  # the same card again, in a second message
    await press(world, world.alice, again, "Reveal")
    await press(world, world.alice, again, "Good")
    assert "Reveal" in labels(again)
    assert len(await rows(world, "SELECT id FROM reviews")) == 1
    # a refusal after a deferral arrives as a private follow-up
    stale = await world.emu.click(world.alice, message, custom_id=good_on_old)
    note = await stale.wait_message()
    assert stale.ack_type == 6 and note.id != message.id and note.ephemeral and "already rated" in note.text()
    assert len(await rows(world, "SELECT id FROM reviews")) == 1


async def test_long_deck_and_card_ids_still_fit_in_buttons(world):
    long_deck = Deck(
        id="d" * 40, title="Long ids",
        cards=(Card("c" * 40, "Long front?", "Long back."), Card("k" * 40, "Second?", "Second.")),
    )
    world.bot.decks.set_server_deck(world.guild.id, long_deck)
    _ix, message = await start(world, world.alice, deck=long_deck.id)
    await press(world, world.alice, message, "Reveal")
    assert all(len(b["custom_id"]) <= 100 for b in message.buttons())
    await press(world, world.alice, message, "Good")
    assert message.embeds[0]["description"] == "Second?"
    [review] = await rows(world, "SELECT deck_id, item_id FROM reviews")
    assert (review["deck_id"], review["item_id"]) == (long_deck.id, "c" * 40)


# --- Custom ids (pure) ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("deck_id, item_id", [("d" * 40, "c" * 40), ("deck", "c-1a2b3c4d5e"), ("x" * 40, "y"),
                                              ("a:b", "c"), ("d" * 30, "i" * 40)])
def test_card_ref_fits_and_resolves(deck_id: str, item_id: str):
    ref = CardRef.of(2**63 - 1, deck_id, item_id, "a1b2c3")
    ids = [ref.custom_id("rev"), ref.custom_id("stop")] + [ref.custom_id("rate", r) for r in range(1, 5)]
    assert all(len(i) <= 100 for i in ids)
    match = RateButton.__discord_ui_compiled_template__.fullmatch(ref.custom_id("rate", 3))
    assert match is not None
    button = RateButton.parse(None, match["args"])
    assert (button.ref, button.rating, button.owner) == (ref, 3, ref.user_id)
    parsed = button.ref
    assert resolve_ref(parsed.deck, ["other", deck_id]) == deck_id
    assert resolve_ref(parsed.item, ["nope", item_id]) == item_id
    for cls, action in ((RevealButton, "rev"), (StopButton, "stop")):
        match = cls.__discord_ui_compiled_template__.fullmatch(ref.custom_id(action))
        assert match is not None and cls.parse(None, match["args"]).ref == ref


def test_short_ids_stay_readable():
    ref = CardRef.of(123, DECK, "what-is-a-scheduler", "abcdef")
    assert ref.custom_id("rate", 3) == f"study:rate:123:{DECK}:what-is-a-scheduler:abcdef:3"


# --- Failures and forged ids ----------------------------------------------------------------------------------------


def forge(message, label_start: str, forged: str) -> str:
    """Put `forged` in place of the custom id of the button whose label starts with `label_start` (what a client
    that edits its payloads could send); returns the id it replaced."""
    original = custom_id(message, label_start)
    for component in walk_components(message.components):
        if component.get("custom_id") == original:
            component["custom_id"] = forged
    return original


async def test_a_failure_before_the_rating_is_stored_is_answered_privately_and_the_click_works_again(
    world, monkeypatch: pytest.MonkeyPatch
):
    _ix, message = await start(world, world.alice, deck=DECK)
    await press(world, world.alice, message, "Reveal")
    service = world.bot.services.study
    monkeypatch.setattr(service, "rate", fail_once(service.rate))
    ix = await world.emu.click(world.alice, message, custom_id=custom_id(message, "Good"))
    note = await ix.wait_message()
    assert not ix.failed and note.id != message.id
    assert note.ephemeral and note.visible_to == world.alice.user.id and note.text() == FAILED
    assert await rows(world, "SELECT id FROM reviews") == []
    # The bot keeps serving: the same button, clicked again, stores the rating and shows the next card.
    again = await press(world, world.alice, message, "Good")
    assert not again.failed
    assert message.embeds[0]["description"] == "Why do we adjust the learning rate during training?"
    assert len(await rows(world, "SELECT id FROM reviews")) == 1


async def test_a_failure_after_the_rating_was_stored_says_it_was_saved(world, monkeypatch: pytest.MonkeyPatch):
    _ix, message = await start(world, world.alice, deck=DECK)
    await press(world, world.alice, message, "Reveal")
    cog = world.bot.get_cog("Study")
    monkeypatch.setattr(cog, "deliver", fail_once(cog.deliver))  # showing the next card fails, after the COMMIT
    ix = await world.emu.click(world.alice, message, custom_id=custom_id(message, "Good"))
    note = await ix.wait_message()
    assert not ix.failed and note.ephemeral and note.visible_to == world.alice.user.id
    assert note.text() == FAILED_SAVED
    assert len(await rows(world, "SELECT id FROM reviews")) == 1  # the rating was kept
    # The old message's rating is settled; /study continues with the next card, and its buttons work.
    stale = await world.emu.click(world.alice, message, custom_id=custom_id(message, "Good"))
    assert "already rated" in (await stale.wait_message()).text()
    _ix, next_message = await start(world, world.alice)
    assert next_message.embeds[0]["description"] == "Why do we adjust the learning rate during training?"
    await press(world, world.alice, next_message, "Reveal")
    assert "Good · 10m" in labels(next_message)
    assert len(await rows(world, "SELECT id FROM reviews")) == 1


async def test_a_failing_study_command_is_answered_privately(world, monkeypatch: pytest.MonkeyPatch):
    service = world.bot.services.study
    monkeypatch.setattr(service, "open", fail_once(service.open))
    _ix, note = await start(world, world.alice, deck=DECK)
    assert note.ephemeral and note.text() == FAILED
    _ix, message = await start(world, world.alice, deck=DECK)
    assert labels(message) == ["Reveal", "Stop"]


async def test_forged_and_malformed_study_ids_are_refused_privately(world):
    alice, bob = world.alice.user.id, world.bob.user.id
    _ix, message = await start(world, world.alice, deck=DECK)
    await press(world, world.alice, message, "Reveal")
    good = custom_id(message, "Good")
    fields = good.split(":")  # study, rate, user, deck, item, token, rating
    assert fields[2] == str(alice)
    forged_owner = [
        ":".join(["study", "rate", str(bob), *fields[3:]]),  # another member's session
        ":".join(["study", "rev", str(bob), *fields[3:6]]),
        ":".join(["study", "stop", str(bob), *fields[3:6]]),
    ]
    malformed = [
        "study:rev:xx",
        "study:rate",
        ":".join(["study", "rate", str(alice), *fields[3:6], "9"]),  # no such rating
        ":".join(["study", "rate", str(alice), *fields[3:6], "3", "extra"]),
        ":".join(["study", "stop", "9" * 25, *fields[3:6]]),  # beyond any Discord id
        ":".join(["study", "rev", "-1", *fields[3:6]]),
        ":".join(["study", "rev", str(alice), "no spaces allowed", *fields[4:6]]),
        ":".join(["study", "rev", str(alice), *fields[3:5], "NOTHEX"]),
        "study:pick:" + str(alice) + ":7",
    ]
    for forged in forged_owner + malformed:
        original = forge(message, "Good", forged)
        ix = await world.emu.click(world.alice, message, custom_id=forged)
        note = await ix.wait_message()
        forge(message, "Good", original)
        assert not ix.failed and note.id != message.id, forged
        assert note.ephemeral and note.visible_to == alice, forged
        expected = f"This belongs to <@{bob}>. Start your own with `/study`." if forged in forged_owner else MALFORMED
        assert note.text() == expected, forged
    assert await rows(world, "SELECT id FROM reviews") == []
    # Nothing was changed and the bot keeps serving: the real button still rates.
    await press(world, world.alice, message, "Good")
    assert len(await rows(world, "SELECT id FROM reviews")) == 1


async def test_a_retention_change_reaches_the_next_reveal(world):
    _ix, message = await start(world, world.alice, deck=DECK)
    await press(world, world.alice, message, "Reveal")
    assert "Easy · 8d" in labels(message)
    await press(world, world.alice, message, "Good")  # the session is now remembered, with the retention then
    ix = await world.emu.slash(world.admin, world.channel, "recall-admin retention", value=0.7)
    await ix.wait_message()
    await press(world, world.alice, message, "Reveal")  # a new card again: only the retention differs
    [easy] = [label for label in labels(message) if label.startswith("Easy")]
    assert easy != "Easy · 8d"  # a lower retention lets Easy wait longer
