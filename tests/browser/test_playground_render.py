"""The playground's pure parts: who sees which message, the command catalogue, typing options."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.playground import render
from bot.playground.render import OptionError


def message(**fields: Any) -> SimpleNamespace:
    base = dict(
        id=10, author=SimpleNamespace(id=1, name="recall", global_name=None, bot=True), content="", embeds=[], components=[],
        flags=0, visible_to=None, reactions={}, attachments=[], deleted=False, edit_count=0, timestamp=None,
        interaction_metadata=None,
    )
    return SimpleNamespace(**(base | fields))


def test_ephemeral_messages_are_visible_only_to_their_member() -> None:
    private = message(flags=render.FLAG_EPHEMERAL, visible_to=7)
    assert render.visible_to(private, 7) and not render.visible_to(private, 8)
    assert render.visible_to(message(), 8)
    assert not render.visible_to(message(deleted=True), 8)
    shown = render.channel_view([message(id=1), private, message(id=3)], viewer_id=8)
    assert [m["id"] for m in shown] == ["1", "3"]


def test_message_view_marks_reactions_of_the_viewer_and_images() -> None:
    view = render.message_view(
        message(
            id=2**60, reactions={"🇦": [1, 7], "🇧": [1], "🇨": []},
            attachments=[{"filename": "stats.png", "url": "http://e/x.png", "content_type": "image/png"}, {"filename": "a.txt", "url": "u"}],
            interaction_metadata={"user": {"username": "alice", "global_name": "Alice"}, "name": "stats"},
            flags=render.FLAG_LOADING, edit_count=1,
        ),
        viewer_id=7,
    )
    assert view["id"] == str(2**60)  # strings: a browser's numbers would round it
    assert view["reactions"] == [{"emoji": "🇦", "count": 2, "me": True}, {"emoji": "🇧", "count": 1, "me": False}]
    assert [(a["filename"], a["image"]) for a in view["attachments"]] == [("stats.png", True), ("a.txt", False)]
    assert view["interaction"] == {"user": "Alice", "command": "stats", "type": None}
    assert view["loading"] and view["edited"] and not view["ephemeral"]


def test_signature_changes_with_edits_and_reactions() -> None:
    msg = message()
    before = render.signature([msg])
    msg.reactions = {"🇦": [3]}
    after_reaction = render.signature([msg])
    msg.edit_count = 1
    assert len({before, after_reaction, render.signature([msg])}) == 3


COMMANDS = [
    {"name": "study", "description": "Study", "type": 1, "options": [{"name": "deck", "type": 3, "autocomplete": True}]},
    {
        "name": "decks", "description": "Decks", "type": 1, "default_member_permissions": None,
        "options": [
            {"name": "list", "type": 1, "description": "List decks"},
            {"name": "upload", "type": 1, "description": "Upload", "options": [{"name": "file", "type": 11, "required": True}]},
        ],
    },
    {"name": "admin", "type": 1, "default_member_permissions": "32", "options": [
        {"name": "set", "type": 2, "options": [{"name": "timezone", "type": 1, "options": [{"name": "zone", "type": 3, "required": True}]}]},
    ]},
    {"name": "Report", "type": 3},
    {"name": "study", "description": "global duplicate", "type": 1, "options": []},
]


def test_catalogue_flattens_subcommands_and_prefers_the_first_registration() -> None:
    entries = {e.path: e for e in render.command_catalogue(COMMANDS)}
    assert sorted(entries) == ["admin set timezone", "decks list", "decks upload", "study"]
    assert entries["study"].description == "Study"
    assert entries["admin set timezone"].admin and not entries["decks list"].admin
    assert entries["decks upload"].to_json()["options"][0] == {
        "name": "file", "type": 11, "required": True, "autocomplete": False
    }


QUIZ = render.CommandEntry("quiz", "", (
    {"name": "deck", "type": 3, "required": True},
    {"name": "questions", "type": 4, "min_value": 1, "max_value": 20},
    {"name": "ratio", "type": 10, "max_value": 1.0},
    {"name": "public", "type": 5},
    {"name": "member", "type": 6},
    {"name": "mode", "type": 3, "choices": [{"name": "Fast", "value": "fast"}, {"name": "Slow", "value": "slow"}]},
    {"name": "note", "type": 3, "max_length": 5},
    {"name": "file", "type": 11},
), False)


def test_options_are_typed() -> None:
    bob = object()
    values = render.coerce_options(
        QUIZ,
        {"deck": " lr ", "questions": "5", "ratio": "0.5", "public": "yes", "member": "@Bob", "mode": "Slow", "note": "", "file": ("d.yaml", b"x")},
        {"bob": bob, "42": bob},
    )
    assert values == {"deck": "lr", "questions": 5, "ratio": 0.5, "public": True, "member": bob, "mode": "slow", "file": ("d.yaml", b"x")}
    assert render.coerce_options(QUIZ, {"deck": "x", "member": "<@42>", "public": "False"}, {"42": bob}) == {"deck": "x", "member": bob, "public": False}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "needs `deck`"),
        ({"deck": "x", "questions": "0"}, "between 1 and 20"),
        ({"deck": "x", "questions": "1.5"}, "whole number"),
        ({"deck": "x", "ratio": "2"}, "at most 1.0"),
        ({"deck": "x", "public": "perhaps"}, "True or False"),
        ({"deck": "x", "member": "zed"}, "no member called 'zed'"),
        ({"deck": "x", "mode": "medium"}, "one of: Fast, Slow"),
        ({"deck": "x", "note": "toolong"}, "0–5 characters"),
        ({"deck": "x", "file": "d.yaml"}, "needs a file"),
        ({"deck": "x", "colour": "red"}, "no option `colour`"),
    ],
)
def test_bad_options_say_what_is_wrong(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        render.coerce_options(QUIZ, raw, {})


LOCALISED = [
    {
        "name": "decks", "description": "Decks", "type": 1,
        "name_localizations": {"de": "stapel", "ja": "デッキ"},
        "description_localizations": {"de": "Stapel", "ja": "デッキ"},
        "options": [
            {"name": "export", "type": 1, "description": "Download a deck",
             "name_localizations": {"de": "exportieren"}, "description_localizations": {"de": "Einen Stapel herunterladen"},
             "options": [
                 {"name": "deck", "type": 3, "required": True, "description": "The deck",
                  "name_localizations": {"de": "stapel"}, "description_localizations": {"de": "Der Stapel"}},
                 {"name": "format", "type": 3, "description": "File format",
                  "choices": [{"name": "Anki package", "value": "apkg", "name_localizations": {"de": "Anki-Paket"}},
                              {"name": "CSV", "value": "csv"}]},
             ]},
        ],
    },
    {"name": "quiz", "description": "Start a quiz", "type": 1, "options": []},
]


def test_palette_shows_commands_as_the_members_client_does() -> None:
    german = {e.path: e.to_json() for e in render.command_catalogue(LOCALISED, "de")}
    export = german["decks export"]
    # The registered path still drives the emulator; the member reads (and may type) their client's words.
    assert (export["name"], export["label"], export["description"]) == ("decks export", "stapel exportieren", "Einen Stapel herunterladen")
    deck, file_format = export["options"]
    assert (deck["name"], deck["label"], deck["description"]) == ("deck", "stapel", "Der Stapel")
    assert (file_format["label"], file_format["description"]) == ("format", "File format")  # not translated: English
    assert file_format["choices"] == [{"name": "Anki-Paket", "value": "apkg"}, {"name": "CSV", "value": "csv"}]
    assert (german["quiz"]["label"], german["quiz"]["description"]) == ("quiz", "Start a quiz")

    japanese = {e.path: e.to_json() for e in render.command_catalogue(LOCALISED, "ja")}
    assert (japanese["decks export"]["label"], japanese["decks export"]["description"]) == ("デッキ export", "Download a deck")

    english = {e.path: e.to_json() for e in render.command_catalogue(LOCALISED)}
    assert (english["decks export"]["label"], english["decks export"]["description"]) == ("decks export", "Download a deck")
    assert "label" not in english["decks export"]["options"][0]
    assert english["decks export"]["options"][1]["choices"][0]["name"] == "Anki package"


def test_a_choice_can_be_typed_as_any_client_shows_it() -> None:
    entry = {e.path: e for e in render.command_catalogue(LOCALISED, "de")}["decks export"]
    assert render.coerce_options(entry, {"deck": "x", "format": "anki-paket"}, {})["format"] == "apkg"
    assert render.coerce_options(entry, {"deck": "x", "format": "Anki package"}, {})["format"] == "apkg"
    with pytest.raises(OptionError, match="one of: Anki package, CSV"):
        render.coerce_options(entry, {"deck": "x", "format": "zip"}, {})
