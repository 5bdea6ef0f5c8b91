"""The PDF of a printed letter: the one module that imports the PDF library, reportlab, and
only when `iepd print` runs (the daemon never reaches this module: see
tests/unit/test_architecture.py). Both come with the optional extra ``iepd[pdf]``.

The font is Noto Serif, shipped inside the wheel of the ``fontpkg-noto-serif`` package and
embedded (subset) in every PDF, so the letter looks the same on any printer: it covers
Latin with every accent (Polish, Czech, Turkish, Vietnamese...), Greek and Cyrillic, where
reportlab's own Bitstream Vera stops at Western European letters. A letter holding a
character the font lacks is refused with the characters named, never printed with empty
boxes; ``font`` may name another TrueType font that has them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from iepd import __version__
from iepd.errors import IepdError, MissingExtraError
from iepd.letters.printed import FONT_SIZE, PAGE_SIZES, Page, Sheet, layout

FONT_PACKAGE = "fontpkg_noto_serif"
FONT_FILE = "files/NotoSerif[wdth,wght].ttf"  # a variable font: its default is Regular
FONT_NAME = "iepd-letter"
RULE_WIDTH = 0.6  # points: a line a pen can follow


@dataclass(frozen=True)
class WrittenPdf:
    """A PDF written by ``write_pdf``."""

    path: Path
    pages: int
    sha256: str
    size: int


def install_hint() -> str:
    """Return the one line that says how to add the pdf extra to this installation."""
    source = Path(__file__).resolve().parents[3]
    python = sys.executable or "python3"
    if (source / "pyproject.toml").is_file():  # installed from this source folder
        return f"iepd print needs the pdf extra: {python} -m pip install '{source}[pdf]'"
    return (
        f"iepd print needs the pdf extra: {python} -m pip install '.[pdf]'"
        " (in the folder of iepd's source)"
    )


def _library() -> tuple[Any, Any, Any]:
    """Return reportlab's canvas, pdfmetrics and ttfonts modules; raise MissingExtraError
    when the pdf extra is not installed."""
    try:
        from reportlab.pdfbase import pdfmetrics, ttfonts
        from reportlab.pdfgen import canvas
    except ImportError as error:
        raise MissingExtraError(install_hint()) from error
    return canvas, pdfmetrics, ttfonts


@contextlib.contextmanager
def _font_file(chosen: Path | None) -> Iterator[Path]:
    if chosen is not None:
        yield chosen
        return
    try:
        packaged = resources.files(FONT_PACKAGE).joinpath(FONT_FILE)
    except ModuleNotFoundError as error:
        raise MissingExtraError(install_hint()) from error
    with resources.as_file(packaged) as path:
        yield path


def _load_font(chosen: Path | None) -> Any:
    """Register the letter's font with reportlab and return it. Raise IepdError if the
    font file cannot be used."""
    _, pdfmetrics, ttfonts = _library()
    with _font_file(chosen) as path:
        try:
            font = ttfonts.TTFont(FONT_NAME, str(path))
        except (OSError, ttfonts.TTFError) as error:
            raise IepdError(
                f"cannot use the font {path}: {error} (a TrueType .ttf font is needed)"
            ) from error
    pdfmetrics.registerFont(font)
    return font


def missing_characters(pages: list[Page], sheet: Sheet, font: Any) -> list[str]:
    """Given the laid-out pages and the font, return the characters the font cannot show,
    in order of first appearance."""
    known = font.face.charToGlyph
    texts = [text.text for page in pages for text in page.texts]
    texts += [unicodedata.normalize("NFC", sheet.signature)]
    seen: dict[str, None] = {}
    for text in texts:
        for char in text:
            if ord(char) not in known and not char.isspace() and char not in seen:
                seen[char] = None
    return list(seen)


def write_pdf(sheet: Sheet, paper: str, out: Path, *, font: Path | None = None) -> WrittenPdf:
    """Given what the letter says, the paper ("letter" or "a4"), a new file's path and
    optionally a TrueType font to use, write the PDF (mode 0600, never over an existing
    file) and return what was written.

    Raise MissingExtraError without the pdf extra; IepdError if the font lacks a character
    of the letter, the font cannot be read, or the file exists or cannot be written.
    """
    canvas_module, pdfmetrics, _ = _library()
    letter_font = _load_font(font)

    def measure(text: str) -> float:
        return float(pdfmetrics.stringWidth(text, FONT_NAME, FONT_SIZE))

    pages = layout(sheet, paper, measure)
    missing = missing_characters(pages, sheet, letter_font)
    if missing:
        shown = ", ".join(f"{char} (U+{ord(char):04X})" for char in missing[:10])
        raise IepdError(
            f"the font has no glyph for {shown}: the letter would print empty boxes there;"
            " give a TrueType font that has them with --font FILE.ttf"
        )
    buffer = io.BytesIO()
    pdf = canvas_module.Canvas(
        buffer,
        pagesize=PAGE_SIZES[paper],
        pageCompression=1,
        initialFontName=FONT_NAME,
        initialFontSize=FONT_SIZE,
    )
    pdf.setTitle(sheet.title)
    pdf.setAuthor(sheet.author)
    pdf.setSubject("A letter to the school, printed to be signed and mailed")
    pdf.setCreator(f"iepd {__version__}")
    for page in pages:
        pdf.setFont(FONT_NAME, FONT_SIZE)
        pdf.setLineWidth(RULE_WIDTH)
        for text in page.texts:
            pdf.drawString(text.x, text.y, text.text)
        for rule in page.rules:
            pdf.line(rule.x0, rule.y, rule.x1, rule.y)
        if page.footer is not None:
            pdf.drawString(page.footer.x, page.footer.y, page.footer.text)
        pdf.showPage()
    pdf.save()
    data = buffer.getvalue()
    _write_new(out, data)
    return WrittenPdf(out, len(pages), hashlib.sha256(data).hexdigest(), len(data))


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file, durably; never replace a file that exists (a PDF that
    was mailed is evidence, and its SHA-256 may be in the record)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise IepdError(f"{path} exists; give a new file name") from None
    except OSError as error:
        raise IepdError(f"cannot write {path}: {error.strerror or error}") from error
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        with contextlib.suppress(OSError):
            path.unlink()
        raise IepdError(f"cannot write {path}: {error.strerror or error}") from error
