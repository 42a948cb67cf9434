"""Real small file systems for fault-injection tests: a full disk, a read-only or failing one.

* :func:`tmpfs` mounts a size-limited tmpfs (a full disk is a real ``ENOSPC``);
* :func:`ext4` loop-mounts a small ext4 image, which can be remounted read-only (``EROFS``) or
  shut down with ``EXT4_IOC_SHUTDOWN`` so that every further operation fails with ``EIO``,
  as on a disk that died or a stick pulled out. (This kernel has no device-mapper driver, so
  the ``error`` target is not available; the ext4 shutdown ioctl gives real I/O errors from a
  real file system instead.)
* :func:`without_dac_override` runs a command as root without the capability to bypass file
  permissions, so a ``chmod 000`` file gives a real ``EACCES``.

All need root (the test machines and CI run as root).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

EXT4_IOC_SHUTDOWN = 0x8004587D  # _IOR('X', 125, __u32)
EXT4_GOING_FLAGS_NOLOGFLUSH = 2


def available() -> str | None:
    """Why these file systems cannot be made here, or None."""
    if os.geteuid() != 0:
        return "mounting test file systems needs root"
    if shutil.which("mkfs.ext4") is None:
        return "mkfs.ext4 (e2fsprogs) is not installed"
    return None


def _umount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@contextlib.contextmanager
def tmpfs(path: Path, size_kib: int) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(path)],
        check=True,
        capture_output=True,
    )
    try:
        yield path
    finally:
        _umount(path)


@contextlib.contextmanager
def ext4(path: Path, size_mib: int) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    fd, image = tempfile.mkstemp(prefix="small-ext4-", suffix=".img")
    os.close(fd)
    try:
        os.truncate(image, size_mib * 1024 * 1024)
        subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True, capture_output=True)
        subprocess.run(["mount", "-o", "loop", image, str(path)], check=True, capture_output=True)
        try:
            yield path
        finally:
            _umount(path)
    finally:
        os.unlink(image)


def remount_read_only(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)


def shut_down(path: Path) -> None:
    """Every further operation on the ext4 file system at ``path`` fails with EIO."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN, EXT4_GOING_FLAGS_NOLOGFLUSH.to_bytes(4, "little"))
    finally:
        os.close(fd)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system under ``folder`` until about ``leave`` bytes remain free."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    size = 0
    try:
        for block in (1 << 20, 65536, 4096, 512):
            chunk = b"\xa5" * block
            while True:
                try:
                    size += os.write(fd, chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, max(0, size - leave))
    os.sync()
    return filler


def free_up(filler: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        filler.unlink()


def without_dac_override(argv: list[str]) -> list[str]:
    """``argv`` run as root without the right to bypass file permissions."""
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps, *argv]
