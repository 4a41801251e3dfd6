"""Which guilds a process serves when Recall runs sharded: Discord's shard formula and the SHARD_IDS syntax.

Discord puts a guild on shard `(guild_id >> 22) % shard_count` (the id's timestamp part, so guilds spread evenly),
and several processes split the shards between them. Work no member triggered (recovering quiz rounds, refiling
months, loading decks) must touch only the guilds of this process's shards, or two processes would do it twice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Literal

AUTO: Literal["auto"] = "auto"

ShardCount = int | Literal["auto"]
Owns = Callable[[int], bool]

_PART = re.compile(r"^(\d+)(?:\s*-\s*(\d+))?$", re.ASCII)


def shard_of(guild_id: int, count: int) -> int:
    """The shard that receives a guild's events (Discord's formula)."""
    return (guild_id >> 22) % count


def every_guild(guild_id: int) -> bool:
    """The ownership rule of an unsharded process: it serves every guild."""
    return True


def parse_count(raw: str) -> ShardCount:
    """`4` or `auto` (ask Discord for its recommendation); ValueError with the reason otherwise."""
    text = raw.strip().lower()
    if text == AUTO:
        return AUTO
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ValueError(f"must be a whole number of at least 1, or auto; got {raw.strip()!r}")
    return int(text)


def parse_ids(raw: str) -> tuple[int, ...]:
    """`0-3`, `4,5` or `0-1,3` as sorted shard ids; ValueError for an empty, malformed or repeating list."""
    if not raw.strip():
        raise ValueError("is empty; list this process's shards (e.g. 0-1) or leave it out to run every shard")
    ids: list[int] = []
    for part in raw.split(","):
        match = _PART.match(part.strip())
        if match is None:
            raise ValueError(f"must list shard ids or ranges such as 0-3, 4,5 or 0-1,3; got {raw.strip()!r}")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise ValueError(f"has the range {part.strip()!r} running backwards; write it as {last}-{first}")
        ids.extend(range(first, last + 1))
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        noun = "shard" if len(repeated) == 1 else "shards"
        raise ValueError(f"names {noun} {format_ids(repeated)} more than once; got {raw.strip()!r}")
    return tuple(sorted(ids))


def format_ids(ids: tuple[int, ...] | list[int]) -> str:
    """Sorted ids written back compactly: (0, 1, 2, 5) -> "0-2,5"."""
    parts: list[str] = []
    ordered = sorted(ids)
    start = 0
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or ordered[i] != ordered[i - 1] + 1:
            first, last = ordered[start], ordered[i - 1]
            parts.append(str(first) if first == last else f"{first}-{last}")
            start = i
    return ",".join(parts)


@dataclass(frozen=True)
class Shards:
    """The shards one process runs out of `count`; `ids` sorted, every one below `count`."""

    count: int
    ids: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"a shard count is at least 1, got {self.count}")
        if not self.ids or any(i < 0 or i >= self.count for i in self.ids):
            raise ValueError(f"shard ids run from 0 to {self.count - 1}, got {format_ids(self.ids) or 'none'}")

    @classmethod
    def all_of(cls, count: int) -> Shards:
        return cls(count, tuple(range(count)))

    @property
    def covers_all(self) -> bool:
        return len(self.ids) == self.count

    def owns(self, guild_id: int) -> bool:
        """This process receives the guild's events, so work on the guild is its to do."""
        return shard_of(guild_id, self.count) in self.ids

    def __str__(self) -> str:
        noun = "shard" if len(self.ids) == 1 else "shards"
        return f"{noun} {format_ids(self.ids)} of {self.count}"


def ids_outside(ids: tuple[int, ...], count: int) -> tuple[int, ...]:
    """The ids that no shard count of `count` has (each must be below it)."""
    return tuple(i for i in ids if i >= count)
