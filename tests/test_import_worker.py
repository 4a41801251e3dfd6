"""bot.import_worker: every import runs in a child process with a CPU-time and memory limit, and the caller's event
loop keeps running while it waits.

The deliberately bad importers below run in the child (the worker imports `tests.test_import_worker:NAME`), so these
tests do not depend on any file being slow in today's importers.
"""
from __future__ import annotations

import asyncio
import os
import pickle
import time
from typing import Any

import pytest

from bot.core.importers import ImportFailed
from bot.import_worker import Imported, ImportStopped, WorkerLimits, _loads, _well_formed, import_in_worker

HERE = "tests.test_import_worker"
GOOD = b"title: Photosynthesis basics\ncards:\n  - id: what\n    front: What is it?\n    back: Light into sugar.\n"
FAST = WorkerLimits(cpu_seconds=1, memory_mb=256)
NOT_HUNG = 30  # seconds: far past every limit used here; only proves the call returned


# --- Importers the child runs --------------------------------------------------------------------------------------


def spin(data: bytes, filename: str, *, progress: Any = None, **_: Any) -> Any:
    """Busy forever, as a pathological file in a super-linear parser would be."""
    if progress is not None:
        progress(1, 10)
    while True:
        pass


def sleep(data: bytes, filename: str, **_: Any) -> Any:
    """Stuck without using CPU: only the wall-clock timeout ends it."""
    time.sleep(3600)


def hog(data: bytes, filename: str, **_: Any) -> Any:
    held = []
    while True:
        held.append(bytearray(16 * 1024 * 1024))


def crash(data: bytes, filename: str, **_: Any) -> Any:
    os.abort()


def environment(data: bytes, filename: str, **_: Any) -> Any:
    raise ImportFailed(" ".join(sorted(os.environ)))


async def imported(data: bytes, name: str, **kwargs: Any) -> Imported:
    return await asyncio.wait_for(import_in_worker(data, name, **kwargs), NOT_HUNG)


# --- Tests ------------------------------------------------------------------------------------------------------------


async def test_a_normal_file_is_imported_with_its_yaml() -> None:
    done = await imported(GOOD, "photosynthesis.yaml")
    assert done.result.deck.id == "photosynthesis" and done.result.deck.title == "Photosynthesis basics"
    assert done.yaml_text == GOOD.decode()  # a Recall deck keeps its own text
    csv = await imported(b"front,back\ncat,chat\ndog,chien\n", "French words.csv")
    assert csv.result.format == "csv" and [c.back for c in csv.result.deck.cards] == ["chat", "chien"]
    assert "front: cat" in csv.yaml_text


async def test_an_importers_refusal_comes_back_with_its_problems() -> None:
    with pytest.raises(ImportFailed) as failed:
        await imported(b"title: Broken\nquiz:\n  - id: q\n    question: Q?\n    choices: [a, b]\n    answer: c\n",
                       "broken.yaml")
    assert not isinstance(failed.value, ImportStopped)
    assert failed.value.message == "The deck has 1 problem."
    assert any('"c" is not one of the choices' in p for p in failed.value.problems)


async def test_a_file_that_takes_too_long_is_stopped_and_the_loop_keeps_running() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    running = asyncio.create_task(ticker())
    try:
        with pytest.raises(ImportStopped) as stopped:
            await imported(GOOD, "slow.txt", worker=FAST, importer=f"{HERE}:spin")
    finally:
        running.cancel()
    assert stopped.value.reason == "time"
    assert stopped.value.message.startswith("`slow.txt` took too long to read (over 1 s)")
    assert ticks >= 10  # the caller's loop ran all along (the child used over a second of CPU meanwhile)


async def test_a_child_stuck_without_using_cpu_is_killed_at_the_wall_clock_limit() -> None:
    with pytest.raises(ImportStopped) as stopped:
        await imported(GOOD, "stuck.txt", worker=WorkerLimits(cpu_seconds=1, wall_seconds=1.5),
                       importer=f"{HERE}:sleep")
    assert stopped.value.reason == "time"


async def test_a_file_that_needs_too_much_memory_is_stopped() -> None:
    from bench.imports import unpack_file

    package = unpack_file()  # ~140 KB that unpacks to 63 MB, within the unpack limit: about 300 MB to read
    with pytest.raises(ImportStopped) as stopped:
        await imported(package, "big.apkg", worker=WorkerLimits(memory_mb=160))
    assert stopped.value.reason == "memory"
    assert stopped.value.message.startswith("`big.apkg` needed more than 160 MB of memory to read")
    with pytest.raises(ImportStopped, match="needed more than 200 MB"):
        await imported(GOOD, "hog.txt", worker=WorkerLimits(memory_mb=200), importer=f"{HERE}:hog")


async def test_a_crashed_child_is_a_refusal_too() -> None:
    with pytest.raises(ImportStopped) as stopped:
        await imported(GOOD, "crash.txt", importer=f"{HERE}:crash")
    assert stopped.value.reason == "crashed" and "stopped unexpectedly" in stopped.value.message


async def test_the_child_never_sees_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "very-secret-token")
    with pytest.raises(ImportFailed) as failed:
        await imported(GOOD, "env.txt", importer=f"{HERE}:environment")
    assert "DISCORD_TOKEN" not in failed.value.message and "PATH" in failed.value.message


async def test_progress_reaches_the_caller() -> None:
    seen: list[tuple[int, int]] = []
    rows = "".join(f"Question {i}?,Answer {i}\n" for i in range(300))
    await imported(("front,back\n" + rows).encode(), "big.csv", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (300, 300)


def test_an_answer_naming_a_function_is_refused() -> None:
    class Evil:
        def __reduce__(self) -> Any:
            return (os.system, ("true",))

    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        _loads(pickle.dumps(("ok", Evil(), "")))



def test_an_answer_of_the_wrong_shape_is_not_believed() -> None:
    assert _well_formed(("progress", 1, 10)) and _well_formed(("failed", "Broken.", ["Broken."]))
    assert _well_formed(("memory",))
    for answer in (("ok", "not a result", 42), ("progress", "1", 10), ("done",), [], "ok", ("failed", "x")):
        assert not _well_formed(answer), answer
