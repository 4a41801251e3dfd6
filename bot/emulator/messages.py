"""Turning a message body the bot sent (JSON or multipart) into a stored FakeMessage, for create and edit.

Shared by channel messages, interaction responses and webhook follow-ups, so all three treat content,
embeds, components, flags, attachments and allowed_mentions the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from .state import FLAG_COMPONENTS_V2, FLAG_EPHEMERAL, FakeMessage, StoredFile, World, iso_now
from .validation import check_message_body

FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
CREATE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
EDIT_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2
MENTION = re.compile(r"<@!?(\d+)>")
# Upload indexes are small; anything larger in `attachments` is the id of an attachment to keep.
MAX_UPLOAD_INDEX = 1_000_000


@dataclass
class Upload:
    index: int
    filename: str
    data: bytes
    content_type: str | None = None


AttachmentMaker = Callable[[StoredFile], dict[str, Any]]


def apply_body(
    world: World,
    message: FakeMessage,
    body: dict[str, Any],
    uploads: list[Upload],
    attachment: AttachmentMaker,
    *,
    creating: bool,
    allow_empty: bool = False,
) -> None:
    check_message_body(body, has_files=bool(uploads), creating=creating and not allow_empty)
    if "content" in body:
        message.content = str(body["content"] or "")
    if "embeds" in body:
        message.embeds = [_normalise_embed(e) for e in body["embeds"] or []]
    if "components" in body:
        message.components = list(body["components"] or [])
    if body.get("flags") is not None:
        allowed = CREATE_FLAGS if creating else EDIT_FLAGS
        # Ephemerality is fixed at creation: Discord ignores the bit on edits.
        message.flags = (message.flags & ~allowed) | (int(body["flags"]) & allowed)
    if "allowed_mentions" in body:
        message.allowed_mentions = body["allowed_mentions"]
    if "tts" in body:
        message.tts = bool(body["tts"])
    message.attachments = _attachments(world, message, body, uploads, attachment, creating=creating)
    mentioned = dict.fromkeys(int(uid) for uid in MENTION.findall(message.content))
    message.mentions = [world.users[uid] for uid in mentioned if uid in world.users]
    if not creating:
        message.edit_count += 1
        message.edited_timestamp = iso_now()


def _normalise_embed(embed: dict[str, Any]) -> dict[str, Any]:
    embed = dict(embed)
    embed.setdefault("type", "rich")
    return embed


def _attachments(
    world: World,
    message: FakeMessage,
    body: dict[str, Any],
    uploads: list[Upload],
    attachment: AttachmentMaker,
    *,
    creating: bool,
) -> list[dict[str, Any]]:
    by_index = {u.index: u for u in uploads}
    if "attachments" not in body or body["attachments"] is None:
        kept = [] if creating else list(message.attachments)
        return kept + [_stored(world, u, attachment) for u in uploads]
    existing = {a["id"]: a for a in message.attachments}
    out = []
    for entry in body["attachments"]:
        ref = int(entry["id"])
        if ref < MAX_UPLOAD_INDEX and ref in by_index:
            made = _stored(world, by_index[ref], attachment)
            if entry.get("description"):
                made["description"] = entry["description"]
            out.append(made)
        elif str(ref) in existing:
            out.append(existing[str(ref)])
    return out


def _stored(world: World, upload: Upload, attachment: AttachmentMaker) -> dict[str, Any]:
    return attachment(world.store_file(upload.filename, upload.data, upload.content_type))
