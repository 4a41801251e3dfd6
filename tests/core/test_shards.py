"""Discord's shard formula, the SHARD_IDS syntax and which guilds a process owns."""
from __future__ import annotations

import pytest

from bot.core.shards import AUTO, Shards, every_guild, format_ids, parse_count, parse_ids, shard_of

# Snowflakes whose timestamp part (id >> 22) is 1000, 1001, 1002, 1003, with other bits below it.
G1000, G1001, G1002, G1003 = ((ts << 22) | 0b10_1010 for ts in (1000, 1001, 1002, 1003))


def test_shard_of_is_discords_formula_on_the_timestamp_bits() -> None:
    assert [shard_of(g, 2) for g in (G1000, G1001, G1002, G1003)] == [0, 1, 0, 1]
    assert [shard_of(g, 3) for g in (G1000, G1001, G1002, G1003)] == [1, 2, 0, 1]
    assert shard_of(G1001, 1) == 0
    # The low 22 bits (worker, process, increment) never move a guild.
    assert shard_of((1001 << 22) | ((1 << 22) - 1), 2) == shard_of(1001 << 22, 2) == 1
    assert shard_of(81384788765712384, 4) == (81384788765712384 >> 22) % 4  # a real guild id


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("0-3", (0, 1, 2, 3)),
        ("4,5", (4, 5)),
        ("0-1,3", (0, 1, 3)),
        (" 3 , 0 - 1 ", (0, 1, 3)),
        ("7", (7,)),
        ("2-2", (2,)),
    ],
)
def test_parse_ids(raw: str, ids: tuple[int, ...]) -> None:
    assert parse_ids(raw) == ids


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (",", "must list shard ids"),
        ("0,,1", "must list shard ids"),
        ("a", "must list shard ids"),
        ("-1", "must list shard ids"),
        ("1-", "must list shard ids"),
        ("0-1-2", "must list shard ids"),
        ("1.5", "must list shard ids"),
        ("١", "must list shard ids"),  # an Arabic-Indic digit: only 0-9
        ("3-1", "running backwards; write it as 1-3"),
        ("0-2,2", "names shard 2 more than once"),
        ("1,1,0,0", "names shards 0-1 more than once"),
    ],
)
def test_parse_ids_refuses(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_ids(raw)


def test_parse_count() -> None:
    assert parse_count("4") == 4 and parse_count(" 1 ") == 1
    assert parse_count("auto") == AUTO and parse_count("Auto") == AUTO
    for raw in ("0", "-2", "x", "2.0", "²", ""):
        with pytest.raises(ValueError, match="at least 1, or auto"):
            parse_count(raw)


def test_format_ids_is_compact_and_sorted() -> None:
    assert format_ids((0, 1, 2, 5)) == "0-2,5"
    assert format_ids([5, 3, 4, 0]) == "0,3-5"
    assert format_ids((2,)) == "2"
    assert format_ids(()) == ""
    assert parse_ids(format_ids((0, 2, 3, 4, 9))) == (0, 2, 3, 4, 9)


def test_a_process_owns_the_guilds_of_its_shards_only() -> None:
    first, second = Shards(2, (0,)), Shards(2, (1,))
    guilds = (G1000, G1001, G1002, G1003)
    assert [first.owns(g) for g in guilds] == [True, False, True, False]
    assert [second.owns(g) for g in guilds] == [False, True, False, True]
    # Every guild has exactly one owner among processes that split the shards between them.
    split = (Shards(4, (0, 1)), Shards(4, (2,)), Shards(4, (3,)))
    for g in guilds:
        assert sum(s.owns(g) for s in split) == 1
    assert all(Shards.all_of(3).owns(g) for g in guilds)
    assert all(every_guild(g) for g in guilds)


def test_shards_describe_themselves_and_refuse_impossible_ids() -> None:
    assert str(Shards(4, (0, 1))) == "shards 0-1 of 4"
    assert str(Shards(4, (2,))) == "shard 2 of 4"
    assert str(Shards.all_of(2)) == "shards 0-1 of 2"
    assert Shards.all_of(2).covers_all and not Shards(2, (1,)).covers_all
    with pytest.raises(ValueError, match="0 to 1"):
        Shards(2, (2,))
    with pytest.raises(ValueError, match="0 to 1"):
        Shards(2, ())
    with pytest.raises(ValueError, match="at least 1"):
        Shards(0, (0,))
