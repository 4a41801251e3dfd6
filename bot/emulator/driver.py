"""The Emulator: starts the fake Discord, builds its world, and is the API tests drive members with.

It is also the hub the REST handlers call, so every change (a message, an edit, a reaction) goes
through one place that updates state, sends the gateway event and wakes waiting tests.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import payloads
from . import permissions as perms
from .errors import ApiError, EmulatorError, invalid_form
from .gateway import (
    INTENT_DM_MESSAGES,
    INTENT_DM_REACTIONS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_REACTIONS,
    INTENT_GUILDS,
    INTENT_MEMBERS,
    INTENT_MESSAGE_CONTENT,
    EventData,
    Gateway,
    Session,
    shard_of,
)
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    ACK_DEADLINE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    FakeInteraction,
    attachment_payload,
    build_command_data,
    check_member_can_use,
    find_button,
    find_command,
    find_select,
    modal_submit_components,
)
from .messages import Upload, apply_body
from .ratelimit import GlobalRateLimit
from .responses import Responder
from .state import (
    FLAG_LOADING,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeUser,
    Overwrite,
    World,
)

log = logging.getLogger(__name__)

MAX_REACTIONS = 20
Actor = FakeMember | FakeUser


@dataclass
class RestCall:
    method: str
    path: str
    json: Any
    status: int
    at: float
    query: dict[str, str] = field(default_factory=dict)


class Emulator:
    """A local Discord (REST v10 + gateway) for the real discord.py client, and the test API to drive it."""

    def __init__(
        self,
        bot_name: str = "Recall",
        seed: int = 1,
        host: str = "127.0.0.1",
        ack_deadline: float = ACK_DEADLINE,
        shard_count: int | None = None,
    ) -> None:
        self.world = World(bot_name)
        # Discord's 3 s; a test of the failure path may shorten it.
        self.ack_deadline = ack_deadline
        self.token = f"emulator.{seed}.{secrets.token_hex(12)}"
        self.host = host
        self.port = 0
        self.rate_limit_share = 0.0
        # Discord's global limit (50 requests/s per bot) when set; off by default so tests never wait on it.
        self.global_limit: GlobalRateLimit | None = None
        self.rest_calls: list[RestCall] = []
        self.unknown_routes: list[str] = []
        self.failed_interactions: list[FakeInteraction] = []
        self.interactions: dict[int, FakeInteraction] = {}
        self._rng = random.Random(seed)
        self._limited: set[tuple[str, str]] = set()  # calls answered 429 whose retry must pass
        self._by_token: dict[str, FakeInteraction] = {}
        self._awaiting_edit: dict[int, list[FakeInteraction]] = {}  # message id -> deferred-update interactions
        self._waiters: list[tuple[Callable[[FakeMessage], Any], int | None, asyncio.Future[FakeMessage]]] = []
        self._seen: deque[FakeMessage] = deque(maxlen=8)
        self._timers: dict[int, asyncio.TimerHandle] = {}  # ack deadlines by interaction id
        self._runner: web.AppRunner | None = None
        self.gateway = Gateway(self.token, self._identify_events)
        self.gateway.shard_count = shard_count
        self.responder = Responder(self)

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> Emulator:
        from .server import build_app

        self._runner = web.AppRunner(build_app(self), handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for _, _, fut in self._waiters:
            fut.cancel()
        self._waiters.clear()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def bot_user(self) -> FakeUser:
        return self.world.bot_user

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def connections(self) -> int:
        return self.gateway.connections

    @property
    def shard_count(self) -> int | None:
        """The shard count bots must identify with, which GET /gateway/bot recommends; None (the default): any
        valid shard, or none (then /gateway/bot recommends 1). A count above 1 makes an unsharded IDENTIFY fail
        with 4011 (sharding required), another count with 4010 (invalid shard), as Discord closes them."""
        return self.gateway.shard_count

    @shard_count.setter
    def shard_count(self, count: int | None) -> None:
        if count is not None and count < 1:
            raise ValueError(f"a shard count is at least 1, got {count}")
        self.gateway.shard_count = count

    @staticmethod
    def shard_of(guild: FakeGuild | int, count: int) -> int:
        """The shard that receives the guild's events with `count` shards (Discord's formula)."""
        return shard_of(guild.id if isinstance(guild, FakeGuild) else guild, count)

    def sent_to_shard(self, shard_id: int | None) -> Counter[tuple[str, int | None]]:
        """The gateway events sent so far to the sessions of one shard (None: unsharded sessions), counted by
        (event name, guild id or None)."""
        counts: Counter[tuple[str, int | None]] = Counter()
        for (shard, event, guild_id), n in self.gateway.sent.items():
            if shard == shard_id:
                counts[(event, guild_id)] += n
        return counts

    def guilds_sent_to(self, shard_id: int | None) -> set[int]:
        """The guilds whose events went to the sessions of one shard (None: unsharded sessions)."""
        return {guild_id for (shard, _, guild_id) in self.gateway.sent if shard == shard_id and guild_id is not None}

    # --- building the world ---------------------------------------------------------------------------

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> FakeGuild:
        """A server the bot is in; `shard=(id, count)` picks an id that lands on that shard with that count
        (without it, consecutive servers spread over the shards of any count)."""
        if shard is not None and not 0 <= shard[0] < shard[1]:
            raise ValueError(f"shard {shard[0]} does not exist with {shard[1]} shards")
        guild = self.world.add_guild(name, shard=shard)
        self.gateway.dispatch("GUILD_CREATE", self._guild_create(guild, joined=True), INTENT_GUILDS, guild_id=guild.id)
        return guild

    def add_channel(
        self, guild: FakeGuild, name: str, *, bot_deny: Iterable[str] = (), bot_allow: Iterable[str] = ()
    ) -> FakeChannel:
        channel = self.world.add_channel(guild, name)
        if bot_deny or bot_allow:
            self._set_overwrite(channel, self.bot_user.id, 1, allow=bot_allow, deny=bot_deny, announce=False)
        self.gateway.dispatch("CHANNEL_CREATE", payloads.channel_payload(channel), INTENT_GUILDS, guild_id=guild.id)
        return channel

    def add_member(
        self,
        guild: FakeGuild,
        name: str | None = None,
        *,
        manage_guild: bool = False,
        administrator: bool = False,
        bot: bool = False,
        user: FakeUser | None = None,
    ) -> FakeMember:
        roles = []
        if manage_guild:
            roles.append(self.world.role_with(guild, "Moderator", perms.flag("manage_guild")).id)
        if administrator:
            roles.append(self.world.role_with(guild, "Admin", perms.flag("administrator")).id)
        member = self.world.add_member(guild, name, bot=bot, user=user, role_ids=roles)
        data = payloads.member_payload(member) | {"guild_id": str(guild.id)}
        self.gateway.dispatch("GUILD_MEMBER_ADD", data, INTENT_MEMBERS, guild_id=guild.id)
        return member

    def remove_member(self, guild: FakeGuild, member: FakeMember) -> None:
        """The member leaves the server (GET of the member answers 404 Unknown Member from now on)."""
        self.world.remove_member(guild, member.id)
        data = {"guild_id": str(guild.id), "user": payloads.user_payload(member.user)}
        self.gateway.dispatch("GUILD_MEMBER_REMOVE", data, INTENT_MEMBERS, guild_id=guild.id)

    def set_guild_locale(self, guild: FakeGuild, locale: str) -> None:
        """The server's Discord language changes (Server Settings → Community): GUILD_UPDATE with preferred_locale,
        and interactions from now on carry it as guild_locale."""
        guild.locale = locale
        self.gateway.dispatch("GUILD_UPDATE", payloads.guild_payload(guild), INTENT_GUILDS, guild_id=guild.id)

    def set_dms_open(self, user: Actor, is_open: bool) -> None:
        """Whether the user accepts DMs from the bot: closed, a message to their DM channel gets 403 50007."""
        _user_of(user).dms_open = is_open

    def set_bot_permissions(self, channel: FakeChannel, *, deny: Iterable[str] = (), allow: Iterable[str] = ()) -> None:
        """Replace the bot's member overwrite in a channel (names as in discord.Permissions)."""
        self._set_overwrite(channel, self.bot_user.id, 1, allow=allow, deny=deny)

    def set_channel_permissions(
        self,
        channel: FakeChannel,
        target: FakeMember | FakeGuild,
        *,
        deny: Iterable[str] = (),
        allow: Iterable[str] = (),
    ) -> None:
        """An overwrite for a member, or for @everyone when target is the guild."""
        if isinstance(target, FakeGuild):
            self._set_overwrite(channel, target.id, 0, allow=allow, deny=deny)
        else:
            self._set_overwrite(channel, target.user.id, 1, allow=allow, deny=deny)

    def _set_overwrite(
        self,
        channel: FakeChannel,
        target_id: int,
        kind: int,
        *,
        allow: Iterable[str],
        deny: Iterable[str],
        announce: bool = True,
    ) -> None:
        channel.overwrites[target_id] = Overwrite(target_id, kind, perms.flags(allow), perms.flags(deny))
        if announce:
            self.gateway.dispatch("CHANNEL_UPDATE", payloads.channel_payload(channel), INTENT_GUILDS,
                                  guild_id=channel.guild_id)

    def messages(self, channel: FakeChannel, *, include_deleted: bool = False) -> list[FakeMessage]:
        return [m for m in self.world.channel_messages.get(channel.id, []) if include_deleted or not m.deleted]

    def dm_channel(self, user: Actor) -> FakeChannel | None:
        """The DM channel the bot opened with this user, if any."""
        return self.world.dm_channels.get(_user_of(user).id)

    # --- gateway control ------------------------------------------------------------------------------

    async def drop_gateway(self, lose_events: bool = False, *, shard_id: int | None = None) -> None:
        """Close the bot's gateway socket (only shard `shard_id`'s, when given); it stays down until the test
        next waits for something.

        Events produced meanwhile are replayed on RESUME, or lost with lose_events=True
        (that is how a test makes the bot miss, say, a reaction).
        """
        await self.gateway.drop(lose_events=lose_events, shard_id=shard_id)

    async def wait_until_connected(self, timeout: float = 5, *, shard_id: int | None = None) -> None:
        try:
            await self.gateway.wait_connected(timeout, shard_id)
        except asyncio.TimeoutError:
            which = "the bot" if shard_id is None else f"shard {shard_id}"
            raise asyncio.TimeoutError(
                f"{which} was not connected to the gateway within {timeout}s "
                f"(connections so far: {self.gateway.connections})"
            ) from None

    async def _bot_session(self, guild_id: int | None, timeout: float = 5) -> None:
        """Before the first connection of the shard that receives this guild's events (None: direct messages),
        members wait for it, so a slow start loses no event.

        Later, a member acting while that connection is down (say, between a close and a restart) is lost
        to the bot, as on Discord.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.gateway.reaches(guild_id):
            if loop.time() > deadline:
                raise asyncio.TimeoutError(f"the bot never opened a gateway session within {timeout}s")
            await asyncio.sleep(0.01)

    def _identify_events(self, session: Session) -> list[tuple[str, EventData, int | None]]:
        ready = {
            "v": 10,
            "user": payloads.user_payload(self.bot_user) | {"verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.world.guilds if session.routes(g)],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
            "auth": {},
            "user_settings": {},
            "_trace": ["emulator"],
        }
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        events: list[tuple[str, EventData, int | None]] = [("READY", ready, None)]
        if session.wants(INTENT_GUILDS):
            events += [("GUILD_CREATE", self._guild_create(g), g.id) for g in self.world.guilds.values()
                       if session.routes(g.id)]
        return events

    def _guild_create(self, guild: FakeGuild, *, joined: bool = False) -> Callable[[Session], dict[str, Any]]:
        bot_id = self.bot_user.id
        return lambda s: payloads.guild_create_payload(
            guild, bot_id=bot_id, all_members=s.wants(INTENT_MEMBERS), joined=joined
        )

    # --- messages (hub used by REST, interactions, and members) -----------------------------------------

    def _attachment_maker(self, *, ephemeral: bool = False) -> Callable[[Any], dict[str, Any]]:
        return lambda stored: attachment_payload(stored, self.base_url, ephemeral=ephemeral)

    def _create_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        body: dict[str, Any],
        uploads: list[Upload],
        *,
        flags: int = 0,
        check_empty: bool = True,
        **meta: Any,
    ) -> FakeMessage:
        message = FakeMessage(self.world.ids.next(), channel.id, channel.guild_id, author, flags=flags, **meta)
        maker = self._attachment_maker()
        apply_body(self.world, message, body, uploads, maker, creating=True, allow_empty=not check_empty)
        if message.ephemeral and message.visible_to is None:
            raise invalid_form("flags", "Ephemeral messages can only be sent as interaction responses.")
        self.world.add_message(message)
        if not message.ephemeral:
            self._dispatch_message("MESSAGE_CREATE", message)
        self._seen_message(message)
        return message

    def _edit_message(self, message: FakeMessage, body: dict[str, Any], uploads: list[Upload]) -> FakeMessage:
        apply_body(self.world, message, body, uploads, self._attachment_maker(), creating=False)
        message.flags &= ~FLAG_LOADING
        if not message.ephemeral:
            self._dispatch_message("MESSAGE_UPDATE", message)
        for ix in self._awaiting_edit.pop(message.id, []):
            ix._produced(message)
        self._seen_message(message)
        return message

    def _delete_message(self, message: FakeMessage) -> None:
        message.deleted = True
        if not message.ephemeral:
            data = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id:
                data["guild_id"] = str(message.guild_id)
            self.gateway.dispatch("MESSAGE_DELETE", data, self._message_intent(message), guild_id=message.guild_id)

    def _message_intent(self, message: FakeMessage, *, reactions: bool = False) -> int:
        if message.guild_id is None:
            return INTENT_DM_REACTIONS if reactions else INTENT_DM_MESSAGES
        return INTENT_GUILD_REACTIONS if reactions else INTENT_GUILD_MESSAGES

    def _dispatch_message(self, event: str, message: FakeMessage) -> None:
        bot_id = self.bot_user.id

        def build(session: Session) -> dict[str, Any]:
            data = message.payload(bot_id)
            guild = self.world.guilds.get(message.guild_id) if message.guild_id else None
            member = guild.members.get(message.author.id) if guild else None
            if member is not None and message.webhook_id is None:
                data["member"] = payloads.member_payload(member, with_user=False)
            # Without the privileged intent, others' messages arrive empty unless they mention the bot.
            readable = (
                session.wants(INTENT_MESSAGE_CONTENT)
                or message.author.id == bot_id
                or message.guild_id is None
                or any(u.id == bot_id for u in message.mentions)
            )
            if not readable:
                data.update(content="", embeds=[], attachments=[], components=[])
            return data

        self.gateway.dispatch(event, build, self._message_intent(message), guild_id=message.guild_id)

    def _seen_message(self, message: FakeMessage) -> None:
        self._seen.append(message)
        for waiter in list(self._waiters):
            pred, channel_id, fut = waiter
            if fut.done() or (channel_id is not None and channel_id != message.channel_id):
                continue
            try:
                if pred(message):
                    fut.set_result(message)
            except Exception as exc:  # a broken predicate should fail the waiting test, not the bot's request
                fut.set_exception(exc)

    async def wait_for_message(
        self,
        pred: Callable[[FakeMessage], Any] = lambda m: True,
        timeout: float = 5,
        channel: FakeChannel | None = None,
    ) -> FakeMessage:
        """The first message created or edited from now on that satisfies pred."""
        self.gateway.open_gate()
        fut: asyncio.Future[FakeMessage] = asyncio.get_running_loop().create_future()
        waiter = (pred, channel.id if channel else None, fut)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            seen = [f"{m.author.name}: {m.text()[:80]!r}" for m in self._seen]
            where = f" in #{channel.name}" if channel else ""
            raise asyncio.TimeoutError(
                f"no matching message{where} within {timeout}s; last messages seen: {seen or 'none'}"
            ) from None
        finally:
            self._waiters.remove(waiter)

    async def send_message(self, member: FakeMember, channel: FakeChannel, content: str) -> FakeMessage:
        """A member posts in a channel (the bot gets MESSAGE_CREATE, content blank without its intent)."""
        await self._bot_session(channel.guild_id)
        allowed = self.world.permissions_in(channel, member.user.id)
        if not perms.has(allowed, "view_channel") or not perms.has(allowed, "send_messages"):
            raise EmulatorError(f"{member.user.name} cannot send messages in #{channel.name}")
        return self._create_message(channel, member.user, {"content": content}, [])

    # --- reactions ------------------------------------------------------------------------------------

    def _reaction_allowed(self, message: FakeMessage, user_id: int, key: str) -> bool:
        channel = self.world.channels[message.channel_id]
        allowed = self.world.permissions_in(channel, user_id)
        if not (perms.has(allowed, "view_channel") and perms.has(allowed, "read_message_history")):
            return False
        # Joining an existing reaction does not need Add Reactions; starting a new one does.
        return bool(message.reactions.get(key)) or perms.has(allowed, "add_reactions")

    def _add_reaction(self, message: FakeMessage, user: FakeUser, key: str) -> bool:
        users = message.reactions.get(key, [])
        if user.id in users:
            return False
        if not users and len([k for k, v in message.reactions.items() if v]) >= MAX_REACTIONS:
            raise ApiError(400, 30010, "Maximum number of reactions reached (20)")
        message.reactions.setdefault(key, []).append(user.id)
        data = self._reaction_event(message, user, key)
        data["message_author_id"] = str(message.author.id)
        data["burst_colors"] = []
        guild = self.world.guilds.get(message.guild_id) if message.guild_id else None
        if guild is not None and user.id in guild.members:
            data["member"] = payloads.member_payload(guild.members[user.id])
        self.gateway.dispatch("MESSAGE_REACTION_ADD", data, self._message_intent(message, reactions=True),
                              guild_id=message.guild_id)
        return True

    def _remove_reaction(self, message: FakeMessage, user_id: int, key: str) -> bool:
        users = message.reactions.get(key, [])
        if user_id not in users:
            return False
        users.remove(user_id)
        if not users:
            del message.reactions[key]
        data = self._reaction_event(message, self.world.users[user_id], key)
        self.gateway.dispatch("MESSAGE_REACTION_REMOVE", data, self._message_intent(message, reactions=True),
                              guild_id=message.guild_id)
        return True

    def _clear_reactions(self, message: FakeMessage, key: str | None) -> None:
        data: dict[str, Any] = {"channel_id": str(message.channel_id), "message_id": str(message.id)}
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        if key is None:
            message.reactions.clear()
            event = "MESSAGE_REACTION_REMOVE_ALL"
        else:
            message.reactions.pop(key, None)
            data["emoji"] = payloads.emoji_payload(key)
            event = "MESSAGE_REACTION_REMOVE_EMOJI"
        self.gateway.dispatch(event, data, self._message_intent(message, reactions=True), guild_id=message.guild_id)

    def _reaction_event(self, message: FakeMessage, user: FakeUser, key: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": 0,
            "user_id": str(user.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "emoji": payloads.emoji_payload(key),
            "burst": False,
        }
        if message.guild_id:
            data["guild_id"] = str(message.guild_id)
        return data

    async def react(self, member: Actor, message: FakeMessage, emoji: str) -> bool:
        """A member adds a reaction; False (and no event) when Discord would not let them."""
        await self._bot_session(message.guild_id)
        user = _user_of(member)
        if message.ephemeral or message.deleted:
            raise EmulatorError(f"cannot react to message {message.id}: it is ephemeral or deleted")
        key = payloads.emoji_key(emoji)
        if not self._reaction_allowed(message, user.id, key):
            return False
        try:
            return self._add_reaction(message, user, key)
        except ApiError:
            return False

    async def unreact(self, member: Actor, message: FakeMessage, emoji: str) -> bool:
        await self._bot_session(message.guild_id)
        return self._remove_reaction(message, _user_of(member).id, payloads.emoji_key(emoji))

    # --- interactions: what members do ---------------------------------------------------------------

    async def slash(self, member: Actor, channel: FakeChannel, command: str, /, **options: Any) -> FakeInteraction:
        """A member runs a slash command ("study" or "decks upload"), options typed from the registered schema."""
        await self._bot_session(channel.guild_id)
        cmd, subs = find_command(self.world, channel.guild_id, command)
        guild_member = member if isinstance(member, FakeMember) else None
        check_member_can_use(self.world, cmd, guild_member)
        data = build_command_data(self.world, cmd, subs, options, store_file=self._slash_file)
        return self._start_interaction(APPLICATION_COMMAND, member, channel, data)

    async def autocomplete(
        self,
        member: Actor,
        channel: FakeChannel,
        command: str,
        option: str,
        typed: str,
        timeout: float = 5,
        **options: Any,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers while the member types `typed` into `option`."""
        await self._bot_session(channel.guild_id)
        cmd, subs = find_command(self.world, channel.guild_id, command)
        values = dict(options, **{option: typed})
        data = build_command_data(self.world, cmd, subs, values, store_file=self._slash_file, focused=option)
        ix = self._start_interaction(AUTOCOMPLETE, member, channel, data)
        kind = await ix.wait_ack(timeout)
        if kind != AUTOCOMPLETE_RESULT:
            raise EmulatorError(f"autocomplete for /{command} {option} answered with callback type {kind}")
        return list(ix.choices or [])

    async def click(
        self, member: Actor, message: FakeMessage, label: str | None = None, *, custom_id: str | None = None
    ) -> FakeInteraction:
        await self._bot_session(message.guild_id)
        if label is None and custom_id is None:
            raise ValueError("click needs a label or a custom_id")
        self._check_can_use(member, message)
        button = find_button(message, label, custom_id)
        data = {"custom_id": button["custom_id"], "component_type": 2}
        channel = self.world.channels[message.channel_id]
        return self._start_interaction(MESSAGE_COMPONENT, member, channel, data, message=message)

    async def select(self, member: Actor, message: FakeMessage, custom_id: str, values: list[str]) -> FakeInteraction:
        await self._bot_session(message.guild_id)
        self._check_can_use(member, message)
        menu = find_select(message, custom_id, values)
        data = {"custom_id": custom_id, "component_type": menu["type"], "values": list(values)}
        channel = self.world.channels[message.channel_id]
        return self._start_interaction(MESSAGE_COMPONENT, member, channel, data, message=message)

    async def submit_modal(self, member: Actor, ix: FakeInteraction, answers: dict[str, Any]) -> FakeInteraction:
        """Fill in and submit the modal the bot answered `ix` with; keys are input custom_ids or labels."""
        await self._bot_session(ix.channel.guild_id)
        if ix.modal is None:
            raise EmulatorError(f"interaction {ix.describe()} was not answered with a modal (ack type {ix.ack_type})")
        data = {"custom_id": ix.modal["custom_id"], "components": modal_submit_components(ix.modal, answers)}
        return self._start_interaction(MODAL_SUBMIT, member, ix.channel, data, message=ix.message, opened_by=ix)

    def _check_can_use(self, member: Actor, message: FakeMessage) -> None:
        user = _user_of(member)
        if message.deleted:
            raise EmulatorError(f"message {message.id} was deleted")
        if message.ephemeral and message.visible_to != user.id:
            raise EmulatorError(f"message {message.id} is ephemeral and only visible to user {message.visible_to}")
        channel = self.world.channels[message.channel_id]
        if channel.guild_id is not None and not perms.has(self.world.permissions_in(channel, user.id), "view_channel"):
            raise EmulatorError(f"{user.name} cannot see #{channel.name}")

    def _slash_file(self, filename: str, data: bytes) -> dict[str, Any]:
        return attachment_payload(self.world.store_file(filename, data), self.base_url, ephemeral=True)

    def _start_interaction(
        self,
        kind: int,
        member: Actor,
        channel: FakeChannel,
        data: dict[str, Any],
        *,
        message: FakeMessage | None = None,
        opened_by: FakeInteraction | None = None,
    ) -> FakeInteraction:
        ix = FakeInteraction(
            id=self.world.ids.next(),
            token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            type=kind,
            member=member if isinstance(member, FakeMember) else None,
            user=_user_of(member),
            channel=channel,
            data=data,
            message=message,
            opened_by=opened_by,
            gate=self.gateway.open_gate,
        )
        ix.payload = self._interaction_payload(ix)
        self.interactions[ix.id] = ix
        self._by_token[ix.token] = ix
        self.gateway.dispatch("INTERACTION_CREATE", ix.payload, guild_id=channel.guild_id)
        self._timers[ix.id] = asyncio.get_running_loop().call_later(self.ack_deadline, self._deadline, ix)
        return ix

    def _deadline(self, ix: FakeInteraction) -> None:
        self._timers.pop(ix.id, None)
        if not ix.acknowledged:
            ix._fail()
            self.failed_interactions.append(ix)
            log.warning("interaction %s failed: not acknowledged within %ss", ix.describe(), self.ack_deadline)

    def _interaction_payload(self, ix: FakeInteraction) -> dict[str, Any]:
        channel, bot_id = ix.channel, self.bot_user.id
        guild = self.world.guild_of(channel)
        channel_data = payloads.channel_payload(channel)
        channel_data["permissions"] = str(self.world.permissions_in(channel, ix.user.id))
        data: dict[str, Any] = {
            "id": str(ix.id),
            "application_id": str(self.application_id),
            "type": ix.type,
            "data": ix.data,
            "token": ix.token,
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(self.world.permissions_in(channel, bot_id)),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "locale": ix.user.locale,
            "channel": channel_data,
            "channel_id": str(channel.id),
        }
        if guild is not None and ix.member is not None:
            member = payloads.member_payload(ix.member)
            member["permissions"] = str(self.world.permissions_in(channel, ix.user.id))
            data.update(
                guild_id=str(guild.id),
                guild_locale=guild.locale,
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                member=member,
                context=0,
                authorizing_integration_owners={"0": str(guild.id)},
            )
        else:
            owners = {"1": str(ix.user.id)}
            data.update(user=payloads.user_payload(ix.user), context=1, authorizing_integration_owners=owners)
        if ix.message is not None:
            data["message"] = ix.message.payload(bot_id)
        return data

    # --- faults ---------------------------------------------------------------------------------------

    def _should_rate_limit(self, method: str, path: str) -> bool:
        """A seeded share of calls gets 429; the retry of a limited call always passes."""
        key = (method, path)
        if key in self._limited:
            self._limited.discard(key)
            return False
        if self.rate_limit_share > 0 and self._rng.random() < self.rate_limit_share:
            self._limited.add(key)
            return True
        return False


def _user_of(actor: Actor) -> FakeUser:
    return actor.user if isinstance(actor, FakeMember) else actor
