"""Server settings: command line, else environment, else configuration file, else default."""

from __future__ import annotations

from pathlib import Path

import pytest

from central import __version__
from central.config import OPTIONS, config_path, load_config_file, parse_version, resolve
from central.errors import CommandError

EXAMPLE = Path(__file__).resolve().parents[2] / "installers" / "central" / "central.toml"


def test_precedence(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text(
        'db = "sqlite:///file.db"\nport = 8800\nhost = "0.0.0.0"\n'
        'turn_urls = ["turn:a:3478?transport=udp", "turn:b:3478"]\n'
    )
    file = load_config_file(f)
    env = {"CLINIC_CENTRAL_PORT": "8900", "CLINIC_CENTRAL_DB": "sqlite:///env.db"}
    got = resolve({"db": "sqlite:///cli.db", "port": None, "stun_urls": []}, env, file)
    assert got["db"] == "sqlite:///cli.db"  # command line
    assert got["port"] == 8900  # environment over file
    assert got["host"] == "0.0.0.0"  # file over default
    assert got["turn_urls"] == ("turn:a:3478?transport=udp", "turn:b:3478")
    assert got["min_client_version"] == __version__ and got["pool_size"] == 8  # defaults
    assert set(got) == {o.key for o in OPTIONS}


def test_environment_lists_are_comma_separated():
    got = resolve({}, {"CLINIC_CENTRAL_STUN_URLS": "stun:a:3478, stun:b:3478"}, {})
    assert got["stun_urls"] == ("stun:a:3478", "stun:b:3478")


def test_bad_values_are_refused(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("pool_size = true\n")
    with pytest.raises(CommandError, match=r"pool_size .* a whole number"):
        load_config_file(f)
    f.write_text("this is not toml\n")
    with pytest.raises(CommandError, match="not valid TOML"):
        load_config_file(f)
    with pytest.raises(CommandError, match="Cannot read"):
        load_config_file(tmp_path / "missing.toml")
    with pytest.raises(CommandError, match=r"\$CLINIC_CENTRAL_PORT"):
        resolve({}, {"CLINIC_CENTRAL_PORT": "http"}, {})


def test_config_path_from_flag_or_environment(tmp_path):
    assert config_path(None, {}) is None
    assert config_path(None, {"CLINIC_CENTRAL_CONFIG": "/etc/x.toml"}) == Path("/etc/x.toml")
    assert config_path(tmp_path, {"CLINIC_CENTRAL_CONFIG": "/etc/x.toml"}) == tmp_path


def test_the_shipped_example_loads():
    settings = load_config_file(EXAMPLE)
    assert settings["db"].startswith("postgresql://")
    assert parse_version(settings["min_client_version"]) is not None
