"""The pieces under classify: lemmas, sentences and clauses, negation, the weighing of cues,
prior written notice, invitations, Spanish out-of-office replies. Pure, table-driven, no I/O
beyond simplemma's own dictionaries."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType

import pytest

from iepd.decide import cues
from iepd.decide.classify import classify
from iepd.decide.clauses import Cue, negated
from iepd.decide.excerpt import new_text
from iepd.decide.lemmas import Lemmas, plain
from iepd.decide.sentences import language_of, read_sentences, split_sentences, tokenize
from iepd.decide.weighing import describe, weigh
from iepd.inbox.invites import Invite
from iepd.inbox.parse import IncomingMessage, MessageParts

# ---- lemmas --------------------------------------------------------------------------------

LEMMAS = [
    ("declines", "en", "decline"),
    ("declined", "en", "decline"),
    ("Declining", "en", "decline"),
    ("convened", "en", "convene"),
    ("held", "en", "hold"),
    ("convocará", "es", "convocar"),
    ("convocaremos", "es", "convocar"),
    ("rechazamos", "es", "rechazar"),
    ("necesaria", "es", "necesario"),
    ("reunion", "es", "reunion"),  # typed without its accent on a phone
    ("Rivera", "en", "rivera"),  # a word outside the vocabulary is itself, lower-cased
]


@pytest.fixture(scope="module")
def lemmas() -> Lemmas:
    return Lemmas(cues.VOCABULARY)


@pytest.mark.parametrize(("word", "language", "expected"), LEMMAS)
def test_lemma_reads_every_form_of_a_word_as_one(
    lemmas: Lemmas, word: str, language: str, expected: str
) -> None:
    assert lemmas.lemma(word, language) == expected


def test_lemma_table_keeps_only_the_vocabulary(lemmas: Lemmas) -> None:
    vocabulary = {plain(word) for word in cues.VOCABULARY}
    for language in ("en", "es"):
        table = lemmas.kept(language)
        assert 100 < len(table) < 20_000  # the whole dictionaries hold 180,000 and 820,000
        assert all(plain(lemma) in vocabulary for lemma in table.values())


def test_plain_drops_case_and_accents() -> None:
    assert plain("Reunión") == "reunion"


# ---- sentences, clauses, language ----------------------------------------------------------


def test_split_sentences_keeps_abbreviations_and_splits_list_items() -> None:
    text = "Hi Jordan,\n\nMs. Okafor and Dr. Lee will attend. Would the 10th work?\n- Monday 3:30\n"
    assert split_sentences(text) == [
        "Hi Jordan,",
        "Ms. Okafor and Dr. Lee will attend.",
        "Would the 10th work?",
        "Monday 3:30",
    ]


def test_read_sentences_drops_the_closing_and_signature() -> None:
    text = "We will hold the meeting on the 10th.\n\nThanks,\nDana\nNo meetings on Fridays."
    assert [sentence.text for sentence in read_sentences(text)] == [
        "We will hold the meeting on the 10th."
    ]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("No es necesario convocar una reunión del IEP en este momento.", "es"),
        ("We do not believe a meeting is necessary at this time.", "en"),
    ],
)
def test_language_of_tells_spanish_from_english(text: str, language: str) -> None:
    assert language_of(text) == language


def test_phrases_are_joined_into_one_token() -> None:
    tokens = tokenize("Could we touch base by phone before we pull the team together?", "en")
    lemmas = [token.lemma for token in tokens]
    assert "touch_base" in lemmas and "pull_together" in lemmas


def test_clauses_are_cut_at_but_and_semicolons() -> None:
    (sentence,) = read_sentences("We can't meet on the 9th; the team will meet on the 10th.")
    assert len(sentence.clauses) == 2


# ---- negation ------------------------------------------------------------------------------

NEGATIONS = [
    ("we will not convene the team", "convene", True),
    ("we won't be scheduling an IEP meeting", "scheduling", True),
    ("no vamos a convocar la junta", "convocar", True),
    ("no problem, we will convene the team", "convene", False),
    ("I can't wait to meet the team", "meet", False),
    ("you don't need to bring anything to the meeting", "need", False),
    ("why don't we touch base by phone", "touch", False),
]


@pytest.mark.parametrize(("text", "word", "expected"), NEGATIONS)
def test_negation_governs_the_clause_not_idioms(text: str, word: str, expected: bool) -> None:
    tokens = tokenize(text, language_of(text))
    index = next(i for i, token in enumerate(tokens) if token.text.startswith(word))
    assert negated(tokens, index) is expected


# ---- weighing ------------------------------------------------------------------------------


def cue(kind: str, strong: bool = True, sentence: str = "s") -> Cue:
    return Cue(kind, strong, sentence, "read")  # type: ignore[arg-type]


WEIGHINGS = [
    ([], None, "answer", False),
    ([cue("refusal")], None, "declined", False),
    ([cue("deferral")], None, "declined", False),
    ([cue("refusal"), cue("offer")], None, "informal", False),  # a refusal and a call: informal
    ([cue("offer")], None, "informal", False),
    ([cue("contact", False)], None, "answer", False),  # "please call me with questions"
    ([cue("affirm"), cue("offer")], None, "answer", True),  # agreed, and a call offered too
    ([cue("affirm"), cue("refusal")], None, "declined", True),  # conflicting
    ([cue("affirm"), cue("deferral")], None, "answer", True),
    ([], 'attached as "PWN.pdf"', "declined", True),  # the notice's text is only in a PDF
    ([cue("refusal")], 'attached as "PWN.pdf"', "declined", False),
    ([cue("offer", False)], None, "informal", True),  # "Ms. Lee would like to meet with you"
    ([cue("offer", False), cue("affirm", False)], None, "answer", True),  # and a date
    ([cue("refusal", False)], None, "declined", True),  # "we cannot hold it on the 9th"
    ([cue("refusal", False), cue("affirm", False)], None, "answer", False),  # another day
    ([cue("offer", False), cue("refusal")], None, "informal", True),
]


@pytest.mark.parametrize(("found", "notice", "klass", "unsure"), WEIGHINGS)
def test_weigh_decides_from_all_the_cues(
    found: list[Cue], notice: str | None, klass: str, unsure: bool
) -> None:
    verdict = weigh(found, notice)
    assert (verdict.klass, verdict.unsure) == (klass, unsure)
    if unsure:
        assert verdict.deciding


def test_evidence_reads_as_a_parent_would_read_it() -> None:
    line = describe(Cue("refusal", True, "We do not believe a meeting is necessary.", "no need"))
    assert line == 'refusal (no need): "We do not believe a meeting is necessary."'


# ---- whole messages ------------------------------------------------------------------------


def message(
    text: str,
    *,
    subject: str = "Re: Request for an IEP meeting for Sam Rivera",
    headers: dict[str, str] | None = None,
    parts: MessageParts | None = None,
) -> IncomingMessage:
    return IncomingMessage(
        message_id="<x@district.example>",
        from_addr="dalvarez@district.example",
        subject=subject,
        text=text,
        headers=MappingProxyType(dict(headers or {})),
        parts=parts or MessageParts(),
    )


def test_a_refusal_records_the_sentence_that_decided() -> None:
    result = classify(message("Hi Jordan,\nThe team does not believe a meeting is necessary."))
    assert result.klass == "declined"
    assert any(s.startswith("refusal") and "does not believe" in s for s in result.signals)
    assert result.deciding == ("The team does not believe a meeting is necessary.",)
    assert not result.unsure


@pytest.mark.parametrize(
    "text",
    [
        "At this time we do not feel that convening an IEP meeting is necessary.",
        "En este momento no es necesario convocar la junta.",
    ],
)
def test_at_this_time_is_no_day_refused_but_the_meeting(text: str) -> None:
    result = classify(message(text))
    assert (result.klass, result.unsure) == ("declined", False)
    assert any("weak" in line for line in result.signals) is False


def test_a_notice_only_attached_is_a_refusal_said_unsure() -> None:
    parts = MessageParts(attachments=("PWN_Rivera_Sam.pdf",))
    result = classify(message("Please see the attached document.", parts=parts))
    assert (result.klass, result.unsure) == ("declined", True)
    assert any("PWN_Rivera_Sam.pdf" in line for line in result.deciding)


@pytest.mark.parametrize(
    "text",
    [
        "Please find enclosed the district's Prior Written Notice.",
        "Adjunto encontrará la Notificación Previa por Escrito.",
        "This letter serves as prior written notice of the district's decision.",
    ],
)
def test_a_prior_written_notice_sent_now_is_a_refusal(text: str) -> None:
    assert classify(message(text)).klass == "declined"


def test_a_prior_written_notice_only_promised_is_no_refusal() -> None:
    text = "You will receive prior written notice of any decision. Dates to follow."
    assert classify(message(text)).klass == "answer"


START = datetime(2026, 12, 14, 15, 30, tzinfo=timezone(timedelta(hours=-6)))


def test_a_published_event_with_a_start_is_an_invitation() -> None:
    parts = MessageParts(invites=(Invite("PUBLISH", START, "Room 108", "IEP Team Meeting"),))
    result = classify(message("Notice of IEP Team Meeting", parts=parts))
    assert (result.klass, result.meeting_start) == ("invite", START)


def test_an_auto_generated_meeting_notice_with_a_published_event_is_no_auto_reply() -> None:
    parts = MessageParts(invites=(Invite("PUBLISH", START, "Room 108", "IEP meeting"),))
    headers = {"auto-submitted": "auto-generated"}
    assert classify(message("Notice", parts=parts, headers=headers)).klass == "invite"


@pytest.mark.parametrize("summary", ["Quick call about Sam", "SST meeting - Maya", "Check-in"])
def test_a_calendar_invitation_to_something_smaller_is_informal(summary: str) -> None:
    parts = MessageParts(invites=(Invite("REQUEST", START, None, summary),))
    assert classify(message("", parts=parts)).klass == "informal"


@pytest.mark.parametrize(
    "summary",
    ["Conferencia de caso - Maya Rivera", "ARC meeting - Sam", "PPT for Sam", "CSC meeting"],
)
def test_a_calendar_invitation_to_the_meeting_by_a_states_name_is_an_invite(summary: str) -> None:
    parts = MessageParts(invites=(Invite("REQUEST", START, None, summary),))
    assert classify(message("", parts=parts)).klass == "invite"


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Fuera de la oficina", "Estoy fuera de la oficina hasta el lunes 7 de diciembre."),
        ("Respuesta automática: Solicitud", "Estaré en una capacitación; a mi regreso le llamo."),
    ],
)
def test_a_spanish_out_of_office_reply_is_an_auto_reply(subject: str, text: str) -> None:
    headers = {"x-ms-exchange-inbox-rules-loop": "d@district.example",
               "x-ms-exchange-generated-message-source": "Mailbox Rules Agent"}  # fmt: skip
    assert classify(message(text, subject=subject)).klass == "auto_reply"
    assert classify(message(text, subject="Re: x", headers=headers)).klass == "auto_reply"


def test_the_parents_letter_quoted_under_a_spanish_outlook_header_is_not_read() -> None:
    text = (
        "Le confirmo que la junta quedó para el viernes 11 a las 8:00.\n\n"
        "De: Jordan Rivera <jordan@family.example>\n"
        "Enviado el: martes, 1 de diciembre de 2026 8:02 a. m.\n"
        "Para: Dana Alvarez <dalvarez@district.example>\n"
        "Asunto: Request for an IEP meeting\n\n"
        "I am requesting a formal IEP meeting, not an informal conversation or a phone call.\n"
    )
    result = classify(message(text))
    assert result.klass == "answer"
    assert "phone call" not in result.excerpt


def test_a_read_receipt_is_no_answer() -> None:
    parts = MessageParts(
        report_type="disposition-notification",
        content_types=("multipart/report", "text/plain", "message/disposition-notification"),
    )
    text = "Your message was read on Tuesday, December 1, 2026 9:14 AM."
    assert classify(message(text, subject="Read: Request", parts=parts)).klass == "auto_reply"


def test_a_delivery_receipt_is_no_answer() -> None:
    parts = MessageParts(
        report_type="delivery-status",
        delivery_status="Final-Recipient: rfc822; dalvarez@district.example\nAction: delivered",
    )
    result = classify(message("Your message has been delivered.", parts=parts))
    assert (result.klass, result.bounced_recipient) == ("auto_reply", None)


def test_an_address_and_wrote_starts_the_quoted_letter() -> None:
    text = (
        "We will hold the meeting.\n"
        "Jordan Rivera <jordan@family.example> wrote:\n"
        "Not a phone call, please.\n"
    )
    assert new_text(text) == "We will hold the meeting."


TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PARENT_LETTERS = sorted(
    [*TEMPLATES.glob("request/*.j2"), TEMPLATES / "followup.txt.j2",
     TEMPLATES / "escalation.txt.j2", *TEMPLATES.glob("draft/ask_for_date.txt.j2"),
     *TEMPLATES.glob("draft/recap.txt.j2")]
)  # fmt: skip


@pytest.mark.parametrize("path", PARENT_LETTERS, ids=lambda path: path.name)
def test_the_parents_own_letter_quoted_without_a_marker_is_no_refusal_and_no_offer(
    path: Path,
) -> None:
    # A mail program that quotes in a way new_text does not recognise leaves the parent's
    # letter ("a formal IEP meeting, not an informal check-in") in the text read.
    text = re.sub(r"\{%.*?%\}|\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", "Sam", text, flags=re.S)
    assert classify(message(text)).klass == "answer"


def test_a_spanish_failure_notice_from_the_mail_system_is_a_bounce() -> None:
    incoming = IncomingMessage(
        message_id="<b@x>",
        from_addr="mailer-daemon@smtp.family.example",
        subject="Mensaje no entregado: Request for an IEP meeting",
        text="Su mensaje no se pudo entregar a dalvarez@district.example.",
        headers=MappingProxyType({}),
    )
    result = classify(incoming)
    assert (result.klass, result.bounced_recipient) == ("bounce", "dalvarez@district.example")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I am out of the office until Monday, December 7 with limited access to email.\n\n"
            "*** This is an automated response. ***",
            "auto_reply",
        ),
        (
            "Estoy fuera de la oficina hasta el lunes. Este es un mensaje automático.",
            "auto_reply",
        ),
        # A system's notice says it is automated, and carries the school's answer.
        (
            "This is an automated message from the special education office. An IEP team "
            "meeting for Sam has been scheduled for December 14 at 3:30 pm.",
            "answer",
        ),
        # A person away for a day, answering: no declaration, no auto-reply.
        ("I will be out of the office Friday, but we can meet Monday at 3:30.", "answer"),
    ],
)
def test_an_auto_reply_with_no_header_and_a_reply_subject_is_known_by_what_it_says(
    text: str, expected: str
) -> None:
    assert classify(message(text)).klass == expected


@pytest.mark.parametrize(
    ("text", "headers", "expected"),
    [
        # A ticket desk's update: generated, and carrying a person's answer.
        (
            "Request SPED-1187 has been updated.\n\nAdditional comments - M. Webb:\n"
            "The IEP team will not reconvene at this time; we do not believe a meeting is "
            "necessary.",
            {"auto-submitted": "auto-generated"},
            "declined",
        ),
        # A portal's "replied" notice, with its footer: a person's answer still.
        (
            "Dana Alvarez replied to your conversation.\n\nWe can hold the IEP meeting on "
            "Monday, December 14 at 3:30.\n\nThis is an automated notification. Replies are "
            "not monitored.",
            {"auto-submitted": "auto-generated"},
            "answer",
        ),
        # A learning platform's copy of a teacher's message, above its no-reply footer.
        (
            "Dana Alvarez sent you a message\n\nI have your request and sent it to our IEP "
            "facilitator; she will set up the IEP meeting and send you dates.\n\nPlease do "
            "not reply to this email. This mailbox is not monitored.",
            {"auto-submitted": "auto-generated"},
            "answer",
        ),
        # Generated, and away: an out-of-office.
        (
            "I am out of the office until January 4 with no access to email.",
            {"auto-submitted": "auto-generated"},
            "auto_reply",
        ),
        # An unattended mailbox says so, with Outlook's header and a reply subject.
        (
            "Ms. Alvarez is on extended leave and this mailbox is not being monitored. Your "
            "message has not been forwarded.",
            {"x-auto-response-suppress": "DR, OOF, AutoReply"},
            "auto_reply",
        ),
    ],
)
def test_an_automatic_header_or_wording_is_weighed_against_what_the_message_carries(
    text: str, headers: dict[str, str], expected: str
) -> None:
    result = classify(message(text, headers=headers))

    assert result.klass == expected
    # Read by its words where nobody may have written it: never sure.
    assert result.unsure == (expected != "auto_reply")


def test_the_message_a_portal_relays_as_a_quotation_is_read() -> None:
    text = (
        "Dana Alvarez sent you a message:\n\n"
        "> I don't think we need the whole team for this. Could you call me tomorrow\n"
        "> after school instead? We can talk through Sam's speech minutes.\n\n"
        "View the message in the portal. Replies to this email are not monitored."
    )

    assert classify(message(text)).klass == "informal"
