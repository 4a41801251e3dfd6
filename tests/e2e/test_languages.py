"""Recall in the member's language, end to end: the pseudo-language (tests/pseudo.py) proves that what members see
went through the catalogs; the shipped languages answer in their words."""
from __future__ import annotations

from typing import Any

from tests.pseudo import leftovers, pseudo


def test_leftovers_finds_words_outside_markers_only():
    assert leftovers(pseudo("You got {got}/{total} concepts").format(got=3, total=4)) == ""
    assert leftovers("⟦Ŕéçàļļ ⟦ñéšţéđ⟧⟧ 🔥 12 · <t:1700000000:R>") == ""
    assert leftovers("⟦ok⟧ Deck title here", allowed=["Deck title"]) == "here"
    assert leftovers("Next card") == "Next card"
    # What fills a placeholder is checked too: an English phrase inside a translated sentence is found.
    assert leftovers(pseudo("Off: {reason}").format(reason="you turned it off")) == "you turned it off"
    assert leftovers(pseudo("Off: {reason}").format(reason=pseudo("you turned it off"))) == ""


async def test_a_refusal_is_in_the_members_language(world: Any, pseudo: Any) -> None:
    study = await world.emu.slash(world.alice, world.channel, "study", deck="pytorch-lr-schedulers", public=True)
    card = await study.wait_message()
    reveal = next(b for b in card.buttons() if b["custom_id"].startswith("study:rev"))
    refusal = await (await world.emu.click(world.bob, card, custom_id=reveal["custom_id"])).wait_message()
    assert refusal.ephemeral and leftovers(refusal.text()) == "", refusal.text()
