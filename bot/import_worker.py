"""Reading an uploaded or local file in a separate process with a CPU-time and memory limit.

An importer is ordinary Python: a hostile file (a pathological field, a package that unpacks big) could keep it
busy for minutes or take hundreds of MB, and inside the bot that would stall every server. So each import runs in a
child process, `python -m bot.import_worker`, started fresh for that file:

- the child limits itself (`RLIMIT_CPU`, `RLIMIT_AS`, no core files) before it reads the request, so whatever the
  importer does, the kernel stops it past the limit; the parent also kills it after a wall-clock timeout (a busy
  machine stretches CPU seconds, and a child could wait on something that is not CPU);
- the parent sends the request (the file's bytes and options) pickled on the child's stdin and reads framed, pickled
  answers on its stdout: progress, then the result (the deck and its YAML) or the importer's ImportFailed. It waits
  with asyncio, so the bot's event loop keeps serving meanwhile;
- answers are unpickled with an allow-list of classes (Recall's own data types), so even a child taken over by a
  hostile file could not make the parent run code; the child also gets no secrets in its environment.

A stopped child becomes ImportStopped (an ImportFailed) with a text the member can act on.
"""
from __future__ import annotations

import asyncio
import importlib
import io
import logging
import math
import os
import pickle
import resource
import signal
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable

from bot.core.importers import CsvOptions, ImportFailed, ImportLimits, ImportResult, deck_to_yaml
from bot.core.translation import _

log = logging.getLogger("recall.import")

IMPORTER = "bot.core.importers:import_file"  # module:function the child calls (tests point it at a slow one)
ROOT = Path(__file__).resolve().parent.parent  # the folder holding the bot package, for the child's sys.path
# What the child may see of the environment: enough for Python to start. Never the bot's token.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT")
_FRAME = struct.Struct(">I")
STARTUP_SECONDS = 5.0  # wall-clock allowance for starting Python on a busy machine, on top of the CPU limit
WALL_PER_CPU = 3  # wall-clock seconds allowed per CPU second: two cores shared by the bot, other imports and more
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # far above any deck's answer; a child claiming more is not believed
NICENESS = 10  # the worker's scheduling priority below the bot's (19 is the lowest)
EXIT_GRACE = 2.0  # seconds a child that has answered (or closed its stdout) gets to exit before it is killed


@dataclass(frozen=True, slots=True)
class WorkerLimits:
    """What one import may cost: CPU seconds and memory (address space) of its process, and wall-clock time."""

    cpu_seconds: int = 5
    memory_mb: int = 384  # Settings.import_memory_mb's default
    wall_seconds: float | None = None  # None: WALL_PER_CPU × cpu_seconds + STARTUP_SECONDS

    @property
    def wall(self) -> float:
        return self.wall_seconds if self.wall_seconds is not None else (
            WALL_PER_CPU * self.cpu_seconds + STARTUP_SECONDS)


@dataclass(frozen=True, slots=True)
class Imported:
    """An import's result, with the deck as Recall YAML (the file's own text for a Recall deck file)."""

    result: ImportResult
    yaml_text: str


class ImportStopped(ImportFailed):
    """The worker was stopped: `reason` is "time", "memory" or "crashed"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# Recall's own refusals of a file (not the file's diagnostics): in the member's language, built in the bot's process.
def too_slow_text(filename: str, limits: WorkerLimits) -> str:
    return _("`{filename}` took too long to read (over {seconds} s), so Recall stopped reading it. "
             "Split it into smaller files or simplify its fields.").format(filename=filename[:80],
                                                                          seconds=limits.cpu_seconds)


def too_big_text(filename: str, limits: WorkerLimits) -> str:
    return _("`{filename}` needed more than {megabytes} MB of memory to read, so Recall stopped "
             "reading it. Split it into smaller files.").format(filename=filename[:80], megabytes=limits.memory_mb)


def crashed_text(filename: str) -> str:
    return _("Recall's reader stopped unexpectedly on `{filename}`; the file may be damaged.").format(
        filename=filename[:80])


# --- In the bot (or the CLI): start a worker, feed it, wait for it -------------------------------------------------


async def import_in_worker(
    data: bytes, filename: str, *, fmt: str | None = None, deck_id: str | None = None,
    limits: ImportLimits = ImportLimits(), worker: WorkerLimits = WorkerLimits(),
    progress: Callable[[int, int], None] | None = None, term_sep: str | None = None, row_sep: str | None = None,
    importer: str | None = None, options: CsvOptions | None = None,
) -> Imported:
    """`import_file` in a limited child process. Raises ImportFailed (ImportStopped when the child was stopped)."""
    request = {"data": data, "filename": filename, "fmt": fmt, "deck_id": deck_id, "limits": limits,
               "term_sep": term_sep, "row_sep": row_sep, "progress": progress is not None,
               "importer": importer or IMPORTER, "options": options}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.import_worker", str(worker.cpu_seconds), str(worker.memory_mb),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=_child_env(), cwd=ROOT,
    )
    errors = asyncio.create_task(_tail(child.stderr))
    try:
        try:
            answer = await asyncio.wait_for(_exchange(child, request, progress), worker.wall)
        except asyncio.TimeoutError:
            answer = ("time",)
            _kill(child)
        try:
            await asyncio.wait_for(child.wait(), EXIT_GRACE)  # its exit status tells why it stopped
        except asyncio.TimeoutError:
            _kill(child)
    finally:
        if child.returncode is None:  # cancelled (the bot is shutting down) or stuck after answering
            _kill(child)
        await child.wait()
        stderr = await errors
    return _outcome(answer, child.returncode, filename, worker, stderr)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in PASSED_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _kill(child: asyncio.subprocess.Process) -> None:
    # Not child.kill(): Popen polls first, and a poll that finds the child already ended reaps it behind asyncio's
    # child watcher, which then reports exit status 255 instead of the signal that stopped it. An ended child stays
    # a zombie until the watcher reaps it, so its pid cannot have been reused yet.
    try:
        os.kill(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


async def _tail(stream: asyncio.StreamReader | None, keep: int = 4000) -> str:
    """Drain the child's stderr (a full pipe would block it) and keep its end for the log."""
    text = b""
    if stream is not None:
        while chunk := await stream.read(65536):
            text = (text + chunk)[-keep:]
    return text.decode("utf-8", "replace")


async def _exchange(child: asyncio.subprocess.Process, request: dict[str, Any],
                    progress: Callable[[int, int], None] | None) -> tuple:
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        await child.stdin.drain()
        child.stdin.close()
    except (BrokenPipeError, ConnectionResetError):  # the child died before reading it all: its exit code tells why
        return ("gone",)
    while True:
        try:
            size = _FRAME.unpack(await child.stdout.readexactly(_FRAME.size))[0]
            if size > MAX_ANSWER_BYTES:
                return ("bad", f"an answer of {size} bytes")
            answer = _loads(await child.stdout.readexactly(size))
        except asyncio.IncompleteReadError:
            return ("gone",)
        except Exception as exc:  # not Recall's data types (UnpicklingError) or not a pickle at all
            return ("bad", repr(exc))
        if not _well_formed(answer):
            return ("bad", f"an answer of the wrong shape ({type(answer).__name__})")
        if answer[0] == "progress":
            if progress is not None:
                progress(answer[1], answer[2])
            continue
        return answer


_SHAPES: dict[str, tuple[type, ...]] = {"progress": (int, int), "ok": (ImportResult, str), "failed": (str, list),
                                        "memory": ()}


def _well_formed(answer: Any) -> bool:
    """An answer as the child sends them: a known kind followed by values of the expected types."""
    if not isinstance(answer, tuple) or not answer or answer[0] not in _SHAPES:
        return False
    shape = _SHAPES[answer[0]]
    return len(answer) == len(shape) + 1 and all(isinstance(v, t) for v, t in zip(answer[1:], shape))


def _outcome(answer: tuple, returncode: int | None, filename: str, worker: WorkerLimits, stderr: str) -> Imported:
    kind = answer[0]
    if kind == "ok":
        return Imported(answer[1], answer[2])
    if kind == "failed":
        raise ImportFailed(answer[1], answer[2])
    if kind == "memory":
        raise ImportStopped(too_big_text(filename, worker), "memory")
    # Past RLIMIT_CPU the kernel sends SIGXCPU, then SIGKILL at the hard limit; the wall-clock timeout kills it too.
    if kind == "time" or (kind == "gone" and returncode in (-signal.SIGXCPU, -signal.SIGKILL)):
        raise ImportStopped(too_slow_text(filename, worker), "time")
    log.warning("import worker for %r exited with %s (%s); its last output:\n%s", filename, returncode,
                answer[1] if kind == "bad" else "no answer", stderr)
    raise ImportStopped(crashed_text(filename), "crashed")


class _AnswerUnpickler(pickle.Unpickler):
    """Only Recall's own data types and plain containers: an answer can never name a function to call."""

    SAFE = {"builtins": frozenset({"set", "frozenset", "tuple", "list", "dict", "str", "int", "float", "bool"}),
            "datetime": frozenset({"datetime", "date", "timezone", "timedelta"})}

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("bot.core.") and not name.startswith("_"):
            found = super().find_class(module, name)
            if isinstance(found, type):  # a data type; never a function
                return found
        elif name in self.SAFE.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"an import worker answered with {module}.{name}, which is not allowed")


def _loads(raw: bytes) -> tuple:
    return _AnswerUnpickler(io.BytesIO(raw)).load()


# --- In the child ----------------------------------------------------------------------------------------------------


def limit_self(cpu_seconds: int, memory_mb: int) -> None:
    """Cap this process: CPU seconds from now (SIGXCPU, then SIGKILL one second later), address space, no core;
    and yield the CPU to the bot: on a small machine the bot's answers matter more than how soon a file is read."""
    os.nice(NICENESS)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _send(out: BinaryIO, answer: tuple) -> None:
    raw = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(raw)) + raw)
    out.flush()


def _progress_sender(out: BinaryIO) -> Callable[[int, int], None]:
    shown = [-1]

    def send(done: int, total: int) -> None:  # only when the percentage changes: a bar needs no more
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent != shown[0]:
            shown[0] = percent
            _send(out, ("progress", done, total))

    return send


def run_request(request: dict[str, Any], out: BinaryIO) -> tuple:
    """Import as asked; the final answer to send."""
    module, _sep, function = request["importer"].partition(":")
    import_file = getattr(importlib.import_module(module), function)
    try:
        result = import_file(request["data"], request["filename"], fmt=request["fmt"], deck_id=request["deck_id"],
                             limits=request["limits"], term_sep=request["term_sep"], row_sep=request["row_sep"],
                             progress=_progress_sender(out) if request["progress"] else None,
                             options=request.get("options"))
    except ImportFailed as exc:
        return ("failed", exc.message, exc.problems)
    # The YAML is made here too: dumping a large deck is work the bot's loop should not do.
    text = request["data"].decode("utf-8-sig") if result.format == "recall" else deck_to_yaml(result.deck)
    return ("ok", result, text)


def main(argv: list[str]) -> int:
    cpu_seconds, memory_mb = int(argv[0]), int(argv[1])
    out = os.fdopen(os.dup(1), "wb")  # answers go on the real stdout; anything printed goes to stderr instead
    os.dup2(2, 1)
    limit_self(cpu_seconds, memory_mb)
    try:
        request = pickle.load(sys.stdin.buffer)
        answer = run_request(request, out)
        _send(out, answer)
    except MemoryError:
        request = answer = None  # free what can be freed before saying so
        _send(out, ("memory",))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
