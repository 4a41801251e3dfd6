"""The gateway websocket: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME with replay, dispatch.

Frames are sent as plain JSON text: discord.py only decompresses binary frames, so this stays readable.
A session outlives its socket so a resumed connection can replay what it missed, like Discord does.

Sharding as Discord does it: an IDENTIFY may carry `shard: [id, count]`; such a session receives only the events of
guilds on its shard, `(guild_id >> 22) % count`, and events outside any guild (direct messages) go to shard 0.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME = 0, 1, 2, 6
OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 9, 10, 11
HEARTBEAT_INTERVAL_MS = 41250
BUFFER_SIZE = 2000

# Close codes Discord uses for sharding mistakes (the client must not reconnect with the same IDENTIFY).
CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011

INTENT_GUILDS = 1 << 0
INTENT_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_REACTIONS = 1 << 10
INTENT_DM_MESSAGES = 1 << 12
INTENT_DM_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15

def dumps(payload: Any) -> str:
    """JSON text of a frame; orjson (a discord.py speed extra) keeps the emulator from being the benchmark's limit."""
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS).decode()


def shard_of(guild_id: int | None, count: int) -> int:
    """The shard Discord sends a guild's events to; events outside any guild go to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % count


# Data may depend on the receiving session (intents decide GUILD_CREATE members, message content).
EventData = dict[str, Any] | Callable[["Session"], dict[str, Any]]


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    session: Session | None = None

    def send(self, payload: dict[str, Any]) -> None:
        self.queue.put_nowait(dumps(payload))


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    seq: int = 0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=BUFFER_SIZE))
    conn: Connection | None = None
    lose_events: bool = False
    shard: tuple[int, int] | None = None  # (id, count) from IDENTIFY; None: an unsharded session gets everything

    def wants(self, intent: int | None) -> bool:
        return intent is None or bool(self.intents & intent)

    def routes(self, guild_id: int | None) -> bool:
        """This session is the one that receives the guild's events (or, for None, events outside any guild)."""
        return self.shard is None or shard_of(guild_id, self.shard[1]) == self.shard[0]

    @property
    def shard_id(self) -> int | None:
        return None if self.shard is None else self.shard[0]


class Gateway:
    """Accepts gateway connections for one bot token and fans events out to its sessions."""

    def __init__(
        self, token: str, on_identify: Callable[[Session], list[tuple[str, EventData, int | None]]]
    ) -> None:
        self._token = token
        self._on_identify = on_identify
        self.sessions: dict[str, Session] = {}
        self.connections = 0  # successful IDENTIFY or RESUME handshakes
        self._live: set[Connection] = set()
        self._gate = asyncio.Event()
        self._gate.set()
        self._changed = asyncio.Condition()
        self._closing = False
        self.intents: int | None = None  # what the bot last identified with
        # The shard count sessions must identify with (None: any valid shard, or none); /gateway/bot recommends it.
        self.shard_count: int | None = None
        # Events sent, counted by (shard id or None when unsharded, event, guild id or None): what a test asserts on
        # to show that each connection received only its own guilds' events.
        self.sent: Counter[tuple[int | None, str, int | None]] = Counter()
        self._reached: set[tuple[int, int] | None] = set()  # the shards that have identified at least once

    @property
    def connected(self) -> bool:
        return any(c.session is not None for c in self._live)

    def shard_connected(self, shard_id: int) -> bool:
        return any(c.session is not None and c.session.shard_id == shard_id for c in self._live)

    def reaches(self, guild_id: int | None) -> bool:
        """A session that receives this guild's events has identified at least once (it may be down now)."""
        return any(shard is None or shard_of(guild_id, shard[1]) == shard[0] for shard in self._reached)

    @property
    def has_session(self) -> bool:
        return bool(self.sessions)

    # --- events ---------------------------------------------------------------------------------

    def dispatch(self, event: str, data: EventData, intent: int | None = None, *, guild_id: int | None = None) -> None:
        """Send an event to the sessions that want its intent and receive its guild (None: outside any guild)."""
        for session in list(self.sessions.values()):
            if session.wants(intent) and session.routes(guild_id):
                self._emit(session, event, data, guild_id)

    def _emit(self, session: Session, event: str, data: EventData, guild_id: int | None = None) -> None:
        if session.conn is None and session.lose_events:
            return
        self.sent[(session.shard_id, event, guild_id)] += 1
        body = data(session) if callable(data) else data
        session.seq += 1
        text = dumps({"op": OP_DISPATCH, "t": event, "s": session.seq, "d": body})
        session.buffer.append((session.seq, text))
        if session.conn is not None:
            session.conn.queue.put_nowait(text)

    # --- test controls ----------------------------------------------------------------------------

    async def drop(self, *, lose_events: bool, shard_id: int | None = None) -> None:
        """Close every live socket (or the one of shard `shard_id`) with 4000 (discord.py resumes) and hold
        reconnects until the gate opens."""
        self._gate.clear()
        for conn in list(self._live):
            if shard_id is not None and (conn.session is None or conn.session.shard_id != shard_id):
                continue
            if conn.session is not None:
                conn.session.lose_events = lose_events
                conn.session.conn = None
                conn.session = None
            await conn.ws.close(code=4000, message=b"emulator dropped the connection")

    def open_gate(self) -> None:
        self._gate.set()

    async def wait_connected(self, timeout: float, shard_id: int | None = None) -> None:
        self.open_gate()
        ready = (lambda: self.connected) if shard_id is None else (lambda: self.shard_connected(shard_id))
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(ready), timeout)

    async def close(self) -> None:
        self._closing = True
        self._gate.set()
        for conn in list(self._live):
            conn.queue.put_nowait(None)
            await conn.ws.close(code=1001, message=b"emulator stopping")

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- the socket ---------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        # A dropped gateway stays down until the test waits for something (see Emulator.drop_gateway).
        await self._gate.wait()
        if self._closing:
            await ws.close(code=1001)
            return ws
        conn = Connection(ws)
        self._live.add(conn)
        writer = asyncio.create_task(self._write(conn))
        conn.send({"op": OP_HELLO, "s": None, "t": None, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._receive(conn, orjson.loads(msg.data))
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self._live.discard(conn)
            session = conn.session
            if session is not None:
                session.conn = None
                # A clean close from the client ends the session, as Discord does.
                if ws.close_code in (1000, 1001):
                    self.sessions.pop(session.id, None)
            conn.queue.put_nowait(None)
            await writer
            await self._notify()
        return ws

    async def _write(self, conn: Connection) -> None:
        while (text := await conn.queue.get()) is not None:
            if conn.ws.closed:
                return
            try:
                await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    async def _receive(self, conn: Connection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == OP_HEARTBEAT:
            conn.send({"op": OP_HEARTBEAT_ACK, "s": None, "t": None, "d": None})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        else:
            log.debug("gateway op %s ignored", op)

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self._token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = self._shard_of_identify(data.get("shard"))
        if isinstance(shard, int):
            message = b"Invalid shard." if shard == CLOSE_INVALID_SHARD else b"Sharding required."
            await conn.ws.close(code=shard, message=message)
            return
        # One bot per emulator: a fresh IDENTIFY replaces the sessions of its shard that are not connected (a
        # process that restarts starts over; another shard's session waiting to resume keeps its events).
        for sid in [s.id for s in self.sessions.values() if s.conn is None and _overlap(s.shard, shard)]:
            del self.sessions[sid]
        self.intents = int(data.get("intents", 0))
        session = Session(uuid.uuid4().hex, self.intents, shard=shard)
        self._reached.add(shard)
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        for event, event_data, guild_id in self._on_identify(session):
            self._emit(session, event, event_data, guild_id)
        self.connections += 1
        await self._notify()

    def _shard_of_identify(self, raw: Any) -> tuple[int, int] | int | None:
        """IDENTIFY's `shard` as (id, count), None when absent, or the close code that refuses it."""
        expected = self.shard_count
        if raw is None:
            return CLOSE_SHARDING_REQUIRED if expected is not None and expected > 1 else None
        valid = (
            isinstance(raw, list) and len(raw) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in raw)
            and raw[1] >= 1 and 0 <= raw[0] < raw[1]
        )
        if not valid or (expected is not None and raw[1] != expected):
            return CLOSE_INVALID_SHARD
        return (raw[0], raw[1])

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self._token or session.conn is not None:
            conn.send({"op": OP_INVALID_SESSION, "s": None, "t": None, "d": False})
            return
        last_seen = int(data.get("seq") or 0)
        session.conn = conn
        conn.session = session
        session.lose_events = False
        for seq, text in session.buffer:
            if seq > last_seen:
                conn.queue.put_nowait(text)
        self._emit(session, "RESUMED", {})
        self.connections += 1
        await self._notify()


def _overlap(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    """Two sessions would receive some of the same events (an unsharded one overlaps every shard)."""
    return a is None or b is None or a == b or a[1] != b[1]
