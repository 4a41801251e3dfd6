"""A local Discord emulator (REST v10 + gateway) that the real discord.py client connects to.

Used by end-to-end tests, the benchmark and a local playground:

    async with Emulator() as emu:
        guild = emu.add_guild("Study Hall")
        ...
"""

from .driver import Emulator, RestCall
from .errors import ApiError, CommandNotAvailable, EmulatorError
from .interactions import FakeInteraction
from .ratelimit import GlobalRateLimit
from .state import FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole, FakeUser

__all__ = [
    "ApiError",
    "CommandNotAvailable",
    "Emulator",
    "EmulatorError",
    "FakeChannel",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "GlobalRateLimit",
    "RestCall",
]
