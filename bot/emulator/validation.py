"""Discord's documented limits on what the bot sends; a violation is a 400 like Discord's, not a silent pass.

Only limits a bot can plausibly hit are checked (content, embeds, components, modals, choices, commands).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, invalid_form
from .state import FLAG_COMPONENTS_V2, walk_components

EMBED_LIMITS = {"title": 256, "description": 4096}
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def check_message_body(body: dict[str, Any], *, has_files: bool, creating: bool) -> None:
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        raise invalid_form("content", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise invalid_form("embeds", "Must be 10 or fewer in length.")
    _check_embeds(embeds)
    components = body.get("components") or []
    v2 = bool((body.get("flags") or 0) & FLAG_COMPONENTS_V2)
    if v2 and (content or embeds):
        raise invalid_form("content", "Cannot send content or embeds with the IS_COMPONENTS_V2 flag.")
    _check_components(components, v2=v2)
    if creating and not (content or embeds or components or has_files or body.get("sticker_ids") or body.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")


def _check_embeds(embeds: list[dict[str, Any]]) -> None:
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            text = str(embed.get(key) or "")
            if len(text) > limit:
                raise invalid_form(f"embeds.{i}.{key}", f"Must be {limit} or fewer in length.")
            total += len(text)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise invalid_form(f"embeds.{i}.fields", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
            if not name or not value:
                raise invalid_form(f"embeds.{i}.fields.{j}", "This field is required")
            if len(name) > 256 or len(value) > 1024:
                raise invalid_form(f"embeds.{i}.fields.{j}", "Field name ≤ 256 and value ≤ 1024 characters.")
            total += len(name) + len(value)
        footer = str((embed.get("footer") or {}).get("text") or "")
        author = str((embed.get("author") or {}).get("name") or "")
        if len(footer) > 2048 or len(author) > 256:
            raise invalid_form(f"embeds.{i}", "Footer ≤ 2048 and author name ≤ 256 characters.")
        total += len(footer) + len(author)
    if total > 6000:
        raise invalid_form("embeds", "Embed size exceeds maximum size of 6000")


def _check_components(components: list[dict[str, Any]], *, v2: bool) -> None:
    if not v2:
        if len(components) > 5:
            raise invalid_form("components", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if row.get("type") != 1:
                problem = "Top-level components must be action rows without IS_COMPONENTS_V2."
                raise invalid_form(f"components.{i}", problem)
    for i, row in enumerate(c for c in walk_components(components) if c.get("type") == 1):
        children = row.get("components") or []
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if not children or len(children) > 5 or (selects and len(children) > 1):
            raise invalid_form(f"components.{i}", "An action row holds 1-5 buttons or exactly one select menu.")
    seen: set[str] = set()
    for comp in walk_components(components):
        _check_component(comp)
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            if custom_id in seen:
                raise invalid_form("components", f"Component custom id cannot be duplicated: {custom_id!r}")
            seen.add(custom_id)


def _check_component(comp: dict[str, Any]) -> None:
    custom_id = comp.get("custom_id")
    if custom_id is not None and not 1 <= len(custom_id) <= 100:
        raise invalid_form("components.custom_id", "Must be between 1 and 100 in length.")
    if comp.get("type") == 2:
        if len(comp.get("label") or "") > 80:
            raise invalid_form("components.label", "Must be 80 or fewer in length.")
        is_link = comp.get("style") == 5
        if is_link != ("url" in comp) or (not is_link and custom_id is None and comp.get("style") != 6):
            raise invalid_form("components", "A link button needs a url; other buttons need a custom_id.")
        if not comp.get("label") and not comp.get("emoji"):
            raise invalid_form("components.label", "A button needs a label or an emoji.")
    if comp.get("type") == 3:
        options = comp.get("options") or []
        if not 1 <= len(options) <= 25:
            raise invalid_form("components.options", "A select menu has 1 to 25 options.")
        values = [o.get("value") for o in options]
        if len(set(values)) != len(values):
            raise invalid_form("components.options", "Select option values must be unique.")


def check_modal(data: dict[str, Any]) -> None:
    if not data.get("custom_id") or len(data["custom_id"]) > 100:
        raise invalid_form("data.custom_id", "Must be between 1 and 100 in length.")
    if not data.get("title") or len(data["title"]) > 45:
        raise invalid_form("data.title", "Must be between 1 and 45 in length.")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise invalid_form("data.components", "A modal has 1 to 5 components.")
    for comp in walk_components(components):
        if comp.get("type") == 4:
            if int(comp.get("max_length") or 4000) > 4000:
                raise invalid_form("data.components.max_length", "Must be 4000 or less.")
            if comp.get("label") is not None and len(comp["label"]) > 45:
                raise invalid_form("data.components.label", "Must be 45 or fewer in length.")


def check_choices(data: dict[str, Any]) -> None:
    choices = data.get("choices")
    if choices is None or len(choices) > 25:
        raise invalid_form("data.choices", "Must be 25 or fewer in length.")
    for choice in choices:
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            raise invalid_form("data.choices.name", "Must be between 1 and 100 in length.")


# Discord's locales (the keys a localisation map may have).
LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl", "pt-BR",
    "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
})


def _check_localizations(item: dict[str, Any], where: str) -> None:
    """A name's translations follow the name rules, a description's are 1-100 characters, keys are Discord locales."""
    for field, is_name in (("name_localizations", True), ("description_localizations", False)):
        for locale, text in (item.get(field) or {}).items():
            if locale not in LOCALES:
                raise invalid_form(field, f"{where}: {locale!r} is not a valid locale")
            if is_name and (not COMMAND_NAME.match(text) or text != text.lower()):
                raise invalid_form(field, f"{where}: invalid {locale} name {text!r}")
            if not is_name and not 1 <= len(text) <= 100:
                raise invalid_form(field, f"{where}: {locale} description must be 1-100 characters")


def check_command(cmd: dict[str, Any]) -> None:
    name = cmd.get("name") or ""
    ctype = cmd.get("type", 1)
    if ctype == 1 and (not COMMAND_NAME.match(name) or name != name.lower()):
        raise invalid_form("name", f"Invalid slash command name {name!r}")
    if ctype == 1 and not 1 <= len(cmd.get("description") or "") <= 100:
        raise invalid_form("description", f"/{name}: description must be 1-100 characters")
    _check_localizations(cmd, f"/{name}")
    _check_options(cmd.get("options") or [], f"/{name}")


def _check_options(options: list[dict[str, Any]], where: str) -> None:
    if len(options) > 25:
        raise invalid_form("options", f"{where}: at most 25 options")
    seen_optional = False
    for opt in options:
        name = opt.get("name") or ""
        if not COMMAND_NAME.match(name) or name != name.lower():
            raise invalid_form("options.name", f"{where}: invalid option name {name!r}")
        if not 1 <= len(opt.get("description") or "") <= 100:
            raise invalid_form("options.description", f"{where} {name}: description must be 1-100 characters")
        _check_localizations(opt, f"{where} {name}")
        if opt.get("required"):
            if seen_optional:
                raise invalid_form("options", f"{where}: required options must come before optional ones")
        elif opt.get("type") not in (1, 2):
            seen_optional = True
        if len(opt.get("choices") or []) > 25:
            raise invalid_form("options.choices", f"{where} {name}: at most 25 choices")
        if opt.get("choices") and opt.get("autocomplete"):
            raise invalid_form("options.autocomplete", f"{where} {name}: autocomplete cannot be used with choices")
        _check_options(opt.get("options") or [], f"{where} {name}")
