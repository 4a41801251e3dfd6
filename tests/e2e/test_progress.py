"""/leaderboard, /stats and /settings end to end: the real bot against the local Discord emulator."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from PIL import Image

from bot.core import heatmap
from bot.core.clock import to_text, utcnow
from bot.core.leaderboard import Board, Entry
from bot.emulator.state import walk_components
from bot.services.streaks import record_activity
from bot.store.members import remember_member
from bot.ui.items import MALFORMED
from bot.ui.progress import HEATMAP_FILENAME, empty_text, format_value, rank_label, zone_clock
from bot.ui.replies import FAILED
from tests.conftest import fail_once

DECK = "pytorch-lr-schedulers"
_round = iter(range(1, 10**6))


async def give_points(world, guild_id: int, user_id: int, name: str, points: int, *, minutes_ago: int = 5,
                      deck: str = DECK, correct: bool = True) -> None:
    """What a finished quiz round leaves behind: an answer row, the member's name, an activity."""
    at = utcnow() - timedelta(minutes=minutes_ago)

    async def body(conn) -> None:
        await conn.execute(
            "INSERT INTO quiz_answers (round_id, question_index, guild_id, channel_id, user_id, deck_id, question_id, "
            "letter, choice, correct, response_ms, points, answered_at) VALUES (?, 0, ?, 1, ?, ?, 'q', 'A', 'x', ?, 900, ?, ?)",
            (next(_round), guild_id, user_id, deck, int(correct), points, to_text(at)),
        )
        await remember_member(conn, guild_id, user_id, name)
        await record_activity(conn, guild_id, user_id, "quiz", at)

    await world.bot.db.atomic(body)


async def leaderboard(world, member, channel=None, **options):
    ix = await world.emu.slash(member, channel or world.channel, "leaderboard", **options)
    return await ix.wait_message()


def who(member) -> str:
    """How the bot sees a member's name in an interaction (display name)."""
    return member.user.global_name or member.user.name


def ranking_lines(message) -> list[str]:
    return message.embeds[0]["description"].splitlines()


async def test_default_board_is_this_weeks_points_and_public(world):
    await give_points(world, world.guild.id, world.bob.user.id, "bob", 900)
    await give_points(world, world.guild.id, world.alice.user.id, "alice", 500)
    await give_points(world, world.guild.id, world.carol.user.id, "carol", 900, minutes_ago=1)  # tie: bob was first
    await give_points(world, world.guild.id, world.carol.user.id, "carol", 300, minutes_ago=60 * 24 * 40)  # old
    message = await leaderboard(world, world.alice)
    assert not message.ephemeral
    assert message.embeds[0]["title"] == "🏆 Quiz points · this week"
    assert ranking_lines(message) == ["🥇 bob — 900 pts", "🥈 carol — 900 pts", "🥉 alice — 500 pts"]
    assert f"📍 **{who(world.alice)}**: #3 · 500 pts" in message.text()
    assert message.buttons() == []  # one page only
    everything = await leaderboard(world, world.alice, period="all")
    assert ranking_lines(everything)[0] == "🥇 carol — 1,200 pts"


async def test_empty_board_says_how_to_get_on_it(world):
    message = await leaderboard(world, world.bob, board="reviews", period="today")
    assert "No reviews yet" in message.text() and "/study" in message.text()
    assert f"📍 **{who(world.bob)}**: not on this board yet" in message.text()


async def test_two_servers_with_shared_members_see_only_their_own_board(world):
    emu = world.emu
    other = emu.add_guild("Night Owls")
    other_channel = emu.add_channel(other, "general")
    alice_there = emu.add_member(other, "alice", user=world.alice.user)
    dave = emu.add_member(other, "dave")
    await give_points(world, world.guild.id, world.alice.user.id, "alice", 100)
    await give_points(world, world.guild.id, world.bob.user.id, "bob", 700)
    await give_points(world, other.id, world.alice.user.id, "alice", 4000)
    await give_points(world, other.id, dave.user.id, "dave", 50)

    here = await leaderboard(world, world.alice)
    there = await leaderboard(world, alice_there, channel=other_channel)
    assert ranking_lines(here) == ["🥇 bob — 700 pts", "🥈 alice — 100 pts"]
    assert ranking_lines(there) == ["🥇 alice — 4,000 pts", "🥈 dave — 50 pts"]
    assert "dave" not in here.text() and "bob" not in there.text()


async def seed_many(world, count: int = 23) -> dict[int, int]:
    """`count` members with distinct points; alice ranks 17th. Most are former members known only by name."""
    points_by_user = {}
    for rank in range(1, count + 1):
        user_id = world.alice.user.id if rank == 17 else 10_000 + rank
        name = "alice" if rank == 17 else f"member{rank:02d}"
        points = (count + 1 - rank) * 100
        await give_points(world, world.guild.id, user_id, name, points)
        points_by_user[user_id] = points
    return points_by_user


async def test_paging_for_anyone_and_own_rank_off_page(world):
    await seed_many(world)
    message = await leaderboard(world, world.alice)
    lines = ranking_lines(message)
    assert len(lines) == 10
    assert lines[:4] == ["🥇 member01 — 2,300 pts", "🥈 member02 — 2,200 pts", "🥉 member03 — 2,100 pts",
                         "**4.** member04 — 2,000 pts"]
    assert not any("alice" in line for line in lines)
    assert f"📍 **{who(world.alice)}**: #17 · 700 pts" in message.text()  # off-page, still shown
    assert "Page 1/3" in message.embeds[0]["footer"]["text"]
    assert [b["disabled"] for b in message.buttons()] == [True, False]

    # Bob (not on the board at all) turns the page: it works for anyone, and shows his own line.
    ix = await world.emu.click(world.bob, message, custom_id=message.buttons()[1]["custom_id"])
    await ix.wait_message()
    lines = ranking_lines(message)
    assert lines[0] == "**11.** member11 — 1,300 pts"
    assert "**17.** alice — 700 pts" in lines
    assert f"📍 **{who(world.bob)}**: not on this board yet" in message.text()
    assert "Page 2/3" in message.embeds[0]["footer"]["text"]

    # The buttons survive a restart: the page comes from the custom id, not from memory.
    await world.restart_bot()
    ix = await world.emu.click(world.carol, message, custom_id=message.buttons()[1]["custom_id"])
    await ix.wait_message()
    assert ranking_lines(message) == ["**21.** member21 — 300 pts", "**22.** member22 — 200 pts",
                                      "**23.** member23 — 100 pts"]
    assert [b["disabled"] for b in message.buttons()] == [False, True]
    ix = await world.emu.click(world.carol, message, custom_id=message.buttons()[0]["custom_id"])
    await ix.wait_message()
    assert ranking_lines(message)[0] == "**11.** member11 — 1,300 pts"
    assert not world.emu.failed_interactions


async def test_accuracy_board_needs_ten_answers(world):
    for i in range(10):
        await give_points(world, world.guild.id, world.bob.user.id, "bob", 500 if i < 8 else 0, correct=i < 8)
    for i in range(5):
        await give_points(world, world.guild.id, world.alice.user.id, "alice", 500)
    message = await leaderboard(world, world.alice, board="accuracy")
    assert ranking_lines(message) == ["🥇 bob — 80% (8/10)"]
    assert "needs 10 quiz answers" in message.text()


async def test_deck_option_filters_and_unknown_deck_is_refused(world):
    await give_points(world, world.guild.id, world.bob.user.id, "bob", 300, deck=DECK)
    await give_points(world, world.guild.id, world.carol.user.id, "carol", 900, deck="another-deck")
    message = await leaderboard(world, world.bob, deck=DECK)
    assert ranking_lines(message) == ["🥇 bob — 300 pts"]
    assert DECK in message.embeds[0]["title"]
    refused = await leaderboard(world, world.bob, deck="no-such-deck")
    assert refused.ephemeral and "There is no deck `no-such-deck`" in refused.text()


async def test_streak_board_and_hiding_a_streak(world):
    for days_ago in (2, 1, 0):
        await give_points(world, world.guild.id, world.bob.user.id, "bob", 100, minutes_ago=60 * 24 * days_ago)
    await give_points(world, world.guild.id, world.carol.user.id, "carol", 100)
    message = await leaderboard(world, world.carol, board="streak")
    assert ranking_lines(message) == ["🥇 bob — 3 days", "🥈 carol — 1 day"]

    ix = await world.emu.slash(world.bob, world.channel, "settings hide-streak", hidden=True)
    reply = await ix.wait_message()
    assert reply.ephemeral and "hidden" in reply.text()
    message = await leaderboard(world, world.bob, board="streak")
    assert ranking_lines(message) == ["🥇 carol — 1 day"]
    assert "your streak is hidden" in message.text()


async def fetch(url: str) -> bytes:
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200
            return await response.read()


async def test_stats_private_with_a_heatmap_png(world):
    for days_ago in (1, 0):
        await give_points(world, world.guild.id, world.alice.user.id, "alice", 600, minutes_ago=60 * 24 * days_ago)
    ix = await world.emu.slash(world.alice, world.channel, "stats")
    message = await ix.wait_message()
    assert message.ephemeral and message.visible_to == world.alice.user.id
    text = message.text()
    assert "Current streak: 2 days" in text and "Best streak: 2 days" in text
    assert "Answers: 2 · Accuracy: 100% · Points: 1,200" in text
    assert "Today: 0 · 7 days: 0 · All time: 0" in text
    assert message.embeds[0]["image"]["url"] == f"attachment://{HEATMAP_FILENAME}"
    (attachment,) = message.attachments
    png = await fetch(attachment["url"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == heatmap.SIZE


async def test_stats_of_another_member_and_public(world):
    await give_points(world, world.guild.id, world.bob.user.id, "bob", 250)
    ix = await world.emu.slash(world.alice, world.channel, "stats", member=world.bob, public=True)
    message = await ix.wait_message()
    assert not message.ephemeral
    assert message.embeds[0]["title"] == f"📊 {who(world.bob)}"
    assert "Points: 250" in message.text() and "Current streak: 1 day" in message.text()


async def test_settings_timezone_autocomplete_and_recount(world):
    choices = await world.emu.autocomplete(world.alice, world.channel, "settings timezone", "zone", "berl")
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in choices
    ix = await world.emu.slash(world.alice, world.channel, "settings timezone", zone="Europe/Berlin")
    reply = await ix.wait_message()
    assert reply.ephemeral and "Your timezone is now **Europe/Berlin**" in reply.text()
    row = await world.bot.db.fetchone(
        "SELECT timezone FROM members WHERE guild_id = ? AND user_id = ?", (world.guild.id, world.alice.user.id)
    )
    assert row["timezone"] == "Europe/Berlin"
    bad = await (await world.emu.slash(world.alice, world.channel, "settings timezone", zone="Mars/Olympus")).wait_message()
    assert "not a timezone I know" in bad.text()
    back = await (await world.emu.slash(world.alice, world.channel, "settings timezone", zone="server")).wait_message()
    assert "server's timezone **UTC**" in back.text()


def forge(message, custom_id: str) -> str:
    """Put `custom_id` on the message's ▶ button (in the emulator's copy), as a modified client could send it."""
    next_button = [c for c in walk_components(message.components) if c.get("type") == 2][-1]
    next_button["custom_id"] = custom_id
    return custom_id


async def test_a_failure_while_turning_a_page_is_answered_privately_and_the_next_click_works(world, monkeypatch):
    await seed_many(world)
    message = await leaderboard(world, world.alice)
    service = world.bot.services.progress
    board = fail_once(service.board)
    monkeypatch.setattr(service, "board", board)
    ix = await world.emu.click(world.bob, message, custom_id=message.buttons()[1]["custom_id"])
    reply = await ix.wait_message()
    assert reply.ephemeral and reply.visible_to == world.bob.user.id
    assert reply.text() == FAILED
    assert "Page 1/3" in message.embeds[0]["footer"]["text"]  # nothing changed

    ix = await world.emu.click(world.bob, message, custom_id=message.buttons()[1]["custom_id"])
    await ix.wait_message()
    assert "Page 2/3" in message.embeds[0]["footer"]["text"] and len(board.calls) == 2
    assert not world.emu.failed_interactions


@pytest.mark.parametrize("forged", [
    "lb:medals:week:0:next:",  # an unknown board
    "lb:points:fortnight:0:next:",  # an unknown period
    "lb:points:week:-1:next:",  # a negative page
    "lb:points:week:99999999999999999999:next:",  # a huge page
    "lb:points:week:0:sideways:",  # an unknown direction
    "lb:points:week:0:next:../../etc",  # not a deck id
    "lb:points:week:0:next",  # a field missing
    "lb:💥",  # garbage
])
async def test_a_forged_page_button_is_refused_privately(world, forged):
    await seed_many(world)
    message = await leaderboard(world, world.alice)
    before = message.embeds[0]
    ix = await world.emu.click(world.carol, message, custom_id=forge(message, forged))
    reply = await ix.wait_message()
    assert reply.ephemeral and reply.visible_to == world.carol.user.id
    assert reply.text() == MALFORMED
    assert message.embeds[0] == before
    assert not world.emu.failed_interactions


async def test_a_page_far_past_the_end_shows_the_last_page(world):
    # A valid id for a page the board no longer has (it shrank, or the id was edited): the last page is shown.
    await seed_many(world)
    message = await leaderboard(world, world.alice)
    ix = await world.emu.click(world.carol, message, custom_id=forge(message, "lb:points:week:999998:next:"))
    await ix.wait_message()
    assert "Page 3/3" in message.embeds[0]["footer"]["text"]
    assert [b["disabled"] for b in message.buttons()] == [False, True]


def test_values_medals_and_empty_boards_read_well():
    def entry(value: float, answers: int = 0, correct: int = 0) -> Entry:
        return Entry(1, value, utcnow(), answers, correct)

    assert [rank_label(i) for i in (1, 2, 3, 4)] == ["🥇", "🥈", "🥉", "**4.**"]
    assert format_value(Board.POINTS, entry(1250)) == "1,250 pts"
    assert format_value(Board.STREAK, entry(1)) == "1 day" and format_value(Board.STREAK, entry(4)) == "4 days"
    assert format_value(Board.REVIEWS, entry(1)) == "1 review"
    assert format_value(Board.ACCURACY, entry(0.75, answers=12, correct=9)) == "75% (9/12)"
    for board in Board:
        assert "/" in empty_text(board)
    assert "`/quiz deck:sql`" in empty_text(Board.POINTS, "sql")


def test_a_zone_reads_with_its_local_time():
    noon = datetime(2025, 6, 11, 12, tzinfo=timezone.utc)
    assert zone_clock("Asia/Tokyo", noon) == "**Asia/Tokyo** (it is 21:00 there)"
