"""/explain in the member's and the server's language: with everyone speaking the pseudo-language (tests/pseudo.py),
nothing a member reads in its prompts, forms, results and refusals escapes the catalogs; a public prompt and what
its buttons make of it speak the server's language whatever the clicking member's."""
from __future__ import annotations

from typing import Any

from bot.core.decks import Deck
from tests.pseudo import leftovers
from tests.pseudo import pseudo as in_pseudo

DECK = "pytorch-lr-schedulers"
PARTIAL = "It makes training faster at the beginning."
FULL = (
    "A scheduler lets the model take big steps at first so it learns faster, then smaller steps so it can settle "
    "near the best solution. That way it avoids getting stuck and reaches better accuracy."
)


def deck_texts(world: Any) -> list[str]:
    """What the deck itself shows (not translated): its title, prompts, hints, model answers and concepts."""
    deck = world.bot.decks.get(world.guild.id, DECK)
    texts = [deck.title]
    for prompt in deck.explain:
        texts += [prompt.prompt, prompt.prompt[:99], prompt.hint, prompt.answer, *(c.name for c in prompt.concepts)]
    return [t for t in texts if t]


def button(message: Any, action: str) -> str:
    return next(b["custom_id"] for b in message.buttons() if b["custom_id"].startswith(f"explain:{action}:"))


async def ask(world: Any, member: Any, **options: Any) -> Any:
    return await (await world.emu.slash(member, world.channel, "explain", **options)).wait_message()


async def answer(world: Any, member: Any, prompt: Any, text: str) -> tuple[Any, Any]:
    """Open the prompt's form and submit `text`: (the form's interaction, the message that answered the submit)."""
    form = await world.emu.click(member, prompt, custom_id=button(prompt, "answer"))
    assert await form.wait_ack() == 9, "Answer should open a modal"
    return form, await (await world.emu.submit_modal(member, form, {"answer": text})).wait_message()


async def test_explain_speaks_the_pseudo_language_everywhere(world: Any, pseudo: Any) -> None:
    # A private prompt: its hint, the form, a partial answer's result (met and missed concepts, the note).
    prompt = await ask(world, world.alice, deck=DECK)
    assert prompt.ephemeral
    assert [b["label"] for b in prompt.buttons()] == [in_pseudo("Hint"), in_pseudo("Answer")]
    hinted = await (await world.emu.click(world.alice, prompt, custom_id=button(prompt, "hint"))).wait_message()
    assert hinted.id == prompt.id
    form, result = await answer(world, world.alice, hinted, PARTIAL)
    assert form.modal["title"] == in_pseudo("Explain in your own words")
    assert "✓" in result.text() and "✗" in result.text()
    # The same form again: that answer is already recorded.
    again = await (await world.emu.submit_modal(world.alice, form, {"answer": PARTIAL})).wait_message()
    assert again.ephemeral and leftovers(again.text()) == "", again.text()

    # An answer without words, a one-word answer and a full one each earn a note of their own.
    for text in ("...", "Speed", FULL):
        _form, graded = await answer(world, world.alice, await ask(world, world.alice, deck=DECK), text)
        assert graded.ephemeral and graded.visible_to == world.alice.user.id

    # A prompt replaced by a newer one, and one whose deck went away, explain themselves.
    old = await ask(world, world.alice, deck=DECK)
    new = await ask(world, world.alice, deck=DECK)
    stale = await (await world.emu.click(world.alice, old, custom_id=button(old, "answer"))).wait_message()
    assert stale.ephemeral and leftovers(stale.text()) == "", stale.text()

    # A public prompt: another member's clicks are refused privately; the owner's hint and answer edit it.
    public = await ask(world, world.bob, deck=DECK, public=True)
    assert not public.ephemeral
    for action in ("hint", "answer"):
        refusal = await (await world.emu.click(world.carol, public, custom_id=button(public, action))).wait_message()
        assert refusal.ephemeral and refusal.visible_to == world.carol.user.id
        assert leftovers(refusal.text()) == "", refusal.text()
    await (await world.emu.click(world.bob, public, custom_id=button(public, "hint"))).wait_message()
    _form, public_result = await answer(world, world.bob, public, FULL)
    assert public_result.id == public.id and not public_result.ephemeral

    # Decks without prompts: a chosen one, then none on the server at all.
    world.bot.decks.set_server_deck(world.guild.id, Deck("plain", "Plain Deck"))
    plain = await ask(world, world.alice, deck="plain")
    assert plain.ephemeral and leftovers(plain.text(), ["Plain Deck"]) == "", plain.text()
    allowed = deck_texts(world) + ["Plain Deck", PARTIAL, FULL, "Speed"]
    world.bot.decks.replace_shipped({})
    gone = await (await world.emu.click(world.alice, new, custom_id=button(new, "answer"))).wait_message()
    assert gone.ephemeral and f"`{DECK}`" in gone.text()
    none = await ask(world, world.alice)
    assert none.ephemeral and leftovers(none.text()) == "", none.text()

    assert world.emu.failed_interactions == []
    pseudo.check(allowed=allowed)


async def test_a_public_prompt_speaks_the_servers_language_whoever_clicks(world: Any, pseudo: Any) -> None:
    world.alice.user.locale = "en-US"  # the server speaks the pseudo-language, Alice's client English
    public = await ask(world, world.alice, deck=DECK, public=True)
    allowed = deck_texts(world) + [FULL]
    assert leftovers(public.text(), allowed) == "", public.text()

    hinted = await (await world.emu.click(world.alice, public, custom_id=button(public, "hint"))).wait_message()
    assert hinted.id == public.id
    assert leftovers(hinted.text(), allowed) == "" and [b["label"] for b in hinted.buttons()] == [
        in_pseudo("Hint"), in_pseudo("Answer")], hinted.text()

    form, result = await answer(world, world.alice, hinted, FULL)
    # The form is Alice's alone: her language.
    assert form.modal["title"] == "Explain in your own words"
    assert result.id == public.id and leftovers(result.text(), allowed) == "", result.text()
    # A note to her alone stays in her language.
    again = await (await world.emu.submit_modal(world.alice, form, {"answer": FULL})).wait_message()
    assert again.ephemeral and again.text() == "Your answer was already recorded."
