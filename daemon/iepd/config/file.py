"""Reading the config file into TOML data, with a cache of the parsed data for large files.

Every command starts by reading the config. A parent's usual file parses in a millisecond,
but one with a thousand requests (330 KB) takes 25-40 ms of the 250 ms `iepd status` may
spend, so a large file's parsed data is kept in the user's cache folder. An entry holds the
file's exact bytes beside what they parse to and is used only when the bytes match: an entry
can be missing or old, never wrong. It is a pickle, so it is read only from a regular file
this user owns and no one else may write. Any trouble with the cache means parsing as if
there were none; the config itself is never written.
"""

from __future__ import annotations

import binascii
import contextlib
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from iepd.config.values import home
from iepd.errors import ConfigError

logger = logging.getLogger(__name__)

# Below this, parsing costs less than reading and checking a cache file.
CACHE_MIN_BYTES = 64 * 1024
_FORMAT = "iepd-parsed-config-1"


def read_toml(path: Path, environ: Mapping[str, str]) -> dict[str, Any]:
    """Given the config's path and the environment, return its TOML data.

    Raise ConfigError naming the problem if the file cannot be read, is not UTF-8 or is not
    TOML.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        message = "no such file; copy config.example.toml there and edit it, or pass --config PATH"
        raise ConfigError(str(path), [message]) from None
    except IsADirectoryError:
        raise ConfigError(str(path), ["is a folder, not a config file"]) from None
    except OSError as error:
        raise ConfigError(str(path), [f"cannot read the file: {error.strerror}"]) from None
    cache = None
    if len(raw) >= CACHE_MIN_BYTES:
        try:
            cache = cache_file(path, environ)
        except (RuntimeError, KeyError) as error:  # no home folder to be found: no cache
            logger.debug("no cache folder for the parsed config: %s", error)
    if cache is not None:
        cached = _load(cache, raw)
        if cached is not None:
            return cached
    data = _parse(path, raw)
    if cache is not None:
        _save(cache, raw, data)
    return data


def cache_file(path: Path, environ: Mapping[str, str]) -> Path:
    """Given the config's path and the environment, return where its parsed data is kept:
    in systemd's $CACHE_DIRECTORY, else $XDG_CACHE_HOME/iepd, else ~/.cache/iepd."""
    folder = environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if not folder:
        xdg = environ.get("XDG_CACHE_HOME", "")
        folder = os.path.join(xdg if os.path.isabs(xdg) else home(environ) / ".cache", "iepd")
    # Named by the config's path, so two configs do not take turns replacing one entry.
    tag = binascii.crc32(os.fsencode(path.absolute()))
    return Path(folder) / f"parsed-config-{tag:08x}.pickle"


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        # tomli is tomllib's own source, compiled: the same parser and errors, about five
        # times faster on a config with many requests.
        import tomli as toml
    except ImportError:  # pragma: no cover - the stdlib parser gives the same result
        import tomllib as toml  # type: ignore[no-redef]

    try:
        # utf-8-sig: editors on Windows may start the file with a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(
            str(path), [f"not UTF-8 text (bad byte at offset {error.start})"]
        ) from None
    try:
        return toml.loads(text)
    except toml.TOMLDecodeError as error:
        raise ConfigError(str(path), [f"TOML syntax error: {error}"]) from None


def _load(cache: Path, raw: bytes) -> dict[str, Any] | None:
    """Return the cached data if the entry is safe to read and holds exactly these bytes."""
    import pickle

    try:
        # O_NONBLOCK: a FIFO put in its place must not hang every command (it is refused below).
        fd = os.open(cache, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None  # no entry yet, or a link where a file should be
    with os.fdopen(fd, "rb") as handle:
        found = os.fstat(fd)
        if (
            not stat.S_ISREG(found.st_mode)
            or found.st_uid != os.geteuid()
            or found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            logger.warning("ignoring %s: not a file only this user may write", cache)
            return None
        try:
            entry = pickle.load(handle)  # noqa: S301 - only this user can write it
        except Exception as error:  # a torn entry, or one from another Python: parse
            logger.debug("ignoring %s: %s", cache, error)
            return None
    if (
        isinstance(entry, tuple)
        and len(entry) == 3
        and entry[0] == _FORMAT
        and entry[1] == raw
        and isinstance(entry[2], dict)
    ):
        return entry[2]
    return None


def _save(cache: Path, raw: bytes, data: dict[str, Any]) -> None:
    import pickle

    temporary = cache.with_name(f".{cache.name}.{os.getpid()}")
    try:
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(temporary, flags, 0o600), "wb") as handle:
            pickle.dump((_FORMAT, raw, data), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cache)
    except OSError as error:  # a read-only home, a full disk: the next run parses again
        logger.debug("cannot keep parsed config in %s: %s", cache, error)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
