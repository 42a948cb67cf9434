"""Errors of calls, written for the person at the keyboard (they are shown as written)."""

from __future__ import annotations

from clinic_app.errors import ClinicError


class CallError(ClinicError):
    """Something about a live call."""


class CallRefused(CallError):
    """The central platform refused to admit this account to the call (not a participant, a
    token for another consult, signed out, the call already has someone on this side)."""

    def __init__(self, message: str, code: str = "refused", status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class CentralUnreachable(CallError):
    """The central platform (and so the other side) cannot be reached right now."""


class MediaDeviceError(CallError):
    """A camera, microphone or loudspeaker could not be opened."""


class TransferFailed(CallError):
    """A file shared during the call did not arrive intact."""


class NoSpeakerFound(MediaDeviceError):
    """There is no loudspeaker or headset to play the other side's voice (the call goes on
    without sound from the other side)."""
