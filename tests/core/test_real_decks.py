"""Importers on decks people really made and published (under licences that let us keep them; see
tests/fixtures/import/real/PROVENANCE.md). The hand-written fixtures elsewhere test what we thought of; these test
what real exports look like: Anki's HTML tables, sound fields, GUID and deck columns, quoted multi-line fields."""
from __future__ import annotations

from pathlib import Path

from bot.core.importers import ImportResult, import_file

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "real"


def _import(name: str) -> ImportResult:
    return import_file((REAL / name).read_bytes(), name)


def _pairs(result: ImportResult) -> dict[str, str]:
    return {card.front: card.back for card in result.deck.cards}


# --- An Anki "Notes in Plain Text" export: Croatian spices (HTML tables, a sound column, GUIDs, a deck column) ---

SPICES = "Croatian_Spices.txt"


def test_croatian_spices_is_read_as_anki_text_with_every_note_kept():
    result = _import(SPICES)
    assert result.format == "anki-text"
    assert result.skipped == []
    assert result.imported == 18
    assert result.deck.item_count == 18
    assert len(result.deck.cards) == 18
    assert result.deck.quiz == () and result.deck.explain == ()


def test_croatian_spices_takes_its_title_from_the_deck_column():
    deck = _import(SPICES).deck
    assert deck.id == "croatian_spices"
    assert deck.title == "Croatian Johns::Vocabulary::Food::Spices - začinima"


def test_croatian_spices_fronts_and_backs_come_out_of_the_html_tables():
    pairs = _pairs(_import(SPICES))
    # A plain back and a back wrapped in its own table; &nbsp; becomes a space, the diacritics survive.
    assert pairs["(mr) bosiljak"] == "basil"
    assert pairs["(mr) korijander"] == "coriander"
    assert pairs["(mr) komorač"] == "fennel"
    assert pairs["(mr) papar"] == "pepper (spice)"
    assert pairs["(mr) ružmarin"] == "rosemary"
    assert pairs["(žr) sol"] == "salt"
    # The deck's own name as its last note, with no gender mark.
    assert pairs["začinima"] == "spices"


def test_croatian_spices_drops_the_sound_column_and_keeps_the_notes_in_order():
    cards = _import(SPICES).deck.cards
    assert not any("[sound:" in card.front or "[sound:" in card.back for card in cards)
    assert [card.back for card in cards][:5] == ["basil", "cinnamon", "curry", "fennel", "dill"]
    assert cards[-1].back == "spices"
    assert len({card.id for card in cards}) == len(cards)


def test_croatian_spices_html_line_breaks_read_as_spaces():
    # The cells wrap their text across source lines ("limunska\n  trava"); a browser, and Anki, shows one space.
    fronts = {card.back: card.front for card in _import(SPICES).deck.cards}
    assert fronts["lemongrass"] == "(žr) limunska trava"
    assert fronts["nutmeg"] == "(mr) muškatni oraščić"


# --- The same deck after the author's Excel round trip: a UTF-8 BOM before `#separator`, HTML already stripped ---

EXCEL = "Anki_Cards-ANKI.txt"


def test_the_excel_round_trip_reads_through_its_byte_order_mark():
    raw = (REAL / EXCEL).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf#separator:tab")  # the file really has one; a test of nothing otherwise
    result = _import(EXCEL)
    assert result.format == "anki-text"
    assert result.skipped == []
    assert result.imported == 18
    assert result.deck.title == "Croatian Johns::Vocabulary::Food::Spices - začinima"


def test_the_excel_round_trip_keeps_every_word_whole():
    pairs = _pairs(_import(EXCEL))
    assert pairs["(žr) limunska trava"] == "lemongrass"
    assert pairs["(mr) muškatni oraščić"] == "nutmeg"
    assert pairs["(mr) papar"] == "pepper (spice)"
    assert pairs["začinima"] == "spices"


def test_the_excel_round_trip_and_the_raw_export_give_the_same_cards():
    # The two files hold the same 18 notes (same GUIDs, same order). The two words wrapped inside an HTML cell in the
    # raw export are left to the xfail above, so this test neither pins nor hides that difference.
    wrapped = {"lemongrass", "nutmeg"}
    raw = [(card.front, card.back) for card in _import(SPICES).deck.cards if card.back not in wrapped]
    cleaned = [(card.front, card.back) for card in _import(EXCEL).deck.cards if card.back not in wrapped]
    assert len(raw) == len(cleaned) == 16
    assert cleaned == raw
