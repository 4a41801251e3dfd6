"""The emulator's wire protocol checked directly with aiohttp: headers, error bodies, faults, gateway ops."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.emulator import Emulator

from .conftest import Server


@pytest.fixture
async def http(emu: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as session:
        yield session


@pytest.fixture
async def gateway(emu: Emulator) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A bare gateway session standing in for the bot (members only act once a bot is connected)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(emu.gateway_url) as ws:
        await ws.receive_json()
        await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": 0, "properties": {}}})
        assert (await ws.receive_json())["t"] == "READY"
        yield ws


async def call(
    http: aiohttp.ClientSession, method: str, path: str, **kwargs: Any
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.request(method, "/api/v10" + path, **kwargs) as resp:
        text = await resp.text()
        return resp.status, (json.loads(text) if text else None), resp


async def test_auth_content_type_and_unknown_routes(emu: Emulator, http: aiohttp.ClientSession) -> None:
    status, body, resp = await call(http, "GET", "/users/@me")
    assert status == 200 and resp.headers["Content-Type"] == "application/json"
    assert body["id"] == str(emu.bot_user.id) and body["bot"] is True
    status, body, _ = await call(http, "GET", "/users/@me", headers={"Authorization": "Bot wrong"})
    assert (status, body["code"]) == (401, 0)
    status, body, resp = await call(http, "GET", "/channels/1/pins/nothing")
    assert status == 404 and resp.headers["Content-Type"] == "application/json"
    assert emu.unknown_routes == ["GET /channels/1/pins/nothing"]
    assert [(c.method, c.path, c.status) for c in emu.rest_calls][-1] == ("GET", "/channels/1/pins/nothing", 404)


async def test_channel_messages_crud_and_permissions(
    emu: Emulator, server: Server, http: aiohttp.ClientSession
) -> None:
    path = f"/channels/{server.channel.id}/messages"
    ids = []
    for n in range(3):
        status, body, _ = await call(http, "POST", path, json={"content": f"m{n}", "allowed_mentions": {"parse": []}})
        assert status == 200 and body["content"] == f"m{n}"
        ids.append(body["id"])
    status, body, _ = await call(http, "GET", path, params={"limit": "2"})
    assert [m["id"] for m in body] == [ids[2], ids[1]]
    status, body, _ = await call(http, "PATCH", f"{path}/{ids[0]}", json={"content": "edited"})
    assert body["content"] == "edited" and body["edited_timestamp"].endswith("+00:00")
    assert emu.messages(server.channel)[0].allowed_mentions == {"parse": []}
    assert (await call(http, "DELETE", f"{path}/{ids[0]}"))[0] == 204
    assert (await call(http, "GET", f"{path}/{ids[0]}"))[0] == 404
    status, body, _ = await call(http, "POST", path, json={"content": "x" * 2001})
    assert (status, body["code"]) == (400, 50035)
    status, body, _ = await call(http, "POST", path, json={"content": ""})
    assert (status, body["code"]) == (400, 50006)

    emu.set_bot_permissions(server.channel, deny=("embed_links",))
    status, body, _ = await call(http, "POST", path, json={"embeds": [{"title": "t"}]})
    assert (status, body) == (403, {"message": "Missing Permissions", "code": 50013})
    emu.set_bot_permissions(server.channel, deny=("view_channel",))
    status, body, _ = await call(http, "GET", f"/channels/{server.channel.id}")
    assert (status, body["code"]) == (403, 50001)


async def test_reactions_over_rest(
    emu: Emulator, server: Server, http: aiohttp.ClientSession, gateway: aiohttp.ClientWebSocketResponse
) -> None:
    _, message, _ = await call(http, "POST", f"/channels/{server.channel.id}/messages", json={"content": "Q"})
    base = f"/channels/{server.channel.id}/messages/{message['id']}/reactions"
    assert (await call(http, "PUT", f"{base}/%F0%9F%87%A6/@me"))[0] == 204
    fake = emu.messages(server.channel)[0]
    await emu.react(server.alice, fake, "🇦")
    await emu.react(server.bob, fake, "🇦")
    status, users, _ = await call(http, "GET", f"{base}/%F0%9F%87%A6", params={"limit": "2"})
    assert [u["id"] for u in users] == sorted(str(u) for u in (emu.bot_user.id, server.alice.id, server.bob.id))[:2]
    status, users, _ = await call(http, "GET", f"{base}/%F0%9F%87%A6", params={"after": users[-1]["id"]})
    assert len(users) == 1
    _, fetched, _ = await call(http, "GET", f"/channels/{server.channel.id}/messages/{message['id']}")
    assert fetched["reactions"][0]["count"] == 3 and fetched["reactions"][0]["me"] is True
    assert (await call(http, "DELETE", f"{base}/%F0%9F%87%A6/{server.alice.id}"))[0] == 204
    assert fake.reactions["🇦"] == [emu.bot_user.id, server.bob.id]
    emu.set_bot_permissions(server.channel, deny=("manage_messages",))
    assert (await call(http, "DELETE", base))[1]["code"] == 50013
    emu.set_bot_permissions(server.channel)
    assert (await call(http, "DELETE", base))[0] == 204 and fake.reactions == {}


async def test_rate_limit_fault_shape_and_no_double_limit(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.rate_limit_share = 1.0
    status, body, resp = await call(http, "GET", "/users/@me")
    assert status == 429 and body["retry_after"] > 0 and body["global"] is False
    assert resp.headers["Via"] and resp.headers["Content-Type"] == "application/json"
    assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-After"} <= set(resp.headers)
    assert (await call(http, "GET", "/users/@me"))[0] == 200


async def test_gateway_identify_ready_guilds_heartbeat_and_bad_resume(emu: Emulator, server: Server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(emu.gateway_url + "?v=10&encoding=json") as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
            await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": 1 | (1 << 9), "properties": {}}})
            ready = await ws.receive_json()
            assert (ready["t"], ready["s"]) == ("READY", 1)
            assert ready["d"]["guilds"] == [{"id": str(server.guild.id), "unavailable": True}]
            assert ready["d"]["resume_gateway_url"] == emu.gateway_url
            guild = await ws.receive_json()
            assert (guild["t"], guild["s"], guild["d"]["unavailable"]) == ("GUILD_CREATE", 2, False)
            assert [m["user"]["id"] for m in guild["d"]["members"]] == [str(emu.bot_user.id)]
            assert guild["d"]["member_count"] == 3
            await ws.send_json({"op": 1, "d": 2})
            assert (await ws.receive_json())["op"] == 11
            # reactions are not in these intents, so the next event after the first message is the second one
            first = emu._create_message(server.channel, emu.bot_user, {"content": "one"}, [])
            await emu.react(server.alice, first, "🇦")
            emu._create_message(server.channel, emu.bot_user, {"content": "two"}, [])
            events = [await ws.receive_json(), await ws.receive_json()]
            assert [(e["t"], e["s"], e["d"]["content"]) for e in events] == [
                ("MESSAGE_CREATE", 3, "one"),
                ("MESSAGE_CREATE", 4, "two"),
            ]
        async with session.ws_connect(emu.gateway_url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 6, "d": {"token": emu.token, "session_id": "nope", "seq": 3}})
            assert (await ws.receive_json()) == {"op": 9, "s": None, "t": None, "d": False}


async def test_interaction_callback_rules(
    emu: Emulator, server: Server, http: aiohttp.ClientSession, gateway: aiohttp.ClientWebSocketResponse
) -> None:
    command = {"name": "ping", "description": "p", "type": 1}
    assert (await call(http, "PUT", f"/applications/{emu.application_id}/commands", json=[command]))[0] == 200
    ix = await emu.slash(server.alice, server.channel, "ping")
    event = await gateway.receive_json()
    assert event["t"] == "INTERACTION_CREATE" and event["d"]["token"] == ix.token
    url = f"/interactions/{ix.id}/{ix.token}/callback"
    status, body, _ = await call(http, "POST", url, json={"type": 7, "data": {"content": "x"}})
    assert (status, body["code"]) == (400, 50035)
    answer = {"type": 4, "data": {"content": "pong", "flags": 64}}
    status, body, _ = await call(http, "POST", url, params={"with_response": "1"}, json=answer)
    assert status == 200
    assert body["interaction"]["response_message_ephemeral"] is True
    assert body["resource"]["type"] == 4 and body["resource"]["message"]["content"] == "pong"
    status, body, _ = await call(http, "POST", url, json={"type": 4, "data": {"content": "again"}})
    assert (status, body["code"]) == (400, 40060)
    hook = f"/webhooks/{emu.application_id}/{ix.token}"
    status, body, _ = await call(http, "PATCH", f"{hook}/messages/@original", json={"content": "pong!"})
    assert body["content"] == "pong!" and (await ix.wait_message()).content == "pong!"
    status, body, _ = await call(http, "POST", hook, params={"wait": "true"}, json={"content": "more"})
    assert body["content"] == "more" and ix.followups[0].content == "more"
    form = aiohttp.FormData()
    payload = {"content": "file", "attachments": [{"id": 0, "filename": "a.txt"}]}
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    form.add_field("files[0]", b"hello", filename="a.txt", content_type="text/plain")
    status, body, _ = await call(http, "POST", hook, params={"wait": "1"}, data=form)
    attachment = body["attachments"][0]
    assert attachment["filename"] == "a.txt" and attachment["size"] == 5
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as resp:
        assert await resp.read() == b"hello"
