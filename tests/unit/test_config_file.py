"""Reading the config file: the cache of a large file's parsed TOML is used only when it
holds the file's exact bytes and only this user can write it; any trouble means parsing."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from iepd.config.file import CACHE_MIN_BYTES, cache_file, read_toml
from iepd.errors import ConfigError


def large_toml(value: str) -> bytes:
    """A config-sized TOML text over the cache threshold whose data is {"marker": value}."""
    padding = "# " + "x" * 78 + "\n"
    lines = padding * (CACHE_MIN_BYTES // len(padding) + 1)
    return f'{lines}marker = "{value}"\n'.encode()


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache")}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_bytes(large_toml("first"))
    return path


def rewrite_entry(cache: Path, raw: bytes, data: object) -> None:
    cache.write_bytes(pickle.dumps(("iepd-parsed-config-1", raw, data)))


def test_a_large_config_is_parsed_once_then_read_from_the_cache(
    config: Path, environ: dict[str, str]
) -> None:
    assert read_toml(config, environ) == {"marker": "first"}
    cache = cache_file(config, environ)
    assert cache.parent == Path(environ["XDG_CACHE_HOME"]) / "iepd"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    # Proof the entry is what is read: it now says something the file does not.
    rewrite_entry(cache, config.read_bytes(), {"marker": "from the cache"})
    assert read_toml(config, environ) == {"marker": "from the cache"}


def test_an_entry_for_other_bytes_is_never_used(config: Path, environ: dict[str, str]) -> None:
    read_toml(config, environ)
    config.write_bytes(large_toml("second"))  # same size, other bytes
    assert read_toml(config, environ) == {"marker": "second"}
    # The entry now holds the new bytes.
    rewrite_entry(cache_file(config, environ), config.read_bytes(), {"marker": "cached"})
    assert read_toml(config, environ) == {"marker": "cached"}


def test_a_small_config_writes_no_cache(tmp_path: Path, environ: dict[str, str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('marker = "small"\n')
    assert read_toml(config, environ) == {"marker": "small"}
    assert not (tmp_path / "cache").exists()


def test_an_entry_others_may_write_is_ignored(
    config: Path, environ: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    read_toml(config, environ)
    cache = cache_file(config, environ)
    rewrite_entry(cache, config.read_bytes(), {"marker": "planted"})
    cache.chmod(0o620)
    assert read_toml(config, environ) == {"marker": "first"}
    assert "not a file only this user may write" in caplog.text


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_an_entry_owned_by_another_user_is_ignored(config: Path, environ: dict[str, str]) -> None:
    read_toml(config, environ)
    cache = cache_file(config, environ)
    rewrite_entry(cache, config.read_bytes(), {"marker": "planted"})
    cache.chmod(0o600)
    os.chown(cache, 65534, -1)
    assert read_toml(config, environ) == {"marker": "first"}


def test_a_link_in_place_of_the_entry_is_not_followed(
    config: Path, environ: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.pickle"
    rewrite_entry(elsewhere, config.read_bytes(), {"marker": "planted"})
    cache = cache_file(config, environ)
    cache.parent.mkdir(mode=0o700, parents=True)
    cache.symlink_to(elsewhere)
    assert read_toml(config, environ) == {"marker": "first"}


def test_a_fifo_in_place_of_the_entry_is_refused_without_waiting(
    config: Path, environ: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    cache = cache_file(config, environ)
    cache.parent.mkdir(mode=0o700, parents=True)
    os.mkfifo(cache, 0o600)
    assert read_toml(config, environ) == {"marker": "first"}
    assert "not a file only this user may write" in caplog.text


@pytest.mark.parametrize(
    "entry",
    [b"", b"\x80\x05truncated", pickle.dumps(["not", "an", "entry"]), pickle.dumps(("old", b""))],
    ids=["empty", "torn", "a-list", "another-format"],
)
def test_an_unreadable_entry_means_parsing_and_a_fresh_entry(
    config: Path, environ: dict[str, str], entry: bytes
) -> None:
    cache = cache_file(config, environ)
    cache.parent.mkdir(mode=0o700, parents=True)
    cache.write_bytes(entry)
    cache.chmod(0o600)
    assert read_toml(config, environ) == {"marker": "first"}
    rewrite_entry(cache, config.read_bytes(), {"marker": "cached"})
    assert read_toml(config, environ) == {"marker": "cached"}


def test_a_cache_folder_that_cannot_be_made_only_costs_the_parse(
    config: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    environ = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(blocker)}
    assert read_toml(config, environ) == {"marker": "first"}
    assert read_toml(config, environ) == {"marker": "first"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file", "config.toml"]


def test_without_a_home_folder_the_config_is_still_read(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert read_toml(config, {}) == {"marker": "first"}


def test_the_cache_folder_follows_systemd_then_xdg_then_home(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    home = {"HOME": "/home/jordan"}
    assert cache_file(config, home).parent == Path("/home/jordan/.cache/iepd")
    xdg = {**home, "XDG_CACHE_HOME": "/xdg"}
    assert cache_file(config, xdg).parent == Path("/xdg/iepd")
    relative = {**home, "XDG_CACHE_HOME": "relative"}  # the XDG spec: ignore it
    assert cache_file(config, relative).parent == Path("/home/jordan/.cache/iepd")
    systemd = {**xdg, "CACHE_DIRECTORY": "/var/cache/iepd:/var/cache/other"}
    assert cache_file(config, systemd).parent == Path("/var/cache/iepd")
    assert cache_file(config, home) != cache_file(tmp_path / "other.toml", home)


def test_a_large_config_with_a_syntax_error_is_reported_and_not_cached(
    config: Path, environ: dict[str, str]
) -> None:
    config.write_bytes(large_toml("first") + b"broken = \n")
    with pytest.raises(ConfigError, match="TOML syntax error"):
        read_toml(config, environ)
    assert not cache_file(config, environ).exists()
