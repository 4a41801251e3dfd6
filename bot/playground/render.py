"""What the playground page is sent: messages as one member sees them, the command catalogue, typed options.

Pure functions over the emulator's plain objects (duck-typed, so this module needs neither discord nor aiohttp).
Snowflakes travel as strings: a browser's numbers lose precision past 2**53.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Discord's application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
# Discord's default locale: the names and descriptions commands are registered with.
ENGLISH_LOCALE = "en-US"
TRUE_WORDS = {"true", "yes", "on", "1", "y"}
FALSE_WORDS = {"false", "no", "off", "0", "n"}


class OptionError(ValueError):
    """An option the page sent cannot be given to the command; the message is shown to the person typing."""


def visible_to(message: Any, viewer_id: int) -> bool:
    """Deleted messages are gone for everyone; an ephemeral one exists only for the member it answered."""
    if getattr(message, "deleted", False):
        return False
    if message.flags & FLAG_EPHEMERAL:
        return message.visible_to is not None and int(message.visible_to) == int(viewer_id)
    return True


def message_view(message: Any, viewer_id: int) -> dict[str, Any]:
    """One message as the page draws it, from `viewer_id`'s point of view (their own reactions highlighted)."""
    author = message.author
    return {
        "id": str(message.id),
        "author": {
            "id": str(author.id),
            "name": getattr(author, "global_name", None) or author.name,
            "bot": bool(getattr(author, "bot", False)),
        },
        "content": message.content or "",
        "embeds": list(message.embeds),
        "components": list(message.components),
        "ephemeral": bool(message.flags & FLAG_EPHEMERAL),
        "loading": bool(message.flags & FLAG_LOADING),
        "edited": bool(getattr(message, "edit_count", 0)),
        "timestamp": getattr(message, "timestamp", None),
        "reactions": reactions_view(message.reactions, viewer_id),
        "attachments": [attachment_view(a) for a in message.attachments],
        "interaction": interaction_view(getattr(message, "interaction_metadata", None)),
    }


def reactions_view(reactions: Mapping[str, list[int]], viewer_id: int) -> list[dict[str, Any]]:
    return [
        {"emoji": emoji, "count": len(users), "me": int(viewer_id) in {int(u) for u in users}}
        for emoji, users in reactions.items()
        if users
    ]


def attachment_view(attachment: Mapping[str, Any]) -> dict[str, Any]:
    filename = str(attachment.get("filename", "file"))
    content_type = str(attachment.get("content_type") or "")
    return {
        "filename": filename,
        "url": attachment.get("url") or attachment.get("proxy_url"),
        "size": attachment.get("size"),
        "image": content_type.startswith("image/") or filename.lower().endswith(IMAGE_SUFFIXES),
    }


def interaction_view(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """'alice used /study' above a command's reply, as Discord shows it."""
    if not metadata:
        return None
    user = metadata.get("user") or {}
    return {
        "user": user.get("global_name") or user.get("username") or "someone",
        "command": metadata.get("name"),
        "type": metadata.get("type"),
    }


def channel_view(messages: Iterable[Any], viewer_id: int, limit: int = 200) -> list[dict[str, Any]]:
    shown = [m for m in messages if visible_to(m, viewer_id)]
    return [message_view(m, viewer_id) for m in shown[-limit:]]


def signature(messages: Iterable[Any]) -> tuple:
    """Changes whenever anything the page shows changes; cheap enough to compute several times a second."""
    return tuple(
        (
            m.id,
            getattr(m, "edit_count", 0),
            getattr(m, "deleted", False),
            m.flags,
            tuple((emoji, tuple(users)) for emoji, users in m.reactions.items()),
        )
        for m in messages
    )


# --- the command catalogue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandEntry:
    """One thing a member can type: `/study`, or `/decks upload` for a subcommand.

    `path` is the registered (English) name the emulator is driven with; `label` and `description` are what the
    member's Discord client shows in its language, and `locale` is that language (options are shown in it too).
    """

    path: str
    description: str
    options: tuple[dict[str, Any], ...]
    admin: bool
    label: str = ""
    locale: str = ENGLISH_LOCALE

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.path,
            "label": self.label or self.path,
            "description": self.description,
            "admin": self.admin,
            "options": [option_view(o, self.locale) for o in self.options],
        }

    def option(self, name: str) -> dict[str, Any]:
        for opt in self.options:
            if opt["name"] == name:
                return opt
        raise OptionError(f"/{self.path} has no option `{name}` (options: {', '.join(o['name'] for o in self.options) or 'none'})")


def localized(item: Mapping[str, Any], field: str, locale: str) -> str:
    """A command's, option's or choice's `field` ("name", "description") as a client in `locale` shows it: its
    localisation for that locale, else the registered text (Discord's own fallback)."""
    found = (item.get(f"{field}_localizations") or {}).get(locale)
    return str(found) if found else str(item.get(field, ""))


def option_view(option: Mapping[str, Any], locale: str = ENGLISH_LOCALE) -> dict[str, Any]:
    """An option for the page: `name` is what the emulator is sent, `label`, `description` and the choices' names are
    in the member's language."""
    keys = ("name", "description", "type", "required", "autocomplete", "choices", "min_value", "max_value", "min_length", "max_length")
    view = {k: option[k] for k in keys if k in option}
    view.setdefault("required", False)
    view.setdefault("autocomplete", False)
    if locale != ENGLISH_LOCALE:
        view["label"] = localized(option, "name", locale)
        if "description" in option:
            view["description"] = localized(option, "description", locale)
        if option.get("choices"):
            view["choices"] = [{"name": localized(c, "name", locale), "value": c["value"]} for c in option["choices"]]
    return view


def command_catalogue(commands: Iterable[Mapping[str, Any]], locale: str = ENGLISH_LOCALE) -> list[CommandEntry]:
    """Flatten registered slash commands (guild ones first, as Discord does) into typeable entries, by name, with
    their names and descriptions as a client in `locale` shows them."""
    entries: dict[str, CommandEntry] = {}
    for cmd in commands:
        if cmd.get("type", 1) != 1:
            continue
        admin = cmd.get("default_member_permissions") not in (None, "0", 0)
        for entry in _flatten(cmd["name"], localized(cmd, "name", locale), localized(cmd, "description", locale),
                              cmd.get("options") or [], admin, locale):
            entries.setdefault(entry.path, entry)
    return sorted(entries.values(), key=lambda e: e.path)


def _flatten(path: str, label: str, description: str, options: list[dict[str, Any]], admin: bool, locale: str) -> list[CommandEntry]:
    nested = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not nested:
        return [CommandEntry(path, description, tuple(options), admin, label, locale)]
    found: list[CommandEntry] = []
    for sub in nested:
        found.extend(_flatten(f"{path} {sub['name']}", f"{label} {localized(sub, 'name', locale)}",
                              localized(sub, "description", locale), sub.get("options") or [], admin, locale))
    return found


# --- typing options -----------------------------------------------------------------------------------------


def coerce_options(entry: CommandEntry, raw: Mapping[str, Any], members: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the page's text values into what the command expects, checking what Discord's client checks.

    `members` maps lower-cased names and ids to emulator members (for user options). Attachments arrive as
    (filename, bytes) tuples already. Empty values count as not given.
    """
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        option = entry.option(name)
        values[name] = coerce_value(option, value, members)
    missing = [o["name"] for o in entry.options if o.get("required") and o["name"] not in values]
    if missing:
        raise OptionError(f"/{entry.path} needs {', '.join(f'`{m}`' for m in missing)}")
    return values


def coerce_value(option: Mapping[str, Any], value: Any, members: Mapping[str, Any]) -> Any:
    kind, name = option.get("type"), option["name"]
    if kind == ATTACHMENT:
        if not (isinstance(value, tuple) and len(value) == 2):
            raise OptionError(f"`{name}` needs a file")
        return value
    text = str(value).strip()
    if kind == STRING:
        typed: Any = _choice_value(option, text)
        _check_length(option, typed)
        return typed
    if kind == INTEGER:
        typed = _number(option, text, int, "a whole number")
    elif kind == NUMBER:
        typed = _number(option, text, float, "a number")
    elif kind == BOOLEAN:
        typed = _boolean(name, text)
    elif kind in (USER, MENTIONABLE):
        typed = _member(name, text, members)
    else:
        raise OptionError(f"the playground cannot fill `{name}` (option type {kind})")
    return typed


def _choice_value(option: Mapping[str, Any], text: str) -> Any:
    choices = option.get("choices")
    if not choices:
        return text
    for choice in choices:
        names = [choice["name"], *(choice.get("name_localizations") or {}).values()]  # as any client shows it
        if text == str(choice["value"]) or text.casefold() in {str(n).casefold() for n in names}:
            return choice["value"]
    shown = ", ".join(str(c["name"]) for c in choices)
    raise OptionError(f"`{option['name']}` must be one of: {shown}")


def _number(option: Mapping[str, Any], text: str, kind: type, wording: str) -> Any:
    if option.get("choices"):
        text = str(_choice_value(option, text))
    try:
        number = kind(text)
    except ValueError:
        raise OptionError(f"`{option['name']}` must be {wording}, got {text!r}") from None
    low, high = option.get("min_value"), option.get("max_value")
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"between {low} and {high}" if low is not None and high is not None else (f"at least {low}" if low is not None else f"at most {high}")
        raise OptionError(f"`{option['name']}` must be {bounds}")
    return number


def _boolean(name: str, text: str) -> bool:
    word = text.casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise OptionError(f"`{name}` must be True or False, got {text!r}")


def _member(name: str, text: str, members: Mapping[str, Any]) -> Any:
    key = text.removeprefix("@").strip().casefold()
    if key.startswith("<@") and key.endswith(">"):
        key = key.strip("<@!>")
    found = members.get(key)
    if found is None:
        raise OptionError(f"`{name}`: no member called {text!r} (members: {', '.join(sorted(k for k in members if not k.isdigit()))})")
    return found


def _check_length(option: Mapping[str, Any], text: str) -> None:
    low, high = option.get("min_length"), option.get("max_length")
    if (low is not None and len(text) < low) or (high is not None and len(text) > high):
        raise OptionError(f"`{option['name']}` must be {low or 0}–{high or 6000} characters long")
