"""Recall in the member's language, end to end: the pseudo-language (tests/pseudo.py) proves that what members see
went through the catalogs; the shipped languages answer in their words."""
from __future__ import annotations

from typing import Any

import pytest

from bot.core.translation import catalog
from tests.pseudo import leftovers, pseudo

DECK = "pytorch-lr-schedulers"


def test_leftovers_finds_words_outside_markers_only():
    assert leftovers(pseudo("You got {got}/{total} concepts").format(got=3, total=4)) == ""
    assert leftovers("⟦Ŕéçàļļ ⟦ñéšţéđ⟧⟧ 🔥 12 · <t:1700000000:R>") == ""
    assert leftovers("⟦ok⟧ Deck title here", allowed=["Deck title"]) == "here"
    assert leftovers("Next card") == "Next card"
    # What fills a placeholder is checked too: an English phrase inside a translated sentence is found.
    assert leftovers(pseudo("Off: {reason}").format(reason="you turned it off")) == "you turned it off"
    assert leftovers(pseudo("Off: {reason}").format(reason=pseudo("you turned it off"))) == ""


async def test_a_refusal_is_in_the_members_language(world: Any, pseudo: Any) -> None:
    study = await world.emu.slash(world.alice, world.channel, "study", deck=DECK, public=True)
    card = await study.wait_message()
    reveal = next(b for b in card.buttons() if b["custom_id"].startswith("study:rev"))
    refusal = await (await world.emu.click(world.bob, card, custom_id=reveal["custom_id"])).wait_message()
    assert refusal.ephemeral and leftovers(refusal.text()) == "", refusal.text()


SHIPPED = {"de": "de", "es-ES": "es", "fr": "fr", "pt-BR": "pt_BR", "ja": "ja"}


@pytest.mark.parametrize("locale", sorted(SHIPPED))
async def test_a_member_studies_in_their_clients_language_while_the_board_speaks_the_servers(
    world: Any, locale: str
) -> None:
    language = catalog(SHIPPED[locale])
    reveal, stop = language.gettext("Reveal"), language.gettext("Stop")
    assert reveal != "Reveal", f"the {locale} catalog does not translate 'Reveal'"
    world.alice.user.locale = locale
    card = await (await world.emu.slash(world.alice, world.channel, "study", deck=DECK)).wait_message()
    labels = [button["label"] for button in card.buttons()]
    assert reveal in labels and stop in labels and "Reveal" not in labels
    # The board is public: the server's language (English here), not alice's.
    board = await (await world.emu.slash(world.alice, world.channel, "leaderboard")).wait_message()
    assert board.embeds[0]["title"].startswith("🏆 Quiz points · this week")
    # Once the server speaks it too, so does the board.
    world.emu.set_guild_locale(world.guild, locale)
    board = await (await world.emu.slash(world.bob, world.channel, "leaderboard")).wait_message()
    expected = f"🏆 {language.gettext('Quiz points')} · {language.gettext('this week')}"
    assert board.embeds[0]["title"].startswith(expected) and expected != "🏆 Quiz points · this week"
