"""matching and mentions: whether a fresh message from the school speaks of the request itself,
as a careful parent reads it, or only uses a word of its area (issue 14). A word of the
request (the parent's letter or e-mail, a notice of meeting) is enough alone, the IEP beside a
meeting, a talk, a notice or an invitation; a weak sign (a meeting of unknown kind, the area, a
signature's title, a notice) needs another kind beside it, or the child's own meeting (pure,
table-driven; the world of test_matching.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_matching import CTX, MAYA, SAM, START, message

from iepd.decide import mentions
from iepd.decide.matching import Match, match
from iepd.inbox.invites import Invite
from iepd.inbox.parse import MessageParts

NAMES = "sender_names_child"
SLP = "kostrander@district.example"
COUNSELOR = "counselor7@hamiltonms.example"
TEACHER = "mporter@district.example"
AREA_CTX = replace(
    CTX, requests=(replace(SAM, areas=("speech",)), replace(MAYA, areas=("reading",)))
)

CASES = [
    # One weak sign alone: the area, a meeting of another kind, a title under the name.
    (
        "the_speech_teachers_homework_packet",
        dict(
            sender=SLP,
            subject="Speech homework - Sam",
            text="Sam's speech packet is in his "
            "folder, ten minutes a night.\n\nKelli Ostrander\nSpeech-Language Pathologist",
        ),
        None,
    ),
    (
        "a_student_council_orientation_meeting",
        dict(
            sender=COUNSELOR,
            subject="Maya - student council",
            text="Maya was elected! There is an orientation meeting for new members and "
            "their families on Monday at 3:30 in room 12.",
        ),
        None,
    ),
    (
        "detentions_and_a_required_parent_conference",
        dict(
            sender="ap@hamiltonms.example",
            subject="Maya Rivera - detentions",
            text="Maya has three detentions this month; a parent conference is required. "
            "Could you come in Monday at 8?",
        ),
        None,
    ),
    (
        "a_title_in_the_signature_under_a_library_note",
        dict(
            sender=TEACHER,
            text="Sam's library book is overdue.\n\nMs. Porter\nSpecial Education Teacher",
        ),
        None,
    ),
    (
        "an_evaluacion_of_english_alone",
        dict(
            sender="ell@hamiltonms.example",
            subject="Evaluación de inglés - Maya",
            text="Maya tomará la evaluación anual de inglés en febrero.",
        ),
        None,
    ),
    # Two kinds together: the meeting about the area, the office's notice.
    (
        "a_meeting_about_the_speech",
        dict(sender=SLP, text="Could we meet next week to go over Sam's speech?"),
        Match("sam-speech", NAMES),
    ),
    (
        "a_call_about_the_therapy",
        dict(sender=SLP, text="I'd like to call you this week about Sam's therapy minutes."),
        Match("sam-speech", NAMES),
    ),
    (
        "the_sped_offices_notice",
        dict(
            sender="sped.secretary@hamiltonms.example",
            subject="Maya Rivera",
            text="Please find attached a notice from the Special Education office.",
        ),
        Match("maya-reading", NAMES),
    ),
    # The child's own meeting, or the parent's contact, is enough alone.
    (
        "the_meeting_for_maya",
        dict(sender=TEACHER, text="The meeting for Maya moved to Tuesday."),
        Match("maya-reading", NAMES),
    ),
    (
        "a_reading_club_that_meets_at_lunch",
        dict(
            sender="librarian@hamiltonms.example",
            subject="Winter Reading Club invitation for Maya",
            text="Maya is invited to our Winter Reading Club. We meet during lunch on "
            "Tuesdays and Thursdays; students read and talk about it with a small group.",
        ),
        None,
    ),
    # Any request or committee is not the parent's request or the IEP committee.
    (
        "a_copy_available_upon_request",
        dict(
            sender=TEACHER,
            subject="Sam's class photos",
            text="Sam's class photos came in today; a digital copy is available upon request.",
        ),
        None,
    ),
    (
        "the_carnival_committee",
        dict(
            sender=COUNSELOR,
            text="Maya signed up for the spring carnival committee; it needs a parent volunteer.",
        ),
        None,
    ),
    (
        "she_received_your_request_about_sam",
        dict(
            sender="office@district.example",
            text="Mrs. Alvarez asked me to let you know she received your request about Sam.",
        ),
        Match("sam-speech", NAMES),
    ),
    (
        "thanks_for_your_note_about_lunch",
        dict(
            sender=TEACHER,
            text="Thanks for your note about Sam's lunch account; I sent it to the cafeteria.",
        ),
        None,
    ),
    (
        "about_your_email_she_would_talk_it_through",
        dict(
            sender="office@district.example",
            subject="Phone message - Sam Rivera",
            text="Ms. Alvarez tried to reach you about your email regarding Sam. She would "
            "prefer to talk this through over the phone.",
        ),
        Match("sam-speech", NAMES),
    ),
    # A class's talk and the school's conference nights are no meeting asked for.
    (
        "book_discussions_and_reading_logs",
        dict(
            sender="ela@hamiltonms.example",
            subject="Maya - missing reading logs",
            text="Maya is missing two reading logs. She's been doing great in our book "
            "discussions, so it's more about keeping up with the logs.",
        ),
        None,
    ),
    (
        "see_you_at_conferences_after_a_speech_group",
        dict(
            sender=TEACHER,
            subject="Sam - math test",
            text="The math test is tomorrow; his speech group is at 10:15 so he'll finish after "
            "speech. See you at conferences in January!",
        ),
        None,
    ),
    (
        "youve_been_worried_about_sams_speech",
        dict(
            sender=TEACHER,
            text="Dana mentioned you've been worried about Sam's speech sessions and asked if "
            "I could help.",
        ),
        Match("sam-speech", NAMES),
    ),
    (
        "dana_showed_me_your_email",
        dict(sender=TEACHER, subject="Sam", text="Dana showed me your email. So sorry!"),
        Match("sam-speech", NAMES),
    ),
    (
        "your_concerns_across_a_wrapped_line",
        dict(
            sender=COUNSELOR,
            subject="Appointment - Maya Rivera",
            text="Ms. Alvarez asked me to schedule a check-in regarding your\nconcerns about "
            "Maya's reading.",
        ),
        Match("maya-reading", NAMES),
    ),
    (
        "a_reading_log_and_a_conference_slot",
        dict(
            sender="ela@hamiltonms.example",
            subject="Maya - missing ELA homework",
            text="Maya has not turned in the chapter 9-12 reading log. Conference night sign-ups "
            "close Wednesday - if you'd like to meet, there are still slots.",
        ),
        None,
    ),
    (
        "un_aviso_de_conducta",
        dict(
            sender=COUNSELOR,
            subject="Aviso de conducta - Maya Rivera",
            text="Maya estaba usando el celular durante un examen. Si quiere hablar con el "
            "subdirector, me avisa.",
        ),
        None,
    ),
    (
        "a_state_language_test_of_speaking_and_listening",
        dict(
            sender=COUNSELOR,
            subject="Evaluación TELPAS - Sam",
            text="Sam va a tomar la evaluación TELPAS en febrero: escuchar, hablar, leer y "
            "escribir.",
        ),
        None,
    ),
    (
        "una_cita_para_hablar_sobre_las_terapias",
        dict(
            sender="secretaria@district.example",
            subject="Cita con el director - Sam Rivera",
            text="El director le puede atender el martes para hablar sobre las terapias de Sam.",
        ),
        Match("sam-speech", NAMES),
    ),
    (
        "le_aviso_que_cambia_la_terapia",
        dict(
            sender=TEACHER,
            subject="Cambio de horario - terapia de Sam",
            text="Le aviso que a partir de enero la terapia de Sam va a cambiar de horario.",
        ),
        None,
    ),
    (
        "la_reunion_de_sam",
        dict(sender=TEACHER, text="La reunión de Sam es el jueves a las 3."),
        Match("sam-speech", NAMES),
    ),
    (
        "maya_csc_mtg",
        dict(sender=TEACHER, subject="Invitation: Maya CSC mtg", text="Friday 8:15 AM"),
        Match("maya-reading", NAMES),
    ),
    (
        "you_emailed_about_sam",
        dict(sender=TEACHER, text="Dana mentioned you emailed about Sam. Catch me at pickup!"),
        Match("sam-speech", NAMES),
    ),
    (
        "you_had_concerns_about_maya",
        dict(sender=COUNSELOR, text="I heard you had some concerns about Maya this fall."),
        Match("maya-reading", NAMES),
    ),
    (
        "youre_concerned_about_maya",
        dict(
            sender=COUNSELOR,
            text="Ms. Alvarez mentioned that you're concerned about how Maya is doing.",
        ),
        Match("maya-reading", NAMES),
    ),
    (
        "your_emails_plural",
        dict(sender=TEACHER, text="She got both of your emails about Sam."),
        Match("sam-speech", NAMES),
    ),
]


@pytest.mark.parametrize(("case", "fields", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_fresh_message_speaks_of_the_request_not_merely_of_its_area(
    case: str, fields: dict[str, object], expected: Match | None
) -> None:
    assert match(message(**fields), CTX) == expected, case  # type: ignore[arg-type]


AREA_CASES = [
    # From the case manager too, the area needs an offer to talk: the quarter's progress report
    # on the goals is no answer, and neither is "IEP progress report" nor its attached file.
    (
        "the_case_managers_progress_report",
        dict(
            subject="Sam's IEP progress report",
            text="Attached is Sam's IEP progress report. His articulation goal is on track.",
            parts=MessageParts(attachments=("Rivera_Sam_IEP_Progress_Q2.pdf",)),
        ),
        None,
    ),
    (
        "the_principal_on_mayas_fluency_without_a_talk",
        dict(sender="mbrooks@hamiltonms.example", text="Maya's fluency numbers came back."),
        None,
    ),
    # "Meet" of a group's standing time or of a goal is no meeting asked for.
    (
        "the_speech_group_will_meet_in_the_library",
        dict(
            subject="Sam - speech group location Thursday",
            text="Sam's speech group will meet in the library this Thursday while room 114 "
            "is being painted.",
        ),
        None,
    ),
    (
        "on_track_to_meet_his_articulation_goal",
        dict(
            subject="RE: Question about Sam's progress report",
            text="The IEP report covers Sam's articulation goals. SP means he is on track to "
            "meet that goal by his annual. Let me know if you have other questions.",
        ),
        None,
    ),
    (
        "accommodations_provided_as_listed_in_her_iep",
        dict(
            subject="Benchmark testing next week",
            text="Maya's accommodations will be provided during testing as they are listed "
            "in her IEP.",
        ),
        None,
    ),
    (
        "per_mayas_iep_she_tests_with_me",
        dict(
            subject="Maya - math benchmark Tuesday",
            text="Per Maya's IEP she'll test with me in a small group with extended time.",
        ),
        None,
    ),
    (
        "the_yearly_consent_to_bill_medicaid",
        dict(
            subject="Maya - consent form",
            text="Each year we ask families to sign the Notice and Consent to Access Public "
            "Benefits for services listed on the IEP. Could you sign and return it?",
            parts=MessageParts(attachments=("Public_Benefits_Consent_Rivera_M.pdf",)),
        ),
        None,
    ),
    (
        "a_nurses_referral_letter_going_home",
        dict(
            sender="office@district.example",
            subject="Vision screening - Sam Rivera",
            text="Sam did not pass the vision screening, so we recommend a further evaluation "
            "by an eye doctor. The referral letter is going home in his backpack today.",
        ),
        None,
    ),
    (
        "a_test_every_student_takes_no_es_parte_del_iep",
        dict(
            subject="Prueba de lectura de Maya",
            text="El viernes Maya va a tomar la prueba de lectura de medio año. Es la misma "
            "evaluación que toman todos los alumnos, no es parte del IEP.",
        ),
        None,
    ),
    (
        "your_december_first_letter_still_speaks_of_the_request",
        dict(subject="Sam", text="I received your December 1 letter and will call you Monday."),
        Match("sam-speech", NAMES),
    ),
    # The IEP beside only the area or a test is the plan followed; beside a meeting, a talk,
    # a notice or an invitation, the request.
    (
        "the_iep_beside_only_a_reading_test",
        dict(
            subject="Maya - reading benchmark Friday",
            text="Maya takes the winter reading benchmark on Friday with the extended time in "
            "her IEP; results post after break.",
        ),
        None,
    ),
    (
        "the_iep_beside_a_talk",
        dict(subject="Sam", text="Could I call you Monday to go over his IEP and the speech?"),
        Match("sam-speech", NAMES),
    ),
    (
        "an_invitation_titled_iep_with_no_body",
        dict(
            subject="IEP - Sam Rivera",
            parts=MessageParts(invites=(Invite("REQUEST", START, "Room 104", "IEP"),)),
        ),
        Match("sam-speech", NAMES),
    ),
    (
        "kentuckys_arc_with_its_invitation",
        dict(
            subject="Sam Rivera ARC",
            text="Here's the calendar thing for Sam's ARC on the 6th. See you then",
            parts=MessageParts(invites=(Invite("PUBLISH", START, "Lincoln", "Sam Rivera ARC"),)),
        ),
        Match("sam-speech", NAMES),
    ),
    (
        "an_arc_in_lowercase_is_a_shape",
        dict(
            subject="Sam - art", text="Sam drew a lovely arc in art today; can we meet at pickup?"
        ),
        None,
    ),
    (
        "a_phone_call_about_mayas_reading",
        dict(
            sender="office@hamiltonms.example",
            subject="Phone call - Maya Rivera",
            text="Mr. Brooks asked me to get a phone call set up with you about Maya's reading.",
        ),
        Match("maya-reading", NAMES),
    ),
    (
        "the_case_manager_asks_to_talk_of_the_area",
        dict(subject="Maya", text="can you call me? id like to talk thru mayas fluency"),
        Match("maya-reading", NAMES),
    ),
]


@pytest.mark.parametrize(("case", "fields", "expected"), AREA_CASES, ids=[c[0] for c in AREA_CASES])
def test_the_area_from_the_people_the_letter_went_to_needs_an_offer_to_talk(
    case: str, fields: dict[str, object], expected: Match | None
) -> None:
    assert match(message(**fields), AREA_CTX) == expected, case  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Speech-Language Pathologist", {"service"}),
        ("Special Education Teacher", set()),
        ("a notice from the ESE department", {"office", "document"}),
        ("the orientation meeting", {"meeting"}),
        ("let's talk about his fluency", {"meeting", "service"}),
        ("pupils talk about it with a small group", set()),
        ("the club meets on Tuesdays", set()),
    ],
)
def test_weak_signs_by_kind(text: str, kinds: set[str]) -> None:
    assert mentions.weak_signs(text, ("reading",)) == kinds


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("does fri 8am still work for sams mtg?", True),
        ("Sam's IEP meeting", True),
        ("the meeting for Sam Rivera", True),
        ("an orientation meeting for the new mediators; Sam said yes", False),
        ("Sam's speech group moved to the library", False),
        ("una reunión con la maestra de Sam", False),
        ("I will meet you there", False),
    ],
)
def test_names_the_meeting_of_the_child(text: str, spoken: bool) -> None:
    assert mentions.names_the_meeting_of("Sam Rivera", text) is spoken
