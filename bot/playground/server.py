"""The playground: the emulator, the real bot connected to it, and a local web page that plays a Discord channel.

Everything runs in one event loop on 127.0.0.1: the page calls the JSON endpoints below, which drive the emulator
exactly as a test would (emu.slash, emu.click, ...); a websocket pushes the channel whenever a message appears,
changes or gets a reaction.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import WSMsgType, web

from bot.core.translation import ENGLISH, LANGUAGE_NAMES, LANGUAGES
from bot.playground import render
from bot.settings import Settings

log = logging.getLogger("recall.playground")

STATIC = Path(__file__).resolve().parent / "static"
SERVER_NAME = "Study Hall"
CHANNEL_NAME = "general"
# (name, has Manage Server): the teacher can try the admin commands.
MEMBERS = (("alice", False), ("bob", False), ("carol", False), ("teacher", True))
# Discord marks an interaction failed after 3 s without an answer; wait a little longer than that.
ACK_WAIT = 4.0
POLL_SECONDS = 0.25
MAX_UPLOAD = 8 * 1024 * 1024
MAX_OPEN_MODALS = 50
LOCAL_NAMES = {"127.0.0.1", "localhost", "::1"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# The page's bodies are a few levels deep ({"options": {...}, "files": {name: {...}}}); far deeper is not the page.
MAX_JSON_DEPTH = 20


def offered_locales() -> dict[str, str]:
    """The languages Recall ships, as the Discord locales the page offers (for a member's client and for the server)
    with their own names: English, then the first locale that picks each catalog."""
    offered = {render.ENGLISH_LOCALE: LANGUAGE_NAMES[ENGLISH]}
    picked: set[str] = set()
    for locale, language in LANGUAGES.items():
        if language not in picked:  # es-ES and es-419 read the same catalog: one Español is enough
            picked.add(language)
            offered[locale] = LANGUAGE_NAMES.get(language, locale)
    return offered


class PlaygroundError(Exception):
    """A request the page sent cannot be carried out; the message is shown on the page."""


@dataclass
class Viewer:
    """One open page: who it shows the channel to."""

    ws: web.WebSocketResponse
    member_id: int


class Playground:
    """Owns the emulator, the bot task and the web app; `await start()` then `await stop()`."""

    # How long to wait for the bot to acknowledge an interaction before telling the page it failed.
    ack_wait = ACK_WAIT

    def __init__(self, *, decks_dir: Path, db_path: Path, port: int = 8765, host: str = "127.0.0.1") -> None:
        self.decks_dir = decks_dir
        self.db_path = db_path
        self.host = host
        self.port = port
        self.app = self._make_app()
        self.emu: Any = None
        self.bot: Any = None
        self.guild: Any = None
        self.channel: Any = None
        self.members: dict[str, Any] = {}
        self._admins: set[int] = set()
        self._bot_task: asyncio.Task | None = None
        self._watch_task: asyncio.Task | None = None
        self._runner: web.AppRunner | None = None
        self._viewers: list[Viewer] = []
        self._modals: dict[str, Any] = {}
        self._changed = asyncio.Event()

    # --- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    async def start(self, *, serve: bool = True) -> str:
        """Start the emulator and the bot, then (unless `serve` is False, for tests) the web server."""
        from bot.emulator import Emulator

        self.emu = Emulator(bot_name="Recall")
        try:
            await self.emu.start()
            self._build_world()
            await self._start_bot()
            self._watch_task = asyncio.create_task(self._watch(), name="playground-watch")
            if serve:
                await self._serve()
        except BaseException:
            await self.stop()  # nothing half-started is left behind (bot task, emulator port)
            raise
        return self.url

    async def stop(self) -> None:
        for viewer in list(self._viewers):
            await viewer.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._watch_task is not None:
            self._watch_task.cancel()
            await asyncio.gather(self._watch_task, return_exceptions=True)
        await self._stop_bot()
        if self.emu is not None:
            await self.emu.stop()
            self.emu = None

    async def __aenter__(self) -> "Playground":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _build_world(self) -> None:
        self.guild = self.emu.add_guild(SERVER_NAME)
        self.channel = self.emu.add_channel(self.guild, CHANNEL_NAME)
        for name, admin in MEMBERS:
            member = self.emu.add_member(self.guild, name, manage_guild=admin)
            self.members[name] = member
            if admin:
                self._admins.add(member.user.id)

    def _settings(self) -> Settings:
        # DEV_GUILD_ID makes the bot register its commands on every start: the emulator forgets them between runs
        # while the database remembers the last global sync.
        return Settings(
            token=self.emu.token,
            database_path=self.db_path,
            decks_dir=self.decks_dir,
            dev_guild_id=self.guild.id,
            api_base=self.emu.api_base,
            gateway_url=self.emu.gateway_url,
        )

    async def _start_bot(self) -> None:
        from bot.app import RecallBot

        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.bot = RecallBot(self._settings(), guild_ready_timeout=0.1)
        self._bot_task = asyncio.create_task(self.bot.start(self.emu.token), name="playground-bot")
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._bot_task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if self._bot_task in done:
            ready.cancel()
            self._bot_task.result()  # a start-up failure surfaces here
            raise RuntimeError("the bot stopped before it was ready")
        if ready not in done:
            ready.cancel()
            raise RuntimeError("the bot did not become ready within 30 s")

    async def _stop_bot(self) -> None:
        if self.bot is None:
            return
        await self.bot.close()
        if self._bot_task is not None:
            await asyncio.wait({self._bot_task}, timeout=10)
            if not self._bot_task.done():
                self._bot_task.cancel()
            await asyncio.gather(self._bot_task, return_exceptions=True)
        self.bot = None
        self._bot_task = None

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # a free port was picked: report the real one
            sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
            self.port = sockets[0].getsockname()[1]

    # --- state the page reads --------------------------------------------------------------------------

    def member(self, member_id: Any) -> Any:
        for member in self.members.values():
            if str(member.user.id) == str(member_id):
                return member
        raise PlaygroundError(f"no simulated member with id {member_id!r}")

    def member_lookup(self) -> dict[str, Any]:
        """Names and ids → members, for user options such as `/stats member:bob`."""
        lookup: dict[str, Any] = {}
        for name, member in self.members.items():
            lookup[name.casefold()] = member
            lookup[str(member.user.id)] = member
        return lookup

    def registered_commands(self) -> list[dict[str, Any]]:
        return list(self.emu.world.commands_for(self.guild.id))

    def catalogue(self, locale: str = render.ENGLISH_LOCALE) -> list[render.CommandEntry]:
        """The commands as a client in `locale` lists them (their registered names still drive the emulator)."""
        return render.command_catalogue(self.registered_commands(), locale)

    def command(self, path: str) -> render.CommandEntry:
        wanted = " ".join(path.removeprefix("/").split())
        for entry in self.catalogue():
            if entry.path == wanted:
                return entry
        raise PlaygroundError(f"/{wanted} is not a command of this bot")

    def deck_problems(self) -> list[str]:
        return [str(p) for p in getattr(self.bot, "deck_problems", [])]

    def channel_messages(self, viewer_id: int) -> list[dict[str, Any]]:
        return render.channel_view(self.emu.messages(self.channel), viewer_id)

    def languages(self, viewer_id: int) -> dict[str, Any]:
        """The viewer's client language and the server's Discord language, and the ones the page offers."""
        return {
            "client": self.member(viewer_id).user.locale,
            "server": self.guild.locale,
            "offered": [{"locale": locale, "name": name} for locale, name in offered_locales().items()],
        }

    def state(self, viewer_id: int | None) -> dict[str, Any]:
        viewer = viewer_id if viewer_id is not None else self.members[MEMBERS[0][0]].user.id
        locale = self.member(viewer).user.locale
        return {
            "server": {"id": str(self.guild.id), "name": self.guild.name},
            "channel": {"id": str(self.channel.id), "name": self.channel.name},
            "bot": {"id": str(self.emu.bot_user.id), "name": self.emu.bot_user.name, "ready": self.bot is not None and self.bot.is_ready()},
            "members": [
                {"id": str(m.user.id), "name": name, "manage_guild": m.user.id in self._admins, "locale": m.user.locale}
                for name, m in self.members.items()
            ],
            "languages": self.languages(viewer),
            "commands": [entry.to_json() for entry in self.catalogue(locale)],
            "decks": {
                "folder": str(self.decks_dir),
                "count": len(getattr(getattr(self.bot, "decks", None), "shipped", []) or []),
                "problems": self.deck_problems(),
            },
            "messages": self.channel_messages(viewer),
        }

    # --- actions -----------------------------------------------------------------------------------------

    async def run_command(self, member_id: Any, path: str, options: dict[str, Any]) -> dict[str, Any]:
        member = self.member(member_id)
        entry = self.command(path)
        typed = render.coerce_options(entry, options, self.member_lookup())
        ix = await self.emu.slash(member, self.channel, entry.path, **typed)
        return await self._outcome(ix, "The application did not respond")

    async def autocomplete(self, member_id: Any, path: str, option: str, value: str, others: dict[str, Any]) -> list[dict[str, Any]]:
        member = self.member(member_id)
        entry = self.command(path)
        spec = entry.option(option)
        if not spec.get("autocomplete"):
            return [{"name": str(c["name"]), "value": c["value"]} for c in spec.get("choices") or []]
        # Discord sends the other options as typed so far; drop ones that do not parse yet.
        typed: dict[str, Any] = {}
        for name, raw in others.items():
            if name == option or not str(raw).strip():
                continue
            with contextlib.suppress(render.OptionError):
                typed[name] = render.coerce_value(entry.option(name), raw, self.member_lookup())
        choices = await self.emu.autocomplete(member, self.channel, entry.path, option, value, **typed)
        return [{"name": str(c["name"]), "value": c["value"]} for c in choices]

    async def click(self, member_id: Any, message_id: Any, custom_id: str) -> dict[str, Any]:
        member = self.member(member_id)
        message = self._message(message_id, member)
        ix = await self.emu.click(member, message, custom_id=custom_id)
        return await self._outcome(ix, "This interaction failed")

    async def select(self, member_id: Any, message_id: Any, custom_id: str, values: list[str]) -> dict[str, Any]:
        member = self.member(member_id)
        message = self._message(message_id, member)
        ix = await self.emu.select(member, message, custom_id, [str(v) for v in values])
        return await self._outcome(ix, "This interaction failed")

    async def submit_modal(self, member_id: Any, interaction_id: str, values: dict[str, Any]) -> dict[str, Any]:
        member = self.member(member_id)
        pending = self._modals.get(str(interaction_id))
        if pending is None or pending.user.id != member.user.id:
            raise PlaygroundError("That form is no longer open; run the command again.")
        ix = await self.emu.submit_modal(member, pending, values)
        self._modals.pop(str(interaction_id), None)
        return await self._outcome(ix, "This interaction failed")

    async def toggle_reaction(self, member_id: Any, message_id: Any, emoji: str) -> dict[str, Any]:
        member = self.member(member_id)
        message = self._message(message_id, member)
        self._changed.set()
        if member.user.id in message.reactions.get(emoji, []):
            await self.emu.unreact(member, message, emoji)
            return {"ok": True, "reacted": False}
        if not await self.emu.react(member, message, emoji):
            raise PlaygroundError(f"Discord would not let {member.user.name} add {emoji} to that message.")
        return {"ok": True, "reacted": True}

    def set_languages(self, member_id: Any, client: str | None = None, server: str | None = None) -> dict[str, Any]:
        """Set the member's Discord client language (what their interactions carry as `locale`) and/or the server's
        (`guild_locale`, and the guild's preferred_locale the bot caches); answers with the commands as that member
        now sees them."""
        member = self.member(member_id)
        if client is None and server is None:
            raise PlaygroundError("say which language to set: client_locale (the member's) or server_locale")
        for locale in (client, server):
            if locale is not None:
                _check_locale(locale)
        if client is not None:
            member.user.locale = client
        if server is not None and server != self.guild.locale:
            # GUILD_UPDATE too: work without an interaction (a round the daily challenge starts) reads the bot's copy.
            self.emu.set_guild_locale(self.guild, server)
        return {"ok": True, **self.languages(member.user.id),
                "commands": [entry.to_json() for entry in self.catalogue(member.user.locale)]}

    async def chosen_language(self) -> dict[str, str] | None:
        """The language an admin chose with /recall-admin language, which public posts follow instead of the
        server's Discord language; None while there is none."""
        services = getattr(self.bot, "services", None)
        if services is None:
            return None
        chosen = await services.languages.chosen(self.guild.id)
        return None if chosen is None else {"language": chosen, "name": LANGUAGE_NAMES.get(chosen, chosen)}

    def reload_decks(self) -> dict[str, Any]:
        self.bot.reload_decks()
        self._changed.set()
        return {"ok": True, "problems": self.deck_problems(), "count": len(self.bot.decks.shipped)}

    def _message(self, message_id: Any, member: Any) -> Any:
        for message in self.emu.messages(self.channel):
            if str(message.id) == str(message_id) and render.visible_to(message, member.user.id):
                return message
        raise PlaygroundError("That message is gone.")

    async def _outcome(self, ix: Any, failure: str) -> dict[str, Any]:
        """Wait for the bot's acknowledgement; a modal is handed to the page, silence becomes Discord's `failure` note."""
        self._changed.set()
        try:
            ack = await ix.wait_ack(timeout=self.ack_wait)
        except asyncio.TimeoutError:
            return {"ok": False, "error": failure, "interaction": str(ix.id)}
        result: dict[str, Any] = {"ok": True, "interaction": str(ix.id), "ack": ack}
        if ix.modal is not None:
            self._modals[str(ix.id)] = ix
            while len(self._modals) > MAX_OPEN_MODALS:  # forms never submitted: forget the oldest
                self._modals.pop(next(iter(self._modals)))
            result["modal"] = ix.modal
        self._changed.set()
        return result

    # --- live updates ---------------------------------------------------------------------------------

    async def _watch(self) -> None:
        """Push the channel to every open page when anything in it changed (woken by the page's actions, else polled:
        the bot also changes messages by itself, e.g. a quiz's next question)."""
        last: tuple = ()
        last_problems: list[str] = []
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), POLL_SECONDS)
            self._changed.clear()
            now = render.signature(self.emu.messages(self.channel))
            problems = self.deck_problems()
            if now != last or problems != last_problems:
                last, last_problems = now, problems
                await self._broadcast()

    async def _broadcast(self) -> None:
        for viewer in list(self._viewers):
            await self._push(viewer)

    async def _push(self, viewer: Viewer) -> None:
        payload = {
            "type": "channel",
            "messages": self.channel_messages(viewer.member_id),
            "problems": self.deck_problems(),
        }
        try:
            await viewer.ws.send_str(json.dumps(payload))
        except (ConnectionError, RuntimeError):
            self._drop(viewer)

    def _drop(self, viewer: Viewer) -> None:
        if viewer in self._viewers:
            self._viewers.remove(viewer)

    # --- HTTP ------------------------------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[_local_only, _json_only, _errors_as_json], client_max_size=MAX_UPLOAD * 2)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC, show_index=False)
        app.router.add_get("/api/state", self._get_state)
        app.router.add_get("/api/messages", self._get_messages)
        app.router.add_post("/api/command", self._post_command)
        app.router.add_post("/api/autocomplete", self._post_autocomplete)
        app.router.add_post("/api/click", self._post_click)
        app.router.add_post("/api/select", self._post_select)
        app.router.add_post("/api/modal", self._post_modal)
        app.router.add_post("/api/react", self._post_react)
        app.router.add_post("/api/reload-decks", self._post_reload)
        app.router.add_post("/api/language", self._post_language)
        app.router.add_get("/ws", self._websocket)
        return app

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def _get_state(self, request: web.Request) -> web.Response:
        viewer = request.query.get("member")
        state = self.state(self.member(viewer).user.id if viewer else None)
        state["languages"]["chosen"] = await self.chosen_language()
        return web.json_response(state)

    async def _get_messages(self, request: web.Request) -> web.Response:
        member = self.member(request.query.get("member", ""))
        return web.json_response({"messages": self.channel_messages(member.user.id)})

    async def _post_command(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        options = dict(body.get("options") or {})
        for name, file in (body.get("files") or {}).items():
            options[name] = _decode_file(name, file)
        return web.json_response(await self.run_command(body.get("member"), str(body.get("command", "")), options))

    async def _post_autocomplete(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        choices = await self.autocomplete(
            body.get("member"), str(body.get("command", "")), str(body.get("option", "")), str(body.get("value", "")),
            dict(body.get("options") or {}),
        )
        return web.json_response({"choices": choices[:25]})

    async def _post_click(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        return web.json_response(await self.click(body.get("member"), body.get("message"), str(body.get("custom_id", ""))))

    async def _post_select(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        values = body.get("values") or []
        return web.json_response(await self.select(body.get("member"), body.get("message"), str(body.get("custom_id", "")), list(values)))

    async def _post_modal(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        values = {str(k): v for k, v in (body.get("values") or {}).items()}
        return web.json_response(await self.submit_modal(body.get("member"), str(body.get("interaction", "")), values))

    async def _post_react(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        emoji = str(body.get("emoji", ""))
        if not emoji:
            raise PlaygroundError("no emoji given")
        return web.json_response(await self.toggle_reaction(body.get("member"), body.get("message"), emoji))

    async def _post_reload(self, request: web.Request) -> web.Response:
        return web.json_response(self.reload_decks())

    async def _post_language(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        client, server = body.get("client_locale"), body.get("server_locale")
        result = self.set_languages(
            body.get("member"), None if client is None else str(client), None if server is None else str(server)
        )
        return web.json_response(result | {"chosen": await self.chosen_language()})

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20)
        await ws.prepare(request)
        viewer = Viewer(ws, self.member(request.query.get("member") or self.members[MEMBERS[0][0]].user.id).user.id)
        self._viewers.append(viewer)
        try:
            await self._push(viewer)
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                # The page says which member it shows now; answer with the channel as that member sees it.
                with contextlib.suppress(ValueError, RecursionError, PlaygroundError, AttributeError):
                    viewer.member_id = self.member(json.loads(frame.data).get("member")).user.id
                    await self._push(viewer)
        finally:
            self._drop(viewer)
        return ws


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _local_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only this machine's own pages may drive the playground: no other web site (Origin), no DNS rebinding (Host)."""
    host = request.host.rsplit(":", 1)[0].strip("[]")
    if host not in LOCAL_NAMES:
        raise web.HTTPForbidden(text="the playground answers only on 127.0.0.1 / localhost")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise web.HTTPForbidden(text="requests from other sites are refused")
    return await handler(request)


@web.middleware
async def _json_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request that changes something must say it is JSON, whatever its Origin (or none): a browser sends a
    JSON content type to another site only after asking it first (CORS preflight), which the playground never
    allows, while a plain form or text/plain post goes out unasked."""
    if request.method in STATE_CHANGING and request.content_type != "application/json":
        return web.json_response({"ok": False, "error": "send the request body as application/json"}, status=415)
    return await handler(request)


@web.middleware
async def _errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Problems the person can fix come back as {"error": text} for the page to show; bugs are logged."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (PlaygroundError, render.OptionError) as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)
    except asyncio.TimeoutError:
        return web.json_response({"ok": False, "error": "The bot did not answer in time."}, status=504)
    except Exception as exc:  # the emulator refuses impossible actions (disabled button, unknown command...)
        if type(exc).__module__.startswith("bot.emulator"):
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        log.exception("playground request %s failed", request.path)
        return web.json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, status=500)


async def _json_body(request: web.Request) -> dict[str, Any]:
    # The content type was checked by _json_only.
    try:
        body = await request.json()
    except ValueError:
        raise PlaygroundError("the request body is not JSON") from None
    except RecursionError:  # nested past what the parser recurses into
        raise PlaygroundError(f"the request body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    if not isinstance(body, dict):
        raise PlaygroundError("the request body must be a JSON object")
    if _depth(body) > MAX_JSON_DEPTH:
        raise PlaygroundError(f"the request body is nested deeper than {MAX_JSON_DEPTH} levels")
    return body


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (1 for a flat one); iterative, so any depth the
    parser accepted is measured without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_JSON_DEPTH:  # past the limit the answer is known: stop descending
            pending.extend((child, level + 1) for child in children)
    return deepest


def _check_locale(locale: str) -> None:
    """Any locale a Discord client can have (one without a catalog gets English, as on Discord)."""
    from bot.emulator.validation import LOCALES

    if locale not in LOCALES:
        offered = ", ".join(f"{code} ({name})" for code, name in offered_locales().items())
        raise PlaygroundError(f"{locale!r} is not a Discord locale; Recall speaks {offered}")


def _decode_file(option: str, file: Any) -> tuple[str, bytes]:
    """Files come from the page as {"filename", "data": base64}."""
    if not isinstance(file, dict) or not file.get("filename"):
        raise PlaygroundError(f"`{option}` needs a file")
    try:
        data = base64.b64decode(str(file.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise PlaygroundError(f"`{option}`: the file could not be read") from None
    if len(data) > MAX_UPLOAD:
        raise PlaygroundError(f"`{option}`: the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB")
    return str(file["filename"]), data
