"""The printed letter's layout (letters/printed.py), pure: no PDF library, no file. A fixed
width per character stands in for the font's measure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from iepd.config.load import load_config
from iepd.letters.printed import (
    FONT_SIZE,
    MARGIN,
    PAGE_SIZES,
    Sheet,
    is_page_number,
    layout,
    sheet_for,
    unwrap,
    wrap,
    written_date,
)
from iepd.letters.school import render_request
from iepd.letters.text_format import tidy


def measure(text: str) -> float:
    return 6.0 * len(text)  # a monospaced stand-in: 78 characters to a 6.5-inch line


def whitespace_free(text: str) -> str:
    return re.sub(r"\s+", "", text)


def words(text: str) -> list[str]:
    return text.split()


def sheet(body: str, signature: str = "Jordan Rivera\n(555) 010-0000") -> Sheet:
    return Sheet(
        sender=("Jordan Rivera", "12 Elm St", "Springfield, IL 62701", "jordan@family.example"),
        date="December 10, 2026",
        recipients=("Dana Alvarez, case manager", "Lincoln Elementary School"),
        subject="Re: Request for an IEP meeting for Sam Rivera",
        body=body,
        signature=signature,
        title="Request for an IEP meeting for Sam Rivera",
        author="Jordan Rivera",
    )


def page_text(pages: list) -> list[str]:  # type: ignore[type-arg]
    return [text.text for page in pages for text in page.texts]


LETTER = (
    "Dear Dana Alvarez,\n\nI am writing about Łucja's speech sessions. " + "word " * 40 + "\n\n"
    "These times work well for me:\n\n- Mon or Wed after 3:30 pm\n- Fri 8-10 am\n\n"
    "Sincerely,\n\nJordan Rivera\n(555) 010-0000\n"
)


def test_written_date_is_the_english_month_day_and_year() -> None:
    assert written_date(date(2026, 12, 10)) == "December 10, 2026"
    assert written_date(date(2027, 1, 4)) == "January 4, 2027"


def test_unwrap_joins_the_lines_the_mail_wrapper_split() -> None:
    paragraph = "word " * 30 + "end."
    item = "- " + "item " * 20 + "end."
    text = tidy(f"{paragraph}\n\n{item}\n- short\n\nSincerely,\n\nJordan\n(555) 010-0000")
    assert len(text.splitlines()) > 8  # the wrapper did split them
    assert unwrap(text.rstrip("\n")) == [
        paragraph.strip(), "", item.strip(), "- short", "", "Sincerely,", "", "Jordan",
        "(555) 010-0000",
    ]  # fmt: skip


paragraphs = st.lists(
    st.lists(st.from_regex(r"[A-Za-zÀ-ÿ0-9,.'()]{1,14}", fullmatch=True), min_size=1, max_size=40),
    min_size=1,
    max_size=6,
)


@given(paragraphs, st.sampled_from(["", "- ", "1. "]))
def test_unwrap_undoes_tidy_for_paragraphs_and_list_items(
    texts: list[list[str]], marker: str
) -> None:
    lines = [marker + " ".join(paragraph) for paragraph in texts]
    joined = "\n\n".join(lines) if not marker else "\n".join(lines)
    assert unwrap(tidy(joined).rstrip("\n")) == joined.split("\n")


def test_wrap_keeps_every_word_inside_the_width_with_a_hanging_indent_for_items() -> None:
    rows = wrap("- " + "speech " * 30, 200.0, measure)
    assert len(rows) > 3
    assert all(measure(text) <= 200.0 - indent for indent, text in rows)
    assert rows[0][0] == 0.0 and {indent for indent, _ in rows[1:]} == {measure("- ")}
    assert words(" ".join(text for _, text in rows)) == words("- " + "speech " * 30)


def test_wrap_cuts_a_word_wider_than_the_line() -> None:
    rows = wrap("x" * 100, 120.0, measure)
    assert "".join(text for _, text in rows) == "x" * 100
    assert all(measure(text) <= 120.0 for _, text in rows)


def test_a_short_letter_is_one_page_with_no_page_number_and_a_signature_line() -> None:
    [page] = layout(sheet(LETTER), "letter", measure)
    assert page.footer is None
    lines = page_text([page])
    assert lines[:4] == [
        "Jordan Rivera",
        "12 Elm St",
        "Springfield, IL 62701",
        "jordan@family.example",
    ]
    assert whitespace_free(" ".join(lines)) == whitespace_free(
        " ".join(sheet(LETTER).heading) + LETTER
    )
    [rule] = page.rules
    sincerely = next(text for text in page.texts if text.text == "Sincerely,")
    name = [text for text in page.texts if text.text == "Jordan Rivera"][-1]
    assert name.y < rule.y < sincerely.y - 2 * FONT_SIZE  # room to sign above the line
    assert rule.x0 == MARGIN and all(MARGIN <= text.x for text in page.texts)


def test_a_long_letter_runs_over_pages_numbered_page_n_of_m() -> None:
    body = LETTER.replace("word " * 40, "\n\n".join(["word " * 60] * 12))
    pages = layout(sheet(body), "letter", measure)
    assert len(pages) >= 2
    assert [page.footer.text for page in pages if page.footer] == [
        f"Page {number} of {len(pages)}" for number in range(1, len(pages) + 1)
    ]
    assert all(is_page_number(page.footer.text) for page in pages if page.footer)
    for page in pages:
        assert all(MARGIN <= text.y <= PAGE_SIZES["letter"][1] - MARGIN for text in page.texts)
    # the closing, the line to sign on and the signature share the last page
    last = pages[-1]
    assert last.rules and {"Sincerely,", "(555) 010-0000"} <= {text.text for text in last.texts}
    assert whitespace_free(" ".join(page_text(pages))) == whitespace_free(
        " ".join(sheet(body).heading) + body
    )


def test_a4_pages_are_taller_and_narrower_than_letter() -> None:
    body = LETTER.replace("word " * 40, "\n\n".join(["word " * 60] * 12))
    letter_pages = layout(sheet(body), "letter", measure)
    a4_pages = layout(sheet(body), "a4", measure)
    longest = max(measure(text.text) + text.x for page in a4_pages for text in page.texts)
    assert longest <= PAGE_SIZES["a4"][0] - MARGIN
    assert len(a4_pages) >= len(letter_pages) - 1


def test_a_line_that_introduces_a_list_is_not_left_alone_at_the_foot_of_a_page() -> None:
    for filler in range(30, 45):
        body = "\n\n".join(["Filler line."] * filler) + "\n\n" + LETTER
        for page in layout(sheet(body), "letter", measure):
            texts = [text.text for text in page.texts]
            assert texts[-1] != "These times work well for me:"


def test_without_the_signature_the_line_to_sign_on_ends_the_letter() -> None:
    body = "Dear Dana,\n\nPlease meet with me.\n\nThanks,\nJ.\n"
    [page] = layout(sheet(body, signature="Someone Else"), "letter", measure)
    [rule] = page.rules
    assert rule.y < min(text.y for text in page.texts)


def test_sheet_for_a_rendered_request_names_the_parent_the_school_and_the_copy(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    example = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
    example = example.replace(
        '# postal_address = "12 Elm St\\nSpringfield, IL 62701"',
        'postal_address = "12 Elm St\\nSpringfield, IL 62701"',
    ).replace("urgent = false", "urgent = true", 1)
    path.write_text(example, encoding="utf-8")
    config = load_config(path, {"HOME": str(tmp_path), "TZ": "UTC"})
    request_id = config.requests[0].id
    message = render_request(
        config, request_id, message_id="<a@family.example>", date=datetime.now(UTC)
    )
    printed = sheet_for(config, request_id, message, date(2026, 12, 10))
    assert printed.sender == (
        "Jordan Rivera", "12 Elm St", "Springfield, IL 62701", "jordan@family.example",
    )  # fmt: skip
    assert printed.date == "December 10, 2026"
    assert printed.recipients == (
        "Dana Alvarez, case manager",
        "Lincoln Elementary School",
        "Copy: Lee Chen, principal",
    )
    assert printed.subject == "Re: URGENT: Request for an IEP meeting for Sam Rivera"
    part = message.get_body(("plain",))
    assert part is not None and printed.body == part.get_content()
