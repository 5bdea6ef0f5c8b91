"""`iepd demo --language es` (issue 16): the same script, the parent reading iepd in Spanish.
Every reminder in her inbox is Spanish, subject and body, and every letter to the school is
Spanish; what the school wrote (quoted, or its own subject) is the school's."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
from test_spanish import english_words_in

PARENT = "jordan@rivera.example"
REQUESTS = ("sam-speech", "maya-reading", "eli-behavior", "noa-evaluation", "ava-services")
SCHOOL = "Lincoln K-8 School"  # the school's own name


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("demo-es") / "run"
    env = {key: value for key, value in os.environ.items() if key != "NOTIFY_SOCKET"}
    env["HOME"] = str(folder.parent)
    result = subprocess.run(
        [sys.executable, "-m", "iepd", "demo", "--dir", str(folder), "--plain", "--language", "es"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(result.stdout)
    print(result.stderr)
    return folder, result


def messages(folder: Path, user: str, name: str = "INBOX") -> list[EmailMessage]:
    found = []
    for path in sorted((folder / "mailboxes" / user / name).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def schools_lines_removed(text: str) -> str:
    """Without what the school wrote: its subject ("Asunto:"), the quoted lines, and the
    sentences an unsure reminder quotes (indented) for the parent to read."""
    school = ("Asunto:", ">", "    ")
    kept = [line for line in text.splitlines() if not line.startswith(school)]
    return "\n".join(kept)


def test_the_spanish_demo_ends_as_the_script_says(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = demo
    assert result.returncode == 0, result.stdout + result.stderr
    assert "paper trail: the event hash chain and every stored message verify" in result.stdout


def test_every_reminder_to_the_parent_is_in_spanish(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, _ = demo
    reminders = [m for m in messages(folder, PARENT) if m["X-IEPD-Kind"]]
    assert len(reminders) >= 10
    for reminder in reminders:
        body = reminder.get_body(("plain",))
        assert body is not None
        text = f"{reminder['Subject']}\n{schools_lines_removed(body.get_content())}"
        assert english_words_in(text, *REQUESTS, SCHOOL) == set(), text
        assert "iepd le da información, no asesoría legal" in " ".join(text.split())


def test_every_letter_to_the_school_is_in_spanish(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, _ = demo
    letters = messages(folder, PARENT, "Sent")
    assert letters
    for letter in letters:
        body = letter.get_body(("plain",))
        assert body is not None
        text = f"{letter['Subject']}\n{schools_lines_removed(body.get_content())}"
        assert "Atentamente" in text
        assert english_words_in(text, *REQUESTS, SCHOOL) == set(), text


def test_the_parent_approves_the_draft_with_enviar(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, result = demo
    assert "Jordan Rivera (parent) replies ENVIAR to:" in result.stdout
    done = [m for m in messages(folder, PARENT) if m["X-IEPD-Kind"] == "command_done"]
    assert [str(m["Subject"]) for m in done] == [
        "[iepd] Hecho: ENVIAR para la solicitud de reunión de Ava Rivera"
    ]
