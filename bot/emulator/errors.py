"""Errors raised inside the emulator: REST errors for the bot, assertion-style errors for tests."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Discord REST error: becomes an HTTP response with Discord's JSON error body."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def unknown(kind: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {kind}")


def invalid_form(field: str, problem: str) -> ApiError:
    """Discord's 50035 with a nested `errors` object naming the offending field."""
    return ApiError(
        400,
        50035,
        "Invalid Form Body",
        {field: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": problem}]}},
    )


class EmulatorError(AssertionError):
    """A test asked the emulator for something Discord would not allow (fails the test clearly)."""


class CommandNotAvailable(EmulatorError):
    """The member could not run this command in Discord (not registered, or hidden by permissions)."""
