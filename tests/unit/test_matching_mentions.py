"""matching and mentions: a fresh message from the school that names the child as a phone
types it, or only in an attached file, and speaks of the request in the team's words
(pure, table-driven; the world of tests/unit/test_matching.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_letters import make_config
from test_matching import CTX, MAYA, SAM, message

from iepd.decide import mentions
from iepd.decide.matching import Match, match
from iepd.inbox.parse import MessageParts
from iepd.inbox.record import config_match_context

NAMES = "sender_names_child"
CASE_MANAGER = "dalvarez@district.example"
SLP = "kostrander@district.example"
PSYCH = "alindqvist@district.example"
LIAISON = "mochoa@district.example"
SECRETARY = "bsikes@hamiltonms.example"


def files(*names: str) -> MessageParts:
    return MessageParts(attachments=names)


CASES = [
    # A possessive typed without its apostrophe names the child.
    (
        "sams_mtg_from_the_case_manager",
        dict(subject="quick question", text="does fri 8am still work for you for sams mtg?"),
        Match("sam-speech", NAMES),
    ),
    (
        "sams_speech_teacher_from_a_colleague",
        dict(
            sender=SLP,
            subject="quick question",
            text="hi jordan, kelli here (sams speech teacher). dana shared ur letter.",
        ),
        Match("sam-speech", NAMES),
    ),
    (
        "mayas_iep_in_the_subject",
        dict(sender=SECRETARY, subject="mayas iep mtg", text="see below"),
        Match("maya-reading", NAMES),
    ),
    ("samantha_is_still_no_sam", dict(text="Samantha's IEP meeting is Friday."), None),
    (
        "a_possessive_without_apostrophe_about_a_trip_is_no_answer",
        dict(sender="mporter@district.example", text="sams permission slip for the trip"),
        None,
    ),
    # The child named only in an attached file.
    (
        "family_name_and_initial_in_a_pwn_file",
        dict(text="Please see the attached.", parts=files("PWN_Rivera_S_121426.pdf")),
        Match("sam-speech", NAMES),
    ),
    (
        "first_name_in_an_iep_draft_file",
        dict(text="Attached for your review.", parts=files("Maya-Rivera-IEP-draft.docx")),
        Match("maya-reading", NAMES),
    ),
    (
        "a_file_naming_the_child_that_is_no_document_of_the_request",
        dict(text="Here is another copy.", parts=files("Field_Trip_Form_Rivera_M.pdf")),
        None,
    ),
    (
        "a_file_naming_neither_child",
        dict(text="Please see the attached.", parts=files("PWN_121426.pdf")),
        None,
    ),
    # The request in the team's words.
    (
        "the_team_will_not_reconvene",
        dict(
            sender=PSYCH,
            subject="Re: Maya",
            text="Based on that the team won't be reconvening right now.",
        ),
        Match("maya-reading", NAMES),
    ),
    (
        "without_the_whole_team",
        dict(sender=SLP, subject="Sam", text="I can answer most of it without the whole team."),
        Match("sam-speech", NAMES),
    ),
    (
        "todo_el_equipo",
        dict(
            sender=LIAISON,
            subject="Maya - llamada",
            text="Dana dice que es más fácil así que juntar a todo el equipo.",
        ),
        Match("maya-reading", NAMES),
    ),
    (
        "ese_in_capitals_is_the_department",
        dict(sender=SECRETARY, text="Attached is a notice from the ESE department regarding Maya."),
        Match("maya-reading", NAMES),
    ),
    (
        "ese_in_spanish_is_that",
        dict(sender=LIAISON, text="Maya dejó su chamarra en el patio ese día, está en la oficina."),
        None,
    ),
    # What stays as it was.
    (
        "a_fresh_message_naming_neither_child_is_ambiguous",
        dict(subject="quick question", text="does fri 8am still work for the mtg?"),
        None,
    ),
    (
        "outside_the_school_a_possessive_is_still_not_enough",
        dict(sender="tutor@gmail.example", text="sams mtg: the whole team should be there"),
        None,
    ),
    (
        "both_children_typed_without_apostrophes_is_ambiguous",
        dict(text="sams and mayas meetings: the whole team"),
        None,
    ),
]


@pytest.mark.parametrize(("case", "fields", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_fresh_school_message_is_read_as_a_parent_reads_it(
    case: str, fields: dict[str, object], expected: Match | None
) -> None:
    fields = {"sender": CASE_MANAGER, **fields}
    assert match(message(**fields), CTX) == expected, case  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        ("Sam Rivera", "sams mtg", True),
        ("Sam Rivera", "Sam's", True),
        ("Sam Rivera", "Samson", False),
        ("Maya Rivera", "MAYAS reading", True),
        ("Maya Rivera", "Mayan art", False),
        # A first name that is an ordinary word takes no bare "s": "Wills" and "hopes" stay words.
        ("Will Rivera", "Wills", False),
        ("Will Rivera", "Will's goals", True),
        ("Hope Rivera", "she hopes to", False),
    ],
)
def test_names_takes_a_possessive_without_its_apostrophe(name: str, text: str, named: bool) -> None:
    assert mentions.names(name, text) is named


def test_two_siblings_of_one_initial_in_a_file_are_both_named() -> None:
    sofia = replace(MAYA, child_name="Sofia Rivera", child_id="sofia", request_id="sofia-iep")
    ctx = replace(CTX, requests=(SAM, sofia))
    incoming = message(sender=CASE_MANAGER, text="See attached.", parts=files("PWN_Rivera_S.pdf"))
    assert match(incoming, ctx) is None


# What the letter was about (OpenRequest.areas, from the parent's concern) counts when the very
# people it went to ask to talk of it (test_matching_topic.py: a progress report does not);
# from anyone else at the school it is a teacher's note.
READING_MAYA = replace(MAYA, areas=("reading",))
AREA_CTX = replace(CTX, requests=(replace(SAM, areas=("speech",)), READING_MAYA))
AREA_CASES = [
    (
        "the_case_manager_on_mayas_reading",
        dict(subject="Maya", text="call me tonight? easier to talk thru mayas reading than email"),
        Match("maya-reading", NAMES),
    ),
    (
        "the_principal_on_mayas_fluency",
        dict(
            sender="mbrooks@hamiltonms.example",
            text="Maya's fluency numbers came back. Can we talk?",
        ),
        Match("maya-reading", NAMES),
    ),
    (
        "the_case_manager_in_spanish",
        dict(subject="Maya", text="¿Podemos hablar de la lectura de Maya el jueves?"),
        Match("maya-reading", NAMES),
    ),
    (
        "a_teacher_on_mayas_reading_log",
        dict(sender="ela7@hamiltonms.example", text="Maya's reading log is missing this week."),
        None,
    ),
    (
        "the_case_manager_on_another_area",
        dict(subject="Sam", text="sams reading log came back signed, thanks"),
        None,
    ),
    (
        "the_area_only_in_the_quoted_letter",
        dict(subject="Maya", text="Got it!\n\n> Maya's reading fluency has dropped"),
        None,
    ),
]


@pytest.mark.parametrize(("case", "fields", "expected"), AREA_CASES, ids=[c[0] for c in AREA_CASES])
def test_what_the_letter_was_about_counts_from_the_people_it_went_to(
    case: str, fields: dict[str, object], expected: Match | None
) -> None:
    fields = {"sender": CASE_MANAGER, **fields}
    assert match(message(**fields), AREA_CTX) == expected, case  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("words", "areas"),
    [
        ("Since October Sam has received about half of his speech sessions.", ("speech",)),
        ("Maya's reading fluency dropped since the fall.", ("reading",)),
        ("La lectura de Maya ha empeorado.", ("reading",)),
        ("Missed sessions: compensatory services are owed.", ("services",)),
        ("Three suspensions since October.", ("behavior",)),
        ("A mid-year concern.", ()),
        # An accommodation is no area: "read aloud" is how a test is given.
        ("Tests are to be read aloud to him.", ()),
    ],
)
def test_areas_of_the_parents_concern(words: str, areas: tuple[str, ...]) -> None:
    assert mentions.areas_of(words) == areas


def test_the_match_context_takes_the_areas_from_the_parents_concern(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        reason="outside_evaluation",
        request_concern="Her reading fluency has dropped since the fall.",
        request_details={"evaluator": "Dr. Ana Lee", "areas": "dyslexia, written expression"},
    )
    (request,) = config_match_context(config).requests
    assert request.areas == ("reading", "writing")


# "Hi everyone" greets many families in a broadcast, and the parent with the team in a
# coordinator's message setting the meeting: who it is addressed to tells them apart.
TEAM = ("kostrander@district.example", "alindqvist@district.example")
SETTING_THE_MEETING = "Hi everyone,\nSam's IEP meeting is set for Monday, Dec 14 at 3:30."
GREETING_CASES = [
    (
        "the_parent_with_the_team_copied",
        dict(to_addrs=("jordan@family.example",), cc_addrs=TEAM, text=SETTING_THE_MEETING),
        Match("sam-speech", NAMES),
    ),
    (
        "spanish_the_parent_with_the_team_copied",
        dict(
            to_addrs=("jordan@family.example", *TEAM),
            text="Hola a todos:\nLa junta del PEI de Maya es el lunes 14 a las 3:30.",
        ),
        Match("maya-reading", NAMES),
    ),
    (
        "other_families_copied",
        dict(
            to_addrs=("jordan@family.example", "pat@gmail.example"),
            cc_addrs=TEAM,
            text=SETTING_THE_MEETING,
        ),
        None,
    ),
    ("the_parent_not_addressed", dict(to_addrs=TEAM, text=SETTING_THE_MEETING), None),
    (
        "no_one_else_addressed",
        dict(to_addrs=("jordan@family.example",), text=SETTING_THE_MEETING),
        None,
    ),
    (
        "families_with_the_team_copied_is_still_a_broadcast",
        dict(
            to_addrs=("jordan@family.example",),
            cc_addrs=TEAM,
            text="Dear Lincoln families,\nSam's class IEP night is Monday.",
        ),
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "fields", "expected"), GREETING_CASES, ids=[c[0] for c in GREETING_CASES]
)
def test_hi_everyone_to_the_parent_and_the_team_is_no_broadcast(
    case: str, fields: dict[str, object], expected: Match | None
) -> None:
    fields = {"sender": CASE_MANAGER, **fields}
    assert match(message(**fields), CTX) == expected, case  # type: ignore[arg-type]


TEAM_WORD_CASES = [
    ("the_cse", "The CSE will review Maya's file in January.", True),
    ("the_team_capitalised", "The district and the Team agree that Sam's services continue.", True),
    ("a_norep", "Enclosed is Maya's NOREP.", True),
    ("a_written_notice", "Sam: a Written Notice follows.", True),
    ("an_ist", "Maya's IST will look at her data.", True),
    ("procedural_safeguards", "A copy of the procedural safeguards for Sam.", True),
    ("an_amendment", "We can amend Sam's goals in writing.", True),
    ("michigans_iept", "Sam Rivera IEPT\nFriday, December 18, 8:00 AM", True),
    ("a_word_ending_in_ist", "Maya was the soloist at the winter concert.", False),
    ("the_soccer_team", "Sam made the team! Practice is Tuesday.", False),
    ("a_ppt_in_lowercase", "sams class ppt on volcanoes is due friday", False),
]


@pytest.mark.parametrize(
    ("case", "text", "matched"), TEAM_WORD_CASES, ids=[c[0] for c in TEAM_WORD_CASES]
)
def test_other_states_words_for_the_team_speak_of_the_request(
    case: str, text: str, matched: bool
) -> None:
    sender = SECRETARY if "Maya" in text else "mporter@district.example"
    found = match(message(sender=sender, text=text), CTX)
    assert (found is not None) is matched, case


@pytest.mark.parametrize(
    ("text", "named"),
    [("Student: S. Rivera  Grade 4", True), ("Dear Ms. Rivera,", False), ("M. Rivera", False)],
)
def test_the_initial_and_family_name_name_the_child(text: str, named: bool) -> None:
    assert mentions.names("Sam Rivera", text) is named
