"""Discord-shaped JSON payloads built from the emulator's state (API v10 field names and types).

Snowflakes are strings, permissions are strings, timestamps are ISO 8601 with +00:00, as Discord sends them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from .state import FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole, FakeUser, Overwrite


def user_payload(user: FakeUser) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(user.id),
        "username": user.name,
        "global_name": user.global_name,
        "discriminator": "0",
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }
    if user.bot:
        data["bot"] = True
    return data


def member_payload(member: FakeMember, *, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in member.role_ids],
        "joined_at": member.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "unusual_dm_activity_until": None,
    }
    if with_user:
        data["user"] = user_payload(member.user)
    return data


def role_payload(role: FakeRole) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(role.id),
        "name": role.name,
        "description": None,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed_for is not None,
        "mentionable": False,
        "flags": 0,
    }
    if role.managed_for is not None:
        data["tags"] = {"bot_id": str(role.managed_for)}
    return data


def overwrite_payload(ow: Overwrite) -> dict[str, Any]:
    return {"id": str(ow.id), "type": ow.type, "allow": str(ow.allow), "deny": str(ow.deny)}


def channel_payload(channel: FakeChannel) -> dict[str, Any]:
    last = str(channel.last_message_id) if channel.last_message_id else None
    if channel.recipient is not None:
        return {
            "id": str(channel.id),
            "type": channel.type,
            "last_message_id": last,
            "flags": 0,
            "recipients": [user_payload(channel.recipient)],
        }
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [overwrite_payload(o) for o in channel.overwrites.values()],
        "parent_id": None,
        "topic": channel.topic,
        "nsfw": False,
        "last_message_id": last,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def guild_payload(guild: FakeGuild) -> dict[str, Any]:
    """The guild object of GET /guilds/{id} (no channels or members)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.locale,
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "safety_alerts_channel_id": None,
        "incidents_data": None,
    }


def guild_create_payload(guild: FakeGuild, *, bot_id: int, all_members: bool, joined: bool = False) -> dict[str, Any]:
    """GUILD_CREATE: without the privileged members intent Discord sends only the bot's own member.

    After READY the guild was announced unavailable, so its GUILD_CREATE says unavailable: false;
    a guild the bot just joined has no `unavailable` key (discord.py tells join from available by it).
    """
    members = [m for m in guild.members.values() if all_members or m.user.id == bot_id]
    data = guild_payload(guild)
    data.update(
        {
            "joined_at": guild.joined_at,
            "large": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [member_payload(m) for m in members],
            "channels": [channel_payload(c) for c in guild.channels],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "lazy": True,
        }
    )
    if not joined:
        data["unavailable"] = False
    return data


def emoji_key(raw: str) -> str:
    """The key a reaction is stored under: the unicode emoji, or name:id for a custom one."""
    text = unquote(raw)
    if text.startswith("<") and text.endswith(">"):
        text = text.strip("<>").removeprefix("a:").removeprefix(":")
    return text


def emoji_payload(key: str) -> dict[str, Any]:
    name, sep, emoji_id = key.rpartition(":")
    if sep and emoji_id.isdigit():
        return {"id": emoji_id, "name": name, "animated": False}
    return {"id": None, "name": key}


def reactions_payload(message: FakeMessage, me_id: int) -> list[dict[str, Any]]:
    return [
        {
            "count": len(users),
            "count_details": {"burst": 0, "normal": len(users)},
            "me": me_id in users,
            "me_burst": False,
            "burst_me": False,
            "burst_count": 0,
            "burst_colors": [],
            "emoji": emoji_payload(key),
        }
        for key, users in message.reactions.items()
        if users
    ]


def message_payload(message: FakeMessage, me_id: int | None = None) -> dict[str, Any]:
    """me_id: whose point of view `reactions[].me` takes (the bot's, for REST and gateway)."""
    data: dict[str, Any] = {
        "id": str(message.id),
        "type": message.type,
        "channel_id": str(message.channel_id),
        "author": user_payload(message.author),
        "content": message.content,
        "timestamp": message.timestamp,
        "edited_timestamp": message.edited_timestamp,
        "tts": message.tts,
        "mention_everyone": False,
        "mentions": [user_payload(u) for u in message.mentions],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [dict(a) for a in message.attachments],
        "embeds": [dict(e) for e in message.embeds],
        "pinned": False,
        "flags": message.flags,
        "components": message.components,
    }
    if message.guild_id is not None:
        data["guild_id"] = str(message.guild_id)
    reactions = reactions_payload(message, me_id if me_id is not None else -1)
    if reactions:
        data["reactions"] = reactions
    if message.webhook_id is not None:
        data["webhook_id"] = str(message.webhook_id)
    if message.application_id is not None:
        data["application_id"] = str(message.application_id)
    if message.interaction_metadata is not None:
        data["interaction_metadata"] = message.interaction_metadata
    if message.message_reference is not None:
        data["message_reference"] = message.message_reference
    return data
