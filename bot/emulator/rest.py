"""REST API v10 handlers. Each returns JSON-able data (None for 204); server.py wraps, records and faults them.

Channel endpoints check the bot's permissions like Discord (403 50013 / 50001); interaction callbacks and
webhook follow-ups do not, because Discord lets an app answer interactions wherever they happen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from . import payloads
from . import permissions as perms
from .errors import ApiError, invalid_form, missing_access, missing_permissions, unknown
from .messages import Upload
from .gateway import INTENT_MEMBERS
from .state import FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole
from .validation import check_command

if TYPE_CHECKING:
    from .driver import Emulator

Handler = Callable[[web.Request], Awaitable[Any]]


JSON_KEY = web.RequestKey("json", object)
UPLOADS_KEY = web.RequestKey("uploads", list)


def body_of(request: web.Request) -> dict[str, Any]:
    body = request.get(JSON_KEY)
    return body if isinstance(body, dict) else {}


def uploads_of(request: web.Request) -> list[Upload]:
    return list(request.get(UPLOADS_KEY) or [])


def _snowflake(raw: str, kind: str, code: int) -> int:
    try:
        return int(raw)
    except ValueError:
        raise unknown(kind, code) from None


def require(allowed: int, *names: str) -> None:
    """403 50013 unless every named permission is present."""
    for name in names:
        if not perms.has(allowed, name):
            raise missing_permissions()


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


class RestApi:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world

    def routes(self) -> list[tuple[str, str, Handler]]:
        app = "/applications/{app_id}"
        msg = "/channels/{channel_id}/messages/{message_id}"
        hook = "/webhooks/{app_id}/{token}"
        return [
            ("GET", "/users/@me", self.get_me),
            ("GET", "/users/{user_id}", self.get_user),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", app + "/commands", self.list_commands),
            ("PUT", app + "/commands", self.put_commands),
            ("POST", app + "/commands", self.post_command),
            ("GET", app + "/commands/{command_id}", self.get_command),
            ("PATCH", app + "/commands/{command_id}", self.patch_command),
            ("DELETE", app + "/commands/{command_id}", self.delete_command),
            ("GET", app + "/guilds/{guild_id}/commands/permissions", self.command_permissions),
            ("GET", app + "/guilds/{guild_id}/commands", self.list_commands),
            ("PUT", app + "/guilds/{guild_id}/commands", self.put_commands),
            ("POST", app + "/guilds/{guild_id}/commands", self.post_command),
            ("GET", app + "/guilds/{guild_id}/commands/{command_id}", self.get_command),
            ("PATCH", app + "/guilds/{guild_id}/commands/{command_id}", self.patch_command),
            ("DELETE", app + "/guilds/{guild_id}/commands/{command_id}", self.delete_command),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_guild_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.remove_member_role),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("GET", "/channels/{channel_id}/messages", self.list_messages),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("GET", msg, self.get_message),
            ("PATCH", msg, self.edit_message),
            ("DELETE", msg, self.delete_message),
            ("DELETE", msg + "/reactions", self.clear_reactions),
            ("GET", msg + "/reactions/{emoji}", self.list_reactions),
            ("DELETE", msg + "/reactions/{emoji}", self.clear_emoji),
            ("PUT", msg + "/reactions/{emoji}/{user}", self.put_reaction),
            ("DELETE", msg + "/reactions/{emoji}/{user}", self.delete_reaction),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback),
            ("POST", hook, self.execute_webhook),
            ("GET", hook + "/messages/{message_id}", self.get_webhook_message),
            ("PATCH", hook + "/messages/{message_id}", self.edit_webhook_message),
            ("DELETE", hook + "/messages/{message_id}", self.delete_webhook_message),
        ]

    # --- users, gateway, application ---------------------------------------------------------------

    async def get_me(self, request: web.Request) -> Any:
        return payloads.user_payload(self.emu.bot_user) | {"verified": True, "mfa_enabled": False, "locale": "en-US"}

    async def get_user(self, request: web.Request) -> Any:
        user = self.world.users.get(_snowflake(request.match_info["user_id"], "User", 10013))
        if user is None:
            raise unknown("User", 10013)
        return payloads.user_payload(user)

    async def create_dm(self, request: web.Request) -> Any:
        user = self.world.users.get(int(body_of(request).get("recipient_id", 0)))
        if user is None or user.bot:
            raise ApiError(400, 50007, "Cannot send messages to this user")
        return payloads.channel_payload(self.world.dm_channel(user))

    async def get_gateway(self, request: web.Request) -> Any:
        return {"url": self.emu.gateway_url}

    async def get_gateway_bot(self, request: web.Request) -> Any:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return {"url": self.emu.gateway_url, "shards": self.emu.shard_count or 1, "session_start_limit": limit}

    async def get_application(self, request: web.Request) -> Any:
        bot = self.emu.bot_user
        return {
            "id": str(self.emu.application_id),
            "name": bot.name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": payloads.user_payload(self.world.owner_user),
            "team": None,
            "flags": 0,
            "rpc_origins": [],
            "terms_of_service_url": None,
            "privacy_policy_url": None,
            "bot": payloads.user_payload(bot),
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "redirect_uris": [],
            "tags": [],
            "approximate_guild_count": len(self.world.guilds),
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": str(perms.BOT_DEFAULT)},
            "integration_types_config": {"0": {}},
        }

    # --- application commands -------------------------------------------------------------------------

    def _check_app(self, request: web.Request) -> None:
        if request.match_info["app_id"] != str(self.emu.application_id):
            raise unknown("Application", 10002)

    def _scope(self, request: web.Request) -> tuple[dict[int, dict[str, Any]], int | None]:
        self._check_app(request)
        raw = request.match_info.get("guild_id")
        if raw is None:
            return self.world.global_commands, None
        guild = self._guild(raw)
        return self.world.guild_commands.setdefault(guild.id, {}), guild.id

    def _command_payload(self, body: dict[str, Any], command_id: int, guild_id: int | None) -> dict[str, Any]:
        check_command(body)
        data: dict[str, Any] = {
            "id": str(command_id),
            "application_id": str(self.emu.application_id),
            "version": str(self.world.ids.next()),
            "type": body.get("type", 1),
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw", False)),
        }
        if body.get("options"):
            data["options"] = body["options"]
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data

    def _upsert(
        self,
        previous: dict[int, dict[str, Any]],
        scope: dict[int, dict[str, Any]],
        body: dict[str, Any],
        guild_id: int | None,
    ) -> dict[str, Any]:
        # Discord keeps a command's id when one with the same name and type is overwritten.
        same = next(
            (c for c in previous.values() if c["name"] == body.get("name") and c["type"] == body.get("type", 1)), None
        )
        command_id = int(same["id"]) if same else self.world.ids.next()
        data = self._command_payload(body, command_id, guild_id)
        scope[command_id] = data
        return data

    async def list_commands(self, request: web.Request) -> Any:
        scope, _ = self._scope(request)
        return list(scope.values())

    async def put_commands(self, request: web.Request) -> Any:
        scope, guild_id = self._scope(request)
        bodies = request.get(JSON_KEY)
        if not isinstance(bodies, list):
            raise invalid_form("_", "Expected a list of commands")
        keys = [(b.get("name"), b.get("type", 1)) for b in bodies]
        if len(set(keys)) != len(keys):
            raise invalid_form("_", "Application command names must be unique")
        old = dict(scope)
        scope.clear()
        try:
            for body in bodies:
                self._upsert(old, scope, body, guild_id)
        except ApiError:
            scope.clear()
            scope.update(old)
            raise
        return list(scope.values())

    async def post_command(self, request: web.Request) -> Any:
        scope, guild_id = self._scope(request)
        return self._upsert(scope, scope, body_of(request), guild_id)

    def _command(self, request: web.Request) -> tuple[dict[int, dict[str, Any]], dict[str, Any], int | None]:
        scope, guild_id = self._scope(request)
        command = scope.get(_snowflake(request.match_info["command_id"], "application command", 10063))
        if command is None:
            raise unknown("application command", 10063)
        return scope, command, guild_id

    async def get_command(self, request: web.Request) -> Any:
        return self._command(request)[1]

    async def patch_command(self, request: web.Request) -> Any:
        scope, command, guild_id = self._command(request)
        merged = {k: v for k, v in command.items() if k not in ("id", "version", "application_id")}
        merged.update(body_of(request))
        data = self._command_payload(merged, int(command["id"]), guild_id)
        scope[int(command["id"])] = data
        return data

    async def delete_command(self, request: web.Request) -> Any:
        scope, command, _ = self._command(request)
        del scope[int(command["id"])]
        return None

    async def command_permissions(self, request: web.Request) -> Any:
        self._scope(request)
        return []

    # --- guilds -------------------------------------------------------------------------------------

    def _guild(self, raw: str) -> FakeGuild:
        guild = self.world.guilds.get(_snowflake(raw, "Guild", 10004))
        if guild is None:
            raise unknown("Guild", 10004)
        return guild

    async def get_guild(self, request: web.Request) -> Any:
        guild = self._guild(request.match_info["guild_id"])
        data = payloads.guild_payload(guild)
        if _truthy(request.query.get("with_counts")):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return data

    async def get_guild_channels(self, request: web.Request) -> Any:
        return [payloads.channel_payload(c) for c in self._guild(request.match_info["guild_id"]).channels]

    async def get_guild_roles(self, request: web.Request) -> Any:
        return [payloads.role_payload(r) for r in self._guild(request.match_info["guild_id"]).roles.values()]

    async def get_member(self, request: web.Request) -> Any:
        guild = self._guild(request.match_info["guild_id"])
        member = guild.members.get(_snowflake(request.match_info["user_id"], "Member", 10007))
        if member is None:
            raise unknown("Member", 10007)
        return payloads.member_payload(member)

    def _member_role(self, request: web.Request) -> tuple[FakeGuild, FakeMember, FakeRole]:
        """The member and role of a role change the bot may make: Manage Roles and a role below its highest one."""
        guild = self._guild(request.match_info["guild_id"])
        member = guild.members.get(_snowflake(request.match_info["user_id"], "Member", 10007))
        if member is None:
            raise unknown("Member", 10007)
        role = guild.roles.get(_snowflake(request.match_info["role_id"], "Role", 10011))
        if role is None:
            raise unknown("Role", 10011)
        if not perms.can_assign(guild, self.emu.bot_user.id, role):
            raise missing_permissions()
        return guild, member, role

    def _member_updated(self, guild: FakeGuild, member: FakeMember) -> None:
        data = payloads.member_payload(member) | {"guild_id": str(guild.id)}
        self.emu.gateway.dispatch("GUILD_MEMBER_UPDATE", data, INTENT_MEMBERS, guild_id=guild.id)

    async def add_member_role(self, request: web.Request) -> Any:
        guild, member, role = self._member_role(request)
        if role.id not in member.role_ids:  # adding a role the member has is a success that changes nothing
            member.role_ids.append(role.id)
            self._member_updated(guild, member)
        return None

    async def remove_member_role(self, request: web.Request) -> Any:
        guild, member, role = self._member_role(request)
        if role.id in member.role_ids:
            member.role_ids.remove(role.id)
            self._member_updated(guild, member)
        return None

    # --- channels and messages ------------------------------------------------------------------------

    def _channel(self, request: web.Request) -> tuple[FakeChannel, int]:
        """The channel and the bot's permissions in it; Missing Access when the bot cannot see it."""
        channel = self.world.channels.get(_snowflake(request.match_info["channel_id"], "Channel", 10003))
        if channel is None:
            raise unknown("Channel", 10003)
        allowed = self.world.permissions_in(channel, self.emu.bot_user.id)
        if not perms.has(allowed, "view_channel"):
            raise missing_access()
        return channel, allowed

    def _message(self, channel: FakeChannel, raw: str) -> FakeMessage:
        message = self.world.messages.get(_snowflake(raw, "Message", 10008))
        if message is None or message.channel_id != channel.id or message.deleted or message.ephemeral:
            raise unknown("Message", 10008)
        return message

    async def get_channel(self, request: web.Request) -> Any:
        channel, _ = self._channel(request)
        return payloads.channel_payload(channel)

    async def typing(self, request: web.Request) -> Any:
        channel, allowed = self._channel(request)
        require(allowed, "send_messages")
        return None

    async def list_messages(self, request: web.Request) -> Any:
        channel, allowed = self._channel(request)
        require(allowed, "read_message_history")
        limit = max(1, min(100, int(request.query.get("limit", 50))))
        messages = self.world.visible_messages(channel.id)
        before, after, around = (request.query.get(k) for k in ("before", "after", "around"))
        if before:
            messages = [m for m in messages if m.id < int(before)]
        if after:
            messages = [m for m in messages if m.id > int(after)][:limit]
        if around:
            pivot = int(around)
            older = [m for m in messages if m.id <= pivot][-(limit // 2 + 1):]
            newer = [m for m in messages if m.id > pivot][: limit - len(older)]
            messages = older + newer
        bot_id = self.emu.bot_user.id
        return [m.payload(bot_id) for m in reversed(messages[-limit:])]

    async def create_message(self, request: web.Request) -> Any:
        channel, allowed = self._channel(request)
        body, uploads = body_of(request), uploads_of(request)
        require(allowed, "send_messages")
        if channel.recipient is not None and not channel.recipient.dms_open:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        if body.get("embeds") or body.get("embed"):
            require(allowed, "embed_links")
        if uploads:
            require(allowed, "attach_files")
        reference = body.get("message_reference")
        meta: dict[str, Any] = {}
        if reference:
            require(allowed, "read_message_history")
            target = self.world.messages.get(int(reference.get("message_id", 0)))
            if target is None or target.channel_id != channel.id:
                if reference.get("fail_if_not_exists", True):
                    raise invalid_form("message_reference", "Unknown message")
            else:
                meta = {"type": 19, "message_reference": {**reference, "channel_id": str(channel.id)}}
        message = self.emu._create_message(channel, self.emu.bot_user, body, uploads, **meta)
        return message.payload(self.emu.bot_user.id)

    async def get_message(self, request: web.Request) -> Any:
        channel, allowed = self._channel(request)
        require(allowed, "read_message_history")
        return self._message(channel, request.match_info["message_id"]).payload(self.emu.bot_user.id)

    async def edit_message(self, request: web.Request) -> Any:
        channel, _ = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        if message.author.id != self.emu.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        edited = self.emu._edit_message(message, body_of(request), uploads_of(request))
        return edited.payload(self.emu.bot_user.id)

    async def delete_message(self, request: web.Request) -> Any:
        channel, allowed = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        if message.author.id != self.emu.bot_user.id:
            require(allowed, "manage_messages")
        self.emu._delete_message(message)
        return None

    # --- reactions ------------------------------------------------------------------------------------

    def _reaction_target(self, request: web.Request) -> tuple[FakeMessage, int, str]:
        channel, allowed = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        return message, allowed, payloads.emoji_key(request.match_info.get("emoji", ""))

    async def put_reaction(self, request: web.Request) -> Any:
        message, allowed, key = self._reaction_target(request)
        if request.match_info["user"] != "@me":
            raise ApiError(405, 0, "405: Method Not Allowed")
        require(allowed, "read_message_history")
        if not message.reactions.get(key):
            require(allowed, "add_reactions")
        self.emu._add_reaction(message, self.emu.bot_user, key)
        return None

    async def delete_reaction(self, request: web.Request) -> Any:
        message, allowed, key = self._reaction_target(request)
        raw_user = request.match_info["user"]
        user_id = self.emu.bot_user.id if raw_user == "@me" else _snowflake(raw_user, "User", 10013)
        if user_id != self.emu.bot_user.id:
            require(allowed, "manage_messages")
        self.emu._remove_reaction(message, user_id, key)
        return None

    async def list_reactions(self, request: web.Request) -> Any:
        message, allowed, key = self._reaction_target(request)
        require(allowed, "read_message_history")
        limit = max(1, min(100, int(request.query.get("limit", 25))))
        after = int(request.query.get("after", 0))
        users = sorted(uid for uid in message.reactions.get(key, []) if uid > after)[:limit]
        return [payloads.user_payload(self.world.users[uid]) for uid in users]

    async def clear_reactions(self, request: web.Request) -> Any:
        message, allowed, _ = self._reaction_target(request)
        require(allowed, "manage_messages")
        self.emu._clear_reactions(message, None)
        return None

    async def clear_emoji(self, request: web.Request) -> Any:
        message, allowed, key = self._reaction_target(request)
        require(allowed, "manage_messages")
        self.emu._clear_reactions(message, key)
        return None

    # --- interactions and webhooks --------------------------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> Any:
        ix_id = _snowflake(request.match_info["interaction_id"], "interaction", 10062)
        ix = self.emu.responder.interaction(ix_id, request.match_info["token"])
        response = self.emu.responder.callback(ix, body_of(request), uploads_of(request))
        return response if _truthy(request.query.get("with_response")) else None

    def _hook(self, request: web.Request) -> Any:
        app_id = _snowflake(request.match_info["app_id"], "Webhook", 10015)
        return self.emu.responder.webhook_interaction(app_id, request.match_info["token"])

    async def execute_webhook(self, request: web.Request) -> Any:
        ix = self._hook(request)
        message = self.emu.responder.followup(ix, body_of(request), uploads_of(request))
        return message.payload(self.emu.bot_user.id) if _truthy(request.query.get("wait")) else None

    async def get_webhook_message(self, request: web.Request) -> Any:
        ix = self._hook(request)
        return self.emu.responder.webhook_message(ix, request.match_info["message_id"]).payload(self.emu.bot_user.id)

    async def edit_webhook_message(self, request: web.Request) -> Any:
        ix = self._hook(request)
        message = self.emu.responder.webhook_message(ix, request.match_info["message_id"])
        edited = self.emu.responder.webhook_edit(ix, message, body_of(request), uploads_of(request))
        return edited.payload(self.emu.bot_user.id)

    async def delete_webhook_message(self, request: web.Request) -> Any:
        ix = self._hook(request)
        self.emu._delete_message(self.emu.responder.webhook_message(ix, request.match_info["message_id"]))
        return None
