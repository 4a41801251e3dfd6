"""Discord permission bits and the permission computation Discord documents.

Kept independent of discord.py on purpose: the emulator must judge the bot, not reuse its code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import FakeChannel, FakeGuild, FakeRole

PERMISSION_BITS: dict[str, int] = {
    "create_instant_invite": 0,
    "kick_members": 1,
    "ban_members": 2,
    "administrator": 3,
    "manage_channels": 4,
    "manage_guild": 5,
    "add_reactions": 6,
    "view_audit_log": 7,
    "priority_speaker": 8,
    "stream": 9,
    "view_channel": 10,
    "send_messages": 11,
    "send_tts_messages": 12,
    "manage_messages": 13,
    "embed_links": 14,
    "attach_files": 15,
    "read_message_history": 16,
    "mention_everyone": 17,
    "use_external_emojis": 18,
    "view_guild_insights": 19,
    "connect": 20,
    "speak": 21,
    "change_nickname": 26,
    "manage_nicknames": 27,
    "manage_roles": 28,
    "manage_webhooks": 29,
    "manage_expressions": 30,
    "use_application_commands": 31,
    "manage_threads": 34,
    "create_public_threads": 35,
    "create_private_threads": 36,
    "use_external_stickers": 37,
    "send_messages_in_threads": 38,
    "moderate_members": 40,
    "send_polls": 49,
}

ALL = 0
for _bit in PERMISSION_BITS.values():
    ALL |= 1 << _bit


def flag(name: str) -> int:
    try:
        return 1 << PERMISSION_BITS[name]
    except KeyError:
        known = ", ".join(sorted(PERMISSION_BITS))
        raise ValueError(f"unknown permission {name!r}; known: {known}") from None


def flags(names: Iterable[str]) -> int:
    value = 0
    for name in names:
        value |= flag(name)
    return value


def has(value: int, name: str) -> bool:
    return value & flag(name) == flag(name)


def names_of(value: int) -> list[str]:
    return [name for name, bit in PERMISSION_BITS.items() if value & (1 << bit)]


# What @everyone gets in a freshly created server (close to Discord's default role).
EVERYONE_DEFAULT = flags(
    [
        "create_instant_invite",
        "add_reactions",
        "stream",
        "view_channel",
        "send_messages",
        "embed_links",
        "attach_files",
        "read_message_history",
        "mention_everyone",
        "use_external_emojis",
        "connect",
        "speak",
        "change_nickname",
        "use_application_commands",
        "create_public_threads",
        "create_private_threads",
        "use_external_stickers",
        "send_messages_in_threads",
        "send_polls",
    ]
)

# What the bot's managed role gets from a typical invite link for a study bot.
BOT_DEFAULT = flags(
    [
        "view_channel",
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "attach_files",
        "read_message_history",
        "add_reactions",
        "manage_messages",
        "use_external_emojis",
        "use_application_commands",
    ]
)

# Without Send Messages these are implicitly denied too (Discord's "implicit permissions").
_NEEDS_SEND = flags(["mention_everyone", "send_tts_messages", "attach_files", "embed_links"])


def base_permissions(guild: FakeGuild, user_id: int) -> int:
    if user_id == guild.owner_id:
        return ALL
    member = guild.members.get(user_id)
    value = guild.roles[guild.id].permissions
    if member is not None:
        for role_id in member.role_ids:
            role = guild.roles.get(role_id)
            if role is not None:
                value |= role.permissions
    if value & flag("administrator"):
        return ALL
    return value


def channel_permissions(guild: FakeGuild, channel: FakeChannel, user_id: int) -> int:
    """Discord's algorithm: base, then @everyone, role and member overwrites, then implicit denials."""
    value = base_permissions(guild, user_id)
    if value == ALL:
        return ALL
    member = guild.members.get(user_id)
    overwrites = channel.overwrites
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        value = (value & ~everyone.deny) | everyone.allow
    role_allow = role_deny = 0
    for role_id in member.role_ids if member is not None else ():
        ow = overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            role_allow |= ow.allow
            role_deny |= ow.deny
    value = (value & ~role_deny) | role_allow
    own = overwrites.get(user_id)
    if own is not None and own.type == 1:
        value = (value & ~own.deny) | own.allow
    if not value & flag("view_channel"):
        return 0
    if not value & flag("send_messages"):
        value &= ~_NEEDS_SEND
    return value


def role_order(role: FakeRole) -> tuple[int, int]:
    """Where a role sits in the hierarchy: by position, and at equal positions the older role (lower id) is higher."""
    return (role.position, -role.id)


def highest_role(guild: FakeGuild, user_id: int) -> FakeRole:
    """The member's highest role; @everyone when they have no other."""
    member = guild.members.get(user_id)
    roles = [guild.roles[r] for r in (member.role_ids if member else ()) if r in guild.roles]
    return max([guild.everyone, *roles], key=role_order)


def can_assign(guild: FakeGuild, user_id: int, role: FakeRole) -> bool:
    """Discord's rule for giving or taking a role: Manage Roles, and the role strictly below the actor's highest
    role (the owner may assign any role); @everyone is never assigned."""
    if role.id == guild.id:
        return False
    if user_id == guild.owner_id:
        return True
    if not has(base_permissions(guild, user_id), "manage_roles"):
        return False
    return role_order(role) < role_order(highest_role(guild, user_id))
