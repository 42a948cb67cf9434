"""Errors answered to clients: one exception type carrying status, code and a safe message."""

from __future__ import annotations

from typing import Any

from clinic_app.sync.protocol import ErrorBody


class ApiError(Exception):
    """An answer other than success. ``message`` is written for people and holds no values
    taken from the request (so it is safe to send and to log)."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        return ErrorBody(self.code, self.message, self.details).to_json()


def bad_request(message: str, code: str = "bad_request") -> ApiError:
    return ApiError(400, code, message)


def unauthorized(
    message: str = "Sign in again: the token is missing, expired or revoked.",
) -> ApiError:
    return ApiError(401, "unauthorized", message)


def forbidden(message: str = "This account may not do that.") -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: str = "Not found.") -> ApiError:
    return ApiError(404, "not_found", message)


def conflict(message: str, details: dict[str, Any] | None = None) -> ApiError:
    return ApiError(409, "conflict", message, details)


class CommandError(Exception):
    """A command-line failure: ``str()`` is the one line printed for the operator."""
