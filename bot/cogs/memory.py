"""Memory models fitted in the background: every FIT_EVERY, each due scope of the servers this process owns
(bot.services.memory.MemoryService.run_due; the fitting itself runs in worker threads). Never in an interaction's
path; a failed pass is logged and the next one runs as planned."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.cogs._base import RecallCog

if TYPE_CHECKING:
    from bot.app import RecallBot

log = logging.getLogger("recall.memory")

FIT_EVERY = 600.0  # seconds between background passes (a scope is refitted after 500 reviews or a week at most)


class MemoryCog(RecallCog, name="Memory"):
    _task: asyncio.Task[None] | None = None
    every: float = FIT_EVERY

    async def cog_load(self) -> None:
        await super().cog_load()
        self._task = asyncio.create_task(self.fit_loop(), name="memory-model fits")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await super().cog_unload()

    async def fit_loop(self) -> None:
        # The first pass waits one interval too: a restart does not refit, and start-up stays quick.
        await self.bot.wait_until_ready()
        while True:
            await asyncio.sleep(self.every)
            await self.fit_pass()

    async def fit_pass(self) -> int:
        """One background pass; the scopes fitted (0 when it failed: the loop goes on)."""
        try:
            fitted = await self.bot.services.memory.run_due(owns=self.bot.owns_guild)
        except Exception:
            log.exception("background memory-model pass failed")
            return 0
        if fitted:
            log.info("background memory-model pass: %d scopes fitted", fitted)
        return fitted


async def setup(bot: RecallBot) -> None:
    await bot.add_cog(MemoryCog(bot))
