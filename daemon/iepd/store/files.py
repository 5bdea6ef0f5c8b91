"""The private files of the state folder: modes 0700/0600 and durable, never-overwriting
writes of raw ``.eml`` copies.

A raw copy is fsynced, and so is its folder, before the database row that names it
commits: after a power cut a committed row never points at a missing or partial file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from pathlib import Path

from iepd.errors import StoreError

logger = logging.getLogger(__name__)

TEMPORARY_PREFIX = ".tmp-"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def private_dir(path: Path) -> None:
    """Given a folder path, create it 0700 or tighten it to 0700. Raise StoreError if not
    possible.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.is_dir():
            raise StoreError(f"{path} exists and is not a directory")
        if path.stat().st_mode & 0o777 != 0o700:
            # The letters and the paper trail are private; a folder left readable by
            # others (made by hand, or under a loose umask) is tightened, not trusted.
            logger.info("tightening the mode of %s to 0700", path)
            path.chmod(0o700)
    except OSError as error:
        raise StoreError(f"cannot prepare the state folder {path}: {error}") from error


def private_database_file(path: Path) -> None:
    """Given the database path, create it empty with mode 0600 if missing, and set 0600 on
    it and its -wal and -shm files. Raise StoreError if not possible.
    """
    try:
        # An empty file is a valid empty SQLite database. Creating it ourselves with 0600
        # avoids changing the process-wide umask; SQLite gives -wal and -shm the mode of
        # the database file. O_EXCL: an existing file is never opened here, because
        # close() on ANY descriptor of the database drops every POSIX lock this process
        # holds on it, SQLite's included; another process closing its connection then
        # deletes the WAL this one still writes to, and a crash loses committed rows.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600))
        for suffix in ("", "-wal", "-shm"):
            candidate = path.with_name(path.name + suffix)
            if candidate.exists() and candidate.stat().st_mode & 0o777 != 0o600:
                candidate.chmod(0o600)
    except OSError as error:
        raise StoreError(f"cannot prepare the state database {path}: {error}") from error


def safe_name(name: str) -> str:
    """Given a wished-for file name, return it with only [A-Za-z0-9._-], never hidden.

    Raise StoreError if nothing usable is left.
    """
    cleaned = _UNSAFE.sub("_", name.removesuffix(".eml")).lstrip(".")[:150]
    if not cleaned:
        raise StoreError(f"no usable file name in {name!r}")
    return cleaned


def sha256_hex(data: bytes) -> str:
    """Given bytes, return their SHA-256 hex."""
    # Imported here: hashlib loads OpenSSL, and `iepd status` hashes nothing.
    import hashlib

    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """Given a file, return the SHA-256 hex of its bytes. Raise OSError if unreadable."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make the entries of a folder (new names in it) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(folder: Path, filename: str, raw: bytes) -> str:
    """Given a folder, a safe file name and bytes, write them there (0600, fsynced, folder
    fsynced) and return their SHA-256 hex. The same bytes again is a no-op.

    Raise StoreError if a different file of that name exists or the write fails.
    """
    digest = sha256_hex(raw)
    final = folder / filename
    temporary = folder / f"{TEMPORARY_PREFIX}{os.urandom(8).hex()}"
    try:
        if not final.exists():
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            with os.fdopen(os.open(temporary, flags, 0o600), "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            # link() never replaces an existing name, unlike rename(), and the name only
            # ever appears complete: a crash mid-write leaves a temporary file, not a
            # truncated copy that a retry would take for different content.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, final)
        found = file_sha256(final)
        if found != digest:
            raise StoreError(
                f"{final} already exists with different content (sha256 {found}, new {digest});"
                " refusing to overwrite a stored message"
            )
        if final.stat().st_mode & 0o777 != 0o600:
            final.chmod(0o600)
        fsync_dir(folder)
    except OSError as error:
        raise StoreError(f"cannot write {final}: {error}") from error
    finally:
        temporary.unlink(missing_ok=True)
    return digest


def remove_temporaries(folder: Path, older_than: float = 3600.0) -> None:
    """Remove the temporary files a crash mid-write left in a folder.

    Only old ones: another iepd process (``iepd run --once`` next to the daemon) may be
    writing a young one right now.
    """
    for leftover in folder.glob(TEMPORARY_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > older_than:
                leftover.unlink()
