"""Anki: `.apkg` packages in their three forms, and Anki's plain-text note export.

Package forms (all zips): `collection.anki2` (schema 11), `collection.anki21` (schema 11, newer scheduler) and
`collection.anki21b` (schema 18, zstd-compressed; such packages also carry a placeholder `collection.anki2` whose
only note asks to update Anki, so the newest collection present always wins). A package's notes become the cards
Anki itself shows, rendered from their note type's templates (anki_template): a reversed type gives both cards, a
cloze type one card per deletion in any field its template uses. Notes without templates (Anki's text export, or a
collection whose note types lack them) fall back to the first field on the front and the next non-empty one on the
back (a `#columns:` line naming front and back places them), or, for cloze notes, to Anki's stock Cloze type.
HTML becomes Discord markdown; media is left out and counted, in every field a card shows.

Notes of the note types Recall's own export writes (Recall Basic, Cloze, Quiz and Explain, with their fields) come
back as the items they were: the id from the `Id` field, the level from a `recall::<level>` tag, a quiz question
or explain prompt from its fields rather than as a card.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from html import escape, unescape

import zstandard

from bot.core.decks import LEVELS, MAX_CARD_TEXT, MAX_ID_LENGTH, ExplainPrompt
from bot.core.importers.anki_template import STOCK_CLOZE, NoteType, Template, cloze_numbers, render_note
from bot.core.importers.common import (
    Converted,
    DeckBuilder,
    ImportFailed,
    ImportLimits,
    ImportResult,
    Progress,
    html_to_markdown,
    human_size,
    plain_text,
    validate,
)
from bot.core.importers.csv_import import find_column

COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")  # newest first
PLACEHOLDER_TEXT = "please update to the latest anki version"
_READ_CHUNK = 1 << 20


@dataclass
class Note:
    key: str  # what identifies the note across exports (Anki's guid when known)
    fields: list[str]
    tags: list[str] = field(default_factory=list)
    deck: str = ""
    cloze: bool = False
    notetype: NoteType | None = None  # with templates: the cards are rendered from them
    card_ords: tuple[int, ...] = ()  # which of the type's templates have a card in the collection


# --- Reading the package ------------------------------------------------------------------------------------------


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ImportFailed("This .apkg is not a readable zip file; it may be damaged or cut short. "
                           "Export it from Anki again.") from None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with zf.open(info) as member:
            data = member.read(limit + 1)  # zipfile stops at the declared size; the +1 guards a lying header
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise ImportFailed(f"`{info.filename}` inside the package cannot be unpacked ({exc}); "
                           "the file is damaged.") from None
    if len(data) > limit:
        raise _too_big(limit)
    return data


def _too_big(limit: int) -> ImportFailed:
    return ImportFailed(f"The package would unpack to more than {human_size(limit)}, "
                        "the limit for an import; it was not unpacked.")


def _unzstd(data: bytes, limit: int) -> bytes:
    # A zstd frame written by Anki carries no content size, so it is streamed, never trusted to say how big it is.
    out = bytearray()
    try:
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)) as reader:
            while chunk := reader.read(_READ_CHUNK):
                out += chunk
                if len(out) > limit:
                    raise _too_big(limit)
    except zstandard.ZstdError as exc:
        raise ImportFailed(f"The package's compressed collection is damaged ({exc}).") from None
    return bytes(out)


def read_collection(data: bytes, limits: ImportLimits) -> tuple[str, bytes, int]:
    """(collection name, SQLite bytes, media files in the package), after checking what unpacking would cost."""
    zf = _open_zip(data)
    with zf:
        infos = {info.filename: info for info in zf.infolist()}
        name = next((n for n in COLLECTIONS if n in infos), None)
        if name is None:
            raise ImportFailed("This zip holds no Anki collection (collection.anki2, .anki21 or .anki21b); "
                               "is it an .apkg exported from Anki?")
        # Declared sizes are checked before anything is unpacked: a small zip can claim gigabytes.
        extracted = infos[name].file_size + (infos["media"].file_size if "media" in infos else 0)
        if extracted > limits.max_unpacked_bytes:
            raise _too_big(limits.max_unpacked_bytes)
        raw = _read_member(zf, infos[name], limits.max_unpacked_bytes)
        media = sum(1 for n in infos if n.isdigit())
    if name.endswith("b"):
        raw = _unzstd(raw, limits.max_unpacked_bytes)
    return name, raw, media


def _unicase(a: str, b: str) -> int:
    a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


def _connect(raw: bytes) -> sqlite3.Connection:
    if not raw.startswith(b"SQLite format 3\x00"):
        raise ImportFailed("The collection inside the package is not an SQLite database; the file is damaged.")
    raw = bytearray(raw)
    # A WAL-mode header (read/write versions 2) cannot be opened from memory; the content is the same in mode 1.
    if raw[18:20] == b"\x02\x02":
        raw[18:20] = b"\x01\x01"
    conn = sqlite3.connect(":memory:")
    conn.create_collation("unicase", _unicase)  # Anki's tables declare it; some queries need it registered
    try:
        conn.deserialize(bytes(raw))
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ImportFailed(f"The collection database is damaged ({exc}).") from None
    return conn


def _deck_name(name: str) -> str:
    return " / ".join(part for part in re.split(r"\x1f|::", name) if part)


def _notes_schema11(conn: sqlite3.Connection) -> list[Note]:
    models_json, decks_json = conn.execute("SELECT models, decks FROM col").fetchone()
    models = json.loads(models_json or "{}")
    decks = {int(k): _deck_name(v.get("name", "")) for k, v in json.loads(decks_json or "{}").items()}
    types = {}
    for mid, model in models.items():
        fields = sorted(model.get("flds") or [], key=lambda f: f.get("ord", 0))
        templates = sorted(model.get("tmpls") or [], key=lambda t: t.get("ord", 0))
        types[mid] = NoteType(name=str(model.get("name", "")), fields=tuple(str(f.get("name", "")) for f in fields),
                              templates=tuple(Template(str(t.get("name", "")), int(t.get("ord", i)),
                                                       str(t.get("qfmt") or ""), str(t.get("afmt") or ""))
                                              for i, t in enumerate(templates)),
                              cloze=model.get("type") == 1)
    return _read_notes(conn, decks, {int(mid): nt for mid, nt in types.items()})


def _notes_schema18(conn: sqlite3.Connection) -> list[Note]:
    decks = {did: _deck_name(name) for did, name in conn.execute("SELECT id, name FROM decks")}
    fields: dict[int, list[str]] = {}
    for ntid, _, name in conn.execute("SELECT ntid, ord, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(ntid, []).append(name)
    templates: dict[int, list[Template]] = {}
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "templates" in tables:
        for ntid, ord_, name, config in conn.execute("SELECT ntid, ord, name, config FROM templates "
                                                     "ORDER BY ntid, ord"):
            strings = _protobuf_strings(config)
            templates.setdefault(ntid, []).append(Template(name, ord_, strings.get(1, ""), strings.get(2, "")))
    types = {}
    for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
        kind = _protobuf_varints(config).get(1)
        # Notetype.Config.kind (1 = cloze); a type without a config (never written by Anki) goes by its name.
        cloze = kind == 1 if config else "cloze" in name.casefold()
        types[ntid] = NoteType(name=name, fields=tuple(fields.get(ntid, ())),
                               templates=tuple(templates.get(ntid, ())), cloze=cloze)
    return _read_notes(conn, decks, types)


def _read_notes(conn: sqlite3.Connection, decks: dict[int, str], types: dict[int, NoteType]) -> list[Note]:
    note_deck = _note_decks(conn, decks)
    ords: dict[int, set[int]] = {}
    for nid, ord_ in conn.execute("SELECT nid, ord FROM cards"):
        ords.setdefault(nid, set()).add(ord_)
    notes = []
    for nid, guid, mid, tags, flds in conn.execute("SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"):
        notetype = types.get(mid)
        notes.append(Note(key=f"anki:{guid}", fields=flds.split("\x1f"), tags=tags.split(),
                          deck=note_deck.get(nid, ""), cloze=notetype is not None and notetype.cloze,
                          notetype=notetype if notetype is not None and notetype.templates else None,
                          card_ords=tuple(sorted(ords.get(nid, ())))))
    return notes


def _protobuf_fields(blob: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message's top level: varints as ints, length-delimited as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            if pos >= len(blob) or shift > 63:
                raise ValueError("truncated varint")
            byte = blob[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while pos < len(blob):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            out.append((number, varint()))
        elif wire == 2:
            size = varint()
            if pos + size > len(blob):
                raise ValueError("truncated field")
            out.append((number, blob[pos:pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"wire type {wire}")
    return out


def _protobuf_strings(blob: bytes | None) -> dict[int, str]:
    try:
        return {n: v.decode("utf-8", "replace") for n, v in _protobuf_fields(bytes(blob or b""))
                if isinstance(v, bytes)}
    except ValueError:
        raise ImportFailed("A card template's settings cannot be read; the collection is damaged.") from None


def _protobuf_varints(blob: bytes | None) -> dict[int, int]:
    try:
        return {n: v for n, v in _protobuf_fields(bytes(blob or b"")) if isinstance(v, int)}
    except ValueError:
        raise ImportFailed("A note type's settings cannot be read; the collection is damaged.") from None


def _note_decks(conn: sqlite3.Connection, decks: dict[int, str]) -> dict[int, str]:
    return {nid: decks.get(did, "") for nid, did in conn.execute("SELECT nid, MIN(did) FROM cards GROUP BY nid")}


def read_apkg_notes(data: bytes, limits: ImportLimits) -> tuple[list[Note], int]:
    """The notes of a package and how many media files it carries."""
    name, raw, media = read_collection(data, limits)
    conn = _connect(raw)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "notes" not in tables:
            raise ImportFailed("The collection has no notes table; this is not an Anki collection.")
        notes = _notes_schema18(conn) if "notetypes" in tables else _notes_schema11(conn)
    except sqlite3.DatabaseError as exc:
        raise ImportFailed(f"The collection database is damaged or not Anki's ({exc}).") from None
    except (json.JSONDecodeError, TypeError, AttributeError):
        raise ImportFailed("The collection's note types or decks cannot be read; the file is damaged.") from None
    finally:
        conn.close()
    if name == "collection.anki2" and len(notes) == 1 and PLACEHOLDER_TEXT in notes[0].fields[0].casefold():
        raise ImportFailed("This package holds only Anki's 'please update' placeholder, not the real collection.")
    return notes, media


# --- Notes → cards ------------------------------------------------------------------------------------------------


def _convert(text: str, html: bool) -> Converted:
    return html_to_markdown(text) if html else plain_text(text)


def _add_note(builder: DeckBuilder, note: Note, html: bool) -> int:
    """Add the note's cards; returns how many media references were dropped from it."""
    if note.notetype is not None:
        return _add_rendered(builder, note, html)
    first = note.fields[0] if note.fields else ""
    if note.cloze or cloze_numbers(first):
        return _add_rendered(builder, _as_stock_cloze(note, html), True)
    front, back = _convert(first, html), _convert(_back_field(note.fields), html)
    what = _label(front.text) if front.text else f"note with back: {_label(back.text)}"
    if not front.text and front.media:
        builder.skip(what, "the front is only an image or sound (media is not imported)")
    elif not back.text and back.media:
        builder.skip(what, "the back is only an image or sound (media is not imported)")
    elif builder.add_card(what, note.key, front.text, back.text):
        builder.imported += 1
    return front.media + back.media


def _add_rendered(builder: DeckBuilder, note: Note, html: bool, *, item_id: str = "", level: str = LEVELS[0]) -> int:
    """The note's cards rendered from its note type's templates; returns the media references left out of the
    fields those cards show. With `item_id` (a Recall note's Id) the first card gets that id, the others
    `<item_id>-<card key>`, so a re-imported export keeps its items' ids."""
    assert note.notetype is not None
    rendered = render_note(note.notetype, note.fields, tags=note.tags, deck=note.deck, card_ords=note.card_ords,
                           max_text=MAX_CARD_TEXT)
    first = next((f for f in note.fields if f.strip()), "")
    note_label = _label(_convert(first, html).text) if first else "(empty note)"
    added = False
    for card in rendered.cards:
        front, back = _convert(card.front, html), _convert(card.back, html)
        what = _label(front.text) if front.text else f"note with back: {_label(back.text)}"
        if card.key:
            what = f"{what} ({card.key})"
        if not front.text and front.media:
            builder.skip(what, "the front is only an image or sound (media is not imported)")
        elif not back.text and back.media:
            builder.skip(what, "the back is only an image or sound (media is not imported)")
        elif builder.add_card(what, f"{note.key}:{card.key}" if card.key else note.key, front.text, back.text,
                              level=level):
            added = True
            if item_id:
                wanted = item_id if card.key in ("", "c1") else f"{item_id}-{card.key}"
                if len(wanted) <= MAX_ID_LENGTH:
                    builder.cards[-1] = replace(builder.cards[-1], id=builder.unique_id(wanted))
    for which, why in rendered.problems:
        builder.skip(f"{note_label} ({which})", why)
    builder.imported += int(added)
    return sum(_convert(note.fields[i], html).media for i, name in enumerate(note.notetype.fields)
               if i < len(note.fields) and name in rendered.used_fields and _has_media(note.fields[i]))


# --- Recall's own note types ---------------------------------------------------------------------------------------

_ITEM_ID = re.compile(rf"[a-z0-9_-]{{1,{MAX_ID_LENGTH}}}")
_IMAGE = re.compile(r'(?:<br>)?<img src="([^"<>]+)">\s*$')


def recall_fields(note: Note) -> dict[str, str] | None:
    """Field name → raw value when the note is of a note type Recall's export writes, with every field that type
    has and a usable Id; else None (the note is rendered from its templates like any other)."""
    # Lazy: exporting imports this package (and genanki, which other imports do not need).
    from bot.core.exporting import MODEL_FIELDS

    if note.notetype is None or note.notetype.name not in MODEL_FIELDS:
        return None
    if not set(MODEL_FIELDS[note.notetype.name]) <= set(note.notetype.fields):
        return None  # an older export (no Id) or an edited type: shown as Anki shows it
    values = dict(zip(note.notetype.fields, note.fields))
    if _ITEM_ID.fullmatch(plain_text(values.get("Id", "")).text.strip()) is None:
        return None
    return values


def recall_level(tags: list[str]) -> str:
    """The level a `recall::<level>` tag gives, else the default level."""
    from bot.core.exporting import LEVEL_TAG

    for tag in tags:
        level = tag.casefold().removeprefix(LEVEL_TAG)
        if tag.casefold().startswith(LEVEL_TAG) and level in LEVELS:
            return level
    return LEVELS[0]


def _add_recall(builder: DeckBuilder, explain: list[ExplainPrompt], note: Note, values: dict[str, str]) -> int:
    """Add the item a Recall note holds, with its own id and level; returns the media references dropped."""
    from bot.core.exporting import (
        CLOZE_MODEL,
        EXPLAIN_MODEL,
        QUIZ_MODEL,
        parse_choices,
        parse_concepts,
    )

    assert note.notetype is not None
    item_id, level = plain_text(values["Id"]).text.strip(), recall_level(note.tags)
    kind = note.notetype.name
    if kind == CLOZE_MODEL:
        return _add_rendered(builder, note, True, item_id=item_id, level=level)
    image = None
    if kind not in (QUIZ_MODEL, EXPLAIN_MODEL) and (match := _IMAGE.search(values["Front"])) is not None:
        image, values = unescape(match.group(1)), {**values, "Front": values["Front"][:match.start()]}
    text = {name: html_to_markdown(value) for name, value in values.items() if name != "Id"}
    dropped = sum(t.media for t in text.values())
    first = next((t.text for t in text.values() if t.text.strip()), "")
    what = f"{_label(first)} ({item_id})"
    if kind == QUIZ_MODEL:
        choices, answer = parse_choices(text["Choices"].text), text["Answer"].text.strip()
        if answer not in choices:  # edited in Anki; the deck would not load with it
            builder.skip(what, "the answer is not one of the choices")
        elif builder.add_question(what, note.key, text["Question"].text, choices, answer,
                                  explanation=text["Explanation"].text.strip(), level=level):
            builder.quiz[-1] = replace(builder.quiz[-1], id=builder.unique_id(item_id))
            builder.imported += 1
    elif kind == EXPLAIN_MODEL:
        prompt = text["Prompt"].text.strip()
        if not prompt:
            builder.skip(what, "the prompt is empty")
        else:
            explain.append(ExplainPrompt(builder.unique_id(item_id), prompt, parse_concepts(text["Concepts"].text),
                                         text["Hint"].text.strip(), text["Answer"].text.strip(), level))
            builder.imported += 1
    elif builder.add_card(what, note.key, text["Front"].text, text["Back"].text, level=level, image=image):
        builder.cards[-1] = replace(builder.cards[-1], id=builder.unique_id(item_id))
        builder.imported += 1
    return dropped


def _has_media(text: str) -> bool:
    return "[sound:" in text or "<img" in text.casefold()


def _back_field(fields: list[str]) -> str:
    # Note types with extra fields (hints, sources) keep their answer second; an empty second field falls through.
    return next((f for f in fields[1:] if f.strip()), "")


def _as_stock_cloze(note: Note, html: bool) -> Note:
    """A cloze note without its note type's templates as a note of Anki's stock Cloze type (the text first, then the
    extra), so it is rendered like any other. Rendering writes HTML (the revealed deletion in <b>), so fields
    exported without HTML become the HTML that shows them: markup characters escaped, line breaks as <br>."""
    fields = note.fields if html else ["<br>".join(escape(unescape(f), quote=False).splitlines()) for f in note.fields]
    return replace(note, fields=fields, cloze=True, notetype=STOCK_CLOZE)


def _label(text: str) -> str:
    return " ".join(text.split())[:60] or "(empty note)"


def _notes_to_deck(notes: list[Note], *, deck_id: str, title: str, fmt: str, html: bool, limits: ImportLimits,
                   progress: Progress | None, media_files: int = 0,
                   skipped: list[tuple[str, str]] | None = None) -> ImportResult:
    builder = DeckBuilder(deck_id, limits=limits, fmt=fmt)
    builder.skipped.extend(skipped or [])
    explain: list[ExplainPrompt] = []  # (the builder knows cards and quiz questions; only Recall notes hold these)
    dropped = 0
    for done, note in enumerate(notes, 1):
        values = recall_fields(note) if html else None
        if values is not None and builder.item_count + len(explain) >= limits.max_items:
            raise ImportFailed(f"The file has more than {limits.max_items} items, the limit for one deck; "
                               "split it into smaller decks.")
        dropped += _add_note(builder, note, html) if values is None else _add_recall(builder, explain, note, values)
        if progress is not None and done % 200 == 0:
            progress(done, len(notes))
    if progress is not None:
        progress(len(notes), len(notes))
    if media_files or dropped:
        parts = []
        if media_files:
            parts.append(f"{media_files} media {'file' if media_files == 1 else 'files'} in the package")
        if dropped:
            parts.append(f"{dropped} image/sound {'reference' if dropped == 1 else 'references'} in notes")
        builder.skip("media", f"{' and '.join(parts)} left out (Recall imports text only)")
    deck_names = Counter(n.deck for n in notes if n.deck)
    named = [name for name, _ in deck_names.most_common() if name != "Default"] or list(deck_names)
    tag_counts = Counter(t.casefold() for n in notes for t in n.tags if len(t) <= 40)
    tags = ["anki", *(t for t, _ in tag_counts.most_common(4))]
    result = builder.build(title=title or (named[0] if named else ""), tags=tags)
    if not explain:
        return result
    return replace(result, deck=validate(replace(result.deck, explain=tuple(explain)), source=deck_id))


def import_apkg(data: bytes, *, deck_id: str, title: str = "", limits: ImportLimits = ImportLimits(),
                progress: Progress | None = None) -> ImportResult:
    notes, media = read_apkg_notes(data, limits)
    if not notes:
        raise ImportFailed("The Anki package holds no notes.")
    return _notes_to_deck(notes, deck_id=deck_id, title=title, fmt="anki", html=True, limits=limits,
                          progress=progress, media_files=media)


# --- Plain-text export ---------------------------------------------------------------------------------------------

SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
_HEADER = re.compile(r"#([a-z ]+):(.*)")
# "<tag" needs a ">" somewhere after it; looks_html searches only up to the last ">" so that an unclosed "<a" does
# not scan to the end of the text from every start (quadratic before). Possessive: nothing to backtrack into.
_LOOKS_HTML = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*+(?!\w)|/[a-zA-Z][a-zA-Z0-9]*+\s*+>)")
_META_COLUMNS = ("guid", "notetype", "deck", "tags")


def looks_html(text: str) -> bool:
    """Whether the text holds an opening or closing tag (`<b …>`, `</b>`), as the pattern
    `<(?:[a-zA-Z][a-zA-Z0-9]*\\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\\s*)>` finds one, in one pass."""
    return _LOOKS_HTML.search(text, 0, text.rfind(">") + 1) is not None


def parse_text_headers(text: str) -> tuple[dict[str, str], str]:
    """Anki's `#key:value` header lines (keys lowercased) and the rest of the file."""
    headers: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    used = 0
    for line in lines:
        match = _HEADER.fullmatch(line.rstrip("\r\n"))
        if match is None:
            break
        headers[match.group(1).strip().casefold()] = match.group(2).strip()
        used += 1
    return headers, "".join(lines[used:])


def _separator(headers: dict[str, str], body: str) -> str:
    given = headers.get("separator")
    if given:
        sep = SEPARATORS.get(given.casefold(), given)
        if len(sep) != 1:
            raise ImportFailed(f"`#separator:{given}` is not a separator Anki writes (tab, comma, semicolon, space, "
                               "pipe, colon or one character).")
        return sep
    first = next((line for line in body.splitlines() if line.strip()), "")
    return next((c for c in ("\t", ";", ",") if c in first), "\t")


def _column(headers: dict[str, str], name: str) -> int | None:
    raw = headers.get(f"{name} column")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ImportFailed(f"`#{name} column:{raw}` must be a column number starting at 1.")
    return int(raw) - 1


def import_anki_text(text: str, *, deck_id: str, title: str = "", limits: ImportLimits = ImportLimits(),
                     progress: Progress | None = None) -> ImportResult:
    headers, body = parse_text_headers(text)
    if not body.strip():
        raise ImportFailed("The file has no notes after its `#` header lines." if headers else "The file is empty.")
    sep = _separator(headers, body)
    html_flag = headers.get("html", "").casefold()
    html = html_flag == "true" or (html_flag != "false" and looks_html(body))
    meta = {name: _column(headers, name) for name in _META_COLUMNS}
    meta_indexes = {i for i in meta.values() if i is not None}
    lead = _named_columns(headers, sep, meta_indexes)
    shared_tags = headers.get("tags", "").split()
    cloze_type = "cloze" in headers.get("notetype", "").casefold()
    notes: list[Note] = []
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=sep, quotechar='"', strict=False)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportFailed(f"The notes cannot be read as {_sep_name(sep)}-separated text ({exc}).") from None
    row_skips: list[tuple[str, str]] = []
    for number, row in enumerate(rows, 1):
        if not any(cell.strip() for cell in row):
            continue
        fields = [_cell(row, i) for i in lead] + [cell for i, cell in enumerate(row)
                                                  if i not in meta_indexes and i not in lead]
        width = sum(i not in meta_indexes for i in range(len(row)))
        if width < 2 and not cloze_numbers(fields[0] if fields else ""):
            row_skips.append((f"row {number}", f"it has one field; a card needs a front and a back "
                                                   f"(is the separator {_sep_name(sep)}?)"))
            continue
        guid = _cell(row, meta["guid"])
        notes.append(Note(key=f"anki:{guid}" if guid else fields[0], fields=fields,
                          tags=shared_tags + _cell(row, meta["tags"]).split(),
                          deck=_cell(row, meta["deck"]) or headers.get("deck", ""),
                          cloze=cloze_type or "cloze" in _cell(row, meta["notetype"]).casefold()))
    if not notes:
        problems = [f"{what}: {why}" for what, why in row_skips] or ["no rows"]
        raise ImportFailed("No row of the file could become a card.", problems)
    return _notes_to_deck(notes, deck_id=deck_id, title=title or _deck_name(headers.get("deck", "")),
                          fmt="anki-text", html=html, limits=limits, progress=progress, skipped=row_skips)


def _named_columns(headers: dict[str, str], sep: str, meta: set[int]) -> list[int]:
    """The front's column, then the back's, where the names of a `#columns:` line put them (`Back<tab>Front`: the
    front is column 2); the other columns follow in file order. Empty unless the line names both: file order."""
    labels = headers.get("columns", "").split(sep)
    front = find_column(labels, "front", meta)
    back = find_column(labels, "back", meta | {front}) if front is not None else None
    return [] if front is None or back is None else [front, back]


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _sep_name(sep: str) -> str:
    return next((name for name, char in SEPARATORS.items() if char == sep), repr(sep))
