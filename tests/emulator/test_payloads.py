"""The emulator's payloads parsed by discord.py's own classes, so its shapes cannot drift from Discord's."""

from __future__ import annotations

import io
from datetime import timezone

import discord

from bot.emulator import Emulator, payloads
from bot.emulator.interactions import build_command_data

from .conftest import Server, TinyBot


def guild_and_channel(bot: TinyBot, server: Server) -> tuple[discord.Guild, discord.TextChannel]:
    guild = bot.get_guild(server.guild.id)
    assert guild is not None
    channel = guild.get_channel(server.channel.id)
    assert isinstance(channel, discord.TextChannel)
    return guild, channel


async def test_member_payload_parses(emu: Emulator, server: Server, bot: TinyBot) -> None:
    guild, _ = guild_and_channel(bot, server)
    member = discord.Member(data=payloads.member_payload(server.bob), guild=guild, state=bot._connection)
    assert (member.id, member.name, member.display_name) == (server.bob.id, "bob", "Bob")
    assert member.discriminator == "0" and member.avatar is None and not member.bot
    assert member.guild_permissions.manage_guild and not member.guild_permissions.administrator
    assert member.joined_at is not None and member.joined_at.tzinfo == timezone.utc
    assert [r.name for r in member.roles] == ["@everyone", "Moderator"]


async def test_message_with_components_parses(emu: Emulator, server: Server, bot: TinyBot) -> None:
    _, channel = guild_and_channel(bot, server)
    body = {
        "content": "Card 1/3",
        "embeds": [{"title": "Front", "description": "What is FSRS?", "fields": [{"name": "Deck", "value": "srs"}]}],
        "components": [
            {"type": 1, "components": [
                {"type": 2, "style": 1, "label": "Reveal", "custom_id": "reveal:1"},
                {"type": 2, "style": 5, "label": "Docs", "url": "https://example.invalid/docs"},
                {"type": 2, "style": 4, "label": "Stop", "custom_id": "stop:1", "disabled": True},
            ]},
            {"type": 1, "components": [
                {"type": 3, "custom_id": "grade:1",
                 "options": [{"label": "Good", "value": "3"}, {"label": "Again", "value": "1"}]},
            ]},
        ],
    }
    fake = emu._create_message(server.channel, emu.bot_user, body, [])
    await emu.react(server.alice, fake, "🇦")
    message = discord.Message(state=bot._connection, channel=channel, data=fake.payload(emu.bot_user.id))
    assert message.id == fake.id and message.author.id == emu.bot_user.id and message.content == "Card 1/3"
    assert message.embeds[0].title == "Front" and message.embeds[0].fields[0].value == "srs"
    buttons = message.components[0].children  # type: ignore[union-attr]
    assert [(b.label, b.custom_id, b.style, b.disabled) for b in buttons] == [  # type: ignore[union-attr]
        ("Reveal", "reveal:1", discord.ButtonStyle.primary, False),
        ("Docs", None, discord.ButtonStyle.link, False),
        ("Stop", "stop:1", discord.ButtonStyle.danger, True),
    ]
    select = message.components[1].children[0]  # type: ignore[union-attr]
    assert isinstance(select, discord.SelectMenu) and [o.value for o in select.options] == ["3", "1"]
    assert [(str(r.emoji), r.count, r.me) for r in message.reactions] == [("🇦", 1, False)]
    assert message.created_at.tzinfo == timezone.utc and message.guild is not None
    assert "Front" in fake.text() and "What is FSRS?" in fake.text() and "srs" in fake.text()
    assert [b["label"] for b in fake.buttons()] == ["Reveal", "Docs", "Stop"]


async def test_interaction_payload_parses(emu: Emulator, server: Server, bot: TinyBot) -> None:
    guild, channel = guild_and_channel(bot, server)
    ix = await emu.slash(server.alice, server.channel, "card")
    card = await ix.wait_message()
    parsed = discord.Interaction(data=ix.payload, state=bot._connection)
    assert parsed.id == ix.id and parsed.type is discord.InteractionType.application_command
    assert isinstance(parsed.user, discord.Member) and parsed.user.name == "alice"
    assert parsed.channel == channel and parsed.guild == guild
    assert parsed.permissions.send_messages and not parsed.permissions.manage_guild
    # discord.py strips voice bits for text channels; every other bit must agree with its own computation
    text_only = parsed.app_permissions.value & ~discord.Permissions.voice().value
    assert text_only == channel.permissions_for(guild.me).value
    assert parsed.data is not None and parsed.data["name"] == "card"

    click = await emu.click(server.alice, card, label="Reveal")
    parsed_click = discord.Interaction(data=click.payload, state=bot._connection)
    assert parsed_click.type is discord.InteractionType.component
    assert parsed_click.message is not None and parsed_click.message.id == card.id
    assert parsed_click.data is not None and parsed_click.data["custom_id"] == "card:reveal"  # type: ignore[typeddict-item]
    meta = discord.Message(state=bot._connection, channel=channel, data=card.payload()).interaction_metadata
    assert meta is not None and meta.id == ix.id and meta.user.id == server.alice.id


async def test_typed_options_with_resolved_objects_parse(emu: Emulator, server: Server, bot: TinyBot) -> None:
    schema = {
        "id": "99", "name": "admin", "description": "d", "type": 1, "options": [
            {"type": 2, "name": "give", "description": "d", "options": [
                {"type": 1, "name": "points", "description": "d", "options": [
                    {"type": 6, "name": "who", "description": "d", "required": True},
                    {"type": 10, "name": "amount", "description": "d", "required": True, "min_value": 0},
                    {"type": 7, "name": "where", "description": "d"},
                    {"type": 11, "name": "proof", "description": "d"},
                ]},
            ]},
        ],
    }
    data = build_command_data(
        emu.world, schema, ["give", "points"],
        {"who": server.bob, "amount": 2.5, "where": server.channel, "proof": ("p.png", b"\x89PNG")},
        store_file=emu._slash_file,
    )
    leaf = data["options"][0]["options"][0]["options"]
    sent = [(o["name"], o["type"], o["value"]) for o in leaf][:2]
    assert sent == [("who", 6, str(server.bob.id)), ("amount", 10, 2.5)]
    resolved = data["resolved"]
    assert set(resolved) == {"users", "members", "channels", "attachments"}
    payload = dict(emu._interaction_payload(await emu.slash(server.alice, server.channel, "card")), data=data)
    parsed = discord.Interaction(data=payload, state=bot._connection)
    namespace = discord.app_commands.Namespace(parsed, data["resolved"], leaf)
    assert isinstance(namespace.who, discord.Member) and namespace.who.id == server.bob.id
    assert namespace.amount == 2.5
    assert isinstance(namespace.proof, discord.Attachment) and namespace.proof.size == 4


async def test_bot_upload_and_reply_round_trip(emu: Emulator, server: Server, bot: TinyBot) -> None:
    _, channel = guild_and_channel(bot, server)
    sent = await channel.send("chart", file=discord.File(io.BytesIO(b"\x89PNG-data"), "chart.png"))
    assert sent.attachments[0].filename == "chart.png" and await sent.attachments[0].read() == b"\x89PNG-data"
    reply = await sent.reply("about that chart", mention_author=False)
    assert reply.reference is not None and reply.reference.message_id == sent.id
    stored = emu.messages(server.channel)[-1]
    assert stored.allowed_mentions is not None and stored.allowed_mentions.get("replied_user") is False
    edited = await sent.edit(content="chart v2", attachments=[])
    assert edited.content == "chart v2" and edited.attachments == []
    assert emu.world.messages[sent.id].edit_count == 1
