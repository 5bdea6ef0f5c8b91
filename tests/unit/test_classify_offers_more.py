"""More ways schools offer something smaller, refuse or put off the meeting (issue 14, the
second round): each mechanism read from the shape of the sentence, not from one message's
words. Pure, table-driven; the sentences are this project's own, none from tests/replies/.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest

from iepd.decide.classify import classify
from iepd.decide.excerpt import new_text
from iepd.decide.matching import match
from iepd.decide.sentences import signature_line, split_sentences
from iepd.inbox.parse import IncomingMessage, MessageParts
from support.corpus_context import CONTEXT


def message(
    text: str,
    subject: str = "Re: Request for an IEP meeting for Sam Rivera",
    sender: str = "dalvarez@district.example",
    attachments: tuple[str, ...] = (),
) -> IncomingMessage:
    return IncomingMessage(
        message_id="<x@district.example>",
        from_addr=sender,
        subject=subject,
        text=text,
        headers=MappingProxyType({}),
        parts=MessageParts(attachments=attachments),
    )


# ---- sentences end after an abbreviated month when a new sentence follows ---------------

SPLITS = [
    ("We've had no SLP since Nov. No need to meet about it.", 2),
    ("The meeting is on Dec. 14 at 3:30.", 1),
    ("Ms. Ortiz will call.", 1),
    ("She started in Sept. The numbers look fine.", 2),
    ("Sign-ups close January 8. Families of all grades may apply.", 2),  # a day, no initial
    ("Ask for Dr. J. Ruiz at the front desk.", 1),
]


@pytest.mark.parametrize(("text", "count"), SPLITS)
def test_a_month_abbreviation_ends_a_sentence_only_before_a_new_one(text: str, count: int) -> None:
    assert len(split_sentences(text)) == count


READINGS = [
    # an offer in an imperative after a comma, beside a refusal
    (
        "No need to pull the IEP team together over this, just text me and we'll sort it out.",
        "informal",
    ),
    (
        "The team doesn't need to meet, swing by my room after school and we'll look at her "
        "folder together.",
        "informal",
    ),
    ("We are scheduling the IEP meeting now, call me with any questions.", "answer"),
    # an offer made on the parent's wish: "if you'd like to talk, ..."
    (
        "We don't think the team needs to meet again. If you'd ever like to talk it over, I'm "
        "in the library most afternoons.",
        "informal",
    ),
    ("If you want to chat about his progress, I'm out front at dismissal every day.", "informal"),
    ("If you have any questions, please call me.", "answer"),
    # a day named in another clause than the meeting refused
    (
        "We won't be holding another meeting; his make-up sessions are already set "
        "(Mondays 1:15-1:45).",
        "declined",
    ),
    ("We can't meet on Tuesday, but Thursday at 3 works for everyone.", "answer"),
    ("We can't hold the meeting then; how about Tuesday at 3?", "answer"),
    # the meeting compared to the smaller thing offered: "quicker than convening the team"
    (
        "A half-hour check-in with her teacher and me would be much quicker than convening "
        "the whole team.",
        "informal",
    ),
    (
        "I'd suggest a short check-in with her teacher and me. It's far less paperwork than "
        "reconvening the whole IEP team.",
        "informal",
    ),
    ("I'm more than happy to schedule the IEP meeting.", "answer"),
    (
        "¿Le puedo llamar el martes? La maestra dice que es mucho más sencillo que reunir a "
        "todo el comité en diciembre.",
        "informal",
    ),
    # a meal or a coffee is a talk
    (
        "Instead of a big formal meeting, want to grab coffee Friday morning and talk it over?",
        "informal",
    ),
    ("¿Le gustaría tomar un cafecito el viernes para platicar?", "informal"),
    # a meeting promised only if things do not improve
    ("If her scores haven't improved by February, we'll convene the team then.", "declined"),
    (
        "Let's see how the new schedule goes for a month. If nothing changes, we will hold the "
        "meeting.",
        "declined",
    ),
    ("If Tuesday works for you, we'll hold the meeting at 3:30.", "answer"),
    ("If it works for everyone, the team will meet next week. I'll send dates.", "answer"),
    # writing back and forth instead of meeting
    ("Let's keep an email thread going with her teachers instead of meeting.", "informal"),
    ("For now, why don't we go back and forth over text?", "informal"),
    # lesser meetings by other names, proposed as "what if"
    ("What if we did a quick huddle with her teachers before school instead?", "informal"),
    ("Could we do a data chat with the reading specialist next week?", "informal"),
    ("I'd be glad to set up a grade-level team meeting to talk about her progress.", "informal"),
    # other states' words for the team and for the notice
    ("The CSE will not be reconvening at this time.", "declined"),
    ("The PPT will meet on December 14 at 3:30.", "answer"),
    ("The Committee on Special Education has decided not to convene.", "declined"),
    ("We will convene the case conference committee on Monday the 14th.", "answer"),
    ("Please see the attached Written Notice regarding your request.", "declined"),
    ("Enclosed is the NOREP explaining the district's decision.", "declined"),
    ("You will receive written notice of the team's decision.", "answer"),
    # refusals said in other ways
    ("Let's wait and see how he does with the make-up sessions.", "declined"),
    ("We'll take this up at her annual in March.", "declined"),
    ("No need for the Team to get together again.", "declined"),
    (
        "Rather than reconvening the committee, I'd suggest a phone call with the SLP.",
        "informal",
    ),
    # a negation does not reach past a comma and a new subject
    (
        "Your letter was not overlooked, I did read it the week it came. Yes, we will hold the "
        "IEP meeting.",
        "answer",
    ),
    # calling in is how to attend the meeting, not a call instead of it
    ("The meeting is Tuesday the 15th at 4; your advocate is welcome to call in.", "answer"),
    # a framework is no meeting offered; a smaller team that must decide first is waited for
    (
        "Maya gets Tier 2 reading through our MTSS process. We will not convene an IEP meeting "
        "at this time.",
        "declined",
    ),
    (
        "We need six weeks of data before the student support team can decide whether a "
        "referral is needed, so there will be no IEP meeting for now.",
        "declined",
    ),
    # the second smaller thing of a sentence is read when the first was told of
    (
        "After talking with the reading coach, I'd suggest a meeting of the student support "
        "team next week.",
        "informal",
    ),
    ("Can we do an RTI mtg Thursday at 8 instead?", "informal"),
    # waiting to see, and deciding on a meeting later
    ("Let's give it a few more weeks and see where he is.", "declined"),
    ("Let's see how the next few weeks go before we decide on a meeting.", "declined"),
    ("Vamos a esperar a ver cómo le va con el nuevo horario.", "declined"),
    (
        "We have to wait for the SLP's schedule, but we will hold the meeting before break.",
        "answer",
    ),
    # the IEP found fine as it is: a soft refusal, weak alone, outweighed by a meeting agreed
    (
        "We feel his current IEP continues to meet his needs, so we'll keep things as they "
        "are for now.",
        "declined",
    ),
    (
        "His goals remain appropriate. Of course we will still hold the meeting; dates soon.",
        "answer",
    ),
    ("We'll meet to see whether his goals are still appropriate. Dates to follow.", "answer"),
    # an IEP amended without a meeting is an offer: it needs the parent's agreement
    ("We can amend his IEP without a meeting if you agree; I'll send the form home.", "informal"),
    ("Would you be open to an IEP amendment without a meeting?", "informal"),
    # more ways to ask for a text or a visit
    ("Shoot me a text and we'll find a time to chat.", "informal"),
    ("Pase a mi oficina cualquier día después de clases y lo vemos.", "informal"),
    # the meeting's own medium and days refused in the plural are no offer and no refusal
    ("Absolutely. We can also do the meeting by Zoom if that is easier for you.", "answer"),
    (
        "Unfortunately the team is unable to meet on Mondays, but we can offer Wednesday the "
        "16th at 3:45.",
        "answer",
    ),
    # typed from a phone: no apostrophes, "u"
    ("ok ill call u after school", "informal"),
    ("cant do a full IEP mtg before break, can u do a call tmrw at 4?", "informal"),
    ("dont think we need the whole team for this.", "declined"),
    # a time refused is not the meeting refused
    (
        "I'm sorry but we won't be able to accommodate a meeting before the holidays. We can "
        "meet the week of January 4.",
        "answer",
    ),
    ("Attached please find the Notice of Proposed or Refused Action on your request.", "declined"),
    (
        "After review, the Team does not find it necessary to reconvene. See the enclosed N1.",
        "declined",
    ),
    # refusals without the usual words
    (
        "I talked it over with the team and we've decided a meeting isn't the right step "
        "right now.",
        "declined",
    ),
    ("His sessions are being made up, so there is nothing for the team to decide.", "declined"),
    ("I'm going to say no on the meeting for now.", "declined"),
    ("No se llevará a cabo una junta.", "declined"),
    ("Por el momento no se convocará al comité.", "declined"),
    ("Consideramos que no es el momento para una junta.", "declined"),
    ("No se preocupe, la junta se hará el martes 15.", "answer"),
    ("There's nothing to worry about, we'll meet on the 15th.", "answer"),
    # more smaller things: a visit to observe, a consult, a progress check, support teams
    ("I'd be glad to set up a time for you to observe Maya's reading group.", "informal"),
    ("The SLP will observe Sam in class next week. Dates for the meeting to follow.", "answer"),
    ("How about a consult with the SLP next week?", "informal"),
    ("Could we start with a progress check with Ms. Lee?", "informal"),
    ("Let's bring Maya's case to our Educational Support Team first.", "informal"),
    ("I think the Building-Based Support Team is the right place to start.", "informal"),
    # things kept as they are
    ("At this time we are going to continue with the current plan.", "declined"),
    ("We'll stay the course for now and check progress in February.", "declined"),
    ("This was addressed at his IEP meeting in October and nothing has changed since.", "declined"),
    # negations that refuse nothing: an interjection, two negations, a refusal denied, a
    # negation whose clause ended, a wait for a date, the annual turned down, a habit
    ("No, you don't need to bring anything to the meeting on Tuesday.", "answer"),
    ("There's no reason we can't meet before break.", "answer"),
    ("Nobody is refusing your request; we're scheduling the meeting now.", "answer"),
    ("The SLP won't be available until Dec 15, so we'll hold the meeting then.", "answer"),
    (
        "We can't meet this week because of state testing. Next week is wide open though; "
        "pick a day.",
        "answer",
    ),
    ("We're not going to wait for the annual review; let's meet next week.", "answer"),
    (
        "We don't usually reconvene mid-year, but given the missed minutes we will. I'll send "
        "dates.",
        "answer",
    ),
    ("We don't usually reconvene mid-year.", "declined"),
    # Spanish: yes is no condition, "no hay problema" no negation, calls and visits
    ("Sí vamos a tener la junta, solo estoy coordinando horarios.", "answer"),
    ("Si, claro. Vamos a tener la junta; estoy coordinando horarios.", "answer"),
    ("No hay problema, con gusto nos reunimos. Le propongo el martes 15 a las 4.", "answer"),
    ("Si gusta, le marco hoy después de las 4.", "informal"),
    ("Con gusto la recibo en mi oficina el jueves para revisar el progreso de Maya.", "informal"),
    (
        "Recibimos su carta y le confirmo por escrito que la recibimos. La junta será el 16.",
        "answer",
    ),
    ("Los servicios de Sam se están reponiendo; no habrá cambios en su PEI.", "declined"),
    # a smaller team that will meet with the parent is the smaller thing, dated
    (
        "Our Student Support Team will meet with you on Thursday at 8 to talk about Maya's "
        "reading.",
        "informal",
    ),
    ("I've scheduled a 504 meeting for Wednesday the 16th at 2:30.", "informal"),
    # ...and the clause that holds the IEP meeting still agrees to it
    ("The IEP team will meet Dec 14 at 3:30; the SST will also meet the week after.", "answer"),
    # two people meeting the parent, the team named only as what is set aside
    ("Ms. Lee and I can meet with you Thursday at 3:30 to go over the makeup plan.", "informal"),
    (
        "The SLP and I would like to meet with you instead of convening the full team.",
        "informal",
    ),
    (
        "I'd like to meet with you and Sam's teacher first, before we involve the whole team.",
        "informal",
    ),
    ("Dana and I will see you at the IEP meeting on the 14th at 3:30.", "answer"),
    # a few minutes, a ring, a call that might be the fastest way
    ("Would you have a few minutes this week?", "informal"),
    ("Are you around this afternoon? I could give you a quick ring.", "informal"),
    ("I'm thinking a call might be the fastest way to sort this out.", "informal"),
    ("This will only take a few minutes of the meeting. See you on the 14th at 3:30.", "answer"),
    # a talk left to the annual review is the annual review, not a talk offered now
    (
        "The current plan is working well for Maya. Let's talk more at her annual review.",
        "declined",
    ),
    (
        "His IEP continues to meet his needs in most areas, but we agree a meeting makes sense. "
        "I'll send dates.",
        "answer",
    ),
    # once a smaller meeting is offered, "this meeting" is that one
    (
        "I'd suggest a meeting of the student support team. I have scheduled this meeting for "
        "Tuesday, December 15 at 3:45.",
        "informal",
    ),
    (
        "We will hold the IEP meeting on the 10th. If you'd like a quick call before the "
        "meeting, let me know. The meeting will be in room 12.",
        "answer",
    ),
    (
        "En lugar de la junta completa, le propongo una reunión corta por Zoom con la maestra "
        "y conmigo.",
        "informal",
    ),
    # what follows "rather than" is passed over: the meeting is chosen, the call is not
    (
        "You asked that this be a formal IEP meeting rather than a phone call, and it will be "
        "scheduled that way. We are holding Monday, December 14 at 3:45.",
        "answer",
    ),
    # "a drop in her reading" is a decline in it, no drop-in visit offered
    (
        "Because you describe a drop in her reading, the team wants new data first. When it "
        "is done, we will hold an IEP meeting to review the results.",
        "declined",
    ),
    # a meeting that is not the best way, and a call proposed to answer questions instead
    (
        "I do not believe an IEP meeting is the most efficient way to address this. I propose "
        "a phone call with the SLP so that we can answer your questions.",
        "informal",
    ),
    # a meeting that took place is no meeting agreed to, nor its day a day refused
    (
        "Sam's IEP team just met on October 27 and his IEP is current, so another IEP meeting "
        "will not be scheduled right now.",
        "declined",
    ),
    ("Thanks for writing. We won't be scheduling that right now; the team met in May.", "declined"),
    # who the writer is and why a time names a smaller meeting without offering it
    (
        "I sit on our MTSS team and I have looked at her data. We will hold the IEP meeting on "
        "Monday, December 14 at 3:45.",
        "answer",
    ),
    (
        "Monday at 3:45 works for the IEP meeting. We can't start before 3:40 because of "
        "dismissal.",
        "answer",
    ),
    # a named smaller meeting already set is offered, though "scheduled" is logistics
    (
        "I have scheduled a Student Assistance Team (SAT) meeting for Maya on Wednesday, "
        "December 16 at 3:45 in the library.",
        "informal",
    ),
    # Illinois' notice of the IEP meeting is no parent-teacher conference
    ("Got it. I'll send out the Notice of Conference once the SSM confirms a room.", "answer"),
    # Michigan's MET is a team, not a meeting negated
    (
        "Dana is setting up the IEPT and will be in touch about dates. I've moved his group so "
        "it won't run into the MET days.",
        "answer",
    ),
    (
        "I don't think a formal meeting is the best use of everyone's time. I'm happy to work "
        "through any remaining questions by email.",
        "informal",
    ),
    # a video link already sent for a check-in is a smaller meeting, set
    (
        "I just sent you a Teams link for a 20-minute check-in on Monday at 4:00. If the team "
        "needs to meet after that, I can start scheduling then.",
        "informal",
    ),
]


@pytest.mark.parametrize(("text", "expected"), READINGS)
def test_more_shapes_of_offers_refusals_and_deferrals(text: str, expected: str) -> None:
    result = classify(message(text))
    assert result.klass == expected, result.signals


def test_a_teachers_note_naming_the_iep_only_for_accommodations_matches_no_request() -> None:
    note = message(
        "Hi Jordan, Maya's permission slip for the museum trip is still missing. Per her IEP "
        "accommodations I'll read the worksheet aloud to her group.",
        subject="Maya - museum trip form",
        sender="teacher@hamiltonms.example",
    )
    assert match(note, CONTEXT) is None


def test_a_form_letter_inviting_families_to_an_event_matches_no_request() -> None:
    letter = message(
        "Dear Parent/Guardian of Maya,\n\nYou are invited to our Science Fair Night on "
        "Thursday, January 14 at 6 pm. Students with IEPs or 504 plans are welcome to enter.",
        subject="Maya - Science Fair Night",
        sender="events@district.example",
    )
    assert match(letter, CONTEXT) is None


@pytest.mark.parametrize(
    ("text", "attachments", "expected", "unsure"),
    [
        (
            "Please find attached a notice from the special services office regarding Sam.",
            ("Rivera_Sam_Notice.pdf",),
            "declined",
            True,
        ),
        (
            "Please find attached the notice for Sam's IEP meeting.",
            ("Rivera_Sam_Notice.pdf",),
            "answer",
            False,
        ),
        ("Please find attached a notice regarding Sam.", (), "answer", False),
    ],
)
def test_a_bare_notice_attached_naming_no_meeting_is_a_refusal_iepd_is_unsure_of(
    text: str, attachments: tuple[str, ...], expected: str, unsure: bool
) -> None:
    result = classify(message(text, subject="Sam Rivera - Notice", attachments=attachments))
    assert (result.klass, result.unsure) == (expected, unsure), result.signals


def test_a_fresh_notice_from_the_special_education_office_matches_its_child() -> None:
    note = message(
        "Good morning, please find attached a notice from the ESE department regarding Maya.",
        subject="Maya Rivera - Notice",
        sender="secretary@hamiltonms.example",
        attachments=("Rivera_Maya_Notice.pdf",),
    )
    found = match(note, CONTEXT)
    assert found is not None and found.request_id == "maya-reading"


QUOTED = "not an informal conversation or a phone call"
HISTORIES = [
    f'Ok\n\n"Jordan Rivera" <jordan@family.example> 12/01/2026 08:02 AM >>>\n{QUOTED}.',
    f"Ok\n\nSent from Yahoo Mail on Android\n\n  On Tue, Dec 1, 2026 at 8:02, Jordan Rivera"
    f"<jordan@family.example> wrote:   {QUOTED}.",
    f"Ok\n  On Tue, Dec 1, 2026 at 8:02, Jordan Rivera<jordan@family.example> wrote:   {QUOTED}.",
    f"Ok\nSent from my Verizon, Samsung Galaxy smartphone\n{QUOTED}",
    f"Ok\n\nGet Outlook for Android\n{QUOTED}",
]


@pytest.mark.parametrize("text", HISTORIES)
def test_more_mail_programs_quote_the_parents_letter_and_it_is_cut(text: str) -> None:
    assert new_text(text) == "Ok"


SIGNATURE_LINES = [
    ("SST Coordinator / Student Support Team Chair", True),
    ("Parent-Teacher Conference Coordinator", True),
    ("MTSS Team Lead | Problem-Solving Team", True),
    ("Call or text: 555-0100", True),
    ("Coordinadora de Educación Especial", True),
    ("principal says no mtg needed", False),  # the message itself, typed in lowercase
    ("Text me at 555-0100 and we can talk.", False),
    ("I can do a Student Support Team meeting Thursday", False),
]


@pytest.mark.parametrize(("line", "signature"), SIGNATURE_LINES)
def test_a_signatures_title_and_number_are_not_read(line: str, signature: bool) -> None:
    assert signature_line(line) is signature


def test_a_title_in_a_signature_without_a_closing_offers_nothing() -> None:
    text = (
        "Hi Jordan,\n\nThe team will meet Dec 14 at 3:30 in room 12.\n\nDana Alvarez\n"
        "SST Coordinator / Student Support Team Chair\nCall or text: 555-0100"
    )
    result = classify(message(text))
    assert (result.klass, result.unsure) == ("answer", False), result.signals


# ---- round 13: shapes from zzg to zzk once seen ----------------------------------------------


def test_the_short_last_line_of_wrapped_prose_ends_its_sentence() -> None:
    text = (
        "If at the end of that period the data shows Sam is still behind, we will\n"
        "schedule an IEP meeting at that time.\n\nThanks for your patience."
    )
    assert split_sentences(text) == [
        "If at the end of that period the data shows Sam is still behind, we will schedule an "
        "IEP meeting at that time.",
        "Thanks for your patience.",
    ]


def test_a_portals_heading_of_the_message_it_relays_is_no_quoted_history() -> None:
    text = (
        "You have received a new message through Skyward Family Access.\n\n"
        "From:      Alvarez, Dana\nRegarding: Rivera, Maya\nSent:      12/11/2026 3:44 PM\n"
        "Subject:   Response to your request\n\n"
        "The IEP team has determined that an IEP meeting is not necessary at this time."
    )
    assert "not necessary at this time" in new_text(text)
    reply = "Thanks!\n\nFrom: Jordan Rivera\nSent: Tuesday\nSubject: Request\n\nPlease meet."
    assert new_text(reply) == "Thanks!"
    framed = (
        "Skyward Family Access Message\n\nFrom: Dana Alvarez (Hamilton)\nRegarding: Rivera, "
        "Maya\n\n" + "_" * 32 + "\n\nI got your letter about Maya. Could we start with a "
        "check-in?\n\n" + "_" * 32 + "\n\nThis message was sent through Skyward."
    )
    assert "Could we start with a check-in?" in new_text(framed)
    outlook = "Thanks\n" + "_" * 32 + "\nFrom: Jordan Rivera\nSent: Tuesday\n\nPlease meet."
    assert new_text(outlook) == "Thanks"


ROUND_13 = [
    # a records system's form: the decision field, beside the notice it attaches
    (
        "Document: Notice of Action\n\nAction: Refusal - Parent request to convene IEP meeting "
        "(12/01/2026)\n\nThe document is attached to this email as a PDF.",
        ("NoticeOfAction_RIVERA_SAM.pdf",),
        "declined",
    ),
    # annual reviews in the plural are the writer's workload
    (
        "Your first email got buried under a stack of annual reviews and I should have answered "
        "it last week. Would Monday the 14th at 3:30 work for the IEP meeting?",
        (),
        "answer",
    ),
    # the time confirmed with the parent is the meeting's, no smaller meeting
    (
        "We will hold the IEP meeting Monday the 14th. Dana will confirm the time with you.",
        (),
        "answer",
    ),
    # the notice of the meeting comes by e-mail; nothing is handled by e-mail instead
    (
        "Recibimos su solicitud y estamos programando la reunión del IEP. Usted recibirá la "
        "Notificación de Reunión por correo electrónico.",
        (),
        "answer",
    ),
    # the parent asked to sit down with a teacher first: a smaller meeting offered
    (
        "Before we go the route of a full IEP team meeting, I'd like for you to sit down with "
        "Maya's ELA teacher, Mrs. Dotson, on Thursday at 4:00.",
        (),
        "informal",
    ),
    # the parent may call the office: no call offered
    (
        "Dana asked me to let you know she received your request and will be in touch about "
        "the IEP meeting. If you need anything in the meantime you can call the front office.",
        (),
        "answer",
    ),
    # someone joining the meeting by phone attends it
    (
        "I'd like to propose January 6 at 3:45 for Sam's IEP meeting. If you would rather meet "
        "before break, I can make Friday, December 18 work with Allison joining by phone.",
        (),
        "answer",
    ),
    # left to the annual review, "at that meeting"
    (
        "Since Sam's annual IEP review is already coming up on March 9, I think the best plan is "
        "to address his speech minutes at that meeting rather than holding a separate one now.",
        (),
        "declined",
    ),
    # where something was said, and the talk at the meeting itself, are no offers
    ("Jordan, as I told you at pickup Friday we won't be scheduling that.", (), "declined"),
    (
        "We will hold the ARD meeting. If the committee thinks more testing would help, we "
        "would talk about a REED at the meeting itself.",
        (),
        "answer",
    ),
    # "That said," is no telling
    (
        "The team does not believe a full IEP meeting is necessary. That said, I'd be glad to "
        "call you Wednesday after 3:30 to go over this.",
        (),
        "informal",
    ),
    # sitting down with the case manager and one teacher first
    (
        "Would you be open to sitting down with me and Mr. Castillo, her reading "
        "interventionist, first? If after that we think her IEP needs to change, I'll start "
        "the paperwork.",
        (),
        "informal",
    ),
    # the notice coming by mail is no visit
    (
        "We are set for Sam's IEP meeting on Monday, December 14 at 3:45 in Room 12. The formal "
        "Notice of IEP Meeting is coming by mail today.",
        (),
        "answer",
    ),
    # Kentucky's Notice of Proposal or Refusal is the written notice
    (
        "Please see the attached Notice of Proposal or Refusal regarding your December 2 request.",
        ("Rivera_Maya_Notice_of_Proposal_or_Refusal_12-09-2026.pdf",),
        "declined",
    ),
    # a talk at the meeting, and what "won't hold up the meeting", offer and refuse nothing
    (
        "I'll be joining Maya's IEP team meeting on Monday. At the meeting the team may talk "
        "about updated testing, but it won't hold up the meeting itself.",
        (),
        "answer",
    ),
    # Indiana's case conference, in Spanish, is the meeting refused, not a smaller one
    (
        "El distrito ha decidido no convocar una conferencia de caso en este momento. Su "
        "conferencia de caso anual se hará en la fecha que corresponde.",
        ("Written_Notice_Rivera_S.pdf",),
        "declined",
    ),
    # a support team's standing time is no IEP meeting agreed to
    (
        "The best next step is for our Student Support Team to review her data. The team meets "
        "Tuesdays, and I have added Maya to the agenda for December 15.",
        (),
        "informal",
    ),
]


@pytest.mark.parametrize(("text", "attachments", "expected"), ROUND_13)
def test_round_13_shapes(text: str, attachments: tuple[str, ...], expected: str) -> None:
    result = classify(message(text, attachments=attachments))
    assert result.klass == expected, result.signals
