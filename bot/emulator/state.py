"""The emulated Discord world: users, servers, channels, members, messages, commands.

Plain data and queries only: no networking here, so the REST handlers, the gateway and the test driver
all read and change one consistent picture of "what Discord holds".
"""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from . import permissions as perms

DISCORD_EPOCH_MS = 1420070400000

# Message flags that matter to the emulator.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_COMPONENTS_V2 = 1 << 15

CHANNEL_TEXT = 0
CHANNEL_DM = 1


class SnowflakeFactory:
    """Monotonic snowflakes of realistic size: timestamp bits first, so ids sort by creation time."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(self._last + 1, candidate)
        return self._last

    def next_guild(self, shard: tuple[int, int] | None = None) -> int:
        """A guild id that starts a millisecond of its own, so guilds made one after another spread over the shards
        (Discord's shard is the timestamp part modulo the count); with `shard=(id, count)`, the first such
        millisecond that lands on that shard. Ids may run a few milliseconds ahead of the clock; they stay
        monotonic."""
        stamp = max((self._last >> 22) + 1, int(time.time() * 1000) - DISCORD_EPOCH_MS)
        if shard is not None:
            shard_id, count = shard
            stamp += (shard_id - stamp) % count
        self._last = stamp << 22
        return self._last


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass(eq=False)
class FakeUser:
    id: int
    name: str
    bot: bool = False
    global_name: str | None = None
    dms_open: bool = True  # False: the user closed DMs from servers' members (bots get 403 50007)
    locale: str = "en-US"  # the language of the user's Discord client (interactions carry it)

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, name={self.name!r})"


@dataclass(eq=False)
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    managed_for: int | None = None  # the bot user id for the bot's managed role

    def __repr__(self) -> str:
        return f"FakeRole(id={self.id}, name={self.name!r})"


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass(eq=False)
class FakeChannel:
    id: int
    guild_id: int | None
    name: str
    type: int = CHANNEL_TEXT
    position: int = 0
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    topic: str | None = None
    recipient: FakeUser | None = None  # DM channels only
    last_message_id: int | None = None

    def __repr__(self) -> str:
        return f"FakeChannel(id={self.id}, guild_id={self.guild_id}, name={self.name!r})"


@dataclass(eq=False)
class FakeMember:
    user: FakeUser
    guild: FakeGuild
    role_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    def __repr__(self) -> str:
        return f"FakeMember(id={self.user.id}, name={self.user.name!r}, guild={self.guild.name!r})"


@dataclass(eq=False)
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: list[FakeChannel] = field(default_factory=list)
    members: dict[int, FakeMember] = field(default_factory=dict)
    joined_at: str = field(default_factory=iso_now)
    locale: str = "en-US"  # the server's language (preferred_locale, and guild_locale on interactions)

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    def __repr__(self) -> str:
        return f"FakeGuild(id={self.id}, name={self.name!r})"


@dataclass
class StoredFile:
    id: int
    filename: str
    data: bytes
    content_type: str


@dataclass(eq=False)
class FakeMessage:
    """A message as Discord stores it; live: edits and reactions update this same object."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    visible_to: int | None = None
    reactions: dict[str, list[int]] = field(default_factory=dict)
    allowed_mentions: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    edit_count: int = 0
    type: int = 0
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    mentions: list[FakeUser] = field(default_factory=list)
    tts: bool = False

    @property
    def author_id(self) -> int:
        return self.author.id

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & FLAG_LOADING)

    def text(self) -> str:
        """Everything a member reads: content, embed texts, and Components V2 text displays."""
        parts: list[str] = [self.content] if self.content else []
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(str(embed[key]))
            if (embed.get("author") or {}).get("name"):
                parts.append(embed["author"]["name"])
            for fld in embed.get("fields", []):
                parts.extend(str(fld.get(k, "")) for k in ("name", "value"))
            if (embed.get("footer") or {}).get("text"):
                parts.append(embed["footer"]["text"])
        parts.extend(c["content"] for c in walk_components(self.components) if c.get("type") == 10)
        return "\n".join(parts)

    def buttons(self) -> list[dict[str, Any]]:
        return [
            {
                "label": c.get("label"),
                "custom_id": c.get("custom_id"),
                "style": c.get("style"),
                "disabled": bool(c.get("disabled", False)),
                "emoji": c.get("emoji"),
                "url": c.get("url"),
            }
            for c in walk_components(self.components)
            if c.get("type") == 2
        ]

    def selects(self) -> list[dict[str, Any]]:
        return [c for c in walk_components(self.components) if c.get("type") in (3, 5, 6, 7, 8)]

    def payload(self, me_id: int | None = None) -> dict[str, Any]:
        from .payloads import message_payload

        return message_payload(self, me_id)

    def __repr__(self) -> str:
        return f"FakeMessage(id={self.id}, author={self.author.name!r}, text={self.text()[:60]!r})"


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, depth first: action rows, sections (with accessory), containers, labels."""
    for comp in components:
        yield comp
        yield from walk_components(comp.get("components", []))
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield from walk_components([comp[key]])


def guess_content_type(filename: str) -> str:
    if filename.endswith((".yaml", ".yml")):
        return "application/x-yaml"
    guessed, _ = mimetypes.guess_type(filename)
    if guessed is None:
        return "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


class World:
    """All state of the emulated Discord instance."""

    def __init__(self, bot_name: str = "Recall") -> None:
        self.ids = SnowflakeFactory()
        self.application_id = self.ids.next()
        # Bots made since 2016 share their id with their application.
        self.bot_user = FakeUser(self.application_id, bot_name, bot=True)
        self.owner_user = FakeUser(self.ids.next(), "server-owner")
        self.users: dict[int, FakeUser] = {u.id: u for u in (self.bot_user, self.owner_user)}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.channel_messages: dict[int, list[FakeMessage]] = {}
        self.files: dict[int, StoredFile] = {}
        self.global_commands: dict[int, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[int, dict[str, Any]]] = {}
        self.dm_channels: dict[int, FakeChannel] = {}

    # --- building the world -------------------------------------------------------------------

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> FakeGuild:
        guild = FakeGuild(self.ids.next_guild(shard), name, owner_id=self.owner_user.id)
        guild.roles[guild.id] = FakeRole(guild.id, guild.id, "@everyone", perms.EVERYONE_DEFAULT)
        bot_role = FakeRole(
            self.ids.next(), guild.id, self.bot_user.name, perms.BOT_DEFAULT, position=1, managed_for=self.bot_user.id
        )
        guild.roles[bot_role.id] = bot_role
        self.guilds[guild.id] = guild
        self.add_member(guild, user=self.bot_user, role_ids=[bot_role.id])
        return guild

    def add_channel(self, guild: FakeGuild, name: str, type: int = CHANNEL_TEXT) -> FakeChannel:
        channel = FakeChannel(self.ids.next(), guild.id, name, type=type, position=len(guild.channels))
        guild.channels.append(channel)
        self.channels[channel.id] = channel
        self.channel_messages[channel.id] = []
        return channel

    def add_member(
        self,
        guild: FakeGuild,
        name: str | None = None,
        *,
        bot: bool = False,
        user: FakeUser | None = None,
        role_ids: list[int] | None = None,
    ) -> FakeMember:
        if user is None:
            if name is None:
                raise ValueError("add_member needs a name or a user")
            user = FakeUser(self.ids.next(), name, bot=bot, global_name=name.capitalize())
            self.users[user.id] = user
        if user.id in guild.members:
            raise ValueError(f"{user.name} is already a member of {guild.name}")
        member = FakeMember(user, guild, list(role_ids or []))
        guild.members[user.id] = member
        return member

    def remove_member(self, guild: FakeGuild, user_id: int) -> FakeMember:
        member = guild.members.pop(user_id, None)
        if member is None:
            raise ValueError(f"user {user_id} is not a member of {guild.name}")
        return member

    def role_with(self, guild: FakeGuild, name: str, permissions: int) -> FakeRole:
        """The guild's role with exactly these permissions, created on first use."""
        for role in guild.roles.values():
            if role.name == name and role.permissions == permissions:
                return role
        role = FakeRole(self.ids.next(), guild.id, name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_role(self, guild: FakeGuild, name: str, *, permissions: int = 0, position: int = 1) -> FakeRole:
        """A role at `position` (Discord creates roles at 1, just above @everyone); roles at or above it move up one,
        as Discord keeps positions distinct."""
        for role in guild.roles.values():
            if role.id != guild.id and role.position >= position:
                role.position += 1
        role = FakeRole(self.ids.next(), guild.id, name, permissions, position=position)
        guild.roles[role.id] = role
        return role

    def bot_role(self, guild: FakeGuild) -> FakeRole:
        """The role Discord made for the bot when it joined (managed, holds the invite's permissions)."""
        return next(r for r in guild.roles.values() if r.managed_for == self.bot_user.id)

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = FakeChannel(self.ids.next(), None, user.name, type=CHANNEL_DM, recipient=user)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
            self.channel_messages[channel.id] = []
        return channel

    # --- queries ---------------------------------------------------------------------------------

    def guild_of(self, channel: FakeChannel) -> FakeGuild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id is not None else None

    def permissions_in(self, channel: FakeChannel, user_id: int) -> int:
        guild = self.guild_of(channel)
        if guild is None:
            # DMs: everything a DM allows, nothing guild-only.
            return perms.flags(
                ["view_channel", "send_messages", "embed_links", "attach_files", "read_message_history", "add_reactions"]
            )
        if user_id not in guild.members and user_id != guild.owner_id:
            return 0
        return perms.channel_permissions(guild, channel, user_id)

    def guild_permissions(self, guild: FakeGuild, user_id: int) -> int:
        return perms.base_permissions(guild, user_id)

    def commands_for(self, guild_id: int | None) -> list[dict[str, Any]]:
        """Commands a member could see in that guild: guild-scoped first, then global."""
        scoped = list(self.guild_commands.get(guild_id, {}).values()) if guild_id else []
        return scoped + list(self.global_commands.values())

    def visible_messages(self, channel_id: int) -> list[FakeMessage]:
        return [m for m in self.channel_messages.get(channel_id, []) if not m.deleted and not m.ephemeral]

    def store_file(self, filename: str, data: bytes, content_type: str | None = None) -> StoredFile:
        stored = StoredFile(self.ids.next(), filename, data, content_type or guess_content_type(filename))
        self.files[stored.id] = stored
        return stored

    def add_message(self, message: FakeMessage) -> FakeMessage:
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel_id, []).append(message)
        channel = self.channels.get(message.channel_id)
        if channel is not None and not message.ephemeral:
            channel.last_message_id = message.id
        return message
