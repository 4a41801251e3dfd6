"""How the bot answers interactions: callbacks, `@original` and webhook follow-ups, with Discord's rules.

One acknowledgement per interaction (40060 on a second), callback types valid for the interaction type,
"thinking…" replaced by the first follow-up, ephemerality fixed at creation, 10062 once the 3 s passed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import ApiError, invalid_form, unknown
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    PING,
    PONG,
    UPDATE_MESSAGE,
    FakeInteraction,
)
from .messages import Upload
from .state import FLAG_EPHEMERAL, FLAG_LOADING, FakeMessage
from .validation import check_choices, check_modal

if TYPE_CHECKING:
    from .driver import Emulator

ALLOWED_CALLBACKS = {
    PING: {PONG},
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}


class Responder:
    """Applies the bot's interaction answers (REST calls) to the emulator's state."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def interaction(self, interaction_id: int, token: str) -> FakeInteraction:
        ix = self.emu.interactions.get(interaction_id)
        if ix is None or ix.token != token or ix.failed:
            raise unknown("interaction", 10062)
        return ix

    def webhook_interaction(self, application_id: int, token: str) -> FakeInteraction:
        ix = self.emu._by_token.get(token)
        if ix is None or application_id != self.emu.application_id:
            raise unknown("Webhook", 10015)
        return ix

    def callback(self, ix: FakeInteraction, body: dict[str, Any], uploads: list[Upload]) -> dict[str, Any]:
        if ix.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        allowed = set(ALLOWED_CALLBACKS[ix.type])
        if ix.type == MODAL_SUBMIT and ix.message is None:
            allowed -= {DEFERRED_UPDATE, UPDATE_MESSAGE}
        if kind not in allowed:
            raise invalid_form("type", f"callback type {kind} is not valid for interaction type {ix.type}")
        message: FakeMessage | None = None
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            loading = FLAG_LOADING if kind == DEFERRED_CHANNEL_MESSAGE else 0
            body_data = data if kind == CHANNEL_MESSAGE else {}
            message = self._response_message(ix, body_data, uploads, int(data.get("flags") or 0), loading)
            ix.original = message
        elif kind == UPDATE_MESSAGE:
            assert ix.message is not None
            message = self.emu._edit_message(ix.message, data, uploads)
            ix.original = ix.message
        elif kind == DEFERRED_UPDATE:
            assert ix.message is not None
            ix.original = ix.message
            # However the bot edits the message later (webhook or channel PATCH), that is this interaction's result.
            self.emu._awaiting_edit.setdefault(ix.message.id, []).append(ix)
        elif kind == AUTOCOMPLETE_RESULT:
            check_choices(data)
            ix.choices = data["choices"]
        elif kind == MODAL:
            check_modal(data)
            ix.modal = data
        ix._ack(kind)
        timer = self.emu._timers.pop(ix.id, None)
        if timer is not None:
            timer.cancel()
        if message is not None:
            ix._produced(message)
        return self._callback_response(ix, kind, message)

    def _response_message(
        self, ix: FakeInteraction, data: dict[str, Any], uploads: list[Upload], flags: int, loading: int
    ) -> FakeMessage:
        ephemeral = flags & FLAG_EPHEMERAL
        meta: dict[str, Any] = {
            "id": str(ix.id),
            "type": ix.type,
            "user": payloads.user_payload(ix.user),
            "authorizing_integration_owners": ix.payload.get("authorizing_integration_owners", {}),
        }
        if ix.type == APPLICATION_COMMAND:
            meta.update(name=ix.data.get("name"), command_type=1)
        if ix.message is not None:
            meta["interacted_message_id"] = str(ix.message.id)
        return self.emu._create_message(
            ix.channel,
            self.emu.bot_user,
            data,
            uploads,
            flags=ephemeral | loading,
            type=20 if ix.type == APPLICATION_COMMAND else 0,
            visible_to=ix.user.id if ephemeral else None,
            webhook_id=self.emu.application_id,
            application_id=self.emu.application_id,
            interaction_metadata=meta,
            check_empty=not loading,
        )

    def _callback_response(self, ix: FakeInteraction, kind: int, message: FakeMessage | None) -> dict[str, Any]:
        info: dict[str, Any] = {"id": str(ix.id), "type": ix.type}
        if ix.original is not None:
            info.update(
                response_message_id=str(ix.original.id),
                response_message_loading=ix.original.loading,
                response_message_ephemeral=ix.original.ephemeral,
            )
        response: dict[str, Any] = {"interaction": info}
        if message is not None:
            response["resource"] = {"type": kind, "message": message.payload(self.emu.bot_user.id)}
        return response

    def webhook_message(self, ix: FakeInteraction, message_ref: str) -> FakeMessage:
        if message_ref == "@original":
            if ix.original is None or ix.original.deleted:
                raise unknown("Message", 10008)
            return ix.original
        for message in [ix.original, *ix.followups]:
            if message is not None and str(message.id) == message_ref and not message.deleted:
                return message
        raise unknown("Message", 10008)

    def webhook_edit(
        self, ix: FakeInteraction, message: FakeMessage, body: dict[str, Any], uploads: list[Upload]
    ) -> FakeMessage:
        edited = self.emu._edit_message(message, body, uploads)
        ix._produced(edited)
        return edited

    def followup(self, ix: FakeInteraction, body: dict[str, Any], uploads: list[Upload]) -> FakeMessage:
        if not ix.acknowledged:
            raise unknown("Webhook", 10015)
        original = ix.original
        if original is not None and original.loading and ix.ack_type == DEFERRED_CHANNEL_MESSAGE:
            # The first follow-up after "thinking…" replaces it; ephemerality was fixed by the defer.
            message = self.emu._edit_message(original, body, uploads)
            message.edit_count = 0
            message.edited_timestamp = None
        else:
            flags = int(body.get("flags") or 0)
            message = self.emu._create_message(
                ix.channel,
                self.emu.bot_user,
                body,
                uploads,
                flags=flags & FLAG_EPHEMERAL,
                visible_to=ix.user.id if flags & FLAG_EPHEMERAL else None,
                webhook_id=self.emu.application_id,
                application_id=self.emu.application_id,
                interaction_metadata={
                    "id": str(ix.id),
                    "type": ix.type,
                    "user": payloads.user_payload(ix.user),
                    "authorizing_integration_owners": ix.payload.get("authorizing_integration_owners", {}),
                    **({"original_response_message_id": str(original.id)} if original is not None else {}),
                },
            )
        ix.followups.append(message)
        ix._produced(message)
        return message
