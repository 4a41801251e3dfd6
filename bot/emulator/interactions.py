"""Interactions as Discord builds them, and the handle tests use to follow one interaction.

Slash options are typed from the command schema the bot registered, so a test that passes the wrong
option name or an unregistered command fails with a readable error instead of a payload Discord never sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import payloads, permissions
from .errors import CommandNotAvailable, EmulatorError
from .state import FakeChannel, FakeMember, FakeMessage, FakeRole, FakeUser, StoredFile, walk_components

if TYPE_CHECKING:
    from .state import World

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5

# Callback types.
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

ACK_DEADLINE = 3.0
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class FakeInteraction:
    """One interaction a member triggered, and everything the bot answered to it."""

    def __init__(
        self,
        *,
        id: int,
        token: str,
        type: int,
        member: FakeMember | None,
        user: FakeUser,
        channel: FakeChannel,
        data: dict[str, Any],
        message: FakeMessage | None = None,
        opened_by: FakeInteraction | None = None,
        gate: Callable[[], None] = lambda: None,
    ) -> None:
        self.id = id
        self.token = token
        self.type = type
        self.member = member
        self.user = user
        self.channel = channel
        self.data = data
        self.message = message  # the message whose component was used
        self.opened_by = opened_by  # for a modal submit: the interaction answered with the modal
        self.payload: dict[str, Any] = {}
        self.ack_type: int | None = None
        self.modal: dict[str, Any] | None = None
        self.choices: list[dict[str, Any]] | None = None
        self.original: FakeMessage | None = None  # what @original points at
        self.followups: list[FakeMessage] = []
        self.failed = False
        self._gate = gate
        self._acked = asyncio.Event()
        self._result: asyncio.Future[FakeMessage] = asyncio.get_running_loop().create_future()

    def __repr__(self) -> str:
        return f"FakeInteraction(id={self.id}, type={self.type}, ack={self.ack_type}, failed={self.failed})"

    @property
    def ephemeral(self) -> bool:
        return self.original is not None and self.original.ephemeral

    @property
    def acknowledged(self) -> bool:
        return self.ack_type is not None

    def _ack(self, callback_type: int) -> None:
        self.ack_type = callback_type
        self._acked.set()

    def _fail(self) -> None:
        self.failed = True
        self._acked.set()  # wakes wait_ack so it can report the failure at once
        if not self._result.done():
            self._result.set_exception(EmulatorError(f"interaction {self.describe()} failed: not acknowledged in time"))
            self._result.exception()  # marks it retrieved: nobody may be waiting, and that is fine

    def _produced(self, message: FakeMessage) -> None:
        """The first message this interaction created or edited (never the "thinking…" placeholder)."""
        if not self._result.done() and not message.loading:
            self._result.set_result(message)

    async def wait_ack(self, timeout: float = 5) -> int:
        self._gate()
        try:
            await asyncio.wait_for(self._acked.wait(), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(
                f"the bot did not acknowledge interaction {self.describe()} within {timeout}s"
            ) from None
        if self.ack_type is None:
            raise EmulatorError(f"interaction {self.describe()} failed: not acknowledged in time")
        return self.ack_type

    async def wait_failed(self, timeout: float = 5) -> None:
        """Until Discord would show "This interaction failed"; raises if the bot acknowledged instead."""
        self._gate()
        try:
            await asyncio.wait_for(self._acked.wait(), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(f"interaction {self.describe()} neither failed nor was acknowledged") from None
        if not self.failed:
            raise EmulatorError(f"interaction {self.describe()} was acknowledged with type {self.ack_type}")

    async def wait_message(self, timeout: float = 5) -> FakeMessage:
        self._gate()
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), timeout)
        except asyncio.TimeoutError:
            state = "never acknowledged" if self.ack_type is None else f"acknowledged with type {self.ack_type}"
            if self.ack_type == MODAL:
                state += " (a modal: use emu.submit_modal)"
            raise asyncio.TimeoutError(
                f"no message from interaction {self.describe()} within {timeout}s; it was {state}"
            ) from None

    def describe(self) -> str:
        if self.type in (APPLICATION_COMMAND, AUTOCOMPLETE):
            return f"/{command_path(self.data)} by {self.user.name}"
        if self.type == MESSAGE_COMPONENT:
            return f"component {self.data.get('custom_id')!r} by {self.user.name}"
        return f"modal {self.data.get('custom_id')!r} by {self.user.name}"


def command_path(data: dict[str, Any]) -> str:
    parts = [data.get("name", "?")]
    options = data.get("options") or []
    while options and options[0].get("type") in (1, 2):
        parts.append(options[0]["name"])
        options = options[0].get("options") or []
    return " ".join(parts)


# --- slash commands -------------------------------------------------------------------------------


def find_command(world: World, guild_id: int | None, path: str) -> tuple[dict[str, Any], list[str]]:
    """The registered command for "name sub…", guild-scoped before global, and the subcommand names."""
    name, *subs = path.split()
    for cmd in world.commands_for(guild_id):
        if cmd["name"] == name and cmd.get("type", 1) == 1:
            return cmd, subs
    known = sorted({c["name"] for c in world.commands_for(guild_id) if c.get("type", 1) == 1})
    raise CommandNotAvailable(f"/{name} is not registered for this server (registered: {known or 'none'})")


def check_member_can_use(world: World, cmd: dict[str, Any], member: FakeMember | None) -> None:
    """Discord hides a command whose default_member_permissions the member lacks, so they cannot run it."""
    required = cmd.get("default_member_permissions")
    if member is None or required is None:
        return
    have = world.guild_permissions(member.guild, member.user.id)
    if int(required) & have != int(required):
        names = permissions.names_of(int(required) & ~have)
        raise CommandNotAvailable(f"Discord does not offer /{cmd['name']} to {member.user.name}: lacks {names}")


def build_command_data(
    world: World,
    cmd: dict[str, Any],
    subs: list[str],
    values: dict[str, Any],
    *,
    store_file: Callable[[str, bytes], dict[str, Any]],
    focused: str | None = None,
) -> dict[str, Any]:
    schema = cmd.get("options") or []
    resolved: dict[str, dict[str, Any]] = {}
    where = f"/{cmd['name']}"
    nested: list[dict[str, Any]] = []
    container = nested
    for sub in subs:
        opt = next((o for o in schema if o["name"] == sub and o["type"] in (1, 2)), None)
        if opt is None:
            choices = [o["name"] for o in schema if o["type"] in (1, 2)]
            raise CommandNotAvailable(f"{where} has no subcommand {sub!r} (has: {choices})")
        where += f" {sub}"
        entry: dict[str, Any] = {"name": sub, "type": opt["type"], "options": []}
        container.append(entry)
        container = entry["options"]
        schema = opt.get("options") or []
    if any(o["type"] in (1, 2) for o in schema):
        raise CommandNotAvailable(f"{where} needs a subcommand: {[o['name'] for o in schema]}")
    container.extend(_typed_options(world, schema, values, where, resolved, store_file, focused))
    data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
    if cmd.get("guild_id"):
        data["guild_id"] = cmd["guild_id"]
    if nested:
        data["options"] = nested
    if resolved:
        data["resolved"] = resolved
    return data


def _typed_options(
    world: World,
    schema: list[dict[str, Any]],
    values: dict[str, Any],
    where: str,
    resolved: dict[str, dict[str, Any]],
    store_file: Callable[[str, bytes], dict[str, Any]],
    focused: str | None,
) -> list[dict[str, Any]]:
    by_name = {o["name"]: o for o in schema}
    unknown = set(values) - set(by_name)
    if unknown:
        raise CommandNotAvailable(f"{where} has no option(s) {sorted(unknown)}; options: {sorted(by_name)}")
    out = []
    for opt in schema:
        name = opt["name"]
        if name not in values:
            if opt.get("required") and focused is None:
                raise CommandNotAvailable(f"{where}: required option {name!r} is missing")
            continue
        if name == focused:
            # While typing, Discord sends the raw text of the focused option.
            out.append({"name": name, "type": opt["type"], "value": str(values[name]), "focused": True})
            continue
        value = _option_value(world, opt, values[name], where, resolved, store_file)
        out.append({"name": name, "type": opt["type"], "value": value})
    return out


def _option_value(
    world: World,
    opt: dict[str, Any],
    raw: Any,
    where: str,
    resolved: dict[str, dict[str, Any]],
    store_file: Callable[[str, bytes], dict[str, Any]],
) -> Any:
    kind, name = opt["type"], opt["name"]
    if kind == 3:
        value: Any = str(raw)
    elif kind == 4:
        value = int(raw)
    elif kind == 5:
        value = bool(raw)
    elif kind == 10:
        value = float(raw)
    elif kind in (6, 9) and isinstance(raw, (FakeMember, FakeUser)):
        member = raw if isinstance(raw, FakeMember) else None
        user = raw.user if isinstance(raw, FakeMember) else raw
        resolved.setdefault("users", {})[str(user.id)] = payloads.user_payload(user)
        if member is not None:
            entry = payloads.member_payload(member, with_user=False)
            entry["permissions"] = str(world.guild_permissions(member.guild, user.id))
            resolved.setdefault("members", {})[str(user.id)] = entry
        return str(user.id)
    elif kind in (7,) and isinstance(raw, FakeChannel):
        entry = payloads.channel_payload(raw)
        entry["permissions"] = str(world.permissions_in(raw, world.bot_user.id))
        resolved.setdefault("channels", {})[str(raw.id)] = entry
        return str(raw.id)
    elif kind in (8, 9) and isinstance(raw, FakeRole):
        resolved.setdefault("roles", {})[str(raw.id)] = payloads.role_payload(raw)
        return str(raw.id)
    elif kind == 11 and isinstance(raw, tuple) and len(raw) == 2:
        attachment = store_file(raw[0], raw[1])
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]
    else:
        raise CommandNotAvailable(f"{where} {name}: cannot pass {raw!r} as option type {kind}")
    choices = opt.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise CommandNotAvailable(f"{where} {name}: {value!r} is not one of {[c['value'] for c in choices]}")
    _check_range(opt, value, where)
    return value


def _check_range(opt: dict[str, Any], value: Any, where: str) -> None:
    name = opt["name"]
    if isinstance(value, str):
        if len(value) > int(opt.get("max_length", 6000)) or len(value) < int(opt.get("min_length", 0)):
            raise CommandNotAvailable(f"{where} {name}: length of {value!r} outside the allowed range")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = opt.get("min_value"), opt.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise CommandNotAvailable(f"{where} {name}: {value} outside [{low}, {high}]")


# --- components and modals -------------------------------------------------------------------------


def find_button(message: FakeMessage, label: str | None, custom_id: str | None) -> dict[str, Any]:
    buttons = message.buttons()
    for button in buttons:
        if (custom_id is not None and button["custom_id"] == custom_id) or (
            custom_id is None and label is not None and button["label"] == label
        ):
            if button["disabled"]:
                raise EmulatorError(f"button {label or custom_id!r} on message {message.id} is disabled")
            if button["url"] is not None or button["custom_id"] is None:
                raise EmulatorError(f"button {label or custom_id!r} is a link; clicking it sends no interaction")
            return button
    seen = [(b["label"], b["custom_id"], "disabled" if b["disabled"] else "enabled") for b in buttons]
    raise EmulatorError(f"no button {label or custom_id!r} on message {message.id}; buttons: {seen}")


def find_select(message: FakeMessage, custom_id: str, values: list[str]) -> dict[str, Any]:
    for select in message.selects():
        if select.get("custom_id") != custom_id:
            continue
        if select.get("disabled"):
            raise EmulatorError(f"select {custom_id!r} is disabled")
        low, high = select.get("min_values", 1), select.get("max_values", 1)
        if not low <= len(values) <= high:
            raise EmulatorError(f"select {custom_id!r} takes {low}-{high} values, got {len(values)}")
        if select["type"] == 3:
            allowed = [o["value"] for o in select.get("options", [])]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise EmulatorError(f"select {custom_id!r} has no option(s) {bad}; options: {allowed}")
        return select
    names = [s.get("custom_id") for s in message.selects()]
    raise EmulatorError(f"no select {custom_id!r} on message {message.id}; selects: {names}")


def modal_submit_components(modal: dict[str, Any], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Mirror the modal's layout (action rows or labels, type 18) the way Discord sends a submit."""
    remaining = dict(answers)
    inputs = [c for c in walk_components(modal.get("components", [])) if c.get("custom_id")]
    known = {c["custom_id"] for c in inputs} | {c["label"] for c in modal.get("components", []) if c.get("label")}
    known |= {c["label"] for c in inputs if c.get("label")}
    extra = sorted(set(answers) - known)
    if extra:
        raise EmulatorError(f"modal {modal.get('custom_id')!r} has no input(s) {extra}; inputs: {sorted(known)}")

    def answer_for(comp: dict[str, Any], label: str | None) -> Any:
        for key in (comp.get("custom_id"), label, comp.get("label")):
            if key is not None and key in remaining:
                return remaining.pop(key)
        return None

    def submitted(comp: dict[str, Any], label: str | None) -> dict[str, Any] | None:
        value = answer_for(comp, label)
        where = f"modal {modal.get('custom_id')!r} input {comp.get('custom_id')!r}"
        if comp["type"] == 4:
            text = "" if value is None else str(value)
            if comp.get("required", True) and not text:
                raise EmulatorError(f"{where} is required")
            if text and not int(comp.get("min_length", 0)) <= len(text) <= int(comp.get("max_length", 4000)):
                raise EmulatorError(f"{where}: length {len(text)} outside the allowed range")
            return {"type": 4, "id": comp.get("id"), "custom_id": comp["custom_id"], "value": text}
        if comp["type"] in (3, 5, 6, 7, 8):
            chosen = [] if value is None else ([value] if isinstance(value, str) else [str(v) for v in value])
            return {"type": comp["type"], "id": comp.get("id"), "custom_id": comp["custom_id"], "values": chosen}
        return None  # text displays and other static parts send nothing back

    out: list[dict[str, Any]] = []
    for comp in modal.get("components", []):
        if comp.get("type") == 1:
            inner = [s for c in comp.get("components", []) if (s := submitted(c, None)) is not None]
            out.append({"type": 1, "id": comp.get("id"), "components": inner})
        elif comp.get("type") == 18:
            inner_comp = submitted(comp["component"], comp.get("label"))
            if inner_comp is not None:
                out.append({"type": 18, "id": comp.get("id"), "component": inner_comp})
    return out


def attachment_payload(stored: StoredFile, base_url: str, *, ephemeral: bool = False) -> dict[str, Any]:
    url = f"{base_url}/attachments/{stored.id}/{stored.filename}"
    data: dict[str, Any] = {
        "id": str(stored.id),
        "filename": stored.filename,
        "size": len(stored.data),
        "url": url,
        "proxy_url": url,
        "content_type": stored.content_type,
    }
    if ephemeral:
        data["ephemeral"] = True
    return data
