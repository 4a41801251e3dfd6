"""Two processes on one PostgreSQL database (two stores, two pools, two sets of services) rating, answering and
resetting at the same moment: nothing is lost and nothing is counted twice. SQLite has one writer, so there the same
races are settled by its lock (tests/services/test_study.py, test_quiz.py run them on both backends in one process).
"""
from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any


from bot.core.library import DeckLibrary
from bot.core.quiz import QuizRound
from bot.services.progress import ProgressService
from bot.services.quiz import QuizService
from bot.services.study import StudyService
from tests.services.test_quiz import NAMES, WINDOW, B, new_round, question
from tests.services.test_study import DECK, G, T0, start

MEMBERS = range(100, 112)


async def count(db: Any, sql: str) -> Any:
    row = await db.fetchone(sql)
    return row[0]


async def test_the_same_rating_clicked_in_both_processes_is_stored_once(two: tuple[Any, Any]) -> None:
    studies = [StudyService(db, DeckLibrary({DECK.id: DECK})) for db in two]
    screens = [await start(studies[0], user_id=user) for user in MEMBERS]

    async def click(study: StudyService, screen: Any, rating: int) -> Any:
        session = screen.session
        return await study.rate(DECK, guild_id=G, user_id=session.user_id, display_name="m", item_id=session.item_id,
                                token=session.token, rating=rating, now=T0 + timedelta(minutes=1), fuzz=False)

    # Every member's card clicked four times, twice in each process, all at once.
    results = await asyncio.gather(*(
        click(studies[i % 2], screen, 3) for screen in screens for i in range(4)
    ))
    assert sum(result is not None for result in results) == len(MEMBERS)
    db = two[0]
    assert await count(db, "SELECT COUNT(*) FROM reviews") == len(MEMBERS)
    assert await count(db, "SELECT COUNT(*) FROM activity") == len(MEMBERS)
    assert await count(db, "SELECT SUM(reviews) FROM board_member_totals") == len(MEMBERS)
    assert await count(db, "SELECT SUM(current) FROM streaks") == len(MEMBERS)
    assert await count(db, "SELECT SUM(reps) FROM srs_state") == len(MEMBERS)


async def test_answers_stored_by_both_processes_count_once(two: tuple[Any, Any]) -> None:
    services = [QuizService(db) for db in two]
    quiz = await new_round(services[0])
    core = QuizRound(2)
    current = core.open_question(question(), T0, WINDOW)
    await services[0].save_question(quiz.id, current, 777)
    answers = [core.record(user, B, T0 + timedelta(seconds=1)) for user in MEMBERS]
    names = {**NAMES, **{user: f"m{user}" for user in MEMBERS}}
    # Both processes store every answer (a replayed event and a restarted process's recovery, at the same time).
    stored = await asyncio.gather(*(
        services[i % 2].save_answers(quiz, "q1", [answer], names) for answer in answers for i in range(2)
    ))
    assert sum(len(streaks) for streaks in stored) == len(MEMBERS)
    db = two[1]
    assert await count(db, "SELECT COUNT(*) FROM quiz_answers") == len(MEMBERS)
    assert await count(db, "SELECT COUNT(*) FROM activity") == len(MEMBERS)
    points = await count(db, "SELECT SUM(points) FROM quiz_answers")
    assert await count(db, "SELECT SUM(points) FROM board_member_totals") == points
    assert await count(db, "SELECT SUM(points) FROM board_member_months") == points


async def test_a_reset_racing_ratings_leaves_boards_that_match_the_log(two: tuple[Any, Any]) -> None:
    studies = [StudyService(db, DeckLibrary({DECK.id: DECK})) for db in two]
    progress = ProgressService(two[1], on_settings_change=studies[1].forget)
    screens = [await start(studies[0], user_id=user) for user in MEMBERS]
    at = T0 + timedelta(minutes=1)

    async def rate(screen: Any) -> Any:
        session = screen.session
        return await studies[0].rate(DECK, guild_id=G, user_id=session.user_id, display_name="m",
                                     item_id=session.item_id, token=session.token, rating=3, now=at, fuzz=False)

    await asyncio.gather(*(rate(screen) for screen in screens), progress.reset_boards(G, at))
    db = two[0]
    # Whichever order they committed in, the baseline is the totals at the reset: all time since the reset plus the
    # baseline is the whole log.
    since = await count(db, "SELECT COALESCE(SUM(t.reviews - COALESCE(b.reviews, 0)), 0) FROM board_member_totals t "
                            "LEFT JOIN board_member_baselines b ON b.guild_id = t.guild_id AND b.user_id = t.user_id")
    baseline = await count(db, "SELECT COALESCE(SUM(reviews), 0) FROM board_member_baselines")
    assert since + baseline == await count(db, "SELECT COUNT(*) FROM reviews") == len(MEMBERS)
