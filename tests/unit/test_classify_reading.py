"""The reading of the school's words: lemmas, negation within the clause, what is refused or
offered, and the weighing of the cues of a whole reply (issue 14, item 2). Pure: no I/O.

The examples are this project's own, written to cover phrasings the first phrase lists missed
(a curt refusal, a deferral to the annual review, a meeting only after a consent, an offer of
a call beside a refusal, "please call me with questions" which offers nothing), in English and
Spanish. None is taken from tests/replies/.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest

from iepd.decide.classify import classify
from iepd.inbox.parse import IncomingMessage

READINGS = [
    # declined en
    ("We will not be holding an IEP meeting at this time.", "declined"),
    ("No meeting is needed right now; Sam is making progress.", "declined"),
    ("The district has determined that an IEP meeting is not warranted.", "declined"),
    ("Your request for a meeting is denied.", "declined"),
    ("I'm not going to convene the team over a few missed sessions.", "declined"),
    ("We don't see a reason to meet before the annual review.", "declined"),
    ("There's no reason to reconvene the team.", "declined"),
    (
        "The team already met in October and will not meet again until the annual review in April.",
        "declined",
    ),
    ("We respectfully decline your request to convene the IEP team.", "declined"),
    ("At this time, the district will not be scheduling an additional IEP meeting.", "declined"),
    (
        "Sam's IEP is appropriate as written. "
        "We will address your concerns at the annual review in May.",
        "declined",
    ),
    ("An IEP meeting would be premature at this point.", "declined"),
    ("Let's wait until the end of the grading period before we consider a meeting.", "declined"),
    ("We can revisit this after winter break once we have more data.", "declined"),
    ("I must decline the request for a meeting.", "declined"),
    ("The team has decided not to reconvene.", "declined"),
    ("We won't be meeting about this.", "declined"),
    ("Meeting request denied. See attached PWN.", "declined"),
    (
        "Please find enclosed the district's Prior Written Notice in response to your request.",
        "declined",
    ),
    ("We'd prefer to wait on a meeting until the reevaluation is complete.", "declined"),
    (
        "Once you sign the consent for evaluation, we will schedule the meeting to review results.",
        "declined",
    ),
    ("A meeting will be scheduled after the evaluation is completed.", "declined"),
    ("I don't think a meeting is necessary.", "declined"),
    ("I do not agree that an IEP meeting is needed.", "declined"),
    ("We cannot honor your request for an IEP meeting at this time.", "declined"),
    ("No need to meet.", "declined"),
    ("The request is not approved.", "declined"),
    ("Unfortunately we are unable to accommodate your request for a meeting.", "declined"),
    ("Request denied.", "declined"),
    ("We will not be convening the IEP team. Sam's services are being made up.", "declined"),
    ("The team does not feel another meeting would be productive right now.", "declined"),
    (
        "Dr. Green asked me to let you know the team will not be meeting until the annual review.",
        "declined",
    ),
    ("Mrs. Alvarez asked me to tell you that a meeting isn't needed at this time.", "declined"),
    # declined es
    ("No vamos a convocar una junta en este momento.", "declined"),
    ("No consideramos necesaria una reunión del IEP.", "declined"),
    ("Su solicitud de una junta ha sido denegada.", "declined"),
    ("El distrito rechaza su solicitud de convocar al comité.", "declined"),
    ("No habrá junta de ARD hasta la revisión anual.", "declined"),
    ("Esperaremos a la revisión anual en marzo para revisar sus metas.", "declined"),
    ("Por ahora no es posible programar una reunión.", "declined"),
    ("No hace falta reunirnos.", "declined"),
    (
        "La junta se programará una vez que usted firme el consentimiento para la evaluación.",
        "declined",
    ),
    ("Adjunto la notificación previa por escrito.", "declined"),
    ("Hemos decidido no convocar al equipo.", "declined"),
    ("No vemos la necesidad de una junta.", "declined"),
    ("La escuela no va a hacer la junta.", "declined"),
    # informal en
    ("Can you call me tomorrow so we can talk about this?", "informal"),
    ("I'm happy to chat by phone any afternoon this week.", "informal"),
    ("Would you like to come in for a conference with his teacher?", "informal"),
    ("Let's set up a time to talk.", "informal"),
    ("I can meet with you and Ms. Park on Thursday after school.", "informal"),
    ("Our SST will meet on Tuesday to discuss Maya; you're welcome to join.", "informal"),
    ("Why don't we touch base by phone first?", "informal"),
    ("I'd suggest starting with a conversation with her teacher.", "informal"),
    ("Give me a call when you get a chance and we can go over it.", "informal"),
    ("We could do a quick Google Meet on Friday.", "informal"),
    ("Happy to discuss over the phone.", "informal"),
    ("I've asked the counselor to give you a call.", "informal"),
    ("Can we handle this at parent-teacher conferences next month?", "informal"),
    ("How about a quick chat at drop-off?", "informal"),
    ("Let's start with a 504 meeting.", "informal"),
    (
        "We don't think a meeting is needed, but Ms. Lee would be glad to talk with you by phone.",
        "informal",
    ),
    (
        "No IEP meeting is necessary. Feel free to stop by my office any morning to talk.",
        "informal",
    ),
    (
        "Rather than a formal meeting, I'd like to have Ms. Lee reach out to you directly.",
        "informal",
    ),
    # informal es
    ("¿Podemos hablar por teléfono mañana?", "informal"),
    ("Le propongo una llamada el jueves.", "informal"),
    ("Con gusto la puedo atender en mi oficina el viernes para platicar.", "informal"),
    ("Prefiero que primero hablemos usted y yo.", "informal"),
    ("Le puedo marcar el lunes.", "informal"),
    ("Mejor lo vemos en la conferencia de padres y maestros.", "informal"),
    ("No es necesaria la junta, pero con gusto le llamo para explicarle el plan.", "informal"),
    # answers
    ("Received. We'll get a meeting on the calendar and send you a notice.", "answer"),
    ("Yes, we can meet. I'll send the notice of meeting.", "answer"),
    ("The team will convene on December 10 at 3:30.", "answer"),
    ("Thank you for your request. Ms. Alvarez will contact you to schedule the meeting.", "answer"),
    (
        "Our office has logged your request. "
        "The district will convene the IEP team within 30 days.",
        "answer",
    ),
    ("I'll call you tomorrow to find a date for the meeting that works for you.", "answer"),
    ("Please let me know your availability for an IEP meeting next week.", "answer"),
    ("We're scheduling the meeting now, please call me with any questions.", "answer"),
    ("No problem, we'll get the team together.", "answer"),
    ("We will hold a meeting, no need to worry.", "answer"),
    ("I can't wait to meet with you and the team!", "answer"),
    ("Ms. Alvarez is out this week, but she will schedule the meeting when she returns.", "answer"),
    (
        "The meeting cannot be held on the 9th because the SLP is out, so we propose the 14th.",
        "answer",
    ),
    ("We can't do Monday, but Wednesday the 16th at 3:30 works for the team.", "answer"),
    ("I have not scheduled the meeting yet but will do so this week.", "answer"),
    ("Sí, vamos a hacer la junta. Le aviso la fecha.", "answer"),
    ("Recibimos su solicitud y estamos coordinando las fechas.", "answer"),
    ("No se preocupe, la junta se llevará a cabo.", "answer"),
    ("Got it. Will get back to you with dates.", "answer"),
    (
        "Confirming receipt of your request dated December 1. A Notice of Meeting will follow.",
        "answer",
    ),
    ("You will receive prior written notice of any decision the team makes.", "answer"),
    ("The IEP team meeting is set for Monday, Dec. 14 at 3:45 pm in Room 108.", "answer"),
    ("Thanks - looping in Dana, who will set up the meeting.", "answer"),
    (
        "We'll be in touch soon with dates for the IEP meeting. Please don't hesitate to call me.",
        "answer",
    ),
    ("I can't make Monday; could we meet Wednesday the 16th at 3:45 instead?", "answer"),
    ("Yes. The ARD committee will meet on Friday.", "answer"),
    ("Absolutely, let's meet. Does Thursday at 3:30 work?", "answer"),
    # a procedure described is no refusal made
    ("If the district refuses a request, you will receive prior written notice.", "answer"),
    ("Should the team decline to meet, you may request mediation. Dates to follow.", "answer"),
    ("I disagree that an IEP meeting is needed.", "declined"),
    (
        "We propose a consultation with the speech therapist in lieu of an IEP meeting.",
        "informal",
    ),
    ("Not scheduling another one. Call my office if you want to talk.", "informal"),
    ("We're not doing another IEP meeting right now.", "declined"),
    (
        "You will receive prior written notice of any action the district proposes or refuses.",
        "answer",
    ),
    ("I would like the team to review whether Sam's current IEP still meets his needs.", "answer"),
    ("Thank you for meeting with me about Sam last week. Dates to follow.", "answer"),
    ("We won't be able to meet until after winter break; I'll send dates in January.", "answer"),
    ("We cannot hold the meeting on the 9th. The team is available on the 14th instead.", "answer"),
    ("There will not be a meeting.", "declined"),
    ("We will reach out if a meeting becomes necessary.", "declined"),
    ("I'll give you a call tomorrow to find a time that works for everyone.", "answer"),
    ("The IEP meeting is on Dec 14 at 3:30; you may also join by phone.", "answer"),
    ("Ms. Okafor would like to meet with you to go over the make-up plan.", "informal"),
    ("Could you meet with Mr. Haas and me on Thursday morning?", "informal"),
    ("Maybe a quick sit-down with her teachers?", "informal"),
    (
        "The District would be willing to convene a conference with the speech-language "
        "pathologist and case manager to review the schedule.",
        "informal",
    ),
    (
        "In lieu of an IEP team meeting, the district proposes a facilitated discussion with "
        "the case manager.",
        "informal",
    ),
    ("Please schedule a time with Ms. Okafor through the front office.", "informal"),
    ("Come see me after school on Tuesday.", "informal"),
    ("Drop in anytime before 8.", "informal"),
    ("Con gusto le atiendo en la dirección el jueves.", "informal"),
    ("Puede venir a hablar conmigo cuando guste.", "informal"),
    (
        "Thanks for your note.\n\nThanks,\nLee\n\nP.S. Happy to hop on a call if that is easier "
        "than a meeting.",
        "informal",
    ),
    (
        "We are not able to hold the meeting within the 10 days you asked for, but we will "
        "schedule it for January.",
        "answer",
    ),
    ("No meeting has been scheduled yet; Dana will send dates.", "answer"),
    ("There is no reason you can't bring an advocate to the meeting.", "answer"),
    ("I am not sure the team can meet before December 15, but I will try.", "answer"),
    ("I don't know when the team will meet yet.", "answer"),
    ("We can't meet without the SLP, so I'm waiting for her schedule.", "answer"),
    ("We can't meet at the times you listed. Would Tuesday the 15th at 4 work?", "answer"),
    ("The counselor will reach out to set up a time to talk.", "informal"),
    ("We could set up a meeting with Mrs. Pfeiffer to go over his progress.", "informal"),
    ("We can have an informal meeting with his teacher next week.", "informal"),
    ("No amerita una junta en este momento.", "declined"),
    ("Le propongo una cita con la consejera el jueves.", "informal"),
    # offers and refusals in other words, and what a curt or a legalistic reply may say
    ("Ms. Okafor will give you a call this week to go over the make-up schedule.", "informal"),
    ("I've asked Ms. Okafor to reach out to you.", "informal"),
    ("Would it help to sit down with Sam's teacher and me?", "informal"),
    ("Let's have a conversation first.", "informal"),
    ("I'd rather we talk on the phone.", "informal"),
    ("We can discuss this at your conference in January.", "informal"),
    ("Please come in and talk with me and Mrs. Pfeiffer.", "informal"),
    ("I'll have her case manager reach out to set up a call.", "informal"),
    ("A phone conference would be a good first step.", "informal"),
    ("We'd love to get you in for a quick chat.", "informal"),
    ("Feel free to give me a call and we can chat through it.", "informal"),
    ("Why not start with a meeting with her teachers?", "informal"),
    ("Could you come by Thursday so we can look at his work samples together?", "informal"),
    ("Let me know a good number and time to call.", "informal"),
    ("What's the best number to reach you?", "informal"),
    ("¿Cuál es un buen número para llamarle?", "informal"),
    ("Le sugiero que hablemos primero con la maestra.", "informal"),
    ("Podríamos reunirnos usted y yo primero.", "informal"),
    ("¿Qué tal si nos vemos en la salida?", "informal"),
    ("Le voy a marcar mañana.", "informal"),
    ("I'd like to invite you to our Student Success Team meeting on Tuesday.", "informal"),
    ("We don't think the team needs to meet. Ms. Lee will call you this week.", "informal"),
    (
        "The team will meet on the 14th. If you'd like a quick call before the meeting, let me "
        "know.",
        "answer",
    ),
    ("Dates to follow. I'm happy to talk before the meeting if that helps.", "answer"),
    (
        "We already had his IEP meeting in October. Nothing has changed. Not scheduling another "
        "one.",
        "declined",
    ),
    (
        "Ms. Rivera, I'm not going to pull the whole team together for 3 missed sessions.",
        "declined",
    ),
    ("The district is unable to grant your request.", "declined"),
    (
        "Pursuant to 34 CFR 300.503, enclosed please find Prior Written Notice of the "
        "District's refusal to convene an IEP meeting at this time.",
        "declined",
    ),
    (
        "This office acknowledges receipt of your request. An IEP team meeting will be convened "
        "within thirty (30) calendar days.",
        "answer",
    ),
    (
        "Good morning, I am writing on behalf of Dr. Green. The District will not be convening "
        "an IEP meeting at this time. A Prior Written Notice will be mailed to your home "
        "address.",
        "declined",
    ),
    (
        "Your request has been reviewed. The team has determined that your concerns can be "
        "addressed without convening a meeting.",
        "declined",
    ),
    (
        "In accordance with district procedures, your request has been forwarded to the "
        "building principal, who will respond within ten school days.",
        "answer",
    ),
    (
        "Notice of Proposed Action: the district proposes to conduct a reevaluation before "
        "convening the IEP team.",
        "declined",
    ),
    ("WE WILL NOT BE HOLDING A MEETING AT THIS TIME.", "declined"),
    ("Happy to talk but there's no need for a meeting.", "informal"),
    ("The team met and decided no meeting is warranted.", "declined"),
    ("Yes, we'll set something up. Dana will send dates.", "answer"),
    ("Got your email. Meeting Thursday 3pm, room 12.", "answer"),
    ("El comité no se reunirá hasta la revisión anual de mayo.", "declined"),
    ("Hemos recibido su solicitud. La junta se llevará a cabo el martes 15 a las 4:00.", "answer"),
    (
        "Le escribo de parte de la directora: no es posible convocar la junta antes de las "
        "vacaciones; se hará en enero cuando tengamos los resultados de la evaluación.",
        "declined",
    ),
]


def message(text: str) -> IncomingMessage:
    return IncomingMessage(
        message_id="<x@district.example>",
        from_addr="dalvarez@district.example",
        subject="Re: Request for an IEP meeting for Sam Rivera",
        text=text,
        headers=MappingProxyType({}),
    )


@pytest.mark.parametrize(("text", "expected"), READINGS)
def test_classify_reads_what_is_refused_or_offered(text: str, expected: str) -> None:
    result = classify(message(text))
    assert result.klass == expected, result.signals
