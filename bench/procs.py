"""Bot processes under test: Recall (`python -m bot run`) or the baseline, started against the emulator.

The emulator and the load it generates live in the benchmark's own process; each bot gets its own process, so on a
2-core machine each side has a core and neither steals the other's event loop.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from bench.backends import Target

REPO = Path(__file__).resolve().parent.parent
RECALL_READY = "Recall ready as"
BASELINE_READY = "Baseline ready"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class BotSpec:
    """Which bot to run: its command line, the log line that says it is ready, and the checkout it runs from."""

    name: str
    argv: tuple[str, ...]
    ready_line: str
    repo: Path = REPO  # another checkout of Recall, to compare a change against the code before it


RECALL = BotSpec("recall", (sys.executable, "-m", "bot", "run"), RECALL_READY)
BASELINE = BotSpec("baseline", (sys.executable, "-m", "bench.baseline"), BASELINE_READY)


@dataclass
class BotProcess:
    """One running bot: start it, wait for its ready line, read its CPU time, stop it."""

    spec: BotSpec
    env: dict[str, str]
    profile_to: Path | None = None  # write a py-spy flame graph of the whole run here
    process: asyncio.subprocess.Process | None = None
    log_tail: deque[str] = field(default_factory=lambda: deque(maxlen=60))
    errors: int = 0
    started_at: float = 0.0
    ready_at: float | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 60, until: Callable[[], Awaitable[Any]] | None = None) -> float:
        """Start the process and return seconds from start to its ready line (or until `until()` returns)."""
        argv = list(self.spec.argv)
        if self.profile_to is not None:
            argv = [_py_spy(), "record", "--rate", "400", "--gil", "--output", str(self.profile_to), "--format", "raw",
                    "--", *argv]
        self.started_at = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            *argv, cwd=self.spec.repo, env={**self.env, "PYTHONPATH": str(self.spec.repo)},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, preexec_fn=_die_with_parent,
        )
        self._reader = asyncio.create_task(self._read_log())
        waiter = asyncio.ensure_future(until() if until is not None else self._ready.wait())
        exited = asyncio.create_task(self.process.wait())
        done, _ = await asyncio.wait({waiter, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if waiter not in done:
            await self.stop()
            raise RuntimeError(f"{self.spec.name} did not become ready; its last log lines:\n" + self.tail())
        exited.cancel()
        return (self.ready_at or time.perf_counter()) - self.started_at

    async def _read_log(self) -> None:
        # Always drain stderr: a full pipe would block the bot mid-benchmark.
        assert self.process is not None and self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self.log_tail.append(line)
            if " ERROR " in line or line.startswith("Traceback"):
                self.errors += 1
            if self.ready_at is None and self.spec.ready_line in line:
                self.ready_at = time.perf_counter()
                self._ready.set()

    def tail(self, lines: int = 25) -> str:
        return "\n".join(list(self.log_tail)[-lines:])

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the bot (of its Python process when wrapped by py-spy)."""
        pid = self._python_pid()
        if pid is None:
            return 0.0
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_mb(self) -> float:
        pid = self._python_pid()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except (OSError, TypeError):
            return 0.0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _python_pid(self) -> int | None:
        if self.process is None:
            return None
        if self.profile_to is None:
            return self.process.pid
        try:  # py-spy's child is the Python process
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    async def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM (both bots shut down cleanly on it), then SIGKILL if it hangs."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            target = self._python_pid() or self.process.pid
            try:
                os.kill(target, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        return self.process.returncode


def server_cpu_seconds(name: str = "postgres") -> float:
    """User + system CPU time of every live process called `name` (the PostgreSQL server: its postmaster, background
    workers and one backend per connection). Machine-wide: other programs' connections count too."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited meanwhile
            continue
        comm, _, rest = text.partition(" (")[2].rpartition(")")
        if comm == name:
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def bot_env(*, token: str, api_base: str, gateway_url: str, database: Path | Target, decks: Path,
            session_ratings: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment both bots read (Recall through bot.settings; the baseline reads the same names).

    `database` is an SQLite file, or a phase's Target (an SQLite file or a PostgreSQL schema: DATABASE_URL).
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "DATABASE_", "DECKS_", "DEV_GUILD", "SHARD_"))}
    env.update(
        DISCORD_TOKEN=token,
        DISCORD_API_BASE=api_base,
        DISCORD_GATEWAY_URL=gateway_url,
        DECKS_DIR=str(decks),
        LOG_LEVEL="INFO",
        BENCH_SESSION_RATINGS=str(session_ratings),
        PYTHONPATH=str(REPO),
    )
    env.update(database.env() if isinstance(database, Target) else {"DATABASE_PATH": str(database)})
    env.update(extra or {})
    return env


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the benchmark dies, so no bot outlives an interrupted run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _py_spy() -> str:
    local = Path(sys.executable).with_name("py-spy")
    found = str(local) if local.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("--profile needs py-spy: pip install py-spy")
    return found
