"""sd_notify over a REAL AF_UNIX datagram socket, bound here and passed as $NOTIFY_SOCKET.

Local and synchronous: an AF_UNIX datagram is in the receiver's queue when ``sendto``
returns, so a non-blocking ``recv`` right after a call shows what was (or was not) sent.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from iepd.run.sdnotify import Notifier

# sun_path holds 108 bytes and pytest's tmp_path can be longer than that.
SUN_PATH_ROOM = 100


class Receiver:
    """The service manager's end: a bound datagram socket that reads one message at a time."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.setblocking(False)
        self.notify_socket = "@" + address[1:] if address.startswith("\0") else address

    def next_message(self) -> list[str]:
        """Return the assignments of the next datagram; raise BlockingIOError if none came."""
        return self.sock.recv(65536).decode("utf-8").split("\n")

    def assert_nothing_more(self) -> None:
        with pytest.raises(BlockingIOError):
            self.sock.recv(65536)


@pytest.fixture
def short_dir(tmp_path: Path) -> Iterator[Path]:
    if len(os.fsencode(tmp_path)) < SUN_PATH_ROOM - 10:
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(prefix="iepd-", dir="/tmp") as directory:
        yield Path(directory)


@pytest.fixture
def receiver(short_dir: Path) -> Iterator[Receiver]:
    receiver = Receiver(str(short_dir / "notify"))
    yield receiver
    receiver.sock.close()


@pytest.fixture
def notifier(receiver: Receiver) -> Notifier:
    return Notifier.from_environ({"NOTIFY_SOCKET": receiver.notify_socket})


def test_ready_arrives_as_ready_1(notifier: Notifier, receiver: Receiver) -> None:
    assert notifier.ready() is True
    assert receiver.next_message() == ["READY=1"]
    receiver.assert_nothing_more()


def test_ready_with_a_status_sends_both_in_one_datagram(
    notifier: Notifier, receiver: Receiver
) -> None:
    notifier.ready("2 open requests")
    assert receiver.next_message() == ["READY=1", "STATUS=2 open requests"]
    receiver.assert_nothing_more()


def test_status_arrives_as_status_text(notifier: Notifier, receiver: Receiver) -> None:
    notifier.status("3 open requests; next: follow-up sam-speech at 2026-12-08 08:00")
    assert receiver.next_message() == [
        "STATUS=3 open requests; next: follow-up sam-speech at 2026-12-08 08:00"
    ]


def test_status_with_newlines_arrives_on_one_line(notifier: Notifier, receiver: Receiver) -> None:
    notifier.status("waiting for the network\nlast error:\r\nconnection refused\n")
    assert receiver.next_message() == [
        "STATUS=waiting for the network last error: connection refused"
    ]


def test_status_keeps_non_ascii_text(notifier: Notifier, receiver: Receiver) -> None:
    notifier.status("next: reminder for José")
    assert receiver.next_message() == ["STATUS=next: reminder for José"]


def test_watchdog_arrives_as_watchdog_1(notifier: Notifier, receiver: Receiver) -> None:
    assert notifier.watchdog() is True
    assert receiver.next_message() == ["WATCHDOG=1"]


def test_stopping_arrives_as_stopping_1(notifier: Notifier, receiver: Receiver) -> None:
    assert notifier.stopping() is True
    assert receiver.next_message() == ["STOPPING=1"]


def test_stopping_with_a_status_sends_both(notifier: Notifier, receiver: Receiver) -> None:
    notifier.stopping("finishing a send")
    assert receiver.next_message() == ["STOPPING=1", "STATUS=finishing a send"]


def test_reloading_sends_the_given_monotonic_time(notifier: Notifier, receiver: Receiver) -> None:
    notifier.reloading(monotonic_usec=123456789)
    assert receiver.next_message() == ["RELOADING=1", "MONOTONIC_USEC=123456789"]


def test_reloading_defaults_to_the_monotonic_clock_now(
    notifier: Notifier, receiver: Receiver
) -> None:
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    notifier.reloading()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    first, second = receiver.next_message()
    assert first == "RELOADING=1"
    key, _, value = second.partition("=")
    assert key == "MONOTONIC_USEC"
    assert before <= int(value) <= after


def test_extend_timeout_sends_microseconds(notifier: Notifier, receiver: Receiver) -> None:
    notifier.extend_timeout(90)
    assert receiver.next_message() == ["EXTEND_TIMEOUT_USEC=90000000"]


def test_the_lifecycle_arrives_in_order(notifier: Notifier, receiver: Receiver) -> None:
    notifier.ready()
    notifier.status("idle")
    notifier.watchdog()
    notifier.stopping()
    received = [receiver.next_message() for _ in range(4)]
    assert received == [["READY=1"], ["STATUS=idle"], ["WATCHDOG=1"], ["STOPPING=1"]]
    receiver.assert_nothing_more()


def test_an_abstract_socket_receives_notifications() -> None:
    receiver = Receiver("\0iepd-test-" + secrets.token_hex(8))
    try:
        assert receiver.notify_socket.startswith("@iepd-test-")
        notifier = Notifier.from_environ({"NOTIFY_SOCKET": receiver.notify_socket})
        assert notifier.enabled
        notifier.ready()
        notifier.watchdog()
        assert receiver.next_message() == ["READY=1"]
        assert receiver.next_message() == ["WATCHDOG=1"]
    finally:
        receiver.sock.close()


@pytest.mark.parametrize("environ", [{}, {"NOTIFY_SOCKET": ""}, {"WATCHDOG_USEC": "1000000"}])
def test_without_notify_socket_every_call_is_a_no_op(
    environ: dict[str, str], receiver: Receiver
) -> None:
    notifier = Notifier.from_environ(environ)
    assert notifier.enabled is False
    results = [
        notifier.ready("x"),
        notifier.status("x"),
        notifier.watchdog(),
        notifier.stopping(),
        notifier.reloading(),
        notifier.extend_timeout(5),
    ]
    assert results == [False] * len(results)
    receiver.assert_nothing_more()


def test_from_environ_reads_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", receiver.notify_socket)
    Notifier.from_environ().ready()
    assert receiver.next_message() == ["READY=1"]


def test_a_vsock_address_is_not_used() -> None:
    assert Notifier.from_environ({"NOTIFY_SOCKET": "vsock:2:1234"}).enabled is False


@pytest.mark.parametrize(
    ("environ", "pid", "expected"),
    [
        ({"WATCHDOG_USEC": "300000000"}, 4242, 150.0),
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "4242"}, 4242, 0.5),
        ({"WATCHDOG_USEC": "1", "WATCHDOG_PID": "4242"}, 4242, 0.0000005),
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}, 4242, None),
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "pid"}, 4242, None),
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": ""}, 4242, 0.5),
        ({"WATCHDOG_PID": "4242"}, 4242, None),
        ({}, 4242, None),
        ({"WATCHDOG_USEC": ""}, 4242, None),
        ({"WATCHDOG_USEC": "0"}, 4242, None),
        ({"WATCHDOG_USEC": "-5"}, 4242, None),
        ({"WATCHDOG_USEC": "5min"}, 4242, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec_for_this_process(
    environ: dict[str, str], pid: int, expected: float | None
) -> None:
    notifier = Notifier(
        environ.get("NOTIFY_SOCKET"),
        watchdog_usec=environ.get("WATCHDOG_USEC"),
        watchdog_pid=environ.get("WATCHDOG_PID"),
        pid=pid,
    )
    assert notifier.watchdog_interval() == expected


def test_watchdog_interval_from_environ_compares_with_our_own_pid() -> None:
    ours = Notifier.from_environ({"WATCHDOG_USEC": "600000000", "WATCHDOG_PID": str(os.getpid())})
    other = Notifier.from_environ(
        {"WATCHDOG_USEC": "600000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    )
    assert ours.watchdog_interval() == 300.0
    assert other.watchdog_interval() is None


def _regular_file(directory: Path) -> str:
    path = directory / "not-a-socket"
    path.write_text("")
    return str(path)


def _closed_socket(directory: Path) -> str:
    path = directory / "closed"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
    return str(path)


def _stream_socket(directory: Path) -> str:
    path = directory / "stream"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen()
    _keep_open.append(sock)
    return str(path)


_keep_open: list[socket.socket] = []


@pytest.fixture
def _close_kept_sockets() -> Iterator[None]:
    yield
    while _keep_open:
        _keep_open.pop().close()


@pytest.mark.usefixtures("_close_kept_sockets")
@pytest.mark.parametrize(
    "make_address",
    [
        lambda directory: str(directory / "missing" / "notify"),
        _regular_file,
        _closed_socket,
        _stream_socket,
        lambda directory: "/" + "x" * 200,
        lambda directory: "@",
    ],
    ids=[
        "missing-folder",
        "regular-file",
        "nobody-bound",
        "stream-socket",
        "too-long",
        "empty-abstract",
    ],
)
def test_a_socket_that_cannot_be_written_returns_false_and_logs_at_debug(
    make_address: Callable[[Path], str], short_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    address = make_address(short_dir)
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": address})
    with caplog.at_level(logging.DEBUG, logger="iepd.run.sdnotify"):
        assert notifier.ready() is False
        assert notifier.watchdog() is False
        assert notifier.stopping() is False
    failures = [r for r in caplog.records if r.name == "iepd.run.sdnotify"]
    assert len(failures) == 3
    assert all(r.levelno == logging.DEBUG for r in failures)


def test_repr_names_the_socket(receiver: Receiver) -> None:
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": receiver.notify_socket})
    assert receiver.notify_socket in repr(notifier)


def test_a_full_notify_queue_drops_the_message_instead_of_blocking(tmp_path: Path) -> None:
    path = tmp_path / "full.sock"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    try:
        notifier = Notifier(str(path))
        # Nobody reads: after the queue fills, each send must return False at once.
        results = [notifier.status(f"message {n}") for n in range(200)]
        assert results[0] is True
        assert results[-1] is False
    finally:
        receiver.close()
