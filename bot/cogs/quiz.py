"""/quiz: multiple-choice rounds in a channel, answered with letter reactions.

The rules live in bot.core.quiz; a QuizSession runs one round (its own task, one per channel) and turns its state
into messages; the cog only turns commands, button presses and reaction events into calls on sessions.
"""
from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._base import RecallCog

from bot.ui.replies import send_private
from bot.core.decks import Deck, QuizQuestion
from bot.core.quiz import PACING, Answer, OpenQuestion, QuizRound, Reaction, letter_emoji, letter_index, pick_questions
from bot.store import quiz as store
from bot.store.members import get_member
from bot.cogs._base import deck_autocomplete, find_deck
from bot.ui.common import unknown_deck_text
from bot.ui.quiz import (
    StopButton,
    announcement_embed,
    question_embed,
    relative_time,
    reveal_embed,
    scoreboard_embed,
    stop_view,
)

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.quiz")


def clock() -> datetime:
    """The time answers are graded by (tests pin it through PACING)."""
    return PACING.clock()


REQUIRED_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("add_reactions", "Add Reactions"),
    ("read_message_history", "Read Message History"),
)

ENDINGS = {
    "finished": None,
    "idle": "💤 Nobody answered three questions in a row, so the quiz ended itself.",
    "failed": "⚠️ Something went wrong on Recall's side, so the quiz ended early. Answers given so far count.",
}


def missing_permissions(permissions: discord.Permissions) -> list[str]:
    """The names of the permissions a quiz needs that `permissions` lacks."""
    return [label for name, label in REQUIRED_PERMISSIONS if not getattr(permissions, name)]


def real_seconds(seconds: int) -> float:
    return seconds * PACING.time_scale


class _Halted(Exception):
    """The cog is unloading (the bot stops): leave the round for the next start to close."""


class QuizSession:
    """One round in one channel: owns its task, grades reactions through the core round, posts what happens."""

    def __init__(
        self, cog: "QuizCog", record: store.RoundRecord, questions: Sequence[QuizQuestion], *, deck_title: str,
        removes_reactions: bool,
    ) -> None:
        self.cog = cog
        self.bot = cog.bot
        self.record = record
        self.questions = list(questions)
        self.deck_title = deck_title
        self.removes_reactions = removes_reactions
        self.round = QuizRound(record.question_count)
        self.channel = self.bot.get_partial_messageable(record.channel_id, guild_id=record.guild_id)
        self.window = timedelta(seconds=record.seconds)
        self.pause = PACING.reveal_pause * PACING.time_scale
        self.names: dict[int, str] = {}
        self.notes: dict[int, str] = {}  # streak lines from record_activity, shown with the next reveal
        self.message: discord.Message | discord.PartialMessage | None = None  # the open question's message
        self.stopped_by: int | None = None
        self.task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()  # set by Stop, to skip the pause before the scoreboard
        self._halt = asyncio.Event()  # set when the cog unloads
        self._edit_task: asyncio.Task[None] | None = None
        self._dirty = False
        self._last_edit = 0.0

    @property
    def channel_id(self) -> int:
        return self.record.channel_id

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name=f"quiz-round-{self.record.id}")

    def ends_at(self) -> datetime:
        """A fair estimate of when the round ends, for the note a second /quiz gets."""
        now = clock()
        current = self.round.current
        left = self.round.total - self.round.asked
        if self.round.stop_requested:
            left = 0
        step = self.window + timedelta(seconds=self.pause)
        start = current.closes_at if current else now + timedelta(seconds=self.pause)
        return max(start, now) + left * step

    def request_stop(self, user_id: int) -> None:
        self.stopped_by = user_id
        self.round.request_stop()
        self._wake.set()

    # The round ---------------------------------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            for question in self.questions:
                if self.round.is_over:
                    break
                await self._ask(question)
                if not self.round.is_over:
                    await self._pause()
            await self._finish(self._status())
        except _Halted:
            # The bot is shutting down: the round stays "running" so the next start grades and closes it.
            await self._settle()
        except Exception:
            log.exception("quiz round %s failed", self.record.id)
            await self._finish("failed")
        finally:
            self.cog.forget(self)

    def halt(self) -> None:
        """Ask the round to stop at its next wait, leaving it for the restart (never in the middle of a write)."""
        self._halt.set()

    async def _wait(self, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Sleep, cut short by a halt (raises _Halted) or by `wake`."""
        events = [self._halt] + ([wake] if wake else [])
        waiters = [asyncio.create_task(e.wait()) for e in events]
        try:
            await asyncio.wait(waiters, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self._halt.is_set():
            raise _Halted

    async def _settle(self) -> None:
        if self._edit_task is not None:
            self._edit_task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def _status(self) -> str:
        if self.round.stop_requested and self.round.asked < self.round.total:
            return "stopped"
        return "idle" if self.round.ended_idle and self.round.asked < self.round.total else "finished"

    async def _pause(self) -> None:
        await self._wait(self.pause, self._wake)

    async def _ask(self, question: QuizQuestion) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        current = self.round.open_question(question, clock(), self.window)
        self._dirty = False
        self.message = await self.channel.send(embed=question_embed(current, self.round.total, locked=0))
        await store.save_question(
            self.bot.db, self.record.id, current.index, question, self.message.id, current.opened_at, current.closes_at
        )
        for index in range(len(question.choices)):
            try:
                await self.message.add_reaction(letter_emoji(index))
            except discord.HTTPException:
                log.warning("could not add %s to quiz question %s", letter_emoji(index), self.message.id)
        await self._wait(self.window.total_seconds() - (loop.time() - started))
        await self._close(current)

    async def _close(self, current: OpenQuestion) -> None:
        message = self.message
        reactions = await self._fetched_reactions(message) if message is not None else []
        closed_at = clock()
        result = self.round.close(reactions, closed_at)
        self.message = None
        await self._settle()
        found = [a for a in result.answers if a.found_at_close]
        notes = await store.close_question(
            self.bot.db, self.record, current.index, current.question.id, found, self.names, closed_at
        )
        self.notes.update(notes)
        if message is not None:
            await self._edit(message, embed=question_embed(current, self.round.total, locked=len(result.answers), closed=True))
        await self.channel.send(embed=reveal_embed(result, self.round.total, self.notes))
        self.notes = {}

    async def _fetched_reactions(self, message: discord.Message | discord.PartialMessage) -> list[Reaction]:
        """The letter reactions on the message now, so answers whose event was missed are still graded."""
        try:
            fetched = await self.channel.fetch_message(message.id)
            found: list[Reaction] = []
            for reaction in fetched.reactions:
                emoji = str(reaction.emoji)
                if letter_index(emoji) is None or reaction.count <= int(reaction.me):
                    continue  # not a letter, or only the bot's own reaction: no need to list users
                async for user in reaction.users(limit=None):
                    found.append(Reaction(emoji, user.id, user.bot))
                    self.names.setdefault(user.id, user.display_name)
            return found
        except discord.HTTPException:
            log.warning("could not fetch the reactions of quiz question %s; grading the recorded answers", message.id)
            return []

    async def _finish(self, status: str, ending: str | None = None) -> None:
        ending = ending or self._ending(status)
        try:
            await store.finish_round(self.bot.db, self.record.id, status, clock())
            board = scoreboard_embed(self.round.scoreboard(), deck_title=self.deck_title, asked=self.round.asked,
                                     ending=ending)
            await self.channel.send(embed=board)
        except Exception:
            log.exception("could not finish quiz round %s", self.record.id)
        if self.record.announcement_message_id:
            announcement = self.channel.get_partial_message(self.record.announcement_message_id)
            await self._edit(announcement, view=stop_view(self.record.id, disabled=True))

    def _ending(self, status: str) -> str | None:
        if status == "stopped":
            who = f"<@{self.stopped_by}>" if self.stopped_by else "A moderator"
            return f"⏹️ {who} stopped the quiz after question {self.round.asked}/{self.round.total}."
        if status == "interrupted":
            return (f"⚠️ This quiz was interrupted by a restart of Recall after question {self.round.asked}/"
                    f"{self.round.total}; every answer given before it counts.")
        return ENDINGS.get(status)

    async def _edit(self, message: discord.Message | discord.PartialMessage, **changes: object) -> None:
        try:
            await message.edit(**changes)  # type: ignore[arg-type]
        except discord.HTTPException:
            log.warning("could not edit quiz message %s", message.id)

    # Reactions ---------------------------------------------------------------------------------------------------

    def on_reaction(self, payload: discord.RawReactionActionEvent) -> None:
        """Grade a letter reaction on the open question (first one per member counts)."""
        message = self.message
        if message is None or payload.message_id != message.id or self.round.current is None:
            return
        if self.bot.user is not None and payload.user_id == self.bot.user.id:
            return
        is_bot = bool(payload.member and payload.member.bot)
        emoji = str(payload.emoji)
        answer = self.round.record(payload.user_id, emoji, clock(), is_bot=is_bot)
        if payload.member is not None:
            self.names[payload.user_id] = payload.member.display_name
        # With Manage Messages every member letter is removed while open, counted or not, so nobody copies the crowd.
        remove = self.removes_reactions and not is_bot and letter_index(emoji) is not None
        if answer is None and not remove:
            return
        if answer is not None:
            self._mark_dirty()
        question_id = self.round.current.question.id
        task = asyncio.create_task(self._keep(answer, question_id, message, emoji, payload.user_id, remove))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _keep(
        self, answer: Answer | None, question_id: str, message: discord.Message | discord.PartialMessage, emoji: str,
        user_id: int, remove: bool,
    ) -> None:
        """Store a graded answer (before anything else: a restart must not lose it), then hide the reaction."""
        try:
            if answer is not None:
                notes = await store.save_answers(self.bot.db, self.record, question_id, [answer], self.names)
                self.notes.update(notes)
            if remove and self.removes_reactions:
                await message.remove_reaction(emoji, discord.Object(user_id))
        except discord.Forbidden:
            log.info("lost Manage Messages in channel %s; leaving reactions in place", self.channel_id)
            self.removes_reactions = False
        except Exception:
            log.exception("could not keep a quiz answer in round %s", self.record.id)

    def _mark_dirty(self) -> None:
        self._dirty = True
        if self._edit_task is None or self._edit_task.done():
            self._edit_task = asyncio.create_task(self._edit_locked_in())

    async def _edit_locked_in(self) -> None:
        loop = asyncio.get_running_loop()
        while self._dirty:
            await asyncio.sleep(max(0.0, self._last_edit + PACING.edit_interval - loop.time()))
            self._dirty = False
            current, message = self.round.current, self.message
            if current is None or message is None:
                return
            self._last_edit = loop.time()
            await self._edit(message, embed=question_embed(current, self.round.total, locked=len(current.answers)))

    # Restart -----------------------------------------------------------------------------------------------------

    async def resume_interrupted(self) -> None:
        """Grade the open question of a round cut off by a restart from its message's reactions, then close it."""
        questions = await store.questions_of(self.bot.db, self.record.id)
        answers = await store.answers_of(self.bot.db, self.record.id, questions)
        self.questions = [q.question for q in questions]
        for stored in questions:
            current = self.round.open_question(stored.question, stored.opened_at, stored.closes_at - stored.opened_at)
            for answer in answers:
                if answer.question_index == stored.index:
                    self.round.restore(answer)
            if stored.closed_at is None:
                self.message = self.channel.get_partial_message(stored.message_id) if stored.message_id else None
                await self._close(current)
                break
            self.round.close()
        await self._finish("interrupted")


class QuizCog(RecallCog, name="Quiz"):
    dynamic_items = (StopButton,)

    def __init__(self, bot: "RecallBot") -> None:
        super().__init__(bot)
        self.sessions: dict[int, QuizSession] = {}  # by channel id: one quiz per channel
        self._recovery: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        await super().cog_load()
        self._recovery = asyncio.create_task(self._recover_interrupted())

    async def cog_unload(self) -> None:
        await super().cog_unload()
        # Rounds stop at their next wait rather than being cancelled mid-write; a stuck one is cancelled after 5 s.
        tasks = [s.task for s in self.sessions.values() if s.task is not None]
        for session in self.sessions.values():
            session.halt()
        if self._recovery is not None:
            if not self.bot.is_ready():
                self._recovery.cancel()
            tasks.append(self._recovery)
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=5)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.sessions.clear()

    def forget(self, session: QuizSession) -> None:
        if self.sessions.get(session.channel_id) is session:
            del self.sessions[session.channel_id]

    # /quiz -------------------------------------------------------------------------------------------------------

    @app_commands.command(name="quiz", description="Start a multiple-choice quiz in this channel; answer with letter reactions")
    @app_commands.guild_only()
    @app_commands.describe(
        deck="The deck to quiz on (your last deck when left out)",
        questions="How many questions (1–20, default 5)",
        seconds="Seconds to answer each question (5–120, default 20)",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def quiz(
        self,
        interaction: discord.Interaction,
        deck: str | None = None,
        questions: app_commands.Range[int, 1, 20] = 5,
        seconds: app_commands.Range[int, 5, 120] = 20,
    ) -> None:
        channel_id = interaction.channel_id
        assert channel_id is not None and interaction.guild_id is not None  # guild_only
        if refusal := self._busy_text(channel_id) or self._permission_text(interaction):
            await send_private(interaction, refusal)
            return
        chosen = await self._chosen_deck(interaction, deck)
        if isinstance(chosen, str):
            await send_private(interaction, chosen)
            return
        if refusal := self._busy_text(channel_id):  # another /quiz may have started while the deck was looked up
            await send_private(interaction, refusal)
            return
        picked = pick_questions(chosen.quiz, questions, random.Random(random.random()))
        await self._start(interaction, chosen, picked, asked_for=questions, seconds=seconds)

    def _busy_text(self, channel_id: int) -> str | None:
        running = self.sessions.get(channel_id)
        if running is None:
            return None
        return (f"A quiz is already running in this channel; it ends {relative_time(running.ends_at())}. "
                "Join in by reacting, or start yours in another channel.")

    def _permission_text(self, interaction: discord.Interaction) -> str | None:
        missing = missing_permissions(interaction.app_permissions)
        if not missing:
            return None
        names = ", ".join(f"**{name}**" for name in missing)
        return (f"I can't run a quiz here: I'm missing {names} in this channel. "
                "Ask a moderator to allow it for Recall, or start the quiz in another channel.")

    async def _chosen_deck(self, interaction: discord.Interaction, deck_id: str | None) -> Deck | str:
        """The deck to quiz on, or the text telling the member why there is none."""
        if deck_id is None:
            prefs = await get_member(self.bot.db, interaction.guild_id or 0, interaction.user.id)
            if prefs is None or prefs.last_deck is None:
                return "Pick a deck with the `deck` option (start typing to see this server's decks)."
            deck_id = prefs.last_deck
        deck = find_deck(interaction, deck_id)
        if deck is None:
            return unknown_deck_text(deck_id)
        if not deck.quiz:
            return f"**{deck.title}** has no quiz questions. Try `/study` with it, or pick another deck."
        return deck

    async def _start(
        self, interaction: discord.Interaction, deck: Deck, picked: list[QuizQuestion], *, asked_for: int, seconds: int
    ) -> None:
        channel_id = interaction.channel_id or 0
        removes = interaction.app_permissions.manage_messages
        record = await store.create_round(
            self.bot.db, guild_id=interaction.guild_id or 0, channel_id=channel_id, deck_id=deck.id,
            starter_id=interaction.user.id, question_count=len(picked), seconds=real_seconds(seconds),
            started_at=clock(),
        )
        session = QuizSession(self, record, picked, deck_title=deck.title, removes_reactions=removes)
        self.sessions[channel_id] = session
        try:
            embed = announcement_embed(deck, questions=len(picked), seconds=seconds, starter_id=interaction.user.id,
                                       removes_reactions=removes, asked_for=asked_for)
            response = await interaction.response.send_message(embed=embed, view=stop_view(record.id))
            if response.message_id is not None:
                await store.set_announcement(self.bot.db, record.id, response.message_id)
                session.record = await store.get_round(self.bot.db, record.id) or record
        except Exception:
            self.forget(session)
            await store.finish_round(self.bot.db, record.id, "failed", clock())
            raise
        session.start()

    # Stop button -------------------------------------------------------------------------------------------------

    async def stop_pressed(self, interaction: discord.Interaction, round_id: int) -> None:
        session = next((s for s in self.sessions.values() if s.record.id == round_id), None)
        if session is None:
            await send_private(interaction, "This quiz has already ended.")
            return
        starter = session.record.starter_id
        if interaction.user.id != starter and not interaction.permissions.manage_messages:
            await send_private(interaction, f"Only <@{starter}>, who started this quiz, or a member with "
                                            "**Manage Messages** can stop it.")
            return
        if session.round.stop_requested:
            await send_private(interaction, "This quiz is already stopping: it ends after the current question.")
            return
        session.request_stop(interaction.user.id)
        await send_private(interaction, "⏹️ Stopping: the quiz ends after the current question, with its scoreboard.")

    # Reactions ---------------------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        session = self.sessions.get(payload.channel_id)
        if session is not None:
            session.on_reaction(payload)

    # Restart -----------------------------------------------------------------------------------------------------

    async def _recover_interrupted(self) -> None:
        """Close rounds a restart cut off: grade their open question from its reactions, post the scoreboard."""
        await self.bot.wait_until_ready()
        for record in await store.running_rounds(self.bot.db):
            if any(s.record.id == record.id for s in self.sessions.values()):
                continue  # started after this start-up, not interrupted
            deck = self.bot.decks.get(record.guild_id, record.deck_id)
            session = QuizSession(self, record, [], deck_title=deck.title if deck else record.deck_id,
                                  removes_reactions=False)
            try:
                await session.resume_interrupted()
            except Exception:
                log.exception("could not close interrupted quiz round %s", record.id)
                await store.finish_round(self.bot.db, record.id, "interrupted", clock())


async def setup(bot: "RecallBot") -> None:
    await bot.add_cog(QuizCog(bot))
