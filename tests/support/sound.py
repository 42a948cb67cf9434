"""A real loudspeaker for tests on a machine without a sound card: a file-backed ALSA PCM.

ALSA's ``file`` plugin writes every sample that passes through it to a file; its slave must
consume in real time, or PortAudio's callback would run as fast as the CPU allows (ALSA's own
``null`` PCM does exactly that). So the slave is a PulseAudio *null sink* (a private
``pulseaudio`` on a socket in the test's tmp dir), which takes audio at the sink's clock like a
sound card. PortAudio sees the PCM as an ALSA output device named :data:`DEVICE`.

Needs the Debian packages ``libportaudio2``, ``pulseaudio`` and ``libasound2-plugins`` (the ALSA
``pulse`` plugin); :func:`missing` says what is absent so a test can skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEVICE = "clinic_test_speaker"
ALSA_CONF = Path("/usr/share/alsa/alsa.conf")
PULSE_PLUGIN = "libasound_module_pcm_pulse.so"


def missing() -> str | None:
    """What this machine lacks for a file-backed loudspeaker, or None."""
    if shutil.which("pulseaudio") is None:
        return "pulseaudio is not installed"
    if not ALSA_CONF.exists():
        return "ALSA's configuration is missing"
    if not list(Path("/usr/lib").rglob(PULSE_PLUGIN)):
        return "the ALSA pulse plugin (libasound2-plugins) is not installed"
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError):
        return "PortAudio (libportaudio2) or sounddevice is not installed"
    return None


@dataclass
class FileSpeaker:
    device: str
    path: Path  # raw interleaved int16 as PortAudio wrote it

    def samples(self, channels: int) -> object:
        import numpy as np

        data = np.fromfile(self.path, dtype=np.int16) if self.path.exists() else np.zeros(0)
        usable = len(data) - len(data) % channels
        return data[:usable].reshape(-1, channels)


def _reinit_portaudio() -> None:
    import sounddevice as sd

    sd._terminate()  # PortAudio lists devices when it starts: start it again to see ours
    sd._initialize()


@contextlib.contextmanager
def file_speaker(folder: Path) -> Iterator[FileSpeaker]:
    """Start the private PulseAudio, point ALSA at a config with the file PCM, restart PortAudio
    in this process; undo all of it afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    runtime = folder / "pulse"
    runtime.mkdir(exist_ok=True)
    socket = runtime / "native"
    out = folder / "speaker.raw"
    conf = folder / "asound.conf"
    conf.write_text(
        f"<{ALSA_CONF}>\n"
        f"pcm.{DEVICE} {{\n"
        f"    type file\n"
        f'    slave.pcm {{ type pulse server "unix:{socket}" }}\n'
        f'    file "{out}"\n'
        f'    format "raw"\n'
        f'    hint {{ show on description "Test loudspeaker (file)" }}\n'
        f"}}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "HOME": str(runtime),
        "XDG_RUNTIME_DIR": str(runtime),
        "PULSE_RUNTIME_PATH": str(runtime),
    }
    log = open(folder / "pulseaudio.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "--disable-shm=yes",
         "-L", f"module-native-protocol-unix socket={socket} auth-anonymous=1",
         "-L", "module-null-sink sink_name=clinic_test rate=48000 channels=2"],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    before = os.environ.get("ALSA_CONFIG_PATH")
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "pulseaudio.log").read_text(errors="replace"))
            time.sleep(0.05)
        os.environ["ALSA_CONFIG_PATH"] = str(conf)
        _reinit_portaudio()
        yield FileSpeaker(DEVICE, out)
    finally:
        if before is None:
            os.environ.pop("ALSA_CONFIG_PATH", None)
        else:
            os.environ["ALSA_CONFIG_PATH"] = before
        with contextlib.suppress(Exception):
            _reinit_portaudio()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
