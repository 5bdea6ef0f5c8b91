"""`iepd init` driven through a pseudo-terminal, as a parent would type at it.

One run answers with mistakes (re-asked with the reason), finds the keyring refused and
takes a command instead, and skips the connection check; another answers with custom
hosts pointing at the test Dovecot and aiosmtpd, stores the password in a keyring, and
logs in to both servers. The non-interactive form is run without a terminal.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring.backend
import pytest

from iepd.config.load import load_config
from support.mailservers import Dovecot, MailAccount, SmtpServer

DEADLINE = 30.0
TESTS = Path(__file__).parent.parent


class _OnlyWhenNamed:
    """A priority that makes keyring never pick the class on its own (see test_credentials)
    except in the child process, which names it in PYTHON_KEYRING_BACKEND."""

    def __get__(self, instance: object, owner: type) -> float:
        if "IEPD_TEST_KEYRING" not in os.environ:
            raise RuntimeError("a test-only keyring backend")
        return 1.0


class FileKeyring(keyring.backend.KeyringBackend):
    """A keyring backend for the child process (named by PYTHON_KEYRING_BACKEND), keeping
    passwords in the JSON file $IEPD_TEST_KEYRING so that the test can read them back."""

    priority = _OnlyWhenNamed()  # type: ignore[assignment]

    def _load(self) -> dict[str, str]:
        path = Path(os.environ["IEPD_TEST_KEYRING"])
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        Path(os.environ["IEPD_TEST_KEYRING"]).write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}/{username}", None)
        Path(os.environ["IEPD_TEST_KEYRING"]).write_text(json.dumps(data))


class Terminal:
    """`python -m iepd ARGS` on the slave side of a pseudo-terminal."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal is its controlling tty
            try:
                os.execve(sys.executable, [sys.executable, "-m", "iepd", *args], env)
            finally:
                os._exit(127)
        self.output = ""
        self._seen = 0
        self.status: int | None = None

    def expect(self, text: str) -> str:
        """Read until text appears after the last match; return what came before it."""
        deadline = time.monotonic() + DEADLINE
        while text not in self.output[self._seen :]:
            if time.monotonic() > deadline or not self._read():
                raise AssertionError(f"no {text!r} in the output:\n{self.output}")
        index = self.output.index(text, self._seen)
        before = self.output[self._seen : index]
        self._seen = index + len(text)
        return before

    def answer(self, prompt: str, line: str) -> None:
        self.expect(prompt)
        os.write(self.fd, line.encode() + b"\r")

    def wait(self) -> int:
        """Read to the end and return the exit status."""
        deadline = time.monotonic() + DEADLINE
        while self._read():
            if time.monotonic() > deadline:
                break
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def kill(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            os.close(self.fd)
            self.status = -9

    def _read(self) -> bool:
        ready, _, _ = select.select([self.fd], [], [], 1.0)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        self.output += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return True


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "PYTHONPATH": os.pathsep.join([str(TESTS / "e2e"), str(TESTS)]),
        "TERM": "dumb",
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


@pytest.fixture
def terminals() -> Iterator[Callable[[list[str], dict[str, str]], Terminal]]:
    started: list[Terminal] = []

    def start(args: list[str], env: dict[str, str]) -> Terminal:
        terminal = Terminal(args, env)
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.kill()


def answer_family(terminal: Terminal, parent_email: str, school_email: str) -> None:
    terminal.answer("Your name", "Jordan Rivera")
    terminal.answer("Your email address", parent_email)
    terminal.answer("Your time zone", "America/Chicago")
    terminal.answer("Your child's full name", "Sam Rivera")
    terminal.answer("A short name for this child", "")
    terminal.answer("Grade", "4th grade")
    terminal.answer("School", "Lincoln Elementary School")
    terminal.answer("Pronouns", "he")
    terminal.answer("Case manager's name", "Dana Alvarez")
    terminal.answer("Case manager's email", school_email)
    terminal.answer("Principal's name", "Lee Chen")
    terminal.answer("Principal's email", school_email.replace("@", "+principal@"))
    terminal.answer("mail domain", "")


def test_init_reasks_bad_answers_and_offers_a_command_when_the_keyring_is_refused(
    tmp_path: Path, terminals: Callable[[list[str], dict[str, str]], Terminal]
) -> None:
    env = child_env(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    terminal = terminals(["init", "--no-connect"], env)
    terminal.answer("Your name", "Jordan Rivera")
    terminal.answer("Your email address", "Jordan Rivera <jordan@family.example>")
    assert "a plain email address" in terminal.expect("Your email address")
    os.write(terminal.fd, b"jordan@fastmail.com\r")
    terminal.answer("Your time zone", "Mars/Olympus_Mons")
    assert "an IANA time zone name" in terminal.expect("Your time zone")
    os.write(terminal.fd, b"America/Chicago\r")
    terminal.answer("Your child's full name", "Sam Rivera")
    terminal.answer("A short name for this child", "")
    terminal.answer("Grade", "4th grade")
    terminal.answer("School", "Lincoln Elementary School")
    terminal.answer("Pronouns", "it")
    assert "one of: he, she, they" in terminal.expect("Pronouns")
    os.write(terminal.fd, b"they\r")
    terminal.answer("Case manager's name", "Dana Alvarez")
    terminal.answer("Case manager's email", "dalvarez@district.example")
    terminal.answer("Principal's name", "Lee Chen")
    terminal.answer("Principal's email", "lchen@district.example")
    terminal.answer("come from it) [district.example]", "")
    terminal.answer("Your mail provider", "")  # the guess from the address: fastmail
    terminal.answer("Login name for the mail servers [jordan@fastmail.com]", "")
    terminal.answer("(password, xoauth2) [password]", "")
    terminal.answer("(keyring, command, credential) [keyring]", "")
    terminal.answer("(not shown)", "an-app-password")
    assert "Fastmail needs an app password" in terminal.output
    terminal.expect("The password was not stored")
    terminal.answer("(command, credential) [command]", "")
    terminal.answer("The command that prints it", "pass show 'mail/jordan fastmail'")
    terminal.expect("wrote ")
    assert terminal.wait() == 0
    assert "an-app-password" not in terminal.output.split("(not shown): ", 1)[1]
    assert "iepd preview sam-meeting-1" in terminal.output

    path = tmp_path / "xdg" / "iepd" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = load_config(path, {"HOME": str(tmp_path)})
    assert config.parent.email == "jordan@fastmail.com"
    assert config.parent.timezone == "America/Chicago"
    assert config.children[0].pronouns == "they"
    assert config.mail.provider == "fastmail"
    assert config.mail.smtp.host == "smtp.fastmail.com"
    assert config.mail.password.source == "command"
    assert config.mail.password.command == ("pass", "show", "mail/jordan fastmail")
    assert config.requests[0].hold is True
    assert "# " in path.read_text()  # commented


def test_init_with_custom_hosts_stores_the_password_and_logs_in_to_both_servers(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    new_mail_account: Callable[[str], MailAccount],
    terminals: Callable[[list[str], dict[str, str]], Terminal],
) -> None:
    parent = new_mail_account("parent")
    school = new_mail_account("school")
    keyring_file = tmp_path / "keyring.json"
    env = child_env(
        tmp_path,
        PYTHON_KEYRING_BACKEND="test_init.FileKeyring",
        IEPD_TEST_KEYRING=str(keyring_file),
    )
    path = tmp_path / "elsewhere" / "iepd.toml"
    terminal = terminals(["--config", str(path), "init"], env)
    answer_family(terminal, parent.user, school.user)
    terminal.answer("Your mail provider", "other")
    terminal.answer("Incoming (IMAP) server", "127.0.0.1")
    terminal.answer("IMAP security", "starttls")
    terminal.answer("IMAP port [143]", str(dovecot.imap_port))
    terminal.answer("Outgoing (SMTP) server", "127.0.0.1")
    terminal.answer("SMTP security", "starttls")
    terminal.answer("SMTP port [587]", str(smtp_server.port))
    terminal.answer("extra CA certificate", "/no/such/ca.pem")
    assert "no such file" in terminal.expect("extra CA certificate")
    os.write(terminal.fd, str(dovecot.ca_file).encode() + b"\r")
    terminal.answer("Login name", "")
    terminal.answer("(password, xoauth2)", "")
    terminal.answer("(keyring, command, credential)", "")
    terminal.answer("(not shown)", parent.password)
    terminal.expect('stored in the keyring for service "iepd"')
    terminal.expect("iepd check --connect")
    assert terminal.wait() == 0, terminal.output
    assert f"IMAP 127.0.0.1:{dovecot.imap_port}: STARTTLS ok" in terminal.output
    assert f"SMTP 127.0.0.1:{smtp_server.port}: STARTTLS ok" in terminal.output
    assert f"login ok as {parent.user}" in terminal.output
    assert "FAILED" not in terminal.output

    assert json.loads(keyring_file.read_text()) == {f"iepd/{parent.user}": parent.password}
    assert parent.password not in path.read_text()
    config = load_config(path, {"HOME": str(tmp_path)})
    assert (config.mail.imap.host, config.mail.imap.port) == ("127.0.0.1", dovecot.imap_port)
    assert config.mail.ca_file == Path(dovecot.ca_file).resolve()
    assert config.children[0].school_domains == (school.user.rpartition("@")[2],)


def run_init(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iepd", "init", "--non-interactive", "--no-connect", *args],
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        stdin=subprocess.DEVNULL,
    )


FLAGS = [
    *("--parent-name", "Jordan Rivera", "--parent-email", "jordan@gmail.com"),
    *("--child-name", "Sam Rivera", "--grade", "4th grade", "--school", "Lincoln"),
    *("--pronouns", "he", "--case-manager-name", "Dana Alvarez"),
    *("--case-manager-email", "dalvarez@district.example", "--principal-name", "Lee Chen"),
    *("--principal-email", "lchen@district.example"),
    *("--auth", "xoauth2", "--password-command", "oama access jordan@gmail.com"),
]


def test_init_non_interactive_writes_from_flags_and_refuses_to_overwrite(tmp_path: Path) -> None:
    done = run_init(tmp_path, *FLAGS)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "xdg" / "iepd" / "config.toml"
    config = load_config(path, {"HOME": str(tmp_path)})
    assert config.mail.provider == "gmail"
    assert config.mail.auth == "xoauth2"
    assert config.mail.password.command == ("oama", "access", "jordan@gmail.com")

    again = run_init(tmp_path, *FLAGS)
    assert again.returncode == 1
    assert "already exists" in again.stderr and "--force" in again.stderr
    forced = run_init(tmp_path, *FLAGS, "--force", "--pronouns", "she")
    assert forced.returncode == 0, forced.stderr
    assert load_config(path, {"HOME": str(tmp_path)}).children[0].pronouns == "she"


def test_init_non_interactive_lists_every_bad_or_missing_flag_and_writes_nothing(
    tmp_path: Path,
) -> None:
    done = run_init(tmp_path, "--parent-email", "not an address", "--pronouns", "it")
    assert done.returncode == 1
    assert "--parent-name: required" in done.stderr
    assert "--parent-email: a plain email address" in done.stderr
    assert "--pronouns: one of: he, she, they" in done.stderr
    assert not (tmp_path / "xdg" / "iepd" / "config.toml").exists()
