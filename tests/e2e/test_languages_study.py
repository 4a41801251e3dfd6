"""/study in the pseudo-language (tests/pseudo.py): every text of a session, public or private, the deck menu, the
summaries and the refusals went through the catalogs. A public card speaks the server's language whoever clicks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.core.clock import to_text, utcnow
from bot.core.decks import Card, Deck
from bot.core.scheduling import format_interval
from bot.core.study_queue import StudyItem
from bot.core.translation import speaking
from bot.emulator.state import walk_components
from bot.ui.study import PICKER_LIMIT, TUNING, card_embed, picker_embed, progress_text, rating_note, summary_embed
from tests.pseudo import PSEUDO, leftovers, message_texts, register, unregister
from tests.pseudo import pseudo as pseudo_text
from tests.store.conftest import write

DECK = "pytorch-lr-schedulers"


@pytest.fixture(autouse=True)
def _no_fuzz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TUNING, "fuzz", False)


def deck_texts(*decks: Deck) -> list[str]:
    """Everything of the decks a member may see untranslated (deck content is shown as written)."""
    texts: list[str] = []
    for deck in decks:
        texts += [deck.id, deck.title]
        for card in deck.cards:
            texts += [card.id, card.front, card.back]
        for question in deck.quiz:
            texts += [question.question, *question.choices, f"**{question.answer}**", question.explanation]
    return texts


def shipped(world: Any) -> list[str]:
    """The decks of the world's server, and its members' names (shown as they are)."""
    names = [name for m in (world.alice, world.bob, world.carol) for name in (m.user.name, m.user.global_name)]
    return deck_texts(*world.bot.decks.for_guild(world.guild.id)) + names


def button(message: Any, prefix: str) -> str:
    """The custom id of the message's button or menu whose id starts with `prefix` ("study:rate" + rating)."""
    for component in walk_components(message.components):
        if str(component.get("custom_id", "")).startswith(prefix):
            return str(component["custom_id"])
    raise AssertionError(f"no {prefix!r} component in {message.components}")


def rate_id(message: Any, rating: int) -> str:
    return next(b["custom_id"] for b in message.buttons() if b["custom_id"].startswith("study:rate")
                and b["custom_id"].split(":")[6] == str(rating))


async def press(world: Any, member: Any, message: Any, custom_id: str) -> Any:
    ix = await world.emu.click(member, message, custom_id=custom_id)
    answer = await ix.wait_message()
    assert not ix.failed
    return answer


async def start(world: Any, member: Any, **options: Any) -> Any:
    return await (await world.emu.slash(member, world.channel, "study", **options)).wait_message()


async def test_a_private_session_through_every_rating_to_its_summaries(world: Any, pseudo: Any) -> None:
    message = await start(world, world.alice, deck=DECK)
    assert [b["label"] for b in message.buttons()] == [pseudo_text("Reveal"), pseudo_text("Stop")]
    for rating in (1, 2, 3, 4):
        await press(world, world.alice, message, button(message, "study:rev"))
        await press(world, world.alice, message, rate_id(message, rating))
    await press(world, world.alice, message, button(message, "study:stop"))  # summary: stopped, cards still due
    assert not message.buttons()

    message = await start(world, world.alice)
    for _turn in range(40):
        if not any(b["custom_id"].startswith("study:rev") for b in message.buttons()):
            break
        await press(world, world.alice, message, button(message, "study:rev"))
        await press(world, world.alice, message, rate_id(message, 3))
    assert not message.buttons()  # all caught up
    await start(world, world.alice, deck=DECK)  # nothing due right now
    pseudo.check(allowed=shipped(world))


async def test_a_public_card_speaks_the_servers_language_whoever_clicks(world: Any, pseudo: Any) -> None:
    world.alice.user.locale = "en-US"  # her client is English; the channel reads the server's language
    message = await start(world, world.alice, deck=DECK, public=True)
    assert not message.ephemeral
    refusal = await press(world, world.bob, message, button(message, "study:rev"))
    assert refusal.ephemeral and refusal.id != message.id
    await press(world, world.alice, message, button(message, "study:rev"))
    await press(world, world.alice, message, rate_id(message, 3))
    await press(world, world.alice, message, button(message, "study:rev"))
    refusal = await press(world, world.carol, message, rate_id(message, 1))
    assert refusal.ephemeral
    await press(world, world.alice, message, button(message, "study:stop"))
    assert not message.ephemeral and not message.buttons()
    pseudo.check(allowed=shipped(world))


async def test_the_deck_menu_public_and_private(world: Any, pseudo: Any) -> None:
    extra = [Deck(id=f"deck-{n:02}", title=f"Extra {n:02}", cards=(Card(f"c-{n}", f"Front {n}?", f"Back {n}."),))
             for n in range(PICKER_LIMIT + 1)]
    for deck in extra:
        world.bot.decks.set_server_deck(world.guild.id, deck)
    menu = await start(world, world.carol)
    assert menu.ephemeral and menu.selects()
    ix = await world.emu.select(world.carol, menu, button(menu, "study:pick"), ["deck-03"])
    await ix.wait_message()
    assert menu.buttons()

    world.bob.user.locale = "en-US"  # a public menu, and the card it becomes, are in the server's language
    public_menu = await start(world, world.bob, public=True)
    assert not public_menu.ephemeral
    ix = await world.emu.select(world.bob, public_menu, button(public_menu, "study:pick"), ["deck-07"])
    await ix.wait_message()
    assert public_menu.buttons() and not public_menu.ephemeral
    pseudo.check(allowed=shipped(world))


async def test_refusals_of_stale_forged_and_gone_cards(world: Any, pseudo: Any) -> None:
    await write(
        world.bot.db,
        "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
        "choice, correct, answered_at) VALUES (1, 0, ?, ?, ?, ?, 'scheduler-after-fixed-steps', 'ExponentialLR', 0, ?)",
        (world.guild.id, world.channel.id, world.alice.user.id, DECK, to_text(utcnow() - timedelta(minutes=5))),
    )
    old = await start(world, world.alice, deck=DECK)  # the missed quiz question comes first
    await press(world, world.alice, old, button(old, "study:rev"))
    good_on_old = rate_id(old, 3)
    again = await start(world, world.alice)  # the open card, shown again
    await press(world, world.alice, again, button(again, "study:rev"))
    await press(world, world.alice, again, rate_id(again, 4))
    stale = await press(world, world.alice, old, good_on_old)
    assert stale.ephemeral and stale.id != old.id

    for forged in ("study:rev:xx", f"study:stop:{world.bob.user.id}:{DECK}:x:abc"):
        target = button(again, "study:stop")
        for component in walk_components(again.components):
            if component.get("custom_id") == target:
                component["custom_id"] = forged
        note = await press(world, world.alice, again, forged)
        for component in walk_components(again.components):
            if component.get("custom_id") == forged:
                component["custom_id"] = target
        assert note.ephemeral and note.id != again.id

    # A server deck whose card is taken out, then the whole deck.
    own = Deck(id="own-deck", title="Own deck", cards=(Card("one", "One?", "One."), Card("two", "Two?", "Two.")))
    world.bot.decks.set_server_deck(world.guild.id, own)
    card = await start(world, world.bob, deck=own.id)
    front = card.embeds[0]["description"]
    kept = tuple(c for c in own.cards if c.front != front)
    world.bot.decks.set_server_deck(world.guild.id, Deck(id=own.id, title=own.title, cards=kept))
    gone = await press(world, world.bob, card, button(card, "study:rev"))
    assert gone.ephemeral and gone.id != card.id
    world.bot.decks.remove_server_deck(world.guild.id, own.id)
    gone = await press(world, world.bob, card, button(card, "study:rev"))
    assert gone.ephemeral and gone.id != card.id

    allowed = shipped(world) + deck_texts(own)
    world.bot.decks.replace_shipped({})  # no decks at all
    nothing = await start(world, world.carol)
    assert nothing.ephemeral and not nothing.embeds
    pseudo.check(allowed=allowed)


# --- What the flows above cannot reach in a few clicks ---------------------------------------------------------------


@pytest.fixture
def pseudo_catalog() -> Any:
    register()
    try:
        yield
    finally:
        unregister()


def test_summaries_cards_and_intervals_in_every_branch(pseudo_catalog: Any) -> None:
    deck = Deck(id="d", title="Title", cards=(Card("c", "Front?", "Back."),))
    empty = Deck(id="e", title="Empty")
    item = StudyItem("c", "card", "", "Back.", "advanced", image="https://example.com/a.png")
    quiz_item = StudyItem("q", "quiz", "Front?", "Back.", "intermediate")
    soon = datetime(2030, 1, 1, tzinfo=timezone.utc)
    with speaking(PSEUDO):
        embeds = [
            summary_embed(deck, reviewed=1234, again=2, next_due=soon, new_waiting=3, still_due=1, stopped=True,
                          owner="alice", note="note"),
            summary_embed(deck, reviewed=1, again=0, next_due=None, new_waiting=1, still_due=2),
            summary_embed(empty, reviewed=0, again=0, next_due=None, new_waiting=0),
            card_embed(deck, item, progress=progress_text(0, 3), revealed=False, owner="alice"),
            card_embed(deck, quiz_item, progress=progress_text(1000, 2000), revealed=True),
            picker_embed([deck] * (PICKER_LIMIT + 5)),
        ]
        intervals = [format_interval(timedelta(seconds=s)) for s in (45, 600, 3 * 3600, 2 * 86400, 45 * 86400,
                                                                     500 * 86400)]
        notes = [rating_note(rating, timedelta(minutes=10), None) for rating in (1, 2, 3, 4)]
    texts = [t for embed in embeds for t in message_texts({"embeds": [embed.to_dict()]})] + intervals + notes
    missing = [t for t in texts if leftovers(t, ["Title", "Empty", "Front?", "Back.", "alice", "note"])]
    assert not missing, missing
    assert "1,234" in embeds[0].description  # counts are the language's numbers
    # English stays as it was.
    assert [format_interval(timedelta(seconds=s)) for s in (45, 600, 3 * 3600, 2 * 86400, 45 * 86400)] == \
        ["45s", "10m", "3h", "2d", "1.5mo"]
    assert rating_note(3, timedelta(minutes=10), None) == "Good · back in 10m"
