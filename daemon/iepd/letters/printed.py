"""The printed letter of `iepd print`: what goes on the paper, and where, as plain data.

The words are the email's: the plain-text body of the letter (rendered as `iepd preview`
renders it, or read from the stored copy of a letter already sent), never written again.
Around them go what a letter sent by post needs: the parent's name and postal address, the
date, who it is addressed to, its subject, and a line to sign above the signature. The
email's lines were wrapped at 72 columns for mail; here they are joined again into the
paragraphs they were (``unwrap``) and wrapped to the printed width (``wrap``), so the text a
PDF reader extracts is the email's, word for word.

PURE: ``layout`` is handed a function that measures text in the font; ``letters.pdf`` draws
its pages with the PDF library, which this module does not know.
"""

from __future__ import annotations

import email.utils
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from email.message import EmailMessage

from iepd.config.model import Config
from iepd.letters.text_format import WRAP_WIDTH, long_date
from iepd.letters.words import PRINTED

Measure = Callable[[str], float]  # the width of a text in points, in the letter's font

# Points (1/72 inch). A4 is 210 x 297 mm.
PAGE_SIZES = {"letter": (612.0, 792.0), "a4": (595.28, 841.89)}
PAGE_NAMES = {"letter": "US Letter", "a4": "A4"}
MARGIN = 72.0  # one inch on every side: room for a hole punch and a mediator's notes
FONT_SIZE = 11.0
LEADING = 15.0  # from one baseline to the next
SIGNATURE_SPACE = 4  # lines of room to sign in: the signature line is on the last
SIGNATURE_RULE = 216.0  # three inches
FOOTER_Y = 40.0  # the page number's baseline, inside the bottom margin

_PREFIX = re.compile(r"(?P<quote>[ \t]*(?:>[ \t]?)*)(?P<marker>(?:[-*•]|\d+[.)])[ \t]+)?")


@dataclass(frozen=True)
class Sheet:
    """What one printed letter says, before it is laid out."""

    sender: tuple[str, ...]  # the parent's name, postal address lines, email address
    date: str  # "December 10, 2026"
    recipients: tuple[str, ...]  # "Dana Alvarez, case manager", the school, copies
    subject: str  # "Re: Request for an IEP meeting for Sam Rivera"
    body: str  # the letter's text, exactly as in the email
    signature: str  # the parent's signature, which the body ends with
    title: str  # the PDF's title: the letter's subject
    author: str  # the parent's name
    page_number: str = "Page {number} of {total}"  # in the letter's language (words.PRINTED)

    @property
    def heading(self) -> tuple[str, ...]:
        """Every line printed before the body, blank lines included."""
        return (*self.sender, "", self.date, "", *self.recipients, "", self.subject, "")


@dataclass(frozen=True)
class Text:
    """A line of text whose baseline starts at (x, y), in points from the bottom left."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Rule:
    """A horizontal line to sign on, from x0 to x1 at height y."""

    x0: float
    x1: float
    y: float


@dataclass(frozen=True)
class Page:
    texts: tuple[Text, ...]
    rules: tuple[Rule, ...]
    footer: Text | None  # "Page 1 of 2", only when the letter runs over a page


@dataclass(frozen=True)
class _Row:
    """One printed line (or the room to sign in, when ``rule``) before pagination."""

    text: str = ""
    indent: float = 0.0
    rule: bool = False
    group: int = 0  # rows of one non-zero group go on the same page

    @property
    def height(self) -> float:
        return LEADING * (SIGNATURE_SPACE if self.rule else 1)


def written_date(day: date, language: str = "en") -> str:
    """Given a day and the letter's language, return it as a letter's date line: "December
    10, 2026", "10 de diciembre de 2026" (the long date without its weekday)."""
    weekday, _, rest = long_date(day, UTC, language).partition(" ")
    assert weekday.rstrip(",").isalpha()  # "Tuesday," and "martes": one word
    return rest


def sheet_for(config: Config, request_id: str, message: EmailMessage, day: date) -> Sheet:
    """Given the config, a request, its letter as an email (rendered or stored) and the
    day of printing, return what the printed letter says.

    Raise KeyError if the request or its child is not in the config, ValueError if the
    message has no plain-text body.
    """
    child = config.child(config.request(request_id).child)
    parent = config.parent
    part = message.get_body(("plain",))
    if part is None:
        raise ValueError("the letter has no plain-text body")
    body = str(part.get_content()).replace("\r\n", "\n")
    language = parent.letters_language
    said = PRINTED[language]
    roles = {
        child.case_manager.email.lower(): said["case_manager"],
        child.principal.email.lower(): said["principal"],
    }

    def named(header: str) -> list[str]:
        found = email.utils.getaddresses([str(v) for v in message.get_all(header) or []])
        return [
            f"{name or address}, {roles[address.lower()]}" if address.lower() in roles
            else name or address
            for name, address in found
        ]  # fmt: skip

    copies = (said["copy"].format(line=line) for line in named("Cc"))
    recipients = [*named("To"), child.school, *copies]
    subject = str(message["Subject"] or "")
    return Sheet(
        sender=(parent.name, *parent.postal_address.splitlines(), parent.email),
        date=written_date(day, language),
        recipients=tuple(recipients),
        subject=subject if subject.lower().startswith("re:") else f"Re: {subject}",
        body=body,
        signature=parent.signature,
        title=subject,
        author=parent.name,
        page_number=said["page"],
    )


def unwrap(text: str, width: int = WRAP_WIDTH) -> list[str]:
    """Given text wrapped at ``width`` columns (``text_format.tidy``), return its lines as
    they were before: each paragraph or list item on one line, blank lines kept.

    A line continues the one before when the wrapper put it there: it carries the hanging
    indent of the line it continues, starts no list item, and its first word would not
    have fit at the end of the line before (the wrapper fills each line greedily).
    """
    lines: list[str] = []
    hanging = ""
    previous = ""  # the last physical line
    for line in text.split("\n"):
        prefix = _PREFIX.match(line)
        assert prefix is not None  # the pattern matches the empty string
        rest = line[len(hanging) :]
        continues = (
            bool(lines and previous.strip() and rest.strip())
            and line.startswith(hanging)
            and not rest[:1].isspace()
            and not prefix.group("marker")
            and len(previous) + 1 + len(rest.split()[0]) > width
        )
        if continues:
            lines[-1] += " " + rest
        else:
            lines.append(line)
            hanging = prefix.group("quote") + " " * len(prefix.group("marker") or "")
        previous = line
    return lines


def wrap(line: str, width: float, measure: Measure) -> list[tuple[float, str]]:
    """Given one line of text, the printed width and the font's measure, return the printed
    lines as (indent, text): an indented line keeps its indent, a list item's next lines
    hang under its text, and a word wider than the line is cut where it must be."""
    prefix = _PREFIX.match(line)
    assert prefix is not None  # the pattern matches the empty string
    start = measure(line[: len(line) - len(line.lstrip())])
    hanging = measure(prefix.group(0))
    rows: list[tuple[float, str]] = []
    current = ""
    for word in line.split():
        candidate = f"{current} {word}" if current else word
        if current and measure(candidate) > width - start:
            rows.append((start, current))
            current, start = word, hanging
        else:
            current = candidate
        while measure(current) > width - start and len(current) > 1:  # a word too wide
            cut = _fitting(current, width - start, measure)
            rows.append((start, current[:cut]))
            current, start = current[cut:], hanging
    rows.append((start, current))
    return rows


def _fitting(text: str, width: float, measure: Measure) -> int:
    end = len(text)
    while end > 1 and measure(text[:end]) > width:
        end -= 1
    return end


def layout(sheet: Sheet, paper: str, measure: Measure) -> list[Page]:
    """Given what the letter says, the paper ("letter" or "a4") and the font's measure,
    return its pages: text placed line by line, the signature line, and "Page 1 of 2"
    at the foot of every page when there is more than one."""
    page_width, page_height = PAGE_SIZES[paper]
    width = page_width - 2 * MARGIN
    rows = [
        _Row(text, indent)
        for line in sheet.heading
        for indent, text in (wrap(line, width, measure) if line else [(0.0, "")])
    ]
    rows += _body_rows(sheet, width, measure)
    pages = _paginate(rows, page_height)
    total = len(pages)
    return [
        Page(
            texts=tuple(Text(MARGIN + row.indent, y, row.text) for y, row in placed if row.text),
            rules=tuple(Rule(MARGIN, MARGIN + SIGNATURE_RULE, y) for y, row in placed if row.rule),
            footer=_footer(
                sheet.page_number.format(number=number, total=total), total, page_width, measure
            ),
        )
        for number, placed in enumerate(pages, start=1)
    ]


def _body_rows(sheet: Sheet, width: float, measure: Measure) -> list[_Row]:
    """The body's rows, with the room to sign placed just above the signature. Rows that
    share a group go on one page: the closing ("Sincerely,"), the room to sign and the
    signature; a line that ends with a colon and the first line of what it introduces."""
    lines = unwrap(unicodedata.normalize("NFC", sheet.body).rstrip("\n"))
    signed = unicodedata.normalize("NFC", sheet.signature.strip())
    signature = [line.strip() for line in unwrap(signed) if line.strip()]
    cut = len(lines)
    if signature and [line.strip() for line in lines[-len(signature) :]] == signature:
        cut = len(lines) - len(signature)
    closing = cut
    while closing > 0 and not lines[closing - 1].strip():
        closing -= 1  # the blank lines between the closing and the signature
    closing = max(closing - 1, 0)
    last_group = len(lines) + 1  # a group id of its own, after one per line
    rows: list[_Row] = []
    introduced = 0  # the group a line ending with ":" opened for what follows it
    for index, line in enumerate(lines):
        if closing <= index < cut and not line.strip():
            continue  # the room to sign takes the place of these blank lines
        if index == cut:
            rows.append(_Row(rule=True, group=last_group))
        wrapped = _wrapped(line, width, measure)
        if index >= closing:
            rows += [_Row(text, indent, group=last_group) for indent, text in wrapped]
            continue
        group = index + 1 if line.rstrip().endswith(":") else 0
        for number, (indent, text) in enumerate(wrapped):
            first = number == 0 and bool(text) and introduced
            rows.append(_Row(text, indent, group=introduced if first else group))
        if line.strip():
            introduced = group
    if cut == len(lines):
        rows.append(_Row(rule=True, group=last_group))
    return rows


def _wrapped(line: str, width: float, measure: Measure) -> list[tuple[float, str]]:
    return wrap(line, width, measure) if line.strip() else [(0.0, "")]


def _paginate(rows: Sequence[_Row], page_height: float) -> list[list[tuple[float, _Row]]]:
    """Place rows top down, page after page; a blank row never starts a page, and a group
    that would not fit on the rest of a page starts the next one."""
    top, bottom = page_height - MARGIN, MARGIN
    pages: list[list[tuple[float, _Row]]] = [[]]
    y = top
    for index, row in enumerate(rows):
        if not pages[-1] and not row.text and not row.rule:
            continue
        needed = row.height
        if row.group and (index == 0 or rows[index - 1].group != row.group):
            end = max(i for i in range(index, len(rows)) if rows[i].group == row.group)
            needed = sum(r.height for r in rows[index : end + 1])
            needed = min(needed, top - bottom)  # a group taller than a page breaks anyway
        if y - needed < bottom and pages[-1]:
            pages.append([])
            y = top
            if not row.text and not row.rule:
                continue
        y -= row.height
        pages[-1].append((y + LEADING - FONT_SIZE, row))  # the baseline of its last line
    return [page for page in pages if page] or [[]]


def _footer(text: str, total: int, page_width: float, measure: Measure) -> Text | None:
    if total < 2:
        return None
    return Text((page_width - measure(text)) / 2, FOOTER_Y, text)


def is_page_number(line: str) -> bool:
    """Given a line of a printed letter's text, return whether it is a page's number (which
    is not part of the letter's words)."""
    return re.fullmatch(r"(?:Page|Página) \d+ (?:of|de) \d+", line.strip()) is not None
