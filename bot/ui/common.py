"""Small pieces every view uses: colours, level badges, clipping to Discord's limits, times, streak lines."""
from __future__ import annotations

from datetime import datetime

import discord

from bot.core.streaks import MAX_FREEZES, StreakUpdate
from bot.core.text import clip

__all__ = ["COLOUR", "clip", "days_text", "level_badge", "relative_time", "streak_line", "unknown_deck_text"]

LEVEL_BADGES = {"beginner": "🟢 beginner", "intermediate": "🟡 intermediate", "advanced": "🔴 advanced"}
COLOUR = discord.Colour.from_rgb(88, 101, 242)


def level_badge(level: str) -> str:
    return LEVEL_BADGES.get(level, level)


def unknown_deck_text(deck_id: str) -> str:
    return f"There is no deck `{deck_id[:80]}` on this server. Start typing in the `deck` option to pick one, or see `/decks list`."


def relative_time(moment: datetime) -> str:
    """A timestamp Discord shows relative to the reader's clock ("in 3 minutes")."""
    return f"<t:{int(moment.timestamp())}:R>"


def days_text(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def streak_line(update: StreakUpdate | None) -> str | None:
    """The line shown after an activity that changed the streak ("🔥 5-day streak"), else None."""
    if update is None or not update.grew:
        return None
    parts = []
    if update.freezes_used:
        parts.append("🧊 a freeze saved your streak")
    parts.append(f"🔥 {update.state.current}-day streak")
    if update.freeze_earned:
        parts.append(f"🧊 freeze earned ({update.state.freezes}/{MAX_FREEZES} held)")
    return " · ".join(parts)
