"""One /quiz round in one channel, run as its own task: posts questions, grades letter reactions through the core
round, stores answers through the quiz service, keeps the "locked in" count up to date (throttled), hides members'
letters when it may, and closes rounds a restart cut off.

Not an extension (leading underscore): the Quiz cog creates sessions and hands them what they need, so this module
never imports the cog.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Sequence

import discord

from bot.core.decks import QuizQuestion
from bot.core.quiz import PACING, Answer, OpenQuestion, QuizRound, Reaction, letter_emoji, letter_index
from bot.core.streaks import StreakUpdate
from bot.core.translation import speaking
from bot.services.quiz import QuizService, RoundRecord
from bot.ui.quiz import ending_text, question_embed, reveal_embed, scoreboard_embed, stop_view

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.quiz")

Message = discord.Message | discord.PartialMessage


def clock() -> datetime:
    """The time answers are graded by (tests pin it through PACING)."""
    return PACING.clock()


def real_seconds(seconds: int) -> float:
    return seconds * PACING.time_scale


def reveal_pause() -> float:
    """Real seconds between a question's reveal and the next question."""
    return PACING.reveal_pause * PACING.time_scale


def expected_end(start: datetime, questions: int, window_seconds: float) -> datetime:
    """When a round of `questions` that starts at `start` ends if it runs its course (for the busy note)."""
    return start + questions * timedelta(seconds=window_seconds + reveal_pause())


class _Halted(Exception):
    """The cog is unloading (the bot stops): leave the round for the next start to close."""


class QuizSession:
    """One round in one channel: owns its task, grades reactions through the core round, posts what happens.

    `forget(session)` is called when the round's task ends, so the cog stops routing reactions and Stop to it.
    Everything it posts or edits is in `language`, the server's: the round is everyone's, whoever started it, and
    its messages are built in tasks no interaction chose a language for (the timer, reaction events, a restart).
    """

    def __init__(
        self, bot: RecallBot, service: QuizService, forget: Callable[[QuizSession], None], record: RoundRecord,
        questions: Sequence[QuizQuestion], *, deck_title: str, removes_reactions: bool, language: str,
    ) -> None:
        self.bot = bot
        self.service = service
        self.forget = forget
        self.record = record
        self.questions = list(questions)
        self.deck_title = deck_title
        self.removes_reactions = removes_reactions
        self.language = language
        self.round = QuizRound(record.question_count)
        self.channel = bot.get_partial_messageable(record.channel_id, guild_id=record.guild_id)
        self.window = timedelta(seconds=record.seconds)
        self.pause = reveal_pause()
        self.names: dict[int, str] = {}
        self.streaks: dict[int, StreakUpdate] = {}  # what stored answers did to streaks, shown with the next reveal
        self.message: Message | None = None  # the open question's message
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
        start = current.closes_at if current else now + timedelta(seconds=self.pause)
        return expected_end(max(start, now), left, self.window.total_seconds())

    def request_stop(self, user_id: int) -> None:
        self.stopped_by = user_id
        self.round.request_stop()
        self._wake.set()

    # The round ---------------------------------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            with speaking(self.language):
                await self._run()
        finally:
            self.forget(self)

    async def _run(self) -> None:
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
        await self.service.save_question(self.record.id, current, self.message.id)
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
        self.streaks.update(await self.service.close_question(self.record, current, found, self.names, closed_at))
        if message is not None:
            closed = question_embed(current, self.round.total, locked=len(result.answers), closed=True)
            await self._edit(message, embed=closed)
        await self.channel.send(embed=reveal_embed(result, self.round.total, self.streaks))
        self.streaks = {}

    async def _fetched_reactions(self, message: Message) -> list[Reaction]:
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

    async def _finish(self, status: str) -> None:
        ending = ending_text(status, stopped_by=self.stopped_by, asked=self.round.asked, total=self.round.total)
        try:
            await self.service.finish_round(self.record.id, status, clock())
            board = scoreboard_embed(self.round.scoreboard(), deck_title=self.deck_title, asked=self.round.asked,
                                     ending=ending)
            await self.channel.send(embed=board)
        except Exception:
            log.exception("could not finish quiz round %s", self.record.id)
        if self.record.announcement_message_id:
            announcement = self.channel.get_partial_message(self.record.announcement_message_id)
            await self._edit(announcement, view=stop_view(self.record.id, disabled=True))

    async def _edit(self, message: Message, **changes: object) -> None:
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
        self, answer: Answer | None, question_id: str, message: Message, emoji: str, user_id: int, remove: bool,
    ) -> None:
        """Store a graded answer (before anything else: a restart must not lose it), then hide the reaction."""
        try:
            if answer is not None:
                self.streaks.update(await self.service.save_answers(self.record, question_id, [answer], self.names))
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
        # A task of the gateway's reaction event, which speaks no language of its own.
        with speaking(self.language):
            await self._edit_locked_in_now()

    async def _edit_locked_in_now(self) -> None:
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
        with speaking(self.language):
            await self._resume_interrupted()

    async def _resume_interrupted(self) -> None:
        questions = await self.service.questions_of(self.record.id)
        answers = await self.service.answers_of(self.record.id, questions)
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


async def recover_interrupted(
    bot: RecallBot, service: QuizService, forget: Callable[[QuizSession], None], is_live: Callable[[int], bool]
) -> None:
    """Close rounds a restart cut off: grade their open question from its reactions, post the scoreboard.

    `is_live(round_id)`: the round was started after this start-up (it is running, not interrupted).
    """
    await bot.wait_until_ready()
    for record in await service.running_rounds():
        # Another process's round (a guild of a shard this process does not run) may well be live there.
        if is_live(record.id) or not bot.owns_guild(record.guild_id):
            continue
        deck = bot.decks.get(record.guild_id, record.deck_id)
        try:
            guild = bot.get_guild(record.guild_id)
            language = await bot.services.languages.of_server(record.guild_id, guild and guild.preferred_locale)
            session = QuizSession(bot, service, forget, record, [], deck_title=deck.title if deck else record.deck_id,
                                  removes_reactions=False, language=language)
            await session.resume_interrupted()
        except Exception:
            log.exception("could not close interrupted quiz round %s", record.id)
            await service.finish_round(record.id, "interrupted", clock())
