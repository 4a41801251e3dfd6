"""Small pieces every view uses: colours, level badges, clipping to Discord's limits, times, streak lines."""
from __future__ import annotations

import re
from datetime import datetime

import discord

from bot.core.streaks import MAX_FREEZES, StreakUpdate
from bot.core.text import clip
from bot.core.translation import N_, _, ngettext

__all__ = [
    "COLOUR", "clip", "days_text", "level_badge", "member_text", "relative_time", "streak_line", "unknown_deck_text",
    "unlinked", "unmasked",
]

LEVEL_BADGES = {"beginner": N_("🟢 beginner"), "intermediate": N_("🟡 intermediate"), "advanced": N_("🔴 advanced")}
COLOUR = discord.Colour.from_rgb(88, 101, 242)


# The join of a masked link, `[text](url)` or `[text](<url>)`: `]`, then `(` (whitespace between, to be safe).
_LINK_JOIN = re.compile(r"\]([\s\u200b-\u200d\u2060\ufeff]*)\(")
# Discord's limits for the parts of an embed that render markdown.
_TITLE_LIMIT, _DESCRIPTION_LIMIT, _FIELD_NAME_LIMIT, _FIELD_VALUE_LIMIT = 256, 4096, 256, 1024


def unmasked(text: str) -> str:
    """`text` with no masked link: `[free nitro](https://…)` shows as typed, its URL in full, so nobody can dress
    a link up as something else. Everything else stays (bold, code, plain URLs, which Discord shows whole).

    The `(` is escaped everywhere, inside code spans too: telling code apart the way Discord does is fragile, and a
    disagreement would let a link through; the cost is a visible backslash in the rare code that has `](`.
    """
    return _LINK_JOIN.sub(r"]\1\\(", text)


def member_text(text: str) -> str:
    """Text a member wrote (a display name, an answer), shown to others: exactly as typed, no markdown, no links."""
    return unmasked(discord.utils.escape_markdown(text))


def unlinked(embed: discord.Embed) -> discord.Embed:
    """`embed` with no masked link in the parts that render markdown (in place; returned for chaining).

    Deck text comes from a server's admins and keeps its markdown, but the deck format has no way to say a deck
    may carry links, so a link never hides behind text. Used on every embed that shows deck text.
    """
    if embed.title:
        embed.title = clip(unmasked(embed.title), _TITLE_LIMIT)
    if embed.description:
        embed.description = clip(unmasked(embed.description), _DESCRIPTION_LIMIT)
    for index, field in enumerate(embed.fields):
        embed.set_field_at(index, name=clip(unmasked(str(field.name)), _FIELD_NAME_LIMIT),
                           value=clip(unmasked(str(field.value)), _FIELD_VALUE_LIMIT), inline=bool(field.inline))
    return embed


def level_badge(level: str) -> str:
    badge = LEVEL_BADGES.get(level)
    return _(badge) if badge else level


def unknown_deck_text(deck_id: str) -> str:
    return _("There is no deck `{deck_id}` on this server. Start typing in the `deck` option to pick one, or see "
             "`/decks list`.").format(deck_id=deck_id[:80])


def relative_time(moment: datetime) -> str:
    """A timestamp Discord shows relative to the reader's clock ("in 3 minutes")."""
    return f"<t:{int(moment.timestamp())}:R>"


def days_text(n: int) -> str:
    return ngettext("{count} day", "{count} days", n).format(count=n)


def streak_line(update: StreakUpdate | None) -> str | None:
    """The line shown after an activity that changed the streak ("🔥 5-day streak"), else None."""
    if update is None or not update.grew:
        return None
    parts = []
    if update.freezes_used:
        parts.append(_("🧊 a freeze saved your streak"))
    parts.append(ngettext("🔥 {count}-day streak", "🔥 {count}-day streak", update.state.current)
                 .format(count=update.state.current))
    if update.freeze_earned:
        parts.append(_("🧊 freeze earned ({held}/{most} held)").format(held=update.state.freezes, most=MAX_FREEZES))
    return " · ".join(parts)
