"""Errors answered to clients: one exception type carrying status, code and a safe message.

Both are of the product's one hierarchy (``clinic_errors.ClinicError``): an answer's ``code``
is the stable, lower-case code of the wire protocol (``clinic_app.sync.protocol``), which the
workstation's GUI translates by; a command's is ``CENTRAL_COMMAND``."""

from __future__ import annotations

from typing import Any

from clinic_app.sync.protocol import ErrorBody
from clinic_errors import ClinicError


class ApiError(ClinicError):
    """An answer other than success. ``message`` is written for people and holds no values
    taken from the request (so it is safe to send and to log)."""

    code = "error"

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


class CommandError(ClinicError):
    """A command-line failure: ``str()`` is the one line printed for the operator."""

    code = "CENTRAL_COMMAND"
