"""Every SQL statement about memory models (migration 0009): the parameter set of each scope (a member, or with user
id 0 the server), the log of fits, the review histories fits and rescheduling read, and what /stats shows of the
model. The rules (fitting, judging, FSRS) are bot.core.memory's, applied by bot.services.memory.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.clock import from_text, to_text
from bot.core.memory import Calibration, FitOutcome, FitRow, Review
from bot.store.api import Connection, Store



@dataclass(frozen=True, slots=True)
class ModelRow:
    """One scope's stored model: the set in use (None: none adopted yet), the one it replaced, and its last fit."""

    guild_id: int
    user_id: int
    parameters: str | None
    previous: str | None
    adopted_at: datetime | None
    last_fit_at: datetime
    last_fit_reviews: int


@dataclass(frozen=True, slots=True)
class CardHistory:
    """A member's stored card of one item with its reviews, oldest first (what rescheduling replays)."""

    deck_id: str
    item_id: str
    last_review: str  # as stored: the rescheduled row is written only if no rating moved it since
    card_json: str
    ratings: list[tuple[int, datetime]]


@dataclass(frozen=True, slots=True)
class RescheduledCard:
    deck_id: str
    item_id: str
    last_review: str  # the stored last_review the new card was worked out from
    card_json: str
    state: int
    due: datetime


_MODEL_COLUMNS = "guild_id, user_id, parameters, previous, adopted_at, last_fit_at, last_fit_reviews"


def _model(row: Any) -> ModelRow:
    return ModelRow(
        row["guild_id"], row["user_id"], row["parameters"], row["previous"],
        from_text(row["adopted_at"]) if row["adopted_at"] else None, from_text(row["last_fit_at"]),
        row["last_fit_reviews"],
    )


# --- Models and counts -----------------------------------------------------------------------------------------------


async def models(db: Store, guild_id: int) -> dict[int, ModelRow]:
    """Every fitted scope of a server, by user id (SERVER_SCOPE for the server's own)."""
    rows = await db.fetchall(f"SELECT {_MODEL_COLUMNS} FROM memory_models WHERE guild_id = ?", (guild_id,))
    return {row["user_id"]: _model(row) for row in rows}


async def model_text(db: Store, guild_id: int, user_id: int) -> tuple[str | None, str]:
    """(the parameter text scheduling a member, whose it is: 'member', 'server' or 'default')."""
    row = await db.fetchone(
        "SELECT mm.parameters AS own, ms.parameters AS server "
        "FROM (SELECT CAST(? AS BIGINT) AS guild_id, CAST(? AS BIGINT) AS user_id) k "
        "LEFT JOIN memory_models mm ON mm.guild_id = k.guild_id AND mm.user_id = k.user_id "
        "LEFT JOIN memory_models ms ON ms.guild_id = k.guild_id AND ms.user_id = 0",
        (guild_id, user_id),
    )
    if row["own"] is not None:
        return row["own"], "member"
    if row["server"] is not None:
        return row["server"], "server"
    return None, "default"


async def review_counts(db: Store, guild_id: int) -> dict[int, int]:
    """Reviews per member of a server, all time (the trigger-kept totals: no scan of the log)."""
    rows = await db.fetchall(
        "SELECT user_id, reviews FROM board_member_totals WHERE guild_id = ? AND reviews > 0", (guild_id,)
    )
    return {row["user_id"]: row["reviews"] for row in rows}


async def servers_with_reviews(db: Store) -> list[int]:
    rows = await db.fetchall("SELECT DISTINCT guild_id FROM board_member_totals WHERE reviews > 0")
    return [row["guild_id"] for row in rows]


async def recent_fits(db: Store, guild_id: int, limit: int = 5) -> list[FitRow]:
    rows = await db.fetchall(
        "SELECT fitted_at, user_id, reviews, adopted, reason, log_loss_before, rmse_before, log_loss_after, "
        "rmse_after FROM memory_fits WHERE guild_id = ? ORDER BY fitted_at DESC, id DESC LIMIT ?",
        (guild_id, limit),
    )
    return [
        FitRow(from_text(r["fitted_at"]), r["user_id"], r["reviews"], bool(r["adopted"]), r["reason"],
               r["log_loss_before"], r["rmse_before"], r["log_loss_after"], r["rmse_after"])
        for r in rows
    ]


# --- Histories -------------------------------------------------------------------------------------------------------


# One review as `review_rows` gives it: (user id, deck id, item id, rating, reviewed_at as stored).
ReviewRow = tuple[int, str, str, int, str]


async def review_history(db: Store, guild_id: int, user_id: int | None = None) -> list[Review]:
    """A member's reviews (or, with None, every member's of the server), each naming its card."""
    # Thousands of rows take tens of milliseconds of Python to map: in a worker thread, the event loop keeps serving.
    return await asyncio.to_thread(reviews_from_rows, await _review_rows(db, guild_id, user_id))


async def review_rows(db: Store, guild_id: int, user_id: int | None = None) -> list[ReviewRow]:
    """The rows of review_history as plain tuples, oldest first: they can be sent to another process as they are, and
    mapped there (reviews_from_rows)."""
    return await asyncio.to_thread(_plain, await _review_rows(db, guild_id, user_id))


def _plain(rows: list[Any]) -> list[ReviewRow]:
    return [tuple(row) for row in rows]  # type: ignore[misc]


def reviews_from_rows(rows: Sequence[Sequence[Any]]) -> list[Review]:
    return [
        Review((user_id, deck_id, item_id), rating, from_text(at)) for user_id, deck_id, item_id, rating, at in rows
    ]


async def _review_rows(db: Store, guild_id: int, user_id: int | None) -> list[Any]:
    where, params = ("guild_id = ? AND user_id = ?", (guild_id, user_id)) if user_id is not None else (
        "guild_id = ?", (guild_id,))
    return await db.fetchall(
        f"SELECT user_id, deck_id, item_id, rating, reviewed_at FROM reviews WHERE {where} ORDER BY reviewed_at, id",
        params,
    )


async def card_histories(db: Store, guild_id: int, user_id: int) -> list[CardHistory]:
    """Every stored card of a member with its ratings, oldest first."""
    states = await db.fetchall(
        "SELECT deck_id, item_id, last_review, card_json FROM srs_state WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    reviews = await _review_rows(db, guild_id, user_id)
    return await asyncio.to_thread(_card_histories, states, reviews)


def _card_histories(states: list[Any], reviews: list[Any]) -> list[CardHistory]:
    ratings: dict[tuple[str, str], list[tuple[int, datetime]]] = {}
    for row in reviews:
        ratings.setdefault((row["deck_id"], row["item_id"]), []).append((row["rating"], from_text(row["reviewed_at"])))
    return [
        CardHistory(row["deck_id"], row["item_id"], row["last_review"], row["card_json"],
                    ratings[(row["deck_id"], row["item_id"])])
        for row in states
        if ratings.get((row["deck_id"], row["item_id"]))
    ]


async def members_on_server_model(db: Store, guild_id: int) -> list[int]:
    """Members with cards whose own parameters were never adopted: the server's set (or the defaults) schedules them."""
    rows = await db.fetchall(
        "SELECT DISTINCT s.user_id FROM srs_state s LEFT JOIN memory_models m ON m.guild_id = s.guild_id "
        "AND m.user_id = s.user_id WHERE s.guild_id = ? AND m.parameters IS NULL",
        (guild_id,),
    )
    return [row["user_id"] for row in rows]


# --- Writes ----------------------------------------------------------------------------------------------------------


async def record_fit(
    db: Store, guild_id: int, user_id: int, outcome: FitOutcome, *, text: str | None, at: datetime, reviews_now: int
) -> None:
    """Log a fit and, when it was adopted (`text`: its set as stored), make its set the scope's (the replaced one kept
    as `previous`)."""
    at_text = to_text(at)
    before, after = outcome.before, outcome.after

    async def body(conn: Connection) -> None:
        await conn.execute(
            "INSERT INTO memory_fits (guild_id, user_id, fitted_at, reviews, adopted, reason, log_loss_before, "
            "rmse_before, log_loss_after, rmse_after, parameters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, user_id, at_text, outcome.reviews, int(outcome.adopted), outcome.reason,
             before.log_loss if before else None, before.rmse_bins if before else None,
             after.log_loss if after else None, after.rmse_bins if after else None, text),
        )
        if text is None:
            await conn.execute(
                "INSERT INTO memory_models (guild_id, user_id, last_fit_at, last_fit_reviews) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id, user_id) DO UPDATE SET last_fit_at = excluded.last_fit_at, "
                "last_fit_reviews = excluded.last_fit_reviews",
                (guild_id, user_id, at_text, reviews_now),
            )
        else:
            await conn.execute(
                "INSERT INTO memory_models (guild_id, user_id, parameters, adopted_at, last_fit_at, last_fit_reviews) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                "previous = memory_models.parameters, parameters = excluded.parameters, "
                "adopted_at = excluded.adopted_at, last_fit_at = excluded.last_fit_at, "
                "last_fit_reviews = excluded.last_fit_reviews",
                (guild_id, user_id, text, at_text, at_text, reviews_now),
            )

    await db.atomic(body)


async def roll_back(db: Store, guild_id: int, user_id: int, *, at: datetime) -> bool:
    """Put the scope's previous set back (None there: the defaults or the server's set schedule it again); logged as a
    fit that was not adopted. False when the scope never adopted a set."""

    async def body(conn: Connection) -> bool:
        async with conn.execute(
            "UPDATE memory_models SET parameters = previous, previous = NULL, adopted_at = ? "
            "WHERE guild_id = ? AND user_id = ? AND parameters IS NOT NULL RETURNING last_fit_reviews",
            (to_text(at), guild_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return False
        await conn.execute(
            "INSERT INTO memory_fits (guild_id, user_id, fitted_at, reviews, adopted, reason) "
            "VALUES (?, ?, ?, ?, 0, 'rolled back to the previous set')",
            (guild_id, user_id, to_text(at), row["last_fit_reviews"]),
        )
        return True

    return await db.atomic(body)


async def write_rescheduled(db: Store, guild_id: int, user_id: int, cards: list[RescheduledCard]) -> int:
    """Store rescheduled cards in one transaction, each only if no rating moved it since its history was read (a
    rating given meanwhile was scheduled by the new set already). Returns how many were written."""

    async def body(conn: Connection) -> int:
        written = 0
        for card in cards:
            async with conn.execute(
                "UPDATE srs_state SET card_json = ?, state = ?, due = ? WHERE guild_id = ? AND user_id = ? "
                "AND deck_id = ? AND item_id = ? AND last_review = ? RETURNING item_id",
                (card.card_json, card.state, to_text(card.due), guild_id, user_id, card.deck_id, card.item_id,
                 card.last_review),
            ) as cur:
                written += (await cur.fetchone()) is not None
        return written

    return await db.atomic(body)


# --- What members see ------------------------------------------------------------------------------------------------


async def due_cards(db: Store, guild_id: int, user_id: int, until: datetime) -> list[str]:
    """The JSON of a member's reviewed cards due by `until`."""
    rows = await db.fetchall(
        "SELECT card_json FROM srs_state WHERE guild_id = ? AND user_id = ? AND due <= ? AND last_review IS NOT NULL",
        (guild_id, user_id, to_text(until)),
    )
    return [row["card_json"] for row in rows]


async def calibration(db: Store, guild_id: int, user_id: int, since: datetime) -> Calibration:
    """The model's predicted recall against the true recall of a member's reviews since `since`."""
    row = await db.fetchone(
        "SELECT COUNT(*) AS n, AVG(predicted_recall) AS predicted, "
        "AVG(CASE WHEN rating > 1 THEN 1.0 ELSE 0.0 END) AS actual FROM reviews "
        "WHERE guild_id = ? AND user_id = ? AND reviewed_at >= ? AND predicted_recall IS NOT NULL",
        (guild_id, user_id, to_text(since)),
    )
    return Calibration(row["n"], row["predicted"], row["actual"])
