"""The playground's JSON API and websocket, through aiohttp's test client (no browser needed)."""
from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.playground import Playground, add_playground_parser, main_playground
from tests.browser.demo_cog import Demo, add_demo


@pytest.fixture
async def pg(tmp_path: Path, decks_dir: Path) -> AsyncIterator[Playground]:
    playground = Playground(decks_dir=decks_dir, db_path=tmp_path / "data" / "playground.db", port=0)
    playground.ack_wait = 1.0  # /silent never answers: do not wait Discord's full 3 s for it
    await playground.start(serve=False)
    try:
        yield playground
    finally:
        await playground.stop()


@pytest.fixture
async def demo(pg: Playground) -> Demo:
    return await add_demo(pg.bot)


@pytest.fixture
async def client(pg: Playground) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(pg.app)) as test_client:
        yield test_client


def member_id(pg: Playground, name: str) -> str:
    return str(pg.members[name].user.id)


async def post(client: TestClient, path: str, **body: Any) -> tuple[int, dict[str, Any]]:
    response = await client.post(path, json=body)
    return response.status, await response.json()


async def messages(client: TestClient, pg: Playground, name: str) -> list[dict[str, Any]]:
    response = await client.get("/api/messages", params={"member": member_id(pg, name)})
    assert response.status == 200
    return (await response.json())["messages"]


async def run_demo(client: TestClient, pg: Playground, name: str = "alice", **options: Any) -> dict[str, Any]:
    """Run /demo and return the bot's reply as the page sees it, once its reactions are on."""
    status, result = await post(client, "/api/command", member=member_id(pg, name), command="demo", options=options)
    assert status == 200 and result["ok"], result
    for _ in range(100):
        shown = await messages(client, pg, name)
        if shown and len(shown[-1]["reactions"]) == 2:
            return shown[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the demo reply never got its reactions: {shown}")


async def test_page_and_static_files_are_served(client: TestClient) -> None:
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    assert "/static/app.js" in html and "/static/app.css" in html
    for name in ("app.js", "app.css"):
        assert (await client.get(f"/static/{name}")).status == 200
    # Everything the page loads is local: no address of another host anywhere in it.
    for text in [html, await (await client.get("/static/app.js")).text(), await (await client.get("/static/app.css")).text()]:
        assert "https://" not in text.replace('"https:"', "") and "http://" not in text
        assert "@import" not in text


async def test_state_lists_members_commands_and_decks(client: TestClient, pg: Playground, demo: Demo) -> None:
    response = await client.get("/api/state")
    state = await response.json()
    assert [(m["name"], m["manage_guild"]) for m in state["members"]] == [
        ("alice", False), ("bob", False), ("carol", False), ("teacher", True)
    ]
    assert state["server"]["name"] == "Study Hall" and state["channel"]["name"] == "general"
    assert state["bot"]["ready"] is True
    demo_command = next(c for c in state["commands"] if c["name"] == "demo")
    options = {o["name"]: o for o in demo_command["options"]}
    assert options["text"]["type"] == 3 and options["text"]["required"] and options["text"]["autocomplete"]
    assert (options["count"]["type"], options["count"]["min_value"], options["count"]["max_value"]) == (4, 1, 3)
    assert options["loud"]["type"] == 5 and not options["loud"]["required"]
    assert state["decks"]["count"] >= 1 and state["decks"]["problems"] == []


async def test_command_options_are_typed_from_the_schema(client: TestClient, pg: Playground, demo: Demo) -> None:
    reply = await run_demo(client, pg, text="hi", count="2", loud="false")
    embed = reply["embeds"][0]
    assert embed["description"] == "hi hi"
    assert embed["footer"]["text"] == "type int, loud False"
    assert reply["author"]["bot"] and reply["interaction"]["user"] == "Alice"
    labels = [c.get("label") or c.get("placeholder") for row in reply["components"] for c in row["components"]]
    assert labels == ["Again", "Private", "Form", "Gone", "Pick a fruit"]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"text": "x", "count": "two"}, "must be a whole number"),
        ({"text": "x", "count": "9"}, "between 1 and 3"),
        ({"text": "x", "loud": "maybe"}, "True or False"),
        ({"count": "1"}, "needs `text`"),
        ({"text": "x", "colour": "red"}, "no option `colour`"),
    ],
)
async def test_bad_options_are_refused_with_a_reason(
    client: TestClient, pg: Playground, demo: Demo, options: dict[str, str], error: str
) -> None:
    status, result = await post(client, "/api/command", member=member_id(pg, "alice"), command="demo", options=options)
    assert status == 400 and error in result["error"]
    assert await messages(client, pg, "alice") == []


async def test_unknown_command_and_member_are_refused(client: TestClient, pg: Playground, demo: Demo) -> None:
    status, result = await post(client, "/api/command", member=member_id(pg, "alice"), command="nope", options={})
    assert status == 400 and "/nope is not a command" in result["error"]
    status, result = await post(client, "/api/command", member="123", command="demo", options={"text": "x"})
    assert status == 400 and "no simulated member" in result["error"]
    response = await client.post("/api/command", data="not json", headers={"Content-Type": "application/json"})
    assert response.status == 400


async def test_other_sites_cannot_drive_the_playground(client: TestClient, pg: Playground, demo: Demo) -> None:
    body = {"member": member_id(pg, "alice"), "command": "demo", "options": {"text": "x"}}
    response = await client.post("/api/command", json=body, headers={"Origin": "http://evil.example"})
    assert response.status == 403
    response = await client.post("/api/command", data=json.dumps(body), headers={"Content-Type": "text/plain"})
    assert response.status == 415 and "application/json" in (await response.json())["error"]
    response = await client.get("/api/state", headers={"Host": "evil.example:8765"})
    assert response.status == 403
    assert await messages(client, pg, "alice") == []


async def test_autocomplete_asks_the_bot(client: TestClient, pg: Playground, demo: Demo) -> None:
    status, result = await post(
        client, "/api/autocomplete", member=member_id(pg, "bob"), command="demo", option="text", value="ap", options={"count": "2"}
    )
    assert status == 200
    assert result["choices"] == [{"name": "apple (bob)", "value": "apple"}, {"name": "apricot (bob)", "value": "apricot"}]


async def test_click_edits_the_message_in_place(client: TestClient, pg: Playground, demo: Demo) -> None:
    reply = await run_demo(client, pg, text="hi")
    status, result = await post(client, "/api/click", member=member_id(pg, "bob"), message=reply["id"], custom_id="demo:again")
    assert status == 200 and result["ack"] == 7
    shown = await messages(client, pg, "bob")
    assert len(shown) == 1 and shown[0]["embeds"][0]["description"] == "pressed by bob" and shown[0]["edited"]


async def test_select_menu_choice_reaches_the_bot(client: TestClient, pg: Playground, demo: Demo) -> None:
    reply = await run_demo(client, pg, text="hi")
    status, result = await post(
        client, "/api/select", member=member_id(pg, "carol"), message=reply["id"], custom_id="demo:pick", values=["cherry"]
    )
    assert status == 200 and result["ack"] == 7
    assert (await messages(client, pg, "carol"))[-1]["embeds"][0]["description"] == "carol picked cherry"
    status, result = await post(
        client, "/api/select", member=member_id(pg, "carol"), message=reply["id"], custom_id="demo:pick", values=["kiwi"]
    )
    assert status == 400 and "no option" in result["error"]


async def test_disabled_button_is_refused(client: TestClient, pg: Playground, demo: Demo) -> None:
    reply = await run_demo(client, pg, text="hi")
    status, result = await post(client, "/api/click", member=member_id(pg, "bob"), message=reply["id"], custom_id="demo:gone")
    assert status == 400 and "disabled" in result["error"]


async def test_ephemeral_reply_is_shown_only_to_its_member(client: TestClient, pg: Playground, demo: Demo) -> None:
    reply = await run_demo(client, pg, text="hi")
    status, _ = await post(client, "/api/click", member=member_id(pg, "carol"), message=reply["id"], custom_id="demo:private")
    assert status == 200
    for _ in range(100):
        carol_sees = await messages(client, pg, "carol")
        if len(carol_sees) == 2:
            break
        await asyncio.sleep(0.05)
    assert carol_sees[-1]["ephemeral"] and carol_sees[-1]["content"] == "a secret for carol"
    assert [m["id"] for m in await messages(client, pg, "alice")] == [reply["id"]]
    # Nobody else can act on it either.
    status, result = await post(client, "/api/react", member=member_id(pg, "alice"), message=carol_sees[-1]["id"], emoji="🇦")
    assert status == 400 and "gone" in result["error"]


async def test_modal_round_trip(client: TestClient, pg: Playground, demo: Demo) -> None:
    reply = await run_demo(client, pg, text="hi")
    status, opened = await post(client, "/api/click", member=member_id(pg, "bob"), message=reply["id"], custom_id="demo:form")
    assert status == 200 and opened["ack"] == 9
    assert opened["modal"]["title"] == "Say something"
    # Another member cannot submit bob's form.
    status, result = await post(client, "/api/modal", member=member_id(pg, "alice"), interaction=opened["interaction"], values={"said": "x"})
    assert status == 400 and "no longer open" in result["error"]
    status, done = await post(client, "/api/modal", member=member_id(pg, "bob"), interaction=opened["interaction"], values={"said": "hello there"})
    assert status == 200 and done["ok"] and done["ack"] == 4
    assert (await messages(client, pg, "alice"))[-1]["content"] == "bob said: hello there"
    status, again = await post(client, "/api/modal", member=member_id(pg, "bob"), interaction=opened["interaction"], values={"said": "x"})
    assert status == 400


async def test_reaction_toggles_and_reaches_the_bot(client: TestClient, pg: Playground, demo: Demo) -> None:
    reply = await run_demo(client, pg, text="hi")
    assert reply["reactions"] == [{"emoji": "🇦", "count": 1, "me": False}, {"emoji": "🇧", "count": 1, "me": False}]
    status, result = await post(client, "/api/react", member=member_id(pg, "alice"), message=reply["id"], emoji="🇦")
    assert status == 200 and result["reacted"] is True
    alice_view = (await messages(client, pg, "alice"))[-1]["reactions"][0]
    bob_view = (await messages(client, pg, "bob"))[-1]["reactions"][0]
    assert (alice_view["count"], alice_view["me"]) == (2, True)
    assert (bob_view["count"], bob_view["me"]) == (2, False)
    for _ in range(100):
        if demo.reactions:
            break
        await asyncio.sleep(0.05)
    assert demo.reactions == [(pg.members["alice"].user.id, "🇦")]
    status, result = await post(client, "/api/react", member=member_id(pg, "alice"), message=reply["id"], emoji="🇦")
    assert result["reacted"] is False
    assert (await messages(client, pg, "alice"))[-1]["reactions"][0] == {"emoji": "🇦", "count": 1, "me": False}


async def test_a_reaction_discord_refuses_is_reported(client: TestClient, pg: Playground, demo: Demo) -> None:
    reply = await run_demo(client, pg, text="hi")
    letters = [chr(0x1F1E6 + i) for i in range(21)]  # 🇦 … 🇺; the bot already put 🇦 and 🇧
    for emoji in letters[2:20]:
        status, _ = await post(client, "/api/react", member=member_id(pg, "carol"), message=reply["id"], emoji=emoji)
        assert status == 200
    status, result = await post(client, "/api/react", member=member_id(pg, "carol"), message=reply["id"], emoji=letters[20])
    assert status == 400 and "would not let carol add" in result["error"]
    assert len((await messages(client, pg, "carol"))[-1]["reactions"]) == 20


async def test_an_unanswered_command_is_reported_as_failed(client: TestClient, pg: Playground, demo: Demo) -> None:
    status, result = await post(client, "/api/command", member=member_id(pg, "alice"), command="silent", options={})
    assert status == 200 and result == {"ok": False, "error": "The application did not respond", "interaction": result["interaction"]}


async def test_websocket_pushes_new_messages_to_each_viewer(client: TestClient, pg: Playground, demo: Demo) -> None:
    ws = await client.ws_connect("/ws", params={"member": member_id(pg, "bob")})
    first = await ws.receive_json(timeout=5)
    assert first == {"type": "channel", "messages": [], "problems": []}
    await run_demo(client, pg, text="live")
    pushed = await _next_with(ws, lambda m: m["messages"] and m["messages"][-1]["reactions"])
    assert pushed["messages"][-1]["embeds"][0]["description"] == "live"
    # Switching member re-sends the channel from that member's point of view.
    await ws.send_str(json.dumps({"member": member_id(pg, "alice")}))
    await _next_with(ws, lambda m: m["messages"])
    await ws.close()


async def _next_with(ws: Any, wanted: Any) -> dict[str, Any]:
    for _ in range(50):
        message = await ws.receive_json(timeout=5)
        if wanted(message):
            return message
    raise AssertionError("the websocket never pushed the expected channel")


async def test_deck_problems_are_reported_and_reloaded(tmp_path: Path, decks_dir: Path) -> None:
    (decks_dir / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    playground = Playground(decks_dir=decks_dir, db_path=tmp_path / "pg.db", port=0)
    await playground.start(serve=False)
    try:
        async with TestClient(TestServer(playground.app)) as test_client:
            state = await (await test_client.get("/api/state")).json()
            assert len(state["decks"]["problems"]) >= 1
            assert any("broken.yaml" in p for p in state["decks"]["problems"])
            (decks_dir / "broken.yaml").unlink()
            status, result = await post(test_client, "/api/reload-decks")
            assert status == 200 and result["problems"] == []
    finally:
        await playground.stop()


async def test_files_go_up_as_attachments_and_pictures_come_back(client: TestClient, pg: Playground, demo: Demo) -> None:
    import aiohttp

    upload = {"file": {"filename": "notes.txt", "data": base64.b64encode(b"hello deck").decode()}}
    status, result = await post(client, "/api/command", member=member_id(pg, "teacher"), command="demo-file", options={}, files=upload)
    assert status == 200 and result["ok"], result
    reply = (await messages(client, pg, "teacher"))[-1]
    assert reply["content"] == "got notes.txt: hello deck"
    assert [(a["filename"], a["image"]) for a in reply["attachments"]] == [("chart.png", True), ("loose.png", True)]
    assert reply["embeds"][0]["image"]["url"] == "attachment://chart.png"  # the page resolves it
    picture = reply["attachments"][0]
    async with aiohttp.ClientSession() as session, session.get(picture["url"]) as response:
        assert response.status == 200 and (await response.read()).startswith(b"\x89PNG")


async def test_attachment_option_is_decoded(pg: Playground) -> None:
    from bot.playground.server import PlaygroundError, _decode_file

    assert _decode_file("file", {"filename": "deck.yaml", "data": base64.b64encode(b"id: x").decode()}) == ("deck.yaml", b"id: x")
    with pytest.raises(PlaygroundError, match="could not be read"):
        _decode_file("file", {"filename": "deck.yaml", "data": "%%%"})
    with pytest.raises(PlaygroundError, match="needs a file"):
        _decode_file("file", "deck.yaml")


async def test_served_on_a_real_port_prints_its_url(tmp_path: Path, decks_dir: Path) -> None:
    import aiohttp

    playground = Playground(decks_dir=decks_dir, db_path=tmp_path / "pg.db", port=0)
    url = await playground.start()
    try:
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/")
        async with aiohttp.ClientSession() as session, session.get(url + "api/state") as response:
            assert response.status == 200
    finally:
        await playground.stop()


def test_cli_arguments_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_playground_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["playground"])
    assert (args.decks, args.port) == (None, 8765)
    args = parser.parse_args(["playground", "--decks", str(tmp_path / "missing"), "--port", "9000"])
    assert main_playground(args) == 2
    assert "is not a folder" in capsys.readouterr().err
    args = parser.parse_args(["playground", "--decks", str(tmp_path), "--port", "70000"])
    assert main_playground(args) == 2


def test_cli_reports_a_port_in_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse
    import socket

    monkeypatch.chdir(tmp_path)  # the playground's database goes to data/ under the working folder
    parser = argparse.ArgumentParser()
    add_playground_parser(parser.add_subparsers(dest="command"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        args = parser.parse_args(["playground", "--port", str(taken.getsockname()[1])])
        assert main_playground(args) == 2
    assert "cannot start the playground" in capsys.readouterr().err
    assert (tmp_path / "data" / "playground.db").exists()


async def test_every_change_must_be_sent_as_json_even_without_an_origin(
    client: TestClient, pg: Playground, monkeypatch: pytest.MonkeyPatch
) -> None:
    reloads: list[bool] = []
    monkeypatch.setattr(pg.bot, "reload_decks", lambda: reloads.append(True))
    routes = ["/api/command", "/api/autocomplete", "/api/click", "/api/select", "/api/modal", "/api/react",
              "/api/reload-decks", "/api/language"]
    # What a form or fetch(no-cors) on any web site can send without asking: no Origin header reaches us here.
    for path in routes:
        for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}):
            response = await client.post(path, data="{}", headers=headers)
            assert response.status == 415, (path, headers)
            assert "application/json" in (await response.json())["error"]
    for method in ("PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/api/reload-decks", data="{}", headers={"Content-Type": "text/plain"})
        assert response.status == 415, method
    assert reloads == []
    status, result = await post(client, "/api/reload-decks")  # the page's own request still works
    assert status == 200 and result["ok"] and reloads == [True]


async def test_a_deeply_nested_body_is_refused_with_a_reason(client: TestClient, pg: Playground) -> None:
    alice = member_id(pg, "alice")
    too_deep = "[" * 100_000 + "]" * 100_000
    response = await client.post("/api/command", data=f'{{"member": "{alice}", "options": {too_deep}}}',
                                 headers={"Content-Type": "application/json"})
    assert response.status == 400 and "nested deeper" in (await response.json())["error"]
    nested: Any = "x"
    for _ in range(50):  # deep enough to refuse, shallow enough for the parser
        nested = {"a": nested}
    status, result = await post(client, "/api/command", member=alice, command="demo", options={"text": nested})
    assert status == 400 and "nested deeper" in result["error"]
    assert await messages(client, pg, "alice") == []


# --- languages ---------------------------------------------------------------------------------------------------


async def state_of(client: TestClient, pg: Playground, name: str) -> dict[str, Any]:
    response = await client.get("/api/state", params={"member": member_id(pg, name)})
    assert response.status == 200
    return await response.json()


async def test_each_member_has_a_client_language_and_the_server_its_own(client: TestClient, pg: Playground) -> None:
    state = await state_of(client, pg, "alice")
    assert [o["locale"] for o in state["languages"]["offered"]] == ["en-US", "de", "es-ES", "fr", "pt-BR", "ja"]
    assert [o["name"] for o in state["languages"]["offered"]] == [
        "English", "Deutsch", "Español", "Français", "Português (Brasil)", "日本語"
    ]
    assert (state["languages"]["client"], state["languages"]["server"]) == ("en-US", "en-US")

    status, result = await post(client, "/api/language", member=member_id(pg, "alice"), client_locale="de")
    assert status == 200 and result["ok"] and (result["client"], result["server"]) == ("de", "en-US")
    status, result = await post(client, "/api/language", member=member_id(pg, "bob"), client_locale="ja")
    assert status == 200 and result["client"] == "ja"
    status, result = await post(client, "/api/language", member=member_id(pg, "carol"), server_locale="fr")
    assert status == 200 and (result["client"], result["server"]) == ("en-US", "fr")

    for name, locale in (("alice", "de"), ("bob", "ja"), ("carol", "en-US"), ("teacher", "en-US")):
        state = await state_of(client, pg, name)
        assert (state["languages"]["client"], state["languages"]["server"]) == (locale, "fr"), name
    assert {m["name"]: m["locale"] for m in state["members"]} == {"alice": "de", "bob": "ja", "carol": "en-US", "teacher": "en-US"}
    # Discord tells the bot that its server changed language (work without an interaction reads it there).
    for _ in range(100):
        if str(pg.bot.get_guild(pg.guild.id).preferred_locale) == "fr":
            break
        await asyncio.sleep(0.05)
    assert str(pg.bot.get_guild(pg.guild.id).preferred_locale) == "fr"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"client_locale": "klingon"}, "'klingon' is not a Discord locale; Recall speaks en-US (English), de (Deutsch)"),
        ({"server_locale": "de-DE"}, "'de-DE' is not a Discord locale"),
        ({"client_locale": "de", "server_locale": ""}, "'' is not a Discord locale"),
        ({}, "say which language to set"),
    ],
)
async def test_a_language_discord_does_not_have_is_refused(
    client: TestClient, pg: Playground, body: dict[str, str], error: str
) -> None:
    status, result = await post(client, "/api/language", member=member_id(pg, "alice"), **body)
    assert status == 400 and not result["ok"] and error in result["error"]
    state = await state_of(client, pg, "alice")
    assert (state["languages"]["client"], state["languages"]["server"]) == ("en-US", "en-US")  # nothing half-set


async def test_a_language_for_nobody_is_refused(client: TestClient, pg: Playground) -> None:
    status, result = await post(client, "/api/language", member="123", client_locale="de")
    assert status == 400 and "no simulated member" in result["error"]


async def test_a_locale_without_a_catalog_is_a_discord_client_like_any_other(client: TestClient, pg: Playground) -> None:
    status, result = await post(client, "/api/language", member=member_id(pg, "alice"), client_locale="it")
    assert status == 200 and result["client"] == "it"


async def test_each_members_interactions_carry_their_clients_language(client: TestClient, pg: Playground, demo: Demo) -> None:
    seen: list[tuple[int, str, str]] = []

    async def on_interaction(interaction: Any) -> None:
        seen.append((interaction.user.id, str(interaction.locale), str(interaction.guild_locale)))

    pg.bot.add_listener(on_interaction)
    await post(client, "/api/language", member=member_id(pg, "alice"), client_locale="de")
    await post(client, "/api/language", member=member_id(pg, "bob"), client_locale="ja", server_locale="pt-BR")
    await run_demo(client, pg, "alice", text="hallo")
    reply = await run_demo(client, pg, "bob", text="konnichiwa")
    status, _ = await post(client, "/api/click", member=member_id(pg, "carol"), message=reply["id"], custom_id="demo:again")
    assert status == 200
    for _ in range(100):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.05)
    alice, bob, carol = (pg.members[n].user.id for n in ("alice", "bob", "carol"))
    assert seen == [(alice, "de", "pt-BR"), (bob, "ja", "pt-BR"), (carol, "en-US", "pt-BR")]


async def test_commands_are_listed_as_each_members_client_shows_them(client: TestClient, pg: Playground) -> None:
    registered = {c["name"]: c for c in pg.registered_commands()}
    quiz = registered["quiz"]
    status, result = await post(client, "/api/language", member=member_id(pg, "bob"), client_locale="ja")
    assert status == 200
    listed = {c["name"]: c for c in result["commands"]}
    # The emulator is still sent /quiz; bob reads it as his client shows it (English where it has no translation).
    assert listed["quiz"]["label"] == (quiz.get("name_localizations") or {}).get("ja", "quiz")
    assert listed["quiz"]["description"] == (quiz.get("description_localizations") or {}).get("ja", quiz["description"])
    assert {c["name"]: c for c in (await state_of(client, pg, "bob"))["commands"]}["quiz"] == listed["quiz"]
    english = {c["name"]: c for c in (await state_of(client, pg, "alice"))["commands"]}
    assert (english["quiz"]["label"], english["quiz"]["description"]) == ("quiz", quiz["description"])


async def test_state_says_when_an_admin_chose_the_servers_language(client: TestClient, pg: Playground) -> None:
    assert (await state_of(client, pg, "teacher"))["languages"]["chosen"] is None
    status, result = await post(client, "/api/command", member=member_id(pg, "teacher"), command="recall-admin language",
                                options={"language": "ja"})
    assert status == 200 and result["ok"], result
    for _ in range(100):
        chosen = (await state_of(client, pg, "alice"))["languages"]["chosen"]
        if chosen is not None:
            break
        await asyncio.sleep(0.05)
    # Public posts follow it, whatever the server's Discord language is set to.
    assert chosen == {"language": "ja", "name": "日本語"}
    status, result = await post(client, "/api/language", member=member_id(pg, "alice"), server_locale="de")
    assert status == 200 and result["server"] == "de" and result["chosen"] == {"language": "ja", "name": "日本語"}
