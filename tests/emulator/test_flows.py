"""End-to-end flows: a real discord.py bot against the emulator, driven through the test API."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.emulator import CommandNotAvailable, Emulator, EmulatorError

from .conftest import Server, TinyBot


async def test_login_ready_shows_guild_channels_and_own_member(emu: Emulator, server: Server, bot: TinyBot) -> None:
    assert bot.ready_seen.is_set()
    assert bot.user is not None and bot.user.id == emu.bot_user.id
    assert bot.application_id == emu.application_id
    guild = bot.get_guild(server.guild.id)
    assert guild is not None and guild.name == "Study Hall"
    assert [c.name for c in guild.text_channels] == ["general"]
    assert guild.member_count == 3
    assert guild.me is not None and any(r.is_bot_managed() for r in guild.me.roles)
    # Without the privileged members intent Discord sends only the bot's own member.
    assert guild.get_member(server.alice.id) is None
    channel = guild.get_channel(server.channel.id)
    assert isinstance(channel, discord.TextChannel)
    me_perms = channel.permissions_for(guild.me)
    assert me_perms.send_messages and me_perms.add_reactions and not me_perms.administrator
    assert emu.connections == 1


async def test_command_sync_is_stored_with_ids(emu: Emulator, bot: TinyBot) -> None:
    fetched = await bot.tree.fetch_commands()
    names = sorted(c.name for c in fetched)
    assert names == sorted(["card", "explain", "later", "quiz", "study", "decks", "reset", "silent", "slow", "whoami"])
    assert all(c.application_id == emu.application_id and c.id > 2**40 for c in fetched)
    decks = next(c for c in fetched if c.name == "decks")
    assert [o.name for o in decks.options] == ["upload"]
    first_ids = {c.name: c.id for c in fetched}
    again = await bot.tree.sync()
    # Discord keeps a command's id when it is overwritten with the same name.
    assert {c.name: c.id for c in again} == first_ids


async def test_slash_then_button_edits_the_message(emu: Emulator, server: Server, bot: TinyBot) -> None:
    ix = await emu.slash(server.alice, server.channel, "card")
    message = await ix.wait_message()
    assert await ix.wait_ack() == 4
    assert message.text() == "What is 6 x 7?" and not message.ephemeral
    assert [b["label"] for b in message.buttons()] == ["Reveal"]
    click = await emu.click(server.alice, message, label="Reveal")
    assert await click.wait_ack() == 7
    assert (await click.wait_message()) is message
    assert message.content == "Answer: 42" and message.components == [] and message.edit_count == 1
    with pytest.raises(EmulatorError, match="no button 'Reveal'"):
        await emu.click(server.alice, message, label="Reveal")


async def test_select_menu_choice_reaches_the_view(emu: Emulator, server: Server, bot: TinyBot) -> None:
    message = await (await emu.slash(server.alice, server.channel, "card")).wait_message()
    ix = await emu.select(server.alice, message, "card:grade", ["good"])
    assert (await ix.wait_message()) is message and message.content == "graded good"
    assert await ix.wait_ack() == 6
    with pytest.raises(EmulatorError):
        await emu.select(server.alice, message, "card:grade", ["excellent"])


@pytest.mark.parametrize(
    ("labelled", "expected", "ephemeral"),
    [(False, "you said: my text", False), (True, "label said: my text", True)],
)
async def test_modal_round_trip(
    emu: Emulator, server: Server, bot: TinyBot, labelled: bool, expected: str, ephemeral: bool
) -> None:
    ix = await emu.slash(server.alice, server.channel, "explain", labelled=labelled)
    assert await ix.wait_ack() == 9
    assert ix.modal is not None and ix.modal["title"].startswith("Explain it")
    submitted = await emu.submit_modal(server.alice, ix, {"answer2" if labelled else "answer": "my text"})
    reply = await submitted.wait_message()
    assert reply.content == expected and reply.ephemeral is ephemeral
    with pytest.raises(EmulatorError, match="has no input"):
        await emu.submit_modal(server.alice, ix, {"nope": "x"})


async def test_deferred_ephemeral_followup_replaces_thinking(emu: Emulator, server: Server, bot: TinyBot) -> None:
    ix = await emu.slash(server.alice, server.channel, "later")
    message = await ix.wait_message()
    assert await ix.wait_ack() == 5
    assert message.content == "done thinking" and message.ephemeral and message.visible_to == server.alice.id
    assert message is ix.original and not message.loading
    second = await emu.wait_for_message(lambda m: m.content == "second follow-up")
    assert ix.followups == [message, second] and not second.ephemeral
    assert emu.messages(server.channel) == [message, second]


async def test_slash_options_are_typed_from_the_schema(emu: Emulator, server: Server, bot: TinyBot) -> None:
    ix = await emu.slash(server.alice, server.channel, "study", deck="python-basics", count="7", public=True)
    message = await ix.wait_message()
    assert message.content == "deck=python-basics count=7 public=True" and not message.ephemeral
    sent = next(o for o in ix.payload["data"]["options"] if o["name"] == "count")
    assert sent == {"name": "count", "type": 4, "value": 7}
    with pytest.raises(CommandNotAvailable, match="no option"):
        await emu.slash(server.alice, server.channel, "study", deck="x", colour="red")
    with pytest.raises(CommandNotAvailable, match="required option 'deck'"):
        await emu.slash(server.alice, server.channel, "study")
    with pytest.raises(CommandNotAvailable, match="not registered"):
        await emu.slash(server.alice, server.channel, "nope")


async def test_autocomplete_offers_matching_choices(emu: Emulator, server: Server, bot: TinyBot) -> None:
    choices = await emu.autocomplete(server.alice, server.channel, "study", "deck", "py")
    assert [c["value"] for c in choices] == ["pytorch-lr-schedulers", "python-basics"]


async def test_attachment_option_is_downloadable(emu: Emulator, server: Server, bot: TinyBot) -> None:
    content = b"AUTHOR: me\nWhat is 2+2?:\n- 4\n"
    ix = await emu.slash(server.alice, server.channel, "decks upload", file=("deck.yaml", content))
    message = await ix.wait_message()
    assert message.content == f"deck.yaml: {len(content)} bytes, first line b'AUTHOR: me'"


async def test_admin_command_is_hidden_without_manage_server(emu: Emulator, server: Server, bot: TinyBot) -> None:
    with pytest.raises(CommandNotAvailable, match="manage_guild"):
        await emu.slash(server.alice, server.channel, "reset")
    ix = await emu.slash(server.bob, server.channel, "reset")
    assert (await ix.wait_message()).content == "reset done"


async def test_reactions_reach_the_bot_and_can_be_listed(emu: Emulator, server: Server, bot: TinyBot) -> None:
    ix = await emu.slash(server.alice, server.channel, "quiz")
    await ix.wait_message()
    question = next(m for m in emu.messages(server.channel) if m.content.startswith("Q1"))
    assert question.reactions == {"🇦": [emu.bot_user.id], "🇧": [emu.bot_user.id]}
    assert await emu.react(server.alice, question, "🇦")
    await emu.react(server.bob, question, "🇦")
    await emu.unreact(server.alice, question, "🇦")
    # a later bot message proves the earlier events were delivered (the gateway keeps order)
    await (await emu.slash(server.bob, server.channel, "card")).wait_message()
    added = [(p.user_id, str(p.emoji)) for p in bot.raw_added if p.user_id != emu.bot_user.id]
    assert added == [(server.alice.id, "🇦"), (server.bob.id, "🇦")]
    assert bot.raw_added[-1].member is not None and bot.raw_added[-1].member.name == "bob"
    assert [(p.user_id, str(p.emoji)) for p in bot.raw_removed] == [(server.alice.id, "🇦")]
    channel = bot.get_channel(server.channel.id)
    assert isinstance(channel, discord.TextChannel)
    fetched = await channel.fetch_message(question.id)
    users = [u.id async for u in fetched.reactions[0].users()]
    assert sorted(users) == sorted([emu.bot_user.id, server.bob.id])


async def test_missing_add_reactions_is_forbidden_50013(emu: Emulator, server: Server, bot: TinyBot) -> None:
    locked = emu.add_channel(server.guild, "no-reactions", bot_deny=("add_reactions",))
    ix = await emu.slash(server.alice, locked, "quiz")
    message = await ix.wait_message()
    assert message.content == "I need Add Reactions here (code 50013)"
    assert any(c.method == "PUT" and c.status == 403 for c in emu.rest_calls)


async def test_member_without_add_reactions_cannot_react(emu: Emulator, server: Server, bot: TinyBot) -> None:
    ix = await emu.slash(server.alice, server.channel, "quiz")
    await ix.wait_message()
    question = next(m for m in emu.messages(server.channel) if m.content.startswith("Q1"))
    emu.set_channel_permissions(server.channel, server.alice, deny=("add_reactions",))
    assert not await emu.react(server.alice, question, "🇨")
    assert await emu.react(server.alice, question, "🇦")  # joining an existing reaction needs no Add Reactions
    assert "🇨" not in question.reactions


async def test_rate_limited_calls_are_retried(emu: Emulator, server: Server, bot: TinyBot) -> None:
    emu.rate_limit_share = 0.1
    for _ in range(6):
        ix = await emu.slash(server.alice, server.channel, "quiz")
        assert (await ix.wait_message(timeout=10)).content.startswith("posted")
    limited = [c for c in emu.rest_calls if c.status == 429]
    assert limited, "with 10% of about 40 calls, some must have been limited (seeded)"
    for call in limited:
        retries = [c for c in emu.rest_calls if (c.method, c.path) == (call.method, call.path) and c.at >= call.at]
        assert retries[1].status != 429


async def test_dropped_gateway_resumes_and_replays(emu: Emulator, server: Server, bot: TinyBot) -> None:
    message = await (await emu.slash(server.alice, server.channel, "card")).wait_message()
    await emu.drop_gateway()
    assert await emu.react(server.alice, message, "🇦")  # happens while the bot is away
    await emu.wait_until_connected()
    await asyncio.wait_for(bot.resumed.wait(), 5)
    assert emu.connections == 2
    ix = await emu.slash(server.alice, server.channel, "card")
    assert (await ix.wait_message()).content == "What is 6 x 7?"
    assert [p.user_id for p in bot.raw_added] == [server.alice.id]


async def test_dropped_gateway_can_lose_events(emu: Emulator, server: Server, bot: TinyBot) -> None:
    message = await (await emu.slash(server.alice, server.channel, "card")).wait_message()
    await emu.drop_gateway(lose_events=True)
    await emu.react(server.alice, message, "🇦")
    await emu.wait_until_connected()
    await emu.react(server.bob, message, "🇧")
    await (await emu.slash(server.alice, server.channel, "card")).wait_message()
    assert [(p.user_id, str(p.emoji)) for p in bot.raw_added] == [(server.bob.id, "🇧")]
    assert message.reactions["🇦"] == [server.alice.id]  # Discord still holds it: a GET would show it


async def test_unacknowledged_interaction_fails(emu: Emulator, server: Server, bot: TinyBot) -> None:
    emu.ack_deadline = 0.2
    bot.late_error = asyncio.get_running_loop().create_future()
    silent = await emu.slash(server.alice, server.channel, "silent")
    slow = await emu.slash(server.alice, server.channel, "slow")
    await silent.wait_failed()
    await slow.wait_failed()
    assert emu.failed_interactions == [silent, slow]
    late = await asyncio.wait_for(bot.late_error, 5)
    assert isinstance(late, discord.NotFound) and late.code == 10062
    with pytest.raises(EmulatorError, match="failed"):
        await silent.wait_message()


async def test_live_guild_create_and_dm(emu: Emulator, server: Server, bot: TinyBot) -> None:
    second = emu.add_guild("Book Club")
    room = emu.add_channel(second, "reading")
    carol = emu.add_member(second, "carol", user=server.alice.user)
    ix = await emu.slash(carol, room, "whoami")
    assert (await ix.wait_message()).content == "sent you a DM"
    assert [g.name for g in bot.joined] == ["Book Club"]
    dm = emu.dm_channel(server.alice)
    assert dm is not None and [m.content for m in emu.messages(dm)] == ["you are alice"]


async def test_wait_for_message_times_out_with_context(emu: Emulator, server: Server, bot: TinyBot) -> None:
    await (await emu.slash(server.alice, server.channel, "card")).wait_message()
    with pytest.raises(asyncio.TimeoutError, match="What is 6 x 7"):
        await emu.wait_for_message(lambda m: "never" in m.text(), timeout=0.05)


async def test_member_messages_arrive_without_content_unless_they_mention_the_bot(
    emu: Emulator, server: Server, bot: TinyBot
) -> None:
    await emu.send_message(server.alice, server.channel, "the answer is 42")
    await emu.send_message(server.alice, server.channel, f"<@{emu.bot_user.id}> the answer is 42")
    plain = await asyncio.wait_for(bot.seen.get(), 5)
    mentioning = await asyncio.wait_for(bot.seen.get(), 5)
    # message_content is privileged and the bot did not ask for it
    assert plain.content == "" and plain.author.id == server.alice.id
    assert mentioning.content.endswith("the answer is 42") and bot.user in mentioning.mentions


async def test_permission_changes_reach_the_bot_and_interactions_still_answer(
    emu: Emulator, server: Server, bot: TinyBot
) -> None:
    emu.set_bot_permissions(server.channel, deny=("send_messages",))
    ix = await emu.slash(server.alice, server.channel, "card")
    assert (await ix.wait_message()).content == "What is 6 x 7?"  # interaction replies ignore channel perms
    guild = bot.get_guild(server.guild.id)
    assert guild is not None
    channel = guild.get_channel(server.channel.id)
    assert isinstance(channel, discord.TextChannel)
    assert not channel.permissions_for(guild.me).send_messages
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("hello")
    assert refused.value.code == 50013
