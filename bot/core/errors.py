"""Refusals a member should read: raised by services, turned into private replies at the edge (one place each).

The message is the reply; nothing here imports discord, so a service can refuse without knowing where it runs.
"""
from __future__ import annotations

from bot.core.translation import N_, _


class RecallError(Exception):
    """A request Recall will not carry out, for a reason the member can act on. `str(error)` is the reply."""


class DeckGone(RecallError):
    """The deck (or the item a message showed) is no longer on this server."""


class NotAllowed(RecallError):
    """The member may not do this (someone else's session, a moderator-only action)."""


class InvalidInput(RecallError):
    """What the member typed or clicked cannot be used (an unknown deck id, a malformed button)."""


class Stale(RecallError):
    """The message was already answered or replaced; nothing was changed."""


# A write (or read) that another program's lock kept out for too long: the member is told, nothing half-done is kept.
BUSY = N_("Recall's database is busy (another program is using it). Try again in a moment.")
NOT_SAVED = N_(
    "Recall's database is busy (another program is using it), so your answer was **not** saved. "
    "Try again in a moment."
)


class Busy(RecallError):
    """Another program held the database's lock for longer than Recall waits; nothing was changed."""

    def __init__(self, text: str = BUSY) -> None:
        # Translated when raised: that is in the task of the interaction it answers, in its language.
        super().__init__(_(text))


class NotSaved(Busy):
    """A write could not be committed because another program held the lock; it was rolled back, not stored."""

    def __init__(self, text: str = NOT_SAVED) -> None:
        super().__init__(text)
