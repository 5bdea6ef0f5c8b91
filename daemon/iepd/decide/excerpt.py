"""The new text of a reply: quoted history and signatures cut away; HTML turned into text.

Classification must read only what the school wrote now. The parent's own letter is usually
quoted below the answer and is full of words such as "meeting" and "check-in", so every
decision in ``classify`` is made on :func:`new_text`, never on the whole body.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

logger = logging.getLogger(__name__)

EXCERPT_LIMIT = 600
# html.parser is pure Python; a hostile 50 MB HTML part must not stall the watcher.
HTML_INPUT_LIMIT = 512 * 1024

# A line that starts quoted history: everything from here on is the older message.
_HISTORY_STARTS = (
    re.compile(r"^\s*-{2,}\s*(?:Original Message|Mensaje original)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(?:Forwarded message|Mensaje reenviado)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*>>> .{1,200}>>>\s*$"),  # GroupWise: ">>> Jordan Rivera 12/1/2026 >>>"
    re.compile(r"^.{0,200}@[\w-]+\.[\w.-]+.{0,100}>>>\s*$"),  # and without the first ">>>"
    # Yahoo's "On Tue, ..., Jordan Rivera<jordan@...> wrote:" with the quote on the same line
    re.compile(r"^\s*(?:On|El)\b.{0,300}@[\w-]+\.[\w.-]+.{0,60}\b(?:wrote|escribi[oó]):", re.I),
    re.compile(r"^\s*Begin forwarded message:", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
)
# "On <date>, <person> wrote:" and its translations, above the quoted message.
_ATTRIBUTIONS = (
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*El\b.{0,300}\bescribió:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am\b.{0,300}\bschrieb\b.{0,100}:\s*$", re.IGNORECASE),
    # "Jordan Rivera <jordan@family.example> wrote:" (Lotus Notes, some phones, web mail)
    re.compile(r"^.{0,200}[\w.+-]+@[\w-]+\.[\w.-]+.{0,60}\b(?:wrote|escribi[oó])\s*:\s*$", re.I),
)
# "On Mon, Dec 1, 2026 at 9:14 AM Jordan Rivera <" wrapped onto a second line by the mailer.
_WROTE_START = re.compile(r"^\s*On\b.{0,300}$", re.IGNORECASE)
_WROTE_END = re.compile(r"\bwrote:\s*$", re.IGNORECASE)
# Outlook's reply header: "From: ..." followed by "Sent:" or "Date:" within a few lines.
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|De|Von):\*?\s", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\s*\*?(Sent|Date|Envoyé|Gesendet|Enviado el|Enviado|Fecha):\*?\s", re.IGNORECASE
)
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent from my (?:iPhone|iPad|Android|mobile|Galaxy|Samsung|phone)"
    r"|Enviado desde mi (?:iPhone|iPad|Android|celular|tel[eé]fono|m[oó]vil|Galaxy)"
    r"|(?:Sent from|Enviado desde) (?:Yahoo Mail|Mail for Windows|Outlook|AOL|Gmail)"
    r"|Get Outlook for (?:iOS|Android)|Obtener Outlook para (?:iOS|Android)"
    r"|Sent (?:via|from) (?:the )?(?:Samsung|Galaxy|Verizon|AT&T|T-Mobile|BlackBerry)"
    r"|Sent from my [\w&,. -]{1,60}$)",
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s+")


def new_text(text: str) -> str:
    """Given a plain-text body, return the part the sender wrote now: lines before the first
    quoted-history marker, without ``>`` quoted lines and without the signature after ``-- ``.
    Line breaks are kept, so phrases can still be found sentence by sentence."""
    lines = text.splitlines()
    kept: list[str] = []
    skip_until = -1
    for index, line in enumerate(lines):
        if index <= skip_until:
            continue
        if _is_attribution(lines, index) and _quote_follows(lines, index + 1):
            # "On ... wrote:" above "> " lines: the quote is dropped line by line, so that an
            # answer written below it (bottom-posting, inline replies) is still read.
            single = any(pattern.match(line) for pattern in _ATTRIBUTIONS)
            skip_until = index if single else index + 1
            continue
        if _starts_history(lines, index):
            if _portal_frame(kept, lines, index):
                continue  # a portal's rule around the message it relays, not history
            if _portal_header(kept, lines, index):
                # "You have received a new message through Skyward Family Access." above
                # "From: / Regarding: / Sent: / Subject:": the message relayed, not history
                skip_until = _end_of_block(lines, index)
                continue
            break
        if _SIGNATURE.match(line) or _MOBILE_SIGNATURE.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


# A portal's line above the message it relays.
_PORTAL_LINE = re.compile(
    r"(?:received|have|got) a new message|sent you a (?:new |private |direct )?message"
    r"|new message (?:from|through|via)|(?:recibi[oó]|tiene) un (?:nuevo )?mensaje"
    r"|le envi[oó] un (?:nuevo )?mensaje",
    re.IGNORECASE,
)


def _portal_header(kept: list[str], lines: list[str], index: int) -> bool:
    """True when an Outlook-like header block is a portal's heading of the message it
    relays: nothing written above it but the portal's own line, which says so."""
    written = [line for line in kept if line.strip()]
    return (
        _OUTLOOK_FROM.match(lines[index]) is not None
        and 0 < len(written) <= 2
        and any(_PORTAL_LINE.search(line) for line in written)
    )


_SEPARATOR = re.compile(r"^\s*_{10,}\s*$")
# The heading a portal puts above the message it relays: "From: Dana Alvarez", "Regarding:".
_PORTAL_FIELD = re.compile(r"^\s*(?:From|De|Regarding|Re|Concerning|Student|Estudiante):\s")


def _portal_frame(kept: list[str], lines: list[str], index: int) -> bool:
    """True for a rule of underscores under a portal's heading of the message it relays, with
    nothing written above it (no sentence) and no mail program's reply header below it."""
    if not _SEPARATOR.match(lines[index]):
        return False
    written = [line for line in kept if line.strip()]
    if not written or any(re.search(r"[.!?]\s*$", line) for line in written):
        return False
    below = next((line for line in lines[index + 1 :] if line.strip()), "")
    if _OUTLOOK_FROM.match(below) or any(pattern.match(below) for pattern in _ATTRIBUTIONS):
        return False
    return any(_PORTAL_FIELD.match(line) or _PORTAL_LINE.search(line) for line in written)


def _end_of_block(lines: list[str], index: int) -> int:
    """The last line of the header block that starts at ``index`` (up to a blank line)."""
    end = index
    while end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
    return end


def _is_attribution(lines: list[str], index: int) -> bool:
    """Return True when lines[index] starts an "On ... wrote:" line (maybe wrapped)."""
    line = lines[index]
    if any(pattern.match(line) for pattern in _ATTRIBUTIONS):
        return True
    if _WROTE_START.match(line) and index + 1 < len(lines):
        following = lines[index + 1]
        return bool(_WROTE_END.search(following)) and len(line) + len(following) < 400
    return False


def _quote_follows(lines: list[str], start: int) -> bool:
    for line in lines[start : start + 4]:
        stripped = line.strip()
        if stripped.startswith(">"):
            return True
        if stripped and not _WROTE_END.search(stripped):
            return False
    return False


def _starts_history(lines: list[str], index: int) -> bool:
    line = lines[index]
    if any(pattern.match(line) for pattern in _HISTORY_STARTS) or _is_attribution(lines, index):
        return True
    if _OUTLOOK_FROM.match(line):
        window = lines[index + 1 : index + 4]
        return any(_OUTLOOK_SENT.match(candidate) for candidate in window)
    return False


def make_excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """Given a plain-text body, return its new text whitespace-collapsed and cut to at most
    ``limit`` characters at a word boundary (an ellipsis marks the cut)."""
    collapsed = _WHITESPACE.sub(" ", new_text(text)).strip()
    if len(collapsed) <= limit:
        return collapsed
    cut = collapsed[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


class _TextExtractor(HTMLParser):
    """Collects text; blockquotes become ``>`` lines so that :func:`new_text` drops them."""

    _BLOCK = frozenset(
        {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5",
         "h6", "hr", "pre", "section", "article", "header", "footer", "blockquote", "dd", "dt"}
    )  # fmt: skip
    _SKIP = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0
        self._quote_depth = 0

    def _flush(self) -> None:
        line = _WHITESPACE.sub(" ", "".join(self._current)).strip()
        self._current = []
        if line:
            prefix = "> " if self._quote_depth else ""
            self.lines.append(prefix + line)
        elif self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
            return
        if tag in self._BLOCK:
            self._flush()
        if tag == "hr":
            # Outlook puts an <hr> right above the quoted "From: / Sent:" block.
            self.lines.append("_" * 32)
        if tag == "blockquote":
            self._quote_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in self._BLOCK:
            self._flush()
        if tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._current.append(data)


def html_to_text(html: str) -> str:
    """Given an HTML document or fragment, return its text with one line per block; quoted
    blocks (``<blockquote>``) come back as ``>`` lines. Never raises."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html[:HTML_INPUT_LIMIT])
        extractor.close()
    except Exception:  # html.parser is lenient, but a hostile document must not crash us
        logger.warning("HTML part could not be fully converted to text", exc_info=True)
    extractor._flush()
    return "\n".join(extractor.lines).strip()
