"""`iepd export`, `verify` and `timeline` on a store with a real history.

The history is made the way the daemon makes it, with no mail server: the request is queued
by the real Sender and walked through the outbox steps, reminders likewise, and the school's
mail (an out-of-office reply, an HTML-only answer with hostile markup, a calendar invitation,
a bounce) is handed to the real MessageRecorder. Then the export is written and checked with
the tools an investigator would use: `sha256sum -c`, a byte comparison, and headless Chromium (from
Debian's `chromium` package) for the screenshot, the PDF and the proof that the page loads
nothing from the network.
"""

from __future__ import annotations

import csv
import email.policy
import hashlib
import html
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest

from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.inbox.parse import parse_message
from iepd.store.database import Store
from iepd.store.rows import MessageRow
from iepd.trail.export import ExportRefused, export_request
from support import chromium
from support.family import CASE_MANAGER, PARENT, PRINCIPAL, Family
from support.offline import REQUEST, accept_everything, queued_request

EXPORTED_AT = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
# A remote reference a browser would load: an attribute or CSS url() to http(s) or "//".
REMOTE_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data|srcset|background)\s*=\s*["']?\s*"""
    r"""|url\(\s*["']?\s*|@import\s+["']?)(?:https?:)?//""",
    re.IGNORECASE,
)


@dataclass
class History:
    family: Family
    config: Config
    store: Store
    letter_id: str
    letter_subject: str
    receive: Callable[[bytes, timedelta], str | None]

    def messages(self) -> list[MessageRow]:
        return self.store.messages_for(REQUEST)

    def env(self) -> dict[str, str]:
        return self.family.environ(dict(os.environ))


def school_mail(subject: str, number: int, in_reply_to: str | None) -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Dana Alvarez <{CASE_MANAGER}>"
    message["To"] = f"Jordan Rivera <{PARENT}>"
    message["Subject"] = subject
    message["Date"] = "Fri, 20 Nov 2026 09:00:00 -0600"
    message["Message-ID"] = f"<school-{number}@mail.example.test>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    return message


HTML_ANSWER = (
    "<html><head><script src='https://tracker.example.net/t.js'></script>"
    "<link rel='stylesheet' href='https://cdn.example.net/x.css'></head><body>"
    "<p>Dear Ms. Rivera,</p><p>Thank you &amp; sorry for the delay. We can hold Sam's IEP "
    "meeting on December 10 at 3:30&nbsp;pm in room 12. Café au lait — see you then.</p>"
    "<img src='https://tracker.example.net/pixel.gif'>"
    "<p>Our calendar: https://district.example.test/calendar</p><p>Dana</p></body></html>"
)


def invitation(in_reply_to: str, subject: str) -> EmailMessage:
    message = school_mail(f"Invitation: IEP meeting - {subject}", 3, in_reply_to)
    message.set_content("Please see the invitation for Sam's IEP meeting.")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example District//Scheduler//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:iep-sam-20261210@example.test",
        "DTSTAMP:20261120T150000Z",
        "DTSTART:20261210T213000Z",
        "DTEND:20261210T223000Z",
        "SUMMARY:IEP meeting - Sam Rivera",
        "LOCATION:Lincoln Elementary\\, Room 12",
        f"ORGANIZER:mailto:{CASE_MANAGER}",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    message.add_alternative("\r\n".join(lines), subtype="calendar", params={"method": "REQUEST"})
    return message


def bounce(letter_id: str, subject: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n"
        f"To: {PARENT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 30 Nov 2026 08:01:00 -0600\r\n"
        "Message-ID: <bounce-1@mx.example.test>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "Your message could not be delivered to one or more recipients.\r\n"
        f"<{PRINCIPAL}>: host mail.example.test said: 550 5.1.1 User unknown\r\n"
        "\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.test\r\n\r\n"
        f"Final-Recipient: rfc822; {PRINCIPAL}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Jordan Rivera <{PARENT}>\r\nSubject: {subject}\r\nMessage-ID: {letter_id}\r\n"
        "\r\n--B--\r\n"
    ).encode()


def as_raw(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=email.policy.SMTP)


def build_history(root: Path) -> History:
    """A request sent, an out-of-office reply, a follow-up, an HTML-only answer, an
    invitation and a late bounce; every reminder delivered."""
    offline = queued_request(root)
    config, store, sender, inbox = offline.config, offline.store, offline.sender, offline.recorder
    clock, letter = offline.clock, offline.letter
    accept_everything(sender)
    assert letter.message_id is not None and letter.subject is not None
    uid = 0

    def receive(raw: bytes, after: timedelta) -> str | None:
        nonlocal uid
        clock.now += after
        uid += 1
        inbox.refresh()
        klass = inbox.handle(
            raw=raw,
            mailbox="INBOX",
            uidvalidity=7,
            uid=uid,
            internaldate=clock.now - timedelta(seconds=40),
        )
        accept_everything(sender)
        return klass

    out_of_office = school_mail(f"Automatic reply: {letter.subject}", 1, letter.message_id)
    out_of_office["Auto-Submitted"] = "auto-replied"
    out_of_office.set_content("I am out of the office until Monday, November 23.")
    assert receive(as_raw(out_of_office), timedelta(hours=2)) == "auto_reply"

    clock.now += timedelta(days=7)
    sender.queue_followup(REQUEST, 1)
    accept_everything(sender)

    answer = school_mail(f"Re: {letter.subject}", 2, letter.message_id)
    answer.set_content(HTML_ANSWER, subtype="html")
    assert receive(as_raw(answer), timedelta(days=1, hours=3)) == "answer"
    assert receive(as_raw(invitation(letter.message_id, letter.subject)), timedelta(hours=5)) == (
        "invite"
    )
    assert receive(bounce(letter.message_id, letter.subject), timedelta(hours=1)) == "bounce"
    return History(offline.family, config, store, letter.message_id, letter.subject, receive)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    built = build_history(tmp_path / "family")
    yield built
    built.store.close()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[History, Path]]:
    """One history and its export, shared by the tests that only read them."""
    root = tmp_path_factory.mktemp("exported")
    built = build_history(root / "family")
    export_request(built.config, built.store, REQUEST, root / "export", now=EXPORTED_AT)
    yield built, root / "export"
    built.store.close()


def sha256sum_check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False
    )


def iepd(history: History, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iepd", "--config", str(history.family.config_path), *args],
        capture_output=True,
        text=True,
        env=history.env(),
        timeout=60,
        check=False,
    )


def readable_lines(raw: bytes) -> list[str]:
    return [line.strip() for line in parse_message(raw).text.splitlines() if line.strip()]


# -- the folder


def test_the_history_has_every_kind_of_message(history: History) -> None:
    """The fixture itself: a later test depending on an answer or a bounce must have one."""
    kinds = {(row.direction, row.purpose, row.klass) for row in history.messages()}
    assert {("out", "request", None), ("out", "followup", None)} <= kinds
    classes = ("auto_reply", "answer", "invite", "bounce")
    assert {("in", "incoming", klass) for klass in classes} <= kinds
    assert all(row.step == "done" for row in history.store.list_outgoing(REQUEST))


def test_export_writes_the_files_and_sha256sum_c_passes(exported: tuple[History, Path]) -> None:
    history, folder = exported
    names = sorted(path.name for path in (folder / "messages").iterdir())
    stored = history.messages()

    result = sha256sum_check(folder)

    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(path.name for path in folder.iterdir()) == [
        "SHA256SUMS", "index.html", "messages", "timeline.csv",
    ]  # fmt: skip
    assert len(names) == len(stored)
    listed = [line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text().splitlines()]
    assert sorted(listed) == sorted(
        ["index.html", "timeline.csv", *(f"messages/{n}" for n in names)]
    )
    assert [name[:3] for name in names] == [f"{n:03d}" for n in range(1, len(names) + 1)]
    assert names[0] == "001-request.eml"
    kinds = [name[4:-4] for name in names]
    for kind in ("followup", "auto_reply", "answer", "invite", "bounce", "reminder-sent"):
        assert kind in kinds
    assert kinds.index("auto_reply") < kinds.index("followup") < kinds.index("answer")
    assert kinds.index("answer") < kinds.index("invite") < kinds.index("bounce")


def test_every_exported_eml_is_a_byte_identical_copy(exported: tuple[History, Path]) -> None:
    history, folder = exported
    copies = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p for p in (folder / "messages").iterdir()
    }
    for row in history.messages():
        assert copies[row.sha256].read_bytes() == row.raw_path.read_bytes()
    assert len(copies) == len(history.messages())


def test_index_shows_every_letter_and_answer_in_full_with_the_head_hash(
    exported: tuple[History, Path],
) -> None:
    history, folder = exported
    page = (folder / "index.html").read_text(encoding="utf-8")
    text = html.unescape(page)
    cover = page.split("</header>", 1)[0]

    assert history.store.chain_head() in cover
    assert "2026-12-01" in cover  # the export date
    assert "not legal advice" in cover
    for needle in (REQUEST, "Sam Rivera", "Lincoln Elementary School", "Jordan Rivera",
                   "Dana Alvarez", "about half of his speech sessions"):  # fmt: skip
        assert needle in text
    shown = 0
    for row in history.messages():
        if row.purpose == "reminder":
            assert row.subject is not None and row.subject in text  # listed, not in full
            continue
        shown += 1
        for line in readable_lines(row.raw_path.read_bytes()):
            assert line in text, f"{row.eml_path}: {line!r} is not on the page"
        assert row.message_id is not None and row.message_id in text
    assert shown == 6
    assert "Café au lait" in text  # the HTML-only answer, as text
    assert "December 10 at 3:30" in text
    assert "User unknown" in text  # the bounce's delivery report


def test_index_loads_nothing_remote_even_from_a_hostile_html_answer(
    exported: tuple[History, Path],
) -> None:
    page = (exported[1] / "index.html").read_text(encoding="utf-8")

    assert REMOTE_REFERENCE.findall(page) == []
    assert "<script" not in page.lower()
    assert "<img" not in page.lower() and "<link" not in page.lower()
    assert "tracker.example.net" not in page
    assert "default-src 'none'" in page
    # The matcher itself finds what it must.
    assert REMOTE_REFERENCE.search("<img src='https://x.example/p.gif'>")
    assert REMOTE_REFERENCE.search('<a href="//x.example/">')
    assert REMOTE_REFERENCE.search("background: url( 'http://x.example/a.png')")
    assert not REMOTE_REFERENCE.search('<a href="messages/001-request.eml">')


def test_index_has_print_styles_for_letter_and_a4(exported: tuple[History, Path]) -> None:
    page = (exported[1] / "index.html").read_text(encoding="utf-8")
    assert "@page" in page and "@media print" in page
    # size: auto lets the printer's paper (Letter or A4) decide; the margins suit both.
    assert re.search(r"@page\s*\{[^}]*size:\s*auto", page)


def test_timeline_csv_has_one_row_per_event_in_utc_and_local_time(
    exported: tuple[History, Path],
) -> None:
    history, folder = exported
    with (folder / "timeline.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    events = history.store.events(REQUEST)

    assert [int(row["seq"]) for row in rows] == [event.seq for event in events]
    assert [row["kind"] for row in rows] == [event.kind for event in events]
    assert [row["hash"] for row in rows] == [event.hash for event in events]
    for row, event in zip(rows, events, strict=True):
        assert datetime.fromisoformat(row["at_utc"].replace("Z", "+00:00")) == event.at
        assert row["at_utc"].endswith("Z")
        assert row["at_local"].endswith("-06:00")  # America/Chicago in November
        assert datetime.fromisoformat(row["at_local"]) == event.at
    [answer] = [row for row in rows if row["kind"] == "reply_received" and row["class"] == "answer"]
    assert answer["from"] == CASE_MANAGER
    assert answer["to"] == PARENT
    assert answer["date_header_utc"] == "2026-11-20T15:00:00Z"
    assert answer["internaldate_utc"] and answer["recorded_at_utc"]
    assert answer["file"].startswith("messages/") and (folder / answer["file"]).is_file()


# -- the page comes from a template, escaped, and the parent's own page wins

PARENTS_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>{{ title }}</title></head>
<body><h1>Our own record of {{ cover.child }}</h1>
<p>{{ plural(events|length, "event") }}; head {{ head }}</p>
{% for letter in letters %}
<p>{{ letter.number }} {{ letter.message_id }}</p>
{% endfor %}
</body></html>
"""
HOSTILE_SCHOOL = 'Lincoln <script>alert(1)</script> Elementary</title>" onmouseover="alert(2)'
HOSTILE_SUBJECT = 'Re: IEP</title><script>alert(3)</script>" onmouseover="alert(4)" x="'


class ParsedPage(HTMLParser):
    """What a browser builds from a page: its elements, their attributes, the title, text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.title = self.text = ""
        self.in_title = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        self.in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self.in_title = False

    def handle_data(self, data: str) -> None:
        self.text += data
        self.title += data if self.in_title else ""


def parents_page(history: History) -> Path:
    return history.family.config_path.parent / "templates" / "export" / "index.html.j2"


def test_a_page_in_templates_next_to_the_config_replaces_the_index(
    history: History, tmp_path: Path
) -> None:
    parents_page(history).parent.mkdir(parents=True)
    parents_page(history).write_text(PARENTS_PAGE)
    folder = tmp_path / "out"

    export_request(history.config, history.store, REQUEST, folder, now=EXPORTED_AT)

    page = (folder / "index.html").read_text(encoding="utf-8")
    events = len(history.store.events(REQUEST))
    assert page.startswith("<!DOCTYPE html>\n<html><head><meta")
    assert "<h1>Our own record of Sam Rivera, 4th grade, Lincoln Elementary School</h1>" in page
    assert f"<p>{events} events; head {history.store.chain_head()}</p>" in page
    assert re.search(r"<p>\d{3} &lt;school-1@mail.example.test&gt;</p>", page)  # escaped
    assert "Letters and answers, in full" not in page
    assert sha256sum_check(folder).returncode == 0


def test_a_broken_page_in_templates_is_named_and_nothing_is_exported(
    history: History, tmp_path: Path
) -> None:
    parents_page(history).parent.mkdir(parents=True)
    parents_page(history).write_text("<p>{{ cover.child }}</p>\n<p>{{ cover.no_such_fact }}</p>\n")

    result = iepd(history, "export", REQUEST, "--out", str(tmp_path / "out"))

    assert result.returncode == 78, result.stderr
    assert f"{parents_page(history)}, line 2" in result.stderr
    assert "no_such_fact" in result.stderr
    assert not (tmp_path / "out").exists()


def test_hostile_words_in_the_config_and_a_schools_subject_stay_text_on_the_page(
    history: History, tmp_path: Path
) -> None:
    config_path = history.family.config_path
    config_path.write_text(
        config_path.read_text().replace(
            'school = "Lincoln Elementary School"', f"school = {json.dumps(HOSTILE_SCHOOL)}"
        )
    )
    config = load_config(config_path, history.env())
    hostile = school_mail(HOSTILE_SUBJECT, 9, history.letter_id)
    hostile.set_content(f"We read your letter.\n{HOSTILE_SUBJECT}\n</pre><script>alert(5)</script>")
    assert history.receive(as_raw(hostile), timedelta(hours=1)) is not None
    folder = tmp_path / "out"

    export_request(config, history.store, REQUEST, folder, now=EXPORTED_AT)

    page = (folder / "index.html").read_text(encoding="utf-8")
    parsed = ParsedPage(page)
    assert "script" not in parsed.tags
    assert parsed.tags.count("title") == 1
    assert parsed.tags.count("pre") == page.count("</pre>")  # no body closed its block early
    assert not [name for name in parsed.attributes if name.startswith("on") or name == "x"]
    assert parsed.title == f"Paper trail: {REQUEST} (Sam Rivera, 4th grade, {HOSTILE_SCHOOL})"
    assert HOSTILE_SCHOOL in parsed.text and HOSTILE_SUBJECT in parsed.text
    assert "</pre><script>alert(5)</script>" in parsed.text
    assert "default-src 'none'" in page
    assert sha256sum_check(folder).returncode == 0


# -- refusals and round trips


def test_export_refuses_a_folder_that_is_not_empty(history: History, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("mine")

    with pytest.raises(ExportRefused, match="not empty"):
        export_request(history.config, history.store, REQUEST, target, now=EXPORTED_AT)

    assert [path.name for path in target.iterdir()] == ["keep.txt"]


def test_export_into_an_existing_empty_folder_works_and_leaves_no_temporary(
    history: History, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    target.mkdir()

    result = export_request(history.config, history.store, REQUEST, target, now=EXPORTED_AT)

    assert result.folder == target
    assert sorted(path.name for path in tmp_path.iterdir()) == ["family", "out"]
    assert sha256sum_check(target).returncode == 0


def test_export_then_verify_round_trips(history: History, tmp_path: Path) -> None:
    before = history.store.chain_head()

    export_request(history.config, history.store, REQUEST, tmp_path / "out", now=EXPORTED_AT)

    assert history.store.verify() == []
    assert history.store.chain_head() == before  # exporting records nothing
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (tmp_path / "out" / "SHA256SUMS").read_text().splitlines()
    )
    stored = {row.sha256 for row in history.messages()}
    assert {digest for name, digest in sums.items() if name.startswith("messages/")} == stored
    result = iepd(history, "verify", REQUEST)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert before in result.stdout


def test_an_edited_eml_in_the_state_folder_is_named_by_verify_and_stops_the_export(
    history: History, tmp_path: Path
) -> None:
    [answer] = [row for row in history.messages() if row.klass == "answer"]
    raw = answer.raw_path.read_bytes()
    answer.raw_path.write_bytes(raw.replace(b"December 10", b"December 11"))

    result = iepd(history, "verify")
    refused = iepd(history, "export", REQUEST, "--out", str(tmp_path / "out"))
    scoped = iepd(history, "verify", REQUEST)

    assert result.returncode == 1
    assert f"TAMPERED: message {answer.id}" in result.stdout
    assert answer.eml_path in result.stdout and "changed" in result.stdout
    assert scoped.returncode == 1 and answer.eml_path in scoped.stdout
    assert refused.returncode == 1
    assert answer.eml_path in refused.stderr
    assert not (tmp_path / "out").exists()


def test_an_edited_event_is_named_by_seq_and_stops_the_export(
    history: History, tmp_path: Path
) -> None:
    [event] = [e for e in history.store.events(REQUEST) if e.kind == "reply_received"][:1]
    with sqlite3.connect(history.config.state_dir / "iepd.sqlite3") as connection:
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute(
            "UPDATE events SET detail = 'no answer was ever received' WHERE seq = ?", (event.seq,)
        )
    connection.close()

    result = iepd(history, "verify", REQUEST)
    refused = iepd(history, "export", REQUEST, "--out", str(tmp_path / "out"))

    assert result.returncode == 1
    assert f"TAMPERED: event {event.seq}: content changed" in result.stdout
    assert "TAMPERED: the append-only trigger events_no_update on events is missing" in (
        result.stdout
    )
    assert refused.returncode == 1
    assert f"event {event.seq}: content changed" in refused.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("victim", ["timeline.csv", "message", "index.html"])
def test_an_edited_file_in_the_export_fails_sha256sum_c(
    history: History, tmp_path: Path, victim: str
) -> None:
    folder = tmp_path / "out"
    export_request(history.config, history.store, REQUEST, folder, now=EXPORTED_AT)
    assert sha256sum_check(folder).returncode == 0
    if victim == "message":
        path = sorted((folder / "messages").glob("*-answer.eml"))[0]
    else:
        path = folder / victim
    data = path.read_bytes()
    path.write_bytes(data.replace(b"2026-11", b"2026-10", 1) if b"2026-11" in data else data + b"x")
    assert path.read_bytes() != data

    result = sha256sum_check(folder)

    assert result.returncode == 1
    relative = path.relative_to(folder).as_posix()
    assert f"{relative}: FAILED" in result.stdout
    assert result.stdout.count("FAILED") == 1


# -- the commands


def test_cli_export_prints_the_folder_and_what_to_open(history: History, tmp_path: Path) -> None:
    folder = tmp_path / "for-the-mediator"

    result = iepd(history, "export", REQUEST, "--out", str(folder))

    assert result.returncode == 0, result.stderr
    assert str(folder) in result.stdout
    assert str(folder / "index.html") in result.stdout
    assert "sha256sum -c SHA256SUMS" in result.stdout
    assert sha256sum_check(folder).returncode == 0
    again = iepd(history, "export", REQUEST, "--out", str(folder))
    assert again.returncode == 1 and "not empty" in again.stderr


def test_cli_timeline_shows_who_to_whom_subject_class_and_three_times(history: History) -> None:
    result = iepd(history, "timeline", REQUEST)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        out.index("  request_sent") < out.index("  followup_sent") < out.index("  reply_received")
    )
    assert "CST (2026-11-16 14:00:00 UTC)" in out  # local time with UTC beside it
    assert f"to:           {CASE_MANAGER}" in out
    assert f"subject:      {history.letter_subject}" in out
    assert "class:        answer" in out and "class:        auto_reply" in out
    assert "Date header:  Fri 2026-11-20 09:00:00 CST (2026-11-20 15:00:00 UTC)" in out
    assert "INTERNALDATE:" in out and "recorded:" in out and "accepted:" in out


def test_cli_timeline_json_keeps_the_spec_keys_and_adds_the_message(history: History) -> None:
    result = iepd(history, "timeline", REQUEST, "--json")

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == len(history.store.events(REQUEST))
    for row in rows:
        assert {"at", "kind", "message_id", "from", "subject", "detail"} <= row.keys()
        assert row["at"].endswith("Z")
    [sent] = [row for row in rows if row["kind"] == "request_sent"]
    assert sent["message_id"] == history.letter_id
    assert sent["to"] == [CASE_MANAGER] and sent["direction"] == "out"
    assert sent["file"] == "messages/001-request.eml"
    [answer] = [row for row in rows if row["kind"] == "reply_received" and row["class"] == "answer"]
    assert answer["internaldate"] and answer["date_header"] == "2026-11-20T15:00:00Z"


def test_cli_verify_of_an_unknown_request_says_so(history: History) -> None:
    result = iepd(history, "verify", "no-such-request")
    assert result.returncode == 1
    assert "no request 'no-such-request'" in result.stderr


def test_cli_status_json_is_the_spec_rows_one_request_per_line(history: History) -> None:
    result = iepd(history, "status", "--json")

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == [REQUEST]
    [row] = rows
    assert row.keys() == {
        "id", "child", "state", "sent_at", "last_answer_at", "next_action", "next_due",
        "waiting_for",
    }  # fmt: skip
    assert (row["state"], row["sent_at"]) == ("meeting_scheduled", "2026-11-16T14:00:00Z")
    # v2: the next pass drafts the letter confirming the meeting; nobody owes a letter now
    assert row["next_action"] == "confirm draft" and row["next_due"].endswith("Z")
    assert row["waiting_for"] == "nothing"
    assert row["last_answer_at"].endswith("Z")
    assert result.stdout.splitlines() == ["[", f"  {json.dumps(row)}", "]"]


def test_cli_status_shows_days_since_sent(history: History) -> None:
    result = iepd(history, "status")
    assert result.returncode == 0, result.stderr
    assert "DAYS SINCE SENT" in result.stdout


# -- the page in a real browser


def test_chromium_renders_a_screenshot_and_a_pdf(
    exported: tuple[History, Path], tmp_path: Path
) -> None:
    index = exported[1] / "index.html"
    png, pdf = tmp_path / "page.png", tmp_path / "page.pdf"

    shot = chromium.run(
        tmp_path / "profile-1", f"--screenshot={png}", "--window-size=1200,1600", index.as_uri()
    )
    printed = chromium.run(
        tmp_path / "profile-2", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", index.as_uri()
    )

    assert shot.returncode == 0, shot.stderr[-2000:]
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.stat().st_size > 20_000  # a page of text, not a blank frame
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages >= 2  # the cover page breaks before the timeline


def test_chromium_sees_no_request_leave_the_page_but_sees_a_remote_image_on_another(
    exported: tuple[History, Path], tmp_path: Path
) -> None:
    """The DevTools protocol lists every request a page makes; the control page with one
    remote image proves that the list would show a request if the export made one."""
    index = exported[1] / "index.html"
    control = tmp_path / "control.html"
    control.write_text(
        '<!DOCTYPE html><html><body><img src="http://images.example.net/pixel.gif"></body></html>'
    )

    requests = chromium.page_requests(tmp_path / "profile-1", index.as_uri())
    controls = chromium.page_requests(tmp_path / "profile-2", control.as_uri())
    dom = chromium.run(tmp_path / "profile-3", "--dump-dom", index.as_uri())

    assert requests == [index.as_uri()]
    assert "http://images.example.net/pixel.gif" in controls
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Letters and answers, in full" in dom.stdout  # the DOM really was built
    assert REMOTE_REFERENCE.findall(dom.stdout) == []
