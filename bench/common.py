"""What every phase shares: sizes, a timed emulator, generated decks, percentiles."""
from __future__ import annotations

import gc
import math
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from bot.emulator import Emulator, FakeInteraction, FakeMessage

BENCH_DECK = "bench-study"
SHIPPED_DECKS = Path(__file__).resolve().parent.parent / "decks"


@dataclass(frozen=True)
class Sizes:
    """How big each phase is. `default()` is the issue's sizes; `quick()` runs everything in a few seconds."""

    flat_members: int = 50
    paced_members: int = 100
    paced_rate: float = 200.0  # interactions per second, all paced members together
    phase_seconds: float = 8.0  # measured time of each study phase
    warmup_seconds: float = 1.5  # run before measuring, not counted
    rounds: int = 3  # A B pairs: recall, baseline, recall, baseline, …
    deck_cards: int = 20  # cards in the study deck: 2 Goods each before a session ends (new, then learning step)
    quiz_members: int = 500
    quiz_seconds: int = 5
    board_members: int = 100_000
    board_rows: int = 1_000_000  # quiz answers + reviews together
    board_servers: int = 10
    board_repeats: int = 40
    deck_questions: int = 15_000
    memory_decks: int = 100
    memory_items: int = 50_000
    startup_repeats: int = 2
    # The Discord client language of the study phases' members: a shipped one (de, ja, …) measures translated replies.
    locale: str = "en-US"
    # Start the load once the bot's gateway session is up rather than at on_ready (which discord.py delays by its
    # 2 s guild_ready_timeout): interactions are answered either way, so --quick saves those seconds.
    wait_for_ready: bool = True

    @classmethod
    def quick(cls) -> "Sizes":
        return cls(
            flat_members=4, paced_members=6, paced_rate=20.0, phase_seconds=1.0, warmup_seconds=0.3, rounds=1,
            deck_cards=5, quiz_members=20, quiz_seconds=5, board_members=500, board_rows=5_000, board_servers=3,
            board_repeats=3, deck_questions=300, memory_decks=4, memory_items=400, startup_repeats=1,
            wait_for_ready=False,
        )


class TimedEmulator(Emulator):
    """The emulator, stamping each interaction when INTERACTION_CREATE is sent, when the callback arrives (acked_at)
    and when its answer is visible (answered_at: the message it created or edited; after a defer, the later edit)."""

    def _start_interaction(self, *args: Any, **kwargs: Any) -> FakeInteraction:
        ix = super()._start_interaction(*args, **kwargs)
        ix.sent_at = time.perf_counter()  # type: ignore[attr-defined]
        ix.acked_at = None  # type: ignore[attr-defined]
        ix.answered_at = None  # type: ignore[attr-defined]
        acknowledge, produce = ix._ack, ix._produced

        def stamped(callback_type: int) -> None:
            ix.acked_at = time.perf_counter()  # type: ignore[attr-defined]
            acknowledge(callback_type)

        def shown(message: FakeMessage) -> None:
            if ix.answered_at is None and not message.loading:  # type: ignore[attr-defined]
                ix.answered_at = time.perf_counter()  # type: ignore[attr-defined]
            produce(message)

        ix._ack = stamped  # type: ignore[method-assign]
        ix._produced = shown  # type: ignore[method-assign]
        return ix


def answered_at(ix: FakeInteraction) -> float | None:
    """When the member saw the answer: the answer's message, else (no message at all) the callback."""
    shown = getattr(ix, "answered_at", None)
    return shown if shown is not None else getattr(ix, "acked_at", None)


DEFERRED_AFTER = 0.05  # an answer shown this much later than the callback came after a defer


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection in the benchmark's own process while it measures.

    The emulator keeps every message, interaction and REST call, so its heap grows during a phase; full collections of
    it took up to a second here, a stall the bot under test would be blamed for. The process collects between phases.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share 0..1) of `values`; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def study_deck_yaml(deck_id: str, cards: int, questions: int = 4) -> str:
    """A deck like the shipped ones: cards of ordinary length, a few quiz questions."""
    lines = [
        f"title: Benchmark deck {deck_id}",
        "description: Generated for the Recall benchmark.",
        "tags: [benchmark]",
        "cards:",
    ]
    for n in range(1, cards + 1):
        lines += [
            f"  - id: card-{n}",
            f"    front: What does benchmark card number {n} ask about learning rate schedules?",
            f"    back: Benchmark card {n} answers that a scheduler changes the learning rate while training, "
            "so early steps are big and later steps are small.",
            "    level: beginner",
        ]
    lines.append("quiz:")
    for n in range(1, questions + 1):
        lines += [
            f"  - id: question-{n}",
            f"    question: Which choice is right for benchmark question {n}?",
            "    choices: [The first choice, The second choice, The third choice, The fourth choice]",
            "    answer: The second choice",
            "    explanation: The second choice is the right one in every benchmark question.",
            "    level: beginner",
        ]
    return "\n".join(lines) + "\n"


def write_study_decks(folder: Path, cards: int) -> Path:
    """A decks folder as a server would have it: the shipped decks plus the benchmark deck."""
    folder.mkdir(parents=True, exist_ok=True)
    for shipped in SHIPPED_DECKS.glob("*.yaml"):
        shutil.copy(shipped, folder / shipped.name)
    (folder / f"{BENCH_DECK}.yaml").write_text(study_deck_yaml(BENCH_DECK, cards), encoding="utf-8")
    return folder
