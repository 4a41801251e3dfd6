"""What /study shows: the card (front, then back with rating buttons), the session summary, the deck picker, and
the texts of its refusals.

The buttons are RecallItems (bot.ui.items): their custom id carries the member, deck, item and the session token, so
they work after a restart. They parse the id and call the Study cog through the StudyActions protocol; the base
checks the owner and answers every failure privately.

Custom ids (kept as they were, so buttons on old messages keep working):
  study:rev:<user>:<deck>:<item>:<token>           Reveal
  study:rate:<user>:<deck>:<item>:<token>:<1-4>    Again / Hard / Good / Easy
  study:stop:<user>:<deck>:<item>:<token>          Stop
  study:pick:<user>:<0|1>                          the deck menu (1: post the session publicly)
A card shown in a direct message (a reminder's Study now) adds the server it counts for as one more field:
  study:rev:<user>:<deck>:<item>:<token>:<guild>   (and so on for rate, after the rating, and stop)
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Protocol

import discord

from bot.core.decks import Deck
from bot.core.scheduling import RATING_NAMES, format_interval
from bot.core.streaks import StreakUpdate
from bot.core.study_queue import KIND_QUIZ, StudyItem, StudyScreen, again_rate
from bot.core.translation import N_, _, ngettext, number, percent
from bot.ui.common import COLOUR, clip, level_badge, relative_time, streak_line, unlinked
from bot.ui.items import CUSTOM_ID_LIMIT, RecallItem, fields_of, matching, one_of, snowflake

DESCRIPTION_LIMIT = 4096
HASH_MARK = "~"
PICKER_LIMIT = 25  # options in one select menu
DONE_COLOUR = discord.Colour.green()

RATING_STYLES = {
    1: discord.ButtonStyle.danger,
    2: discord.ButtonStyle.secondary,
    3: discord.ButtonStyle.success,
    4: discord.ButtonStyle.primary,
}

_SAFE_REF = re.compile(r"[A-Za-z0-9_.-]+")
# A deck or item field: the id itself when it is safe and short, else its short_ref.
REF_FIELD = re.compile(r"[A-Za-z0-9_.-]{1,90}|~[0-9a-f]{10}")
TOKEN_FIELD = re.compile(r"[0-9a-f]{1,32}")

# --- Refusals (raised by the cog as bot.core.errors; the member reads them privately) ---------------------------------

STALE = N_("That card was already rated or replaced; the session has moved on. Run `/study` to see where you are.")
RESUMED = N_("Your open card, shown again.")
NO_DECKS = N_("There are no decks on this server yet. An admin can add one with `/decks`.")
NOTHING_DUE = N_("Nothing is due on that server right now: you are all caught up. Run `/study` there to start new "
                 "cards.")


def deck_gone(deck_ref: str) -> str:
    return _("The deck `{deck_id}` of this card is no longer on this server (it was removed or renamed). Run `/study` "
             "to pick a deck.").format(deck_id=deck_ref[:80])


def item_gone(deck: Deck) -> str:
    return _("This card is no longer in **{deck}** (the deck was changed). Run `/study` to continue with the "
             "rest.").format(deck=deck.title)


def rating_name(rating: int) -> str:
    return _(RATING_NAMES[rating])


@dataclass(slots=True)
class StudyTuning:
    """Knobs of the /study adapter. They live here, not on the cog: discord.py re-imports a cog's module on every
    bot start, so tests could not patch the cog class once for a test that restarts the bot."""

    # Work that takes longer than this is finished after a defer, so the 3-second deadline holds even under load;
    # quick answers go out in one response instead of a defer plus an edit.
    answer_budget: float = 1.5
    fuzz: bool = True  # fsrs interval fuzzing; tests turn it off for exact intervals


TUNING = StudyTuning()


# --- Custom ids ------------------------------------------------------------------------------------------------------


def short_ref(text: str) -> str:
    """A stand-in for an id that does not fit in a custom id (or contains characters the id syntax uses)."""
    return HASH_MARK + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def ref_names(ref: str, actual: str) -> bool:
    return ref == actual or (ref.startswith(HASH_MARK) and ref == short_ref(actual))


def resolve_ref(ref: str, candidates: Iterable[str]) -> str | None:
    """The id among `candidates` that `ref` stands for."""
    return next((c for c in candidates if ref_names(ref, c)), None)


@dataclass(frozen=True, slots=True)
class CardRef:
    """What a card's buttons say about it: whose session, which deck and item, which showing (token), and for a
    card shown in a direct message the server it counts for (None on a server's card)."""

    user_id: int
    deck: str  # the deck id, or its short_ref when the ids would not fit
    item: str
    token: str
    guild_id: int | None = None

    @classmethod
    def of(cls, user_id: int, deck_id: str, item_id: str, token: str, guild_id: int | None = None) -> "CardRef":
        deck = deck_id if _SAFE_REF.fullmatch(deck_id) else short_ref(deck_id)
        item = item_id if _SAFE_REF.fullmatch(item_id) else short_ref(item_id)
        ref = cls(user_id, deck, item, token, guild_id)
        # The rating id is the longest one; shorten the longer id first until it fits.
        if len(ref.custom_id("rate", 4)) > CUSTOM_ID_LIMIT:
            if len(deck) >= len(item):
                ref = cls(user_id, short_ref(deck_id), item, token, guild_id)
            else:
                ref = cls(user_id, deck, short_ref(item_id), token, guild_id)
        if len(ref.custom_id("rate", 4)) > CUSTOM_ID_LIMIT:
            ref = cls(user_id, short_ref(deck_id), short_ref(item_id), token, guild_id)
        return ref

    @classmethod
    def parse(cls, fields: list[str], guild_id: int | None = None) -> "CardRef":
        """The ref in a custom id's first four fields (user, deck, item, token); BadId when any is malformed."""
        user, deck, item, token = fields[:4]
        return cls(snowflake(user), matching(deck, REF_FIELD), matching(item, REF_FIELD), matching(token, TOKEN_FIELD),
                   guild_id)

    def custom_id(self, action: str, rating: int | None = None) -> str:
        base = f"study:{action}:{self.user_id}:{self.deck}:{self.item}:{self.token}"
        if rating is not None:
            base = f"{base}:{rating}"
        return base if self.guild_id is None else f"{base}:{self.guild_id}"


def card_fields(args: str | None, count: int) -> tuple[list[str], int | None]:
    """A card button's `count` fields, and the server of a card shown in a direct message (one field more)."""
    fields = args.split(":") if args else []
    if len(fields) == count + 1:
        return fields[:count], snowflake(fields[count])
    return fields_of(args, count), None


class StudyActions(Protocol):
    """What the buttons ask of the Study cog (the owner is checked before any of these is called)."""

    async def reveal(self, interaction: discord.Interaction, ref: CardRef) -> None: ...

    async def rate(self, interaction: discord.Interaction, ref: CardRef, rating: int) -> None: ...

    async def stop(self, interaction: discord.Interaction, ref: CardRef) -> None: ...

    async def choose_deck(self, interaction: discord.Interaction, public: bool, deck_id: str) -> None: ...


FEATURE = "Study"  # the cog's name


class _StudyItem:
    """What every study item shares: /study starts one of your own, and StudyCog.answer acknowledges slow work
    within its own budget (so the items' generic acknowledgement stays off)."""

    command = "/study"
    acknowledges_when_slow = False


class _OnCard(_StudyItem):
    """A button on a card: it belongs to the member the card's ref names."""

    ref: CardRef

    @property
    def owner(self) -> int:
        return self.ref.user_id


class RevealButton(_OnCard, RecallItem[discord.ui.Button], prefix="study:rev", feature=FEATURE):
    def __init__(self, ref: CardRef) -> None:
        super().__init__(
            # Translators: button under a flashcard's front: show its back
            discord.ui.Button(label=_("Reveal"), style=discord.ButtonStyle.primary, custom_id=ref.custom_id("rev"))
        )
        self.ref = ref

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "RevealButton":
        return cls(CardRef.parse(*card_fields(args, 4)))

    async def run(self, interaction: discord.Interaction, actions: StudyActions) -> None:
        await actions.reveal(interaction, self.ref)


class RateButton(_OnCard, RecallItem[discord.ui.Button], prefix="study:rate", feature=FEATURE):
    def __init__(self, ref: CardRef, rating: int, interval: timedelta | None = None) -> None:
        label = rating_name(rating)
        if interval is not None:
            # Translators: rating button: the rating, then when the card comes back with it ("Good · 10m")
            label = _("{rating} · {interval}").format(rating=label, interval=format_interval(interval))
        super().__init__(
            discord.ui.Button(label=label, style=RATING_STYLES[rating], custom_id=ref.custom_id("rate", rating))
        )
        self.ref = ref
        self.rating = rating

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "RateButton":
        fields, guild_id = card_fields(args, 5)
        return cls(CardRef.parse(fields, guild_id), int(one_of(fields[4], ("1", "2", "3", "4"))))

    async def run(self, interaction: discord.Interaction, actions: StudyActions) -> None:
        await actions.rate(interaction, self.ref, self.rating)


class StopButton(_OnCard, RecallItem[discord.ui.Button], prefix="study:stop", feature=FEATURE):
    def __init__(self, ref: CardRef) -> None:
        super().__init__(
            # Translators: button under a flashcard: end the study session
            discord.ui.Button(label=_("Stop"), style=discord.ButtonStyle.secondary, custom_id=ref.custom_id("stop"))
        )
        self.ref = ref

    @classmethod
    def parse(cls, item: discord.ui.Button, args: str | None) -> "StopButton":
        return cls(CardRef.parse(*card_fields(args, 4)))

    async def run(self, interaction: discord.Interaction, actions: StudyActions) -> None:
        await actions.stop(interaction, self.ref)


class DeckPicker(_StudyItem, RecallItem[discord.ui.Select], prefix="study:pick", feature=FEATURE):
    """The deck menu shown by /study without a deck when the member has no last deck."""

    def __init__(self, owner_id: int, public: bool, decks: Iterable[Deck] = ()) -> None:
        options = [
            discord.SelectOption(label=clip(deck.title, 100), value=deck.id, description=clip(deck.id, 100))
            for deck in list(decks)[:PICKER_LIMIT]
        ]
        super().__init__(
            discord.ui.Select(
                placeholder=_("Choose a deck to study"),
                custom_id=self.custom_id_of(owner_id, int(public)),
                options=options or [discord.SelectOption(label="-", value="-")],
            )
        )
        self.owner_id = owner_id
        self.public = public

    @classmethod
    def parse(cls, item: discord.ui.Select, args: str | None) -> "DeckPicker":
        user, public = fields_of(args, 2)
        return cls(snowflake(user), one_of(public, ("0", "1")) == "1")

    @property
    def owner(self) -> int:
        return self.owner_id

    async def run(self, interaction: discord.Interaction, actions: StudyActions) -> None:
        values = (interaction.data or {}).get("values") or []  # type: ignore[union-attr]
        if values:
            await actions.choose_deck(interaction, self.public, str(values[0]))


DYNAMIC_ITEMS = (RevealButton, RateButton, StopButton, DeckPicker)


# --- Views ---------------------------------------------------------------------------------------------------------


def front_view(ref: CardRef) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RevealButton(ref))
    view.add_item(StopButton(ref))
    return view


def back_view(ref: CardRef, intervals: dict[int, timedelta]) -> discord.ui.View:
    """Again / Hard / Good / Easy, each labelled with when the card would come back, then Stop."""
    view = discord.ui.View(timeout=None)
    for rating in RATING_NAMES:
        view.add_item(RateButton(ref, rating, intervals.get(rating)))
    view.add_item(StopButton(ref))
    return view


def picker_view(owner_id: int, public: bool, decks: list[Deck]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DeckPicker(owner_id, public, decks))
    return view


def screen_message(
    deck: Deck, screen: StudyScreen, *, owner: str | None, note: str | None = None, stopped: bool = False,
    dm_guild: int | None = None,
) -> tuple[discord.Embed, discord.ui.View | None]:
    """The session as a message: the shown card's front with Reveal and Stop, or the summary when nothing is shown.
    `owner`: the member's name on a public session; `dm_guild`: the server a card shown in a DM counts for."""
    session, pick = screen.session, screen.pick
    if pick.item is None:
        embed = summary_embed(
            deck, reviewed=session.reviewed, again=session.again, next_due=pick.next_due,
            new_waiting=pick.new_waiting, still_due=pick.available if stopped else 0, stopped=stopped,
            owner=owner, note=note,
        )
        return embed, None
    ref = CardRef.of(session.user_id, deck.id, pick.item.item_id, session.token, dm_guild)
    embed = card_embed(deck, pick.item, progress=progress_text(session.reviewed, pick.available), owner=owner, note=note)
    return embed, front_view(ref)


# --- Embeds ----------------------------------------------------------------------------------------------------------


def progress_text(reviewed: int, available: int) -> str:
    """"card 3 of 12 due today": ratings so far plus what is still available, the shown card included."""
    return _("card {number} of {total} due today").format(number=number(reviewed + 1),
                                                          total=number(reviewed + max(available, 1)))


def card_embed(
    deck: Deck,
    item: StudyItem,
    *,
    progress: str,
    revealed: bool = False,
    owner: str | None = None,
    note: str | None = None,
) -> discord.Embed:
    """A card: its front, and its back once revealed; level and progress in the footer, `note` above them."""
    embed = discord.Embed(title=clip(deck.title, 256), description=_card_text(item, revealed), colour=COLOUR)
    if owner:
        embed.set_author(name=clip(_("{member} is studying").format(member=owner), 256))
    if item.image:
        embed.set_image(url=item.image)
    footer = f"{level_badge(item.level)} · {progress}"
    embed.set_footer(text=clip(f"{note}\n{footer}" if note else footer, 2048))
    return unlinked(embed)


def summary_embed(
    deck: Deck,
    *,
    reviewed: int,
    again: int,
    next_due: datetime | None,
    new_waiting: int,
    still_due: int = 0,
    stopped: bool = False,
    owner: str | None = None,
    note: str | None = None,
) -> discord.Embed:
    """The end of a session: reviews done, again-rate, when the next card is due."""
    if stopped:
        title = _("Session stopped · {deck}").format(deck=deck.title)
    elif reviewed:
        title = _("All caught up · {deck}").format(deck=deck.title)
    else:
        title = _("Nothing due right now · {deck}").format(deck=deck.title)
    lines = [_("Reviews this session: **{count}**").format(count=number(reviewed))]
    rate = again_rate(reviewed, again)
    if rate is not None:
        lines.append(_("Again-rate: **{rate}** ({again} of {reviewed})").format(
            rate=percent(rate), again=number(again), reviewed=number(reviewed)))
    if still_due:
        lines.append(ngettext("**{count}** card still due — run `/study` to continue.",
                              "**{count}** cards still due — run `/study` to continue.", still_due)
                     .format(count=number(still_due)))
    if next_due is not None:
        lines.append(_("Next card due {time}").format(time=relative_time(next_due)))
    if new_waiting:
        lines.append(ngettext("**{count}** new card will come in the next days (daily new-card limit).",
                              "**{count}** new cards will come in the next days (daily new-card limit).", new_waiting)
                     .format(count=number(new_waiting)))
    if next_due is None and not new_waiting and not still_due and not deck.cards:
        lines.append(_("This deck has no flashcards to study; try `/quiz` or `/explain` with it."))
    embed = discord.Embed(title=clip(title, 256), description="\n".join(lines), colour=DONE_COLOUR)
    if owner:
        embed.set_author(name=clip(_("{member} is studying").format(member=owner), 256))
    if note:
        embed.set_footer(text=clip(note, 2048))
    return unlinked(embed)


def picker_embed(decks: list[Deck]) -> discord.Embed:
    text = _("Pick a deck to study below, or run `/study deck:` and start typing its name.")
    if len(decks) > PICKER_LIMIT:
        text += "\n" + ngettext("The menu lists the first {shown} of {count} deck.",
                                "The menu lists the first {shown} of {count} decks.", len(decks)).format(
            shown=number(PICKER_LIMIT), count=number(len(decks)))
    return discord.Embed(title=_("Which deck?"), description=text, colour=COLOUR)


def rating_note(rating: int, interval: timedelta, streak: StreakUpdate | None) -> str:
    """The line under the next card about the one just rated: "Good · back in 2d · 🔥 5-day streak"."""
    # Translators: note under the next card about the one just rated ("Good · back in 10m")
    parts = [_("{rating} · back in {interval}").format(rating=rating_name(rating), interval=format_interval(interval))]
    line = streak_line(streak)
    if line:
        parts.append(line)
    return " · ".join(parts)


def _card_text(item: StudyItem, revealed: bool) -> str:
    # Translators: the front of a flashcard that has only a picture
    front = item.front or _("*(see the picture)*")
    if item.kind == KIND_QUIZ:
        front = _("❓ *You missed this one in /quiz.*") + "\n\n" + front
    if not revealed:
        return clip(front, DESCRIPTION_LIMIT)
    # Translators: heading above a flashcard's back
    separator = "\n\n" + _("**Answer**") + "\n"
    if len(front) + len(separator) + len(item.back) > DESCRIPTION_LIMIT:
        front = clip(front, DESCRIPTION_LIMIT // 2)
    return front + separator + clip(item.back, DESCRIPTION_LIMIT - len(front) - len(separator))
