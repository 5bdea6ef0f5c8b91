"""Hostile input: configs of random or mutated text, every config field carrying CR, LF,
NUL and encoded-word tricks, and random or mutated mail through the whole incoming path
(MessageRecorder.handle against a real store). Nothing here needs a mail server.

What must hold: load_config raises ConfigError and nothing else; `iepd check` prints no
traceback; a field that is accepted can never change who a letter goes to; MessageRecorder.handle
never raises and leaves the store consistent (chain verifies, integrity ok).
tests/unit/test_incoming_hostile.py covers the pure parse/match/classify functions; this
file adds the store, the reminders and the config side.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import itertools
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iepd.cli import main as cli
from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.errors import ConfigError
from iepd.inbox.record import MessageRecorder
from iepd.mail.credentials import Secret
from iepd.mail.transport import MailTransport
from iepd.outbox.sender import Sender
from iepd.run.one_pass import OnePass
from iepd.store.database import Store
from support.offline import send_requests

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CORPUS_MESSAGES = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
CORPUS_LETTER_ID = "<a1.iepd@family.example>"  # the corpus replies thread to this Message-ID
CASE_MANAGER = "dalvarez@district.example"
PRINCIPAL = "lchen@district.example"
PARENT = "jordan@family.example"
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


def base_config(state_dir: Path) -> dict[str, Any]:
    return {
        "state_dir": str(state_dir),
        "parent": {
            "name": "Jordan Rivera",
            "email": PARENT,
            "remind_to": PARENT,
            "timezone": "America/Chicago",
            "signature": "Jordan Rivera\n(555) 010-0000",
        },
        "mail": {
            "username": PARENT,
            "password": {"source": "command", "command": ["pass", "show", "mail/jordan"]},
            "imap": {"host": "imap.family.example", "inbox": "INBOX", "sent_folder": "Sent"},
            "smtp": {"host": "smtp.family.example"},
        },
        "timing": {"followup_after": "7d", "escalate_after": "7d"},
        "child": [
            {
                "id": "sam",
                "name": "Sam Rivera",
                "grade": "4th grade",
                "school": "Lincoln Elementary School",
                "pronouns": "he",
                "case_manager": {"name": "Dana Alvarez", "email": CASE_MANAGER},
                "principal": {"name": "Lee Chen", "email": PRINCIPAL},
                "school_domains": ["district.example"],
            }
        ],
        "request": [
            {
                "id": "sam-speech",
                "child": "sam",
                "reason": "services_not_delivered",
                "urgent": True,
                "concern": "Since October Sam has received about half of his speech sessions.",
                "availability": ["Mon or Wed after 3:30 pm", "Fri 8-10 am"],
                "details": {"service": "60 minutes per week of speech-language therapy"},
            }
        ],
    }


# -- a small TOML writer (the tests must write values no hand-made file would hold) ---------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # JSON's escapes (\r \n \t \" \\ \uXXXX) are all valid in a TOML basic string.
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(v)}" for key, v in value.items()) + " }"
    raise TypeError(value)


INLINE_TABLES = frozenset({"case_manager", "principal"})


def emit_table(name: str, table: dict[str, Any], lines: list[str], array: bool = False) -> None:
    if name:
        lines += ["", f"[[{name}]]" if array else f"[{name}]"]
    nested = []
    for key, value in table.items():
        is_table = isinstance(value, dict) and key not in INLINE_TABLES
        is_array_of_tables = isinstance(value, list) and bool(value) and isinstance(value[0], dict)
        if is_table or is_array_of_tables:
            nested.append((key, value))
        else:
            lines.append(f"{key} = {toml_value(value)}")
    for key, value in nested:
        full = f"{name}.{key}" if name else key
        if isinstance(value, dict):
            emit_table(full, value, lines)
        else:
            for item in value:
                emit_table(full, item, lines, array=True)


def to_toml(config: dict[str, Any]) -> str:
    lines: list[str] = []
    emit_table("", config, lines)
    return "\n".join(lines) + "\n"


def string_fields(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a string in the config (list items included)."""
    if isinstance(node, str):
        yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from string_fields(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from string_fields(value, (*path, index))


def replaced(config: dict[str, Any], path: tuple[Any, ...], value: str) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(config))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


def load_text(text: str) -> Config:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        return load_config(path, {"HOME": folder})


def test_the_base_config_round_trips_through_the_toml_writer(tmp_path: Path) -> None:
    config = load_text(to_toml(base_config(tmp_path)))
    assert config.children[0].case_manager.email == CASE_MANAGER
    assert config.requests[0].details == {
        "service": "60 minutes per week of speech-language therapy"
    }
    assert list(config.mail.password.command) == ["pass", "show", "mail/jordan"]
    assert config.requests[0].urgent


# -- random and mutated configs ---------------------------------------------------------------

TOMLISH = st.text(
    alphabet=st.sampled_from(list("[]{}=\".,\n\r\t #\\'abcdeilmnoprstux0123456789_-@\0\u2028é")),
    max_size=300,
)
BASE_TEXT = to_toml(base_config(Path("/tmp/iepd-hostile-state")))


def mutate(text: str, chance: random.Random) -> str:
    chars = list(text)
    for _ in range(chance.randint(1, 8)):
        where = chance.randrange(len(chars) + 1)
        action = chance.choice(("delete", "insert", "swap", "duplicate"))
        if action == "delete" and chars:
            del chars[min(where, len(chars) - 1)]
        elif action == "insert":
            chars.insert(where, chance.choice('[]{}="\n\r\0\\,.=#\u2028x1'))
        elif action == "swap" and len(chars) > 1:
            other = chance.randrange(len(chars))
            where = min(where, len(chars) - 1)
            chars[where], chars[other] = chars[other], chars[where]
        else:
            start = chance.randrange(len(chars))
            chars[where:where] = chars[start : start + chance.randint(1, 40)]
    return "".join(chars)


def load_quietly(text: str) -> None:
    try:
        load_text(text)
    except ConfigError as error:
        assert error.problems, "a ConfigError must say what is wrong"


@FUZZ
@given(TOMLISH)
def test_random_tomlish_text_raises_only_config_error(text: str) -> None:
    load_quietly(text)


@FUZZ
@given(st.randoms(use_true_random=False))
def test_mutated_valid_configs_raise_only_config_error(chance: random.Random) -> None:
    load_quietly(mutate(BASE_TEXT, chance))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False))
def test_iepd_check_on_a_mutated_config_answers_without_a_traceback(
    chance: random.Random,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text(mutate(BASE_TEXT, chance), encoding="utf-8", errors="surrogateescape")
        status = cli.main(["--config", str(path), "check"])  # raises if not an IepdError
    assert status in (0, 78)


def test_iepd_check_as_a_process_prints_no_traceback_for_broken_configs(tmp_path: Path) -> None:
    chance = random.Random(7)
    for number in range(6):
        path = tmp_path / f"config-{number}.toml"
        path.write_text(mutate(BASE_TEXT, chance), encoding="utf-8", errors="surrogateescape")
        result = subprocess.run(
            [sys.executable, "-m", "iepd", "--config", str(path), "check"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 78), result.stderr
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[parent]\x00name = \x80\n")
    result = subprocess.run(
        [sys.executable, "-m", "iepd", "--config", str(binary), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 78
    assert "Traceback" not in result.stderr and str(binary) in result.stderr


# -- every field with header-injection payloads -----------------------------------------------

PAYLOADS = [
    "{}\r",
    "{}\n",
    "{}\r\nBcc: evil@attacker.example",
    "a\0b{}",
    "=?utf-8?q?=0D=0ABcc:x@y?=",
    "{} =?utf-8?b?DQpCY2M6IGV2aWxAYXR0YWNrZXIuZXhhbXBsZQ==?=",
    "{}\u2028Bcc: evil@attacker.example",
    "{}\x85Bcc: evil@attacker.example",
    "evil@attacker.example, {}",
    "Dana <evil@attacker.example>",
]
HEADERS_OF_A_LETTER = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def queued_envelope(config: Config, state_dir: Path) -> tuple[str, list[str], bytes]:
    """Queue the request letter exactly as `iepd run` would; return its stored envelope
    and bytes."""
    with Store.open(state_dir) as store:
        sync_requests(config, store)
        sender = Sender(config, store, MailTransport(config, Secret("unused")), lambda: NOW)
        row = sender.queue_letter(config.requests[0].id)
        return row.envelope_from, list(row.recipients), row.read_raw()


def sync_requests(config: Config, store: Store) -> None:
    OnePass(config, store, MailTransport(config, Secret("unused")), lambda: NOW).sync_requests()


def field_cases() -> list[tuple[tuple[Any, ...], str]]:
    paths = list(string_fields(base_config(Path("/x"))))
    return [(path, payload) for path, payload in itertools.product(paths, PAYLOADS)]


def test_every_field_with_an_injection_payload_is_refused_or_cannot_change_the_envelope(
    tmp_path: Path,
) -> None:
    refused = accepted = 0
    for number, (path, payload) in enumerate(field_cases()):
        base = base_config(tmp_path / f"state-{number}")
        original = base
        for key in path:
            original = original[key]
        value = payload.replace("{}", str(original))
        text = to_toml(replaced(base, path, value))
        try:
            config = load_text(text)
        except ConfigError as error:
            refused += 1
            assert error.problems
            continue
        accepted += 1
        envelope_from, recipients, raw = queued_envelope(config, tmp_path / f"state-{number}")
        where = f"{'.'.join(map(str, path))} = {value!r}"
        assert envelope_from == PARENT, where
        assert recipients == [CASE_MANAGER, PRINCIPAL], where
        letter = email.message_from_bytes(raw, policy=email.policy.default)
        names = {name.lower() for name in letter.keys()}
        assert names <= HEADERS_OF_A_LETTER, f"{where}: headers {names}"
        assert [a.addr_spec for a in letter["To"].addresses] == [CASE_MANAGER], where
        assert [a.addr_spec for a in letter["Cc"].addresses] == [PRINCIPAL], where
        assert letter["From"].addresses[0].addr_spec == PARENT, where
        header_block = raw.split(b"\r\n\r\n", 1)[0]
        assert b"\0" not in header_block and b"\nBcc" not in header_block, where
    # Both branches ran: raw CR/LF/NUL are refused, encoded words pass as plain text.
    assert refused > 0 and accepted > 0
    print(f"\ninjection cases: {refused} refused, {accepted} accepted with a safe envelope")


@pytest.mark.parametrize("field", ["email", "remind_to"])
def test_an_address_list_in_a_parent_address_is_refused(field: str, tmp_path: Path) -> None:
    # mail.username is a login name (it may be "jordan"), never an address of a header.
    config = base_config(tmp_path)
    config["parent"][field] = f"{PARENT}, evil@attacker.example"
    with pytest.raises(ConfigError):
        load_text(to_toml(config))


# -- the incoming path with a real store -----------------------------------------------------


class IncomingWorld:
    """A store holding one sent urgent request (support.offline.send_requests), and the
    recorder the corpus goes through, threaded to that request's letter."""

    def __init__(self, folder: Path) -> None:
        config = load_text(to_toml(base_config(folder / "state")))
        self.config = config
        self.store = Store.open(config.state_dir)
        [self.letter_id] = send_requests(config, self.store, lambda: NOW).values()
        sender = Sender(config, self.store, MailTransport(config, Secret("unused")), lambda: NOW)
        self.recorder = MessageRecorder(config, self.store, sender, lambda: NOW)
        self.uids = itertools.count(1)

    def handle(self, raw: bytes) -> str | None:
        # The corpus replies thread to CORPUS_LETTER_ID: make them reply to our letter.
        raw = raw.replace(CORPUS_LETTER_ID.encode(), self.letter_id.encode())
        klass: str | None = self.recorder.handle(
            raw=raw, mailbox="INBOX", uidvalidity=7, uid=next(self.uids), internaldate=NOW
        )
        return klass


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IncomingWorld]:
    built = IncomingWorld(tmp_path_factory.mktemp("incoming"))
    yield built
    built.store.close()


def test_the_corpus_goes_through_the_whole_incoming_path(world: IncomingWorld) -> None:
    classes = [world.handle(raw) for raw in CORPUS_MESSAGES]
    assert "answer" in classes and None in classes  # matched ones recorded, others not
    assert world.store.verify() == []


def byte_mutation(raw: bytes, chance: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(chance.randint(1, 12)):
        where = chance.randrange(len(data) + 1)
        action = chance.randrange(4)
        if action == 0 and data:
            del data[min(where, len(data) - 1) : where + chance.randint(1, 64)]
        elif action == 1:
            data[where:where] = chance.choice(
                [b"\r\n", b"\n\n", b"\0", b"\xff\xfe", b"=?utf-8?q?=0D=0A?=", b"--", b":", b"<"]
            )
        elif action == 2 and data:
            data[min(where, len(data) - 1)] = chance.randrange(256)
        else:
            start = chance.randrange(max(len(data), 1))
            data[where:where] = data[start : start + chance.randint(1, 200)]
    return bytes(data)


@FUZZ
@given(st.sampled_from(CORPUS_MESSAGES), st.randoms(use_true_random=False))
def test_mutated_corpus_mail_through_inbox_handle_never_raises(
    world: IncomingWorld, raw: bytes, chance: random.Random
) -> None:
    klass = world.handle(byte_mutation(raw, chance))
    assert klass in (None, "answer", "auto_reply", "bounce", "declined", "informal", "invite")


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_through_inbox_handle_never_raise(world: IncomingWorld, raw: bytes) -> None:
    # Threaded to our letter so the bytes reach classify and the store, not just match.
    world.handle(
        b"From: "
        + CASE_MANAGER.encode()
        + b"\r\nIn-Reply-To: "
        + CORPUS_LETTER_ID.encode()
        + b"\r\n"
        + raw
    )


def test_after_the_fuzzing_the_store_is_consistent(world: IncomingWorld) -> None:
    # Runs after the fuzz tests above (file order): every record they made still verifies.
    assert world.store.verify() == []
    assert world.store.integrity_check() == "ok"
    messages = world.store.messages_for("sam-speech")
    assert any(message.direction == "in" for message in messages)


# -- atheris, when it is installed --------------------------------------------------------------

ATHERIS_SCRIPT = """
import sys
import atheris
with atheris.instrument_imports():
    from iepd.inbox.parse import parse_message, parse_headers_only
def one(data: bytes) -> None:
    message = parse_message(data)
    parse_headers_only(data.split(b"\\n\\n", 1)[0])
    assert message is not None
atheris.Setup(sys.argv, one)
atheris.Fuzz()
"""


def test_atheris_fuzzes_parse_message_briefly(tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (pip install atheris); hypothesis covers this")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for number, raw in enumerate(CORPUS_MESSAGES[:20]):
        (seeds / f"{number}.eml").write_bytes(raw)
    result = subprocess.run(
        [sys.executable, "-c", ATHERIS_SCRIPT, "-runs=1500", "-max_len=4096", str(seeds)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done 1500 runs" in result.stderr, result.stderr[-2000:]
