"""Imports: the worst known upload files sent through /decks upload while the paced study load runs in another server.

Each upload is read in a worker process with a CPU-time and memory limit (bot.import_worker), so the study
members' latency should not move while they run. The phase reports the study server's paced p50/p99 during the
uploads, and each upload's outcome (added, refused and why) and how long its reply took.

The files are generated here (`hostile_files`), each within the upload size limit:
- html: Anki text whose fields are long runs of unclosed tags (the HTML → markdown pass);
- cloze: fields of nested `{{c1::` openings;
- sound: fields of repeated `[sound:` references;
- zip-entries: an .apkg holding a tiny collection among thousands of zip entries;
- unpack-64mb: an .apkg whose collection deflates from ~63 MB (the unpack limit) to a few hundred KB: memory;
- big.csv: a legitimate CSV of 5,000 rows, to show an honest large file still imports;
- red-2500.yaml: a legitimate Red trivia list of 2,500 questions (5,000 items, the limit), whose wrong choices are
  picked among the other answers by fuzzy comparison: a heavy honest file (about 1.3 s of CPU here).
"""
from __future__ import annotations

import asyncio
import io
import math
import sqlite3
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Sizes, TimedEmulator, answered_at, collector_paused, percentile, write_study_decks
from bench.procs import BotProcess, BotSpec, bot_env
from bench.study import run_phase

UPLOAD_TIMEOUT = 120.0  # seconds to wait for an upload's reply before calling it unanswered


def _anki_text(rows: list[tuple[str, str]]) -> bytes:
    body = "".join(f"{front}\t{back}\n" for front, back in rows)
    return ("#separator:tab\n#html:true\n" + body).encode()


def html_file(budget: int) -> bytes:
    field = "<a " * 20_000  # 60 KB of tags that never close
    return _anki_text([(field, "back")] * max(1, budget // (len(field) + 6)))


def cloze_file(budget: int) -> bytes:
    field = "{{c1::" * 10_000 + "x" + "}}" * 10_000
    return _anki_text([(field, "back")] * max(1, budget // (len(field) + 6)))


def sound_file(budget: int) -> bytes:
    field = "[sound:" * 10_000
    return _anki_text([(field, "back")] * max(1, budget // (len(field) + 6)))


def sqlite_bytes(pad: int = 0) -> bytes:
    """An SQLite database: an Anki-looking `col` table, padded with a zero blob of `pad` bytes."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE col (id integer primary key, models text, decks text)")
    conn.execute("CREATE TABLE pad (data blob)")
    if pad:
        conn.execute("INSERT INTO pad VALUES (zeroblob(?))", (pad,))
    conn.commit()
    data = conn.serialize()
    conn.close()
    return data


def zip_entries_file(budget: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("collection.anki2", sqlite_bytes())
        for n in range(budget // 100):  # ~100 bytes of headers and name per entry
            zf.writestr(str(n), b"")
    return buffer.getvalue()


def unpack_file(unpacked: int = 63 * 1024 * 1024) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("collection.anki2", sqlite_bytes(pad=unpacked))
    return buffer.getvalue()


def big_csv(budget: int) -> bytes:
    rows = min(5000, budget // 80)  # 5,000 items is the deck limit; each row is under 80 bytes
    lines = ["front,back"] + [f"What does benchmark row {n} ask?,Row {n} answers with an ordinary sentence."
                              for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def red_list(budget: int) -> bytes:
    questions = min(2500, budget // 95)  # 5,000 items (a card and a question each); under 95 bytes each
    return "".join(f"What is the answer to question number {n}?:\n- Answer number {n} is the phrase {n * 7919}\n"
                   for n in range(questions)).encode()


def hostile_files(budget: int) -> dict[str, bytes]:
    """The worst known files (by name), each at most `budget` bytes."""
    files = {"html.txt": html_file(budget), "cloze.txt": cloze_file(budget), "sound.txt": sound_file(budget),
             "zip-entries.apkg": zip_entries_file(budget), "unpack-64mb.apkg": unpack_file(),
             "big.csv": big_csv(budget), "red-2500.yaml": red_list(budget)}
    return {name: data for name, data in files.items() if len(data) <= budget}


@dataclass
class Upload:
    server: int
    name: str
    size: int
    seconds: float | None = None
    outcome: str = "unanswered"

    def as_dict(self) -> dict[str, Any]:
        return {"server": self.server, "file": self.name, "bytes": self.size,
                "seconds": None if self.seconds is None else round(self.seconds, 2), "outcome": self.outcome}


def _outcome(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    if first.startswith("✅"):
        return "added"
    for key, label in (("took too long", "refused: too long"), ("of memory", "refused: memory"),
                       ("Another upload", "refused: one at a time"), ("many uploads", "refused: busy")):
        if key in text:
            return label
    return "refused: " + first.split("was not added: ", 1)[-1][:32]


async def _upload(emu: Any, member: Any, channel: Any, upload: Upload, data: bytes) -> None:
    started = time.perf_counter()
    ix = await emu.slash(member, channel, "decks upload", file=(upload.name, data))
    try:
        reply = await ix.wait_message(timeout=UPLOAD_TIMEOUT)
    except asyncio.TimeoutError:
        return
    upload.seconds = time.perf_counter() - started
    upload.outcome = _outcome(reply.content or reply.text())


async def _server_uploads(emu: Any, server: int, files: list[tuple[str, bytes]], uploads: list[Upload]) -> None:
    """One server's uploads, one after the other (the per-server rule); the first also tries a second at once."""
    guild = emu.add_guild(f"Upload School {server}")
    channel = emu.add_channel(guild, "decks")
    admin = emu.add_member(guild, f"teacher{server}", manage_guild=True)
    for number, (name, data) in enumerate(files):
        upload = Upload(server, name, len(data))
        uploads.append(upload)
        task = asyncio.create_task(_upload(emu, admin, channel, upload, data))
        if number == 0:
            await asyncio.sleep(0.05)  # the first is being read: a second upload in the same server is refused
            second = Upload(server, f"second-{name}", len(data))
            uploads.append(second)
            await _upload(emu, admin, channel, second, data)
        await task


async def imports_phase(recall: BotSpec, sizes: Sizes, workdir: Path, *, quick: bool = False) -> dict[str, Any]:
    budget = 2 * 1024 * 1024  # MAX_UPLOAD_BYTES' default
    files = list(hostile_files(budget if not quick else 256 * 1024).items())
    servers = 3
    per_server = [files[n::servers] for n in range(servers)]
    cpu_limit = 1 if quick else 5
    async with TimedEmulator() as emu:
        guild = emu.add_guild("Bench Academy")
        channel = emu.add_channel(guild, "study")
        decks = write_study_decks(workdir / "decks", sizes.deck_cards)
        env = bot_env(token=emu.token, api_base=emu.api_base, gateway_url=emu.gateway_url,
                      database=workdir / "imports.db", decks=decks, session_ratings=2 * sizes.deck_cards)
        env.update(IMPORT_CPU_SECONDS=str(cpu_limit), MAX_UPLOAD_BYTES=str(budget))
        bot = BotProcess(recall, env)
        await bot.start(until=None if sizes.wait_for_ready else emu.wait_until_connected)
        peak_rss = [bot.rss_mb()]
        uploads: list[Upload] = []
        try:
            await emu.wait_until_connected()
            # Long enough for every upload to be read or stopped: each may take its CPU limit, two at a time.
            seconds = max(sizes.phase_seconds, len(files) * cpu_limit / 2 + 2)

            async def load_and_uploads() -> Any:
                paced = asyncio.create_task(run_phase(
                    "paced", emu, guild, channel, bot, members=sizes.paced_members, seconds=seconds,
                    warmup=sizes.warmup_seconds, rate=sizes.paced_rate))
                await asyncio.sleep(sizes.warmup_seconds)
                started = time.perf_counter()
                sending = asyncio.gather(*(_server_uploads(emu, n + 1, chunk, uploads)
                                           for n, chunk in enumerate(per_server)))
                while not sending.done():
                    peak_rss.append(bot.rss_mb())
                    await asyncio.wait({sending}, timeout=0.2)
                await sending
                ended = time.perf_counter()
                return await paced, started, ended

            with collector_paused():
                paced, started, ended = await load_and_uploads()
        finally:
            await bot.stop()
        during = _latencies(emu, channel, started, ended)
    return {
        "paced_p50_ms": _ms(percentile(during, 0.50)),
        "paced_p99_ms": _ms(percentile(during, 0.99)),
        "paced_interactions": len(during),  # the study server's, sent while uploads were being read
        "paced_window_p99_ms": _ms(paced.latency(0.99)),  # the whole paced window, before and after too
        "paced_failed": paced.failed + paced.timeouts,
        "uploads": [u.as_dict() for u in uploads],
        "uploads_seconds": round(ended - started, 1),
        "measured_seconds": round(seconds, 1),
        "cpu_limit_s": cpu_limit,
        "bot_peak_rss_mb": round(max(peak_rss), 1),
        "bot_errors": bot.errors,
    }


def _latencies(emu: Any, channel: Any, start: float, end: float) -> list[float]:
    """Milliseconds to the answer of each study interaction sent (in the study server) between start and end."""
    return [(answered_at(ix) - ix.sent_at) * 1000 for ix in emu.interactions.values()
            if ix.channel is channel and answered_at(ix) is not None and start <= ix.sent_at < end]


def _ms(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 2)  # NaN when nothing was measured
