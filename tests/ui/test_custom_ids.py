"""Every restart-proof item kind refuses malformed and forged custom ids privately, never with a traceback.

Table-driven over every RecallItem and RecallSubmit subclass that bot/ui defines: a new item kind is covered the
moment it exists. What a member would send: garbage after the prefix, missing and extra fields, negative, huge and
non-ASCII numbers, and (in FORGED) a well-formed id naming another member, which the ownership check refuses.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from types import SimpleNamespace
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest

import bot.ui
from bot.ui.items import MALFORMED, RecallItem, RecallSubmit

for _module in pkgutil.iter_modules(bot.ui.__path__):
    importlib.import_module(f"bot.ui.{_module.name}")

ALICE, BOB = 111111111111111111, 222222222222222222
GUILD = 333333333333333333


def subclasses(base: type) -> list[type]:
    found, pending = [], list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "prefix" in cls.__dict__ or cls.__module__.startswith("bot.ui.") and cls.__module__ != "bot.ui.items":
            found.append(cls)
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


ITEMS = [c for c in subclasses(RecallItem) if getattr(c, "prefix", None)]
SUBMITS = [c for c in subclasses(RecallSubmit) if getattr(c, "prefix", None)]

GARBAGE = [
    "",  # the prefix alone
    ":",
    ":garbage",
    ":-1:-1:-1:-1:-1:-1",
    ":" + "9" * 40 + ":" + "9" * 40 + ":" + "9" * 40 + ":" + "9" * 40 + ":9",
    ":١٢٣:٤٥٦:x:y:z",  # Arabic-Indic digits: isdigit() but not ASCII
    ":" + ":".join(["x"] * 12),
    ": :  :   :",
]


@dataclass
class FakeResponse:
    sent: list[tuple[str, bool]] = field(default_factory=list)

    def is_done(self) -> bool:
        return bool(self.sent)

    async def send_message(self, content: str, *, ephemeral: bool = False, **_: Any) -> Any:
        self.sent.append((content, ephemeral))
        return SimpleNamespace(message_id=None)  # the callback response: only its message id is read


@dataclass
class FakeClient:
    cogs: dict[str, object]

    def get_cog(self, name: str) -> object | None:
        return self.cogs.get(name)


class FakeInteraction:
    """What the item base touches of a discord.Interaction."""

    def __init__(self, user_id: int, cogs: dict[str, object]) -> None:
        self.id = 1
        self.user = discord.Object(user_id)
        self.client = FakeClient(cogs)
        self.response = FakeResponse()
        self.extras: dict[str, Any] = {}
        self.data: dict[str, Any] = {}
        self.locale = discord.Locale.american_english
        self.guild_id = None
        self.guild_locale = None


def cogs_for(kind: type) -> dict[str, object]:
    return {kind.feature: object()}  # any object: the check only asks whether the feature is loaded


async def refusal_of(kind: type, custom_id: str, user_id: int = ALICE) -> list[tuple[str, bool]]:
    """What a member pressing an item with `custom_id` is told, and whether the work would run (None)."""
    interaction = FakeInteraction(user_id, cogs_for(kind))
    if issubclass(kind, RecallItem):
        match = kind.__discord_ui_compiled_template__.fullmatch(custom_id)
        assert match is not None, f"{kind.__name__}'s template must take every id with its prefix: {custom_id!r}"
        # The base item discord.py hands to from_custom_id (rebuilt from the message); only its custom id matters here.
        component = discord.ui.Button(custom_id=custom_id)
        made = await kind.from_custom_id(interaction, component, match)  # type: ignore[arg-type]
    else:
        made = kind.of(custom_id, {})
    allowed = await made.check(interaction)
    return [] if allowed else interaction.response.sent


def test_every_item_kind_is_covered() -> None:
    prefixes = {c.prefix for c in ITEMS} | {c.prefix for c in SUBMITS}
    # The kinds Recall has today; a new one joins the table on its own (this only guards against finding none).
    assert {"study:rev", "study:rate", "study:stop", "quiz:stop", "lb", "decks:page", "decks:replace"} <= prefixes
    assert any(p.startswith("explain") for p in prefixes)


@pytest.mark.parametrize("kind", ITEMS + SUBMITS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("tail", GARBAGE, ids=range(len(GARBAGE)))
async def test_malformed_ids_are_refused_privately(kind: type, tail: str) -> None:
    sent = await refusal_of(kind, kind.prefix + tail)
    assert sent == [(MALFORMED, True)]


# Well-formed ids that name someone else's item: (kind prefix, id fields). The owner check must refuse ALICE.
FORGED = {
    "study:rev": f"{BOB}:pytorch-lr-schedulers:card-1:abcdef",
    "study:rate": f"{BOB}:pytorch-lr-schedulers:card-1:abcdef:3",
    "study:stop": f"{BOB}:pytorch-lr-schedulers:card-1:abcdef",
    "study:pick": f"{BOB}:0",
    "explain:hint": f"{BOB}:AbCdEf12",
    "explain:answer": f"{BOB}:AbCdEf12",
    "explain:submit": f"{BOB}:AbCdEf12",
    "memory:fit": f"{BOB}",
    "memory:back": f"{BOB}",
    "memory:retention": f"{BOB}:85",
    "remind:study": f"{BOB}:{GUILD}",
}


OWNED = [kind for kind in ITEMS + SUBMITS if kind.prefix in FORGED]  # the others belong to nobody in particular


def test_every_forged_row_names_an_item_kind() -> None:
    assert sorted(kind.prefix for kind in OWNED) == sorted(FORGED)


def test_every_kind_with_an_owner_has_a_forged_row() -> None:
    # A kind that says whose it is must be proven to refuse everyone else: a new one fails here until it has a row.
    owned = {kind.prefix for kind in ITEMS + SUBMITS if "owner" in _own_attributes(kind)}
    assert owned <= set(FORGED), sorted(owned - set(FORGED))


def _own_attributes(kind: type) -> set[str]:
    return {name for klass in kind.__mro__ if klass.__module__.startswith("bot.ui.") and
            klass.__module__ != "bot.ui.items" for name in vars(klass)}


@pytest.mark.parametrize("kind", OWNED, ids=lambda c: c.__name__)
async def test_another_members_item_is_refused_privately(kind: type) -> None:
    custom_id = f"{kind.prefix}:{FORGED[kind.prefix]}"
    sent = await refusal_of(kind, custom_id)
    assert len(sent) == 1 and sent[0][1] is True, sent
    assert re.search(rf"<@{BOB}>", sent[0][0]) and "your own" in sent[0][0]
    assert await refusal_of(kind, custom_id, user_id=BOB) == []  # the owner gets through
