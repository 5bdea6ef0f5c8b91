"""Certified mail: `iepd print` writes the letter as a PDF, `iepd mailed` records the mailing
and the delivery in the paper trail.

The PDF is read back with the tools a person would use: Poppler's pdftotext (its words must
be the email's, accents and all), pdffonts (the font is embedded), pdfinfo (the paper size)
and pdftoppm (page one renders to a picture). No mail server is needed.
"""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from iepd.config.load import load_config
from iepd.letters.printed import is_page_number, sheet_for
from iepd.letters.school import render_request
from iepd.outbox.sender import Sender
from iepd.store.database import Store
from support.offline import REQUEST, queued_request

REQUEST_ID = "lucja-speech"
TRACKING = "9400 1118 9922 3197 4284 90"
CONFIG = """\
state_dir = "{state}"

[parent]
name = "Zoë Nguyễn"
email = "zoe@family.example"
timezone = "America/Chicago"
signature = "Zoë Nguyễn\\n(555) 010-0000"
postal_address = "ul. Łąkowa 5, apt. 2\\nSpringfield, IL 62701"

[mail]

[mail.password]
source = "credential"

[mail.imap]
host = "imap.family.example"

[mail.smtp]
host = "smtp.family.example"

[[child]]
id = "lucja"
name = "Łucja Dvořák"
grade = "3rd grade"
school = "Escuela Primaria José Martí"
pronouns = "she"
case_manager = {{ name = "Dana Álvarez", email = "dalvarez@district.example" }}
principal = {{ name = "Lee Chen", email = "lchen@district.example" }}

[[request]]
id = "{request}"
child = "lucja"
reason = "services_not_delivered"
hold = true
concern = "{concern}"
availability = ["Mon or Wed after 3:30 pm", "Fri 8-10 am"]

[request.details]
service = "60 minutes per week of speech-language therapy (séances d'orthophonie)"
"""
CONCERN = "Since October Łucja has received about half of her speech sessions; Zoë noticed."
LONG_CONCERN = " ".join(
    [
        f"In week {number}, Łucja missed her session and nobody told us why."
        for number in range(1, 61)
    ]
)


def write_config(root: Path, concern: str = CONCERN) -> Path:
    path = root / "config.toml"
    text = CONFIG.format(state=root / "state", request=REQUEST_ID, concern=concern)
    path.write_text(text, encoding="utf-8")
    return path


def iepd(
    config: Path, *args: str, python: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *(python or ["-m", "iepd"]), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=config.parent,
    )


def pdftotext(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def normalised(text: str) -> str:
    """The words, in order: NFC, whitespace runs made one space, page numbers left out."""
    lines = [line for line in text.splitlines() if not is_page_number(line)]
    return " ".join(unicodedata.normalize("NFC", "\n".join(lines)).split())


def letter_text(config_path: Path) -> tuple[str, str]:
    """The printed heading and the letter's body, as `iepd preview` renders the body."""
    config = load_config(config_path, {"HOME": str(config_path.parent), "TZ": "UTC"})
    message = render_request(
        config, REQUEST_ID, message_id="<x@family.example>", date=datetime.now(UTC)
    )
    today = datetime.now(UTC).astimezone(ZoneInfo(config.parent.timezone)).date()
    printed = sheet_for(config, REQUEST_ID, message, today)
    return "\n".join(printed.heading), printed.body


def test_print_before_any_email_writes_the_letters_exact_words_with_accents(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    pdf = tmp_path / "letter.pdf"

    result = iepd(config, "print", REQUEST_ID, "--out", str(pdf))

    assert result.returncode == 0, result.stderr
    assert f"wrote {pdf}" in result.stdout and "US Letter" in result.stdout
    assert f"iepd mailed {REQUEST_ID} --tracking NUMBER --pdf {pdf}" in result.stdout
    assert not (tmp_path / "state").exists()  # printing records nothing
    text = pdftotext(pdf)
    heading, body = letter_text(config)
    assert "Zoë Nguyễn" in body and "Łucja" in body and "séances" in body
    assert normalised(text) == normalised(heading + "\n" + body)
    assert text.splitlines()[:3] == ["Zoë Nguyễn", "ul. Łąkowa 5, apt. 2", "Springfield, IL 62701"]
    assert "Dana Álvarez, case manager" in text and "Escuela Primaria José Martí" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    [font] = [line for line in fonts.splitlines() if "NotoSerif" in line]
    assert font.split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, with ToUnicode
    assert len(fonts.strip().splitlines()) == 3  # that font only
    assert pdf.stat().st_mode & 0o777 == 0o600


def test_a_long_letter_has_page_numbers_and_still_the_same_words(tmp_path: Path) -> None:
    config = write_config(tmp_path, LONG_CONCERN)
    pdf = tmp_path / "long.pdf"

    result = iepd(config, "print", REQUEST_ID, "--out", str(pdf), "--paper", "a4")

    assert result.returncode == 0, result.stderr
    assert "A4" in result.stdout
    text = pdftotext(pdf)
    pages = len(text.split("\f")) - 1
    assert pages >= 2
    for number in range(1, pages + 1):
        assert f"Page {number} of {pages}" in text
    heading, body = letter_text(config)
    assert normalised(text) == normalised(heading + "\n" + body)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+595\.28 x 841\.89 pts \(A4\)", info)


def test_page_one_renders_to_a_picture_with_the_heading_text_and_the_page_number(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, LONG_CONCERN)
    pdf = tmp_path / "letter.pdf"
    assert iepd(config, "print", REQUEST_ID, "--out", str(pdf)).returncode == 0

    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )

    [png] = list(tmp_path.glob("page*.png"))
    with Image.open(png) as picture:
        assert picture.size == (510, 660)  # 8.5 x 11 inches at 60 dpi
        gray = picture.convert("L")
        inked = [(x, y) for x in range(510) for y in range(660) if int(gray.getpixel((x, y))) < 128]
    assert inked, "page one is blank"
    xs, ys = [x for x, _ in inked], [y for _, y in inked]
    # ink only inside the one-inch (60-pixel) margins, but for the page number at the foot
    assert min(xs) >= 58 and max(xs) <= 452 and min(ys) >= 58
    assert [y for y in ys if y > 602] and min(y for y in ys if y > 602) > 610


def test_a_character_the_font_lacks_is_refused_by_name_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, "Her grandmother 阮 came to the school.")
    pdf = tmp_path / "letter.pdf"

    result = iepd(config, "print", REQUEST_ID, "--out", str(pdf))

    assert result.returncode == 1
    assert "阮 (U+962E)" in result.stderr and "--font FILE.ttf" in result.stderr
    assert not pdf.exists()


def test_print_refuses_to_overwrite_a_file(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(b"the PDF that was mailed")

    result = iepd(config, "print", REQUEST_ID, "--out", str(pdf))

    assert result.returncode == 1 and "exists" in result.stderr
    assert pdf.read_bytes() == b"the PDF that was mailed"


def test_without_the_pdf_extra_print_says_in_one_line_how_to_add_it(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    pdf = tmp_path / "letter.pdf"
    # As if reportlab were not installed: an import of it fails, as it would then.
    without = (
        "import sys; sys.modules['reportlab'] = None; from iepd.cli.main import main;"
        " sys.exit(main(sys.argv[1:]))"
    )

    result = iepd(config, "print", REQUEST_ID, "--out", str(pdf), python=["-c", without])

    assert result.returncode == 69, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("iepd: iepd print needs the pdf extra: ")
    assert "-m pip install '" in line and "[pdf]'" in line
    assert not pdf.exists()


def test_the_daemon_does_not_load_the_pdf_library() -> None:
    code = (
        "import sys, iepd.run.daemon, iepd.cli.main;"
        " print(sorted(m for m in sys.modules if m.startswith(('reportlab', 'PIL'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_mailed_and_delivered_are_in_the_trail_status_export_and_verify(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    pdf = tmp_path / "letter.pdf"
    assert iepd(config, "print", REQUEST_ID, "--out", str(pdf)).returncode == 0
    pdf_sha256 = hashlib.sha256(pdf.read_bytes()).hexdigest()

    mailed = iepd(
        config, "mailed", REQUEST_ID, "--tracking", TRACKING, "--date", "2025-12-01",
        "--pdf", str(pdf),
    )  # fmt: skip
    delivered = iepd(config, "mailed", REQUEST_ID, "--delivered", "2025-12-03")

    assert mailed.returncode == 0, mailed.stderr
    assert f"request letter mailed 2025-12-01 (tracking {TRACKING})" in mailed.stdout
    assert delivered.returncode == 0, delivered.stderr
    assert "delivered 2025-12-03" in delivered.stdout
    assert "the school's clock runs from 2025-12-03" in delivered.stdout
    assert "the request is on hold: take the hold off" in delivered.stdout
    rows = json.loads(iepd(config, "timeline", REQUEST_ID, "--json").stdout)
    assert [row["kind"] for row in rows] == ["request_drafted", "mailed", "mail_delivered"]
    assert rows[1]["detail"] == (
        f"letter: request; mailed: 2025-12-01; tracking: {TRACKING}; pdf sha256: {pdf_sha256}"
    )
    assert rows[2]["detail"] == f"letter: request; delivered: 2025-12-03; tracking: {TRACKING}"
    text = iepd(config, "timeline", REQUEST_ID).stdout
    assert "  mailed  #2" in text and TRACKING in text
    [status] = json.loads(iepd(config, "status", "--json").stdout)
    assert status["mailed"] == [
        {
            "letter": "request", "tracking": TRACKING, "mailed_on": "2025-12-01",
            "delivered_on": "2025-12-03", "pdf_sha256": pdf_sha256,
        }
    ]  # fmt: skip
    table = iepd(config, "status").stdout
    assert f"{REQUEST_ID}: request letter mailed 2025-12-01 (tracking {TRACKING})" in table
    verify = iepd(config, "verify")
    assert verify.returncode == 0 and verify.stdout.startswith("ok: the event chain (3 events")
    export = iepd(config, "export", REQUEST_ID, "--out", str(tmp_path / "record"))
    assert export.returncode == 0, export.stderr
    page = (tmp_path / "record" / "index.html").read_text(encoding="utf-8")
    assert "Printed letter mailed by the parent (certified mail)" in page
    assert TRACKING in page and pdf_sha256 in page and "Mailed letter delivered" in page
    with (tmp_path / "record" / "timeline.csv").open(encoding="utf-8-sig", newline="") as handle:
        details = [row["detail"] for row in csv.DictReader(handle)]
    assert details[1:] == [rows[1]["detail"], rows[2]["detail"]]


def test_a_tracking_number_changed_behind_iepds_back_fails_verify(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert iepd(config, "mailed", REQUEST_ID, "--tracking", TRACKING).returncode == 0
    with sqlite3.connect(tmp_path / "state" / "iepd.sqlite3") as connection:
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute(
            "UPDATE events SET detail = replace(detail, ?, ?) WHERE kind = 'mailed'",
            (TRACKING, "9400 0000 0000 0000 0000 00"),
        )

    result = iepd(config, "verify")

    assert result.returncode == 1
    assert "TAMPERED: event 2: content changed" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--delivered", "2025-12-03"], "was recorded as mailed"),
        (["--tracking", "9400;DROP"], "expected 4 to 50 letters, digits, spaces or dashes"),
        (["--tracking", TRACKING, "--date", "2999-01-01"], "is in the future"),
        (["--tracking", TRACKING, "--date", "12/01/2026"], "expected a date like 2026-12-01"),
        (["--tracking", TRACKING, "--date", "2025-12-05", "--delivered", "2025-12-03"],
         "is before the day the request letter was mailed (2025-12-05)"),
        (["--tracking", TRACKING, "--letter", "followup"], "no follow-up letter of"),
        (["--pdf", "letter.pdf", "--delivered", "2025-12-03"], "--pdf goes with --tracking"),
        ([], "give --tracking NUMBER"),
    ],
)  # fmt: skip
def test_mailed_refuses_what_would_make_the_record_contradict_itself(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    config = write_config(tmp_path)

    result = iepd(config, "mailed", REQUEST_ID, *arguments)

    assert result.returncode == 1
    assert message in result.stderr


def test_mailing_twice_with_one_tracking_number_is_recorded_once(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    first = iepd(config, "mailed", REQUEST_ID, "--tracking", TRACKING, "--date", "2025-12-01")
    again = iepd(config, "mailed", REQUEST_ID, "--tracking", TRACKING, "--delivered", "2025-12-02")

    assert first.returncode == 0 and again.returncode == 0, again.stderr
    assert "already recorded" in again.stdout and "delivered 2025-12-02" in again.stdout
    kinds = [
        row["kind"] for row in json.loads(iepd(config, "timeline", REQUEST_ID, "--json").stdout)
    ]
    assert kinds == ["request_drafted", "mailed", "mail_delivered"]


def deliver_everything(store: Store, sender: Sender) -> None:
    """Walk every queued message through the outbox steps, as a successful send does."""
    while pending := store.pending_outgoing():
        for row in pending:
            for step in ("smtp", "data", "accepted", "filed"):
                row = store.set_step(row.message_row, step, now=sender.clock())
            sender._finish(row)


def test_a_follow_up_already_sent_prints_from_its_stored_copy(tmp_path: Path) -> None:
    offline = queued_request(tmp_path / "family")
    deliver_everything(offline.store, offline.sender)
    offline.sender.queue_followup(REQUEST, 1)
    deliver_everything(offline.store, offline.sender)
    [followup] = [row for row in offline.store.list_outgoing(REQUEST) if row.purpose == "followup"]
    offline.store.close()
    pdf = tmp_path / "followup.pdf"

    result = iepd(
        offline.family.config_path, "print", REQUEST, "--letter", "followup", "--out", str(pdf)
    )

    assert result.returncode == 0, result.stderr
    assert f"--letter followup --tracking NUMBER --pdf {pdf}" in result.stdout
    message = email.message_from_bytes(followup.read_raw(), policy=email.policy.default)
    part = message.get_body(("plain",))
    assert part is not None
    body = part.get_content()
    assert "I sent you a written request" in body
    text = pdftotext(pdf)
    assert normalised(body) in normalised(text)
    assert "Re: Request for an IEP meeting for Sam Rivera" in text
