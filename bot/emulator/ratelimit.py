"""Discord's global rate limit: at most `per_second` REST requests in any second per bot, across all routes.

Past it Discord answers 429 with `"global": true`, `retry_after` (seconds, fractional) and the header
`X-RateLimit-Global: true`; discord.py then holds every request of the bot until `retry_after` has passed. Interaction
callbacks and webhook follow-ups are not bound to it (Discord exempts interaction endpoints), so server.py asks only
for the other calls. Refused requests do not count toward the limit.
"""

from __future__ import annotations

from collections import deque

WINDOW = 1.0  # seconds


class GlobalRateLimit:
    """A sliding one-second window of the requests let through."""

    def __init__(self, per_second: int = 50) -> None:
        if per_second < 1:
            raise ValueError(f"a global rate limit lets at least 1 request a second through, got {per_second}")
        self.per_second = per_second
        self._passed: deque[float] = deque()

    def retry_after(self, now: float) -> float | None:
        """None when a request at `now` may pass (it is counted); else the seconds until one may."""
        while self._passed and now - self._passed[0] >= WINDOW:
            self._passed.popleft()
        if len(self._passed) < self.per_second:
            self._passed.append(now)
            return None
        return self._passed[0] + WINDOW - now
