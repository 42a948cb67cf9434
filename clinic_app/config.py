"""Settings declared once (name, type, default, description) and the profile folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "ClinicWorkstation"


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    description: str


SETTINGS = {
    "profile": Setting("CLINIC_PROFILE", "", "Folder of the clinic profile (default: per user)."),
    "user": Setting("CLINIC_USER", "", "User name to unlock with when several exist."),
    "passphrase": Setting(
        "CLINIC_PASSPHRASE", "", "Passphrase for automation; people are asked instead."
    ),
    "new_passphrase": Setting(
        "CLINIC_NEW_PASSPHRASE", "", "New passphrase for `passwd` and `recover` in automation."
    ),
    "recovery_key": Setting("CLINIC_RECOVERY_KEY", "", "Recovery key for `recover` in automation."),
    "central_password": Setting(
        "CLINIC_CENTRAL_PASSWORD", "", "Central platform password for `login` in automation."
    ),
}


def setting(name: str) -> str:
    spec = SETTINGS[name]
    return os.environ.get(spec.env, spec.default)


def default_profile() -> Path:
    configured = setting("profile")
    if configured:
        return Path(configured).expanduser()
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "profile"
