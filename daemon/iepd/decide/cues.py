"""The words the classifier reads, English and Spanish, as lemmas (lower case, no accents).

Each set names one idea: a meeting, holding one, needing one, refusing, waiting, a smaller
thing offered instead, an offer, an invitation to get in touch. ``reading`` looks for these
ideas clause by clause, with negation, and never for whole phrases: "we won't be convening
the team", "the campus will not be convening one", "no van a hacer otra junta" and "decidió
no convocar una reunión" are one cue (a negated holding of a meeting), however they are
worded and inflected. A token matches a set when its lemma or its own lower-cased,
accent-free form is in it.

Multi-word expressions that act as one word ("touch base", "prior written notice", "en vez
de") are joined into one token before reading (``PHRASES``), written with underscores.
"""

from __future__ import annotations

# ---- the meeting, and holding it -----------------------------------------------------------

MEETING = frozenset({
    "meeting", "meet", "mtg", "ard", "junta", "juntas", "reunion", "reunir", "reunirse",
    "conference_of_the_team",
})  # fmt: skip
TEAM = frozenset({
    "team", "committee", "comite", "equipo", "ard", "iep_team", "ard_committee",
    # other states' words: New York's CSE, Connecticut's PPT, Indiana's case conference
    "cse", "cpse", "ppt", "case_conference", "arc_committee", "iep_committee",
})  # fmt: skip
# Verbs that hold a meeting ("hold", "convene", "pull the team together", "convocar").
HOLD = frozenset({
    "hold", "convene", "reconvene", "schedule", "arrange", "set_up", "organize", "book", "do",
    "pull_together", "bring_together", "get_together", "come_together", "meet",
    "have_a_meeting", "move_forward", "proceed", "gather", "call_a_meeting", "convocar",
    "programar", "realizar", "celebrar", "organizar", "reunir", "juntar", "agendar",
    "coordinar", "llevar_a_cabo", "hacer", "tener", "reconvocar",
})  # fmt: skip
# What a refusal may be of: the meeting, the team, the parent's request.
REQUEST = frozenset({"request", "solicitud", "peticion", "pedido", "action", "accion"})
ONE = frozenset({"one", "it", "la", "lo"})  # "will not be convening one", "no la vamos a hacer"

# ---- negation, necessity, refusal ----------------------------------------------------------

NEGATION = frozenset({
    "not", "no", "never", "nor", "neither", "none", "cannot", "unable", "nunca", "ni",
    "tampoco", "jamas", "ningun", "ninguna", "ninguno", "imposible", "nadie", "nobody",
    "no_one",
    # typed from a phone without the apostrophe
    "dont", "wont", "didnt", "doesnt", "isnt", "arent", "wasnt", "couldnt", "wouldnt",
    "shouldnt", "havent", "hasnt",
})  # fmt: skip
NECESSITY = frozenset({
    "ameritar", "amerita", "corresponder", "merit", "merits", "necessary", "need", "needed",
    "warrant", "warranted", "require", "required", "requirement", "call_for", "justify",
    "justified", "appropriate", "productive", "beneficial", "useful", "helpful", "indicated",
    "efficient", "effective", "best_use", "reason", "basis", "grounds", "point", "necesario",
    "necesitar", "necesidad", "hacer_falta", "falta", "requerir", "justificar", "justificado",
    "indicado", "conveniente", "pertinente",
    "proceder", "procedente", "motivo", "razon", "caso", "right_time", "right_step",
    "el_momento",
})  # fmt: skip
# Necessity already negated by the word itself: "a meeting would be premature".
NEEDLESS = frozenset({
    "unnecessary", "unwarranted", "premature", "unneeded", "innecesario", "prematuro",
    "injustificado",
})  # fmt: skip
# Refusal nouns count only with what is refused ("refusal to convene", "denial of your request").
REFUSAL_NOUNS = frozenset({"refusal", "denial", "rechazo", "negativa", "denegacion"})
REFUSE = frozenset({
    "refuse", "decline", "deny", "reject", "rechazar", "negar", "denegar", "declinar",
    "turn_down",
})  # fmt: skip
# Verbs of agreeing to the request, refused when negated: "we cannot grant your request".
GRANT = frozenset({
    "grant", "approve", "honor", "honour", "accommodate", "accept", "agree", "fulfill",
    "aprobar", "conceder", "aceptar", "acceder",
})  # fmt: skip
# "I disagree that a meeting is needed."
DISAGREE = frozenset({"disagree", "doubt", "discrepar", "dudar"})
# The parent is the one who needs or does: "you don't need to bring anything".
PARENT_SUBJECT = frozenset({"you", "usted", "ustedes", "tu", "u"})

# ---- waiting, conditions -------------------------------------------------------------------

ANNUAL = frozenset({
    "annual", "anual", "next_review", "next_iep", "triennial", "trienal",
    "reevaluation_meeting", "next_ard", "spring_ard",
})  # fmt: skip
WAIT = frozenset({
    "wait", "hold_off", "postpone", "defer", "delay", "revisit", "put_on_hold", "table",
    "esperar", "posponer", "aplazar", "retomar", "mas_adelante", "por_ahora", "until",
    "hasta_que", "wait_and_see",
})  # fmt: skip
CONDITION = frozenset({
    "once", "after", "until", "unless", "if", "when", "before", "before_we", "una_vez_que",
    "cuando", "antes_de_que", "si", "despues", "hasta_que", "antes_de", "antes", "en_cuanto",
    "then", "entonces", "en_ese_momento", "at_that_point",
})  # fmt: skip
# What a meeting is made to wait for (data, an evaluation, consent, more time, a decision).
PREREQUISITE = frozenset({
    "data", "evaluation", "reevaluation", "assessment", "consent", "sign", "result", "complete",
    "completed", "weeks", "monitoring", "probe", "progress_report", "still", "determine",
    "decide", "consider", "whether", "datos", "dato", "evaluacion", "reevaluacion",
    "consentimiento", "firmar", "firme", "completar", "semanas", "todavia", "determinar",
    "decidir", "considerar", "monitoreo",
})  # fmt: skip

# ---- something smaller than the meeting, offered ------------------------------------------

# A call or a talk: what an informal offer offers.
TALK = frozenset({
    "call", "phone", "phone_call", "telephone", "chat", "talk", "consultation", "consulta",
    "conversation", "touch_base", "check_in", "sit_down", "catch_up", "zoom", "teams_call",
    "video_call", "google_meet", "talk_through", "will_call", "pickup", "drop_off", "dismissal",
    "consult", "ring", "few_minutes", "llamar", "llamada", "telefono", "marcar", "platicar",
    "conversar", "hablemos", "hablarle",
    "hablarlo", "platicarlo", "conversarlo", "reach_out_to_you", "reach_you", "discussion",
    "discusion", "connect", "facetime", "webex", "skype", "hangout", "atender", "charla",
    "platica", "conversacion", "videollamada", "pasar_por", "recoger", "salida",
    "coffee", "cafecito",
})  # fmt: skip
# Coming by to talk: never a mere invitation to get in touch.
VISIT = frozenset({
    "swing_by", "stop_by", "drop_by", "come_by", "pop_in", "come_in", "pasar_por", "venir",
    "visitar",
})  # fmt: skip
# A named meeting that is not the IEP meeting (a student support team, a conference...).
LESSER_MEETING = frozenset({
    "sst", "student_support_team", "student_success_team", "student_assistance_team",
    "teacher_assistance_team", "student_intervention_team", "instructional_support_team",
    "care_team", "504_plan_meeting", "problem_solving_meeting", "student_study_team",
    "parent_teacher_conference", "intervention_team", "mtss_team", "rti_team", "data_team",
    "problem_solving_team", "conference_time", "conference_slot", "conference", "504_meeting",
    "mtss_meeting", "rti_meeting", "data_meeting", "equipo_de_apoyo",
    "conferencia_de_padres", "conferencia", "reunion_breve", "check_in_meeting",
    "team_check_in", "educational_support_team", "building_support_team",
    "student_assistance_program", "building_level_team", "school_support_team",
    "huddle", "data_chat", "grade_level_team", "grade_level_meeting", "office_hours",
    "parent_conference", "intervention_meeting", "tier_2_meeting",
})  # fmt: skip
# Words that make a meeting or a call smaller, right before it: "a quick Zoom".
SMALL = frozenset({
    "informal", "quick", "brief", "short", "casual", "small", "smaller", "minute", "breve",
    "rapida", "rapido", "virtual", "pequena", "corta", "corto",
})  # fmt: skip
# Fewer people than the team: "just you and me", "the two of us", "informally".
FEW_PEOPLE = frozenset({
    "just_you_and_me", "two_of_us", "one_on_one", "just_me", "you_me_and", "usted_y_yo",
    "informally", "informalmente", "few_minutes",
})  # fmt: skip
# "Rather than the meeting", "without needing a whole meeting", "en vez de hacer la junta".
INSTEAD = frozenset({
    "rather_than", "instead_of", "instead", "in_place_of", "without", "before_we", "en_vez_de",
    "en_lugar_de", "sin", "sin_tener_que", "antes_de_que", "antes_de", "first", "primero",
    "to_start", "start_with", "para_empezar",
})  # fmt: skip
WHOLE_TEAM = frozenset({
    "whole", "full", "entire", "big", "formal", "all", "completo", "todo", "toda", "grande",
})  # fmt: skip
# Handling it in writing instead of meeting: "let's work through this by email".
BY_EMAIL = frozenset({
    "by_email", "over_email", "via_email", "through_email", "por_correo", "by_text",
    "over_text", "via_text", "email_thread", "email_chain",
})  # fmt: skip
# Offer framing: the school proposes something.
OFFER = frozenset({
    "could", "can", "would", "shall", "may", "let_us", "let_me", "like_to", "love_to",
    "happy_to", "glad_to", "how_about", "what_about", "open_to", "willing_to", "propose",
    "suggest", "recommend", "offer", "invite", "rather", "prefer", "preferir", "mejor",
    "opening", "free", "available", "set_one_up", "feel_free", "welcome", "bienvenido",
    "bienvenida", "will_call", "poder", "proponer", "sugerir", "gustar", "parecer", "querer",
    "invitar", "si_gusta", "con_gusto", "le_parece", "conviene", "convenir", "quisiera", "best",
    "quicker", "easier", "faster", "mas_facil", "mas_rapido", "practico", "quickest",
    "easiest", "fastest", "simplest", "simpler", "might",
    "what_if",
})  # fmt: skip
# The school and the parent together: "could we", "let's", "podemos", "platiquemos".
TOGETHER = frozenset({"let_us", "podemos", "podriamos", "platiquemos", "hablemos"})
# A holding of the meeting set aside for something else: "rather than convening the team".
SET_ASIDE = frozenset({
    "rather_than", "instead_of", "in_place_of", "in_lieu_of", "without", "en_vez_de",
    "en_lugar_de", "sin", "sin_tener_que",
})  # fmt: skip
# Tenses that tell what happened, not what will: "Sam's group did not meet as often".
PAST = frozenset({
    "did", "didn't", "had", "hadn't", "has", "hasn't", "have", "haven't", "yet", "todavia",
    "aun",
})  # fmt: skip
# The parent as the one called: "call you", "give you a call", "le llamo", "llamarle".
TO_PARENT = frozenset({"you", "u", "usted", "llamarle", "marcarle", "hablarle"})
CLITIC_TO_PARENT = frozenset({"le", "la", "lo", "te"})  # before a verb: "le llamo"
# An invitation to get in touch, which offers no call: "please call me with any questions".
CONTACT = frozenset({
    "question", "questions", "feel_free", "hesitate", "anytime", "meantime", "direct_line",
    "pregunta", "duda", "cualquier_cosa", "comunicarse", "no_dude", "llamarme", "contactarme",
    "extension",
})  # fmt: skip
TO_SCHOOL = frozenset({"me", "us", "conmigo", "nos", "my", "our", "office", "oficina"})
# A call or an email whose purpose is setting the meeting up is logistics, not an offer.
LOGISTICS = frozenset({
    "date", "dates", "time", "times", "schedule", "fecha", "fechas", "horario", "opcion",
    "opciones", "notice", "aviso", "availability", "disponibilidad", "interpreter",
    "interprete",
})  # fmt: skip

# ---- agreeing to the meeting ---------------------------------------------------------------

AFFIRM = frozenset({
    "will", "yes", "confirm", "confirmed", "plan", "planning", "glad", "happy", "agree",
    "like_to", "going_to", "ir", "confirmar", "si", "quedar", "estar", "look_forward",
})  # fmt: skip
SCHEDULED = frozenset({
    "scheduled", "schedule", "set", "confirm", "confirmed", "booked", "held", "hold",
    "reserved", "programado", "programar", "confirmado", "quedar",
})  # fmt: skip
SEND = frozenset({
    "send", "follow", "come", "coming", "get_back", "propose", "share", "mandar", "enviar",
    "proponer", "compartir", "will",
})  # fmt: skip
DATES_TO_FOLLOW = frozenset({
    "date", "dates", "options", "fecha", "fechas", "opcion", "opciones", "notice_of_meeting",
    "notice_of_ard", "meeting_notice", "formal_notice", "notificacion_oficial",
})  # fmt: skip

# ---- prior written notice ------------------------------------------------------------------

PRIOR_NOTICE = frozenset({
    "prior_written_notice", "pwn", "notificacion_previa", "aviso_previo", "written_notice",
    "norep", "notice_of_recommendation", "notice_of_proposed_action",
    "notice_of_refused_action", "notice_of_action", "n1",
})  # fmt: skip
# Said of a notice that is here now, not promised: "attached", "below", "serves as".
PRESENT = frozenset({
    "attach", "attached", "enclose", "enclosed", "below", "serve", "following", "find", "see",
    "provide", "provided", "adjunto", "adjunta", "adjuntar", "a_continuacion", "incluir",
    "incluyo", "encontrar", "siguiente", "explicar",
})  # fmt: skip
FUTURE = frozenset({"will", "would", "if", "request", "ask", "si", "solicitar", "pedir"})

# Written "words=canonical" where the joined token is not the words with underscores.
PHRASES: tuple[str, ...] = (
    "come see=come_in", "come and see=come_in", "come talk=come_in", "come and talk=come_in",
    "stop in=stop_by", "drop in=drop_by", "a drop in=a_decline", "the drop in=a_decline",
    "any drop in=a_decline", "this drop in=a_decline", "that drop in=a_decline",
    "pop by=stop_by", "give me a ring=call",
    "give you a ring=call", "text me=call", "time with=time_with", "sit-down=sit_down",
    "check-up=check_in", "sitting down=sit_down", "data review meeting=data_meeting",
    "student success team",
    "student assistance team", "teacher assistance team", "student intervention team",
    "instructional support team", "care team", "504 plan meeting",
    "problem-solving meeting=problem_solving_meeting", "problem solving meeting",
    "reach you=reach_you", "prior written notice",
    "notificacion previa por escrito=notificacion_previa", "notificacion previa",
    "aviso previo por escrito=aviso_previo", "aviso previo", "touch base", "check in",
    "check-in=check_in", "checking in=check_in", "sit down", "catch up", "phone call",
    "video call", "google meet", "teams call", "teams link=video_link", "zoom link=video_link",
    "meet link=video_link", "teams invite=video_link", "zoom invite=video_link",
    "teams invitation=video_link", "zoom invitation=video_link", "talk through",
    "talk it through=talk_through",
    "swing by", "stop by", "drop by", "come by", "pop in", "come in", "drop-off=drop_off",
    "drop off", "pick-up=pickup", "pick up", "pasa por=pasar_por", "pasar por", "set up",
    "setting up=set_up", "set it up=set_up", "set one up", "call a meeting", "have a meeting",
    "move forward", "hold off", "holding off=hold_off", "put on hold", "rather than",
    "in lieu of", "in the event=in_the_event", "en caso de=en_caso", "instead of",
    "in place of", "en vez de", "en lugar de", "sin tener que", "antes de que", "antes de",
    "una vez que", "hasta que", "en cuanto", "en ese momento", "at that point", "mas adelante",
    "por ahora", "let's=let_us", "let us", "let me", "like to", "love to", "happy to",
    "glad to", "how about", "what about", "open to", "willing to", "si gusta", "con gusto",
    "le parece", "going to", "look forward", "by email", "over email", "via email",
    "through email", "by e-mail=by_email", "over e-mail=over_email", "por correo",
    "por email=por_correo", "student support team", "student study team",
    "parent-teacher conference=parent_teacher_conference",
    "parent-teacher conferences=parent_teacher_conference", "parent teacher conference",
    "conference time", "conference slot", "504 meeting", "data meeting",
    "problem-solving=problem_solving", "equipo de apoyo", "conferencia de padres",
    "reunion breve", "just you and me", "just you and i=just_you_and_me",
    "the two of us=two_of_us", "one-on-one=one_on_one", "one on one", "just me", "usted y yo",
    "few minutes", "feel free", "reach out", "direct line", "cualquier cosa", "no dude",
    "hacer falta", "haga falta=hacer_falta", "hace falta=hacer_falta", "call for", "turn down",
    "llevar a cabo", "lleve a cabo=llevar_a_cabo", "llevara a cabo=llevar_a_cabo",
    "a continuacion", "next review", "next iep", "next ard", "spring ard", "iep team",
    "ard committee", "notice of meeting", "notice of ard", "meeting notice", "formal notice",
    # Illinois' and North Carolina's names for the notice of the IEP meeting
    "notice of conference=notice_of_meeting", "invitation to conference=notice_of_meeting",
    "notificacion oficial", "mas facil", "mas rapido", "before we", "to start", "start with",
    "para empezar", "team check-in=team_check_in", "you me and", "will call",
    "i'll call=will_call", "we'll call=will_call", "i will call=will_call", "reach out to you",
    "hablar con usted=platicar", "hablar por telefono=telefono", "intervention team",
    "mtss team", "rti team", "data team", "problem-solving team=problem_solving_team",
    "problem solving team", "committee on special education=cse",
    "committee on preschool special education=cpse", "case conference committee=case_conference",
    "case conference", "conferencia de caso=case_conference", "hold up=hold_up",
    "holding up=hold_up", "held up=hold_up", "planning and placement team=ppt", "arc committee",
    "iep committee",
    "wait and see", "data chat", "grade level team", "grade-level team=grade_level_team",
    "grade level meeting", "grade-level meeting=grade_level_meeting", "office hours",
    "parent conference", "intervention meeting", "tier 2 meeting", "mtss meeting",
    "rti meeting", "reunion de mtss=mtss_meeting", "junta de mtss=mtss_meeting",
    "reunion del sst=sst", "junta del sst=sst", "call in=call_in", "dial in=call_in",
    "call-in=call_in", "dial-in=call_in",
    "by text", "over text", "via text", "email thread", "e-mail thread=email_thread",
    "email chain", "what if", "written notice", "notice of recommendation",
    "notice of proposed action", "notice of refused action", "notice of action",
    "notice of proposed or refused action=notice_of_action",
    "notice of proposal or refusal=notice_of_action", "coming by mail=by_post",
    "come by mail=by_post", "coming by email=by_post", "coming by e-mail=by_post",
    "ill call=will_call",
    "ill call u=will_call", "no one", "no-one=no_one", "the right time=right_time",
    "le marco=will_call", "la marco=will_call", "lo marco=will_call", "te marco=will_call",
    "le llamo=will_call", "la llamo=will_call", "lo llamo=will_call", "te llamo=will_call",
    "the right step=right_step", "the best use=best_use", "a good use=best_use",
    "the right next step=right_step", "the best step=right_step", "the best next step=right_step",
    "el momento=el_momento", "buen momento=el_momento", "el mejor momento=el_momento",
    "progress check=check_in", "progress check-in=check_in", "educational support team",
    "building-based support team=building_support_team",
    "building based support team=building_support_team",
    "school-based support team=building_support_team", "student assistance program",
    "building-level team=building_level_team", "building level team", "school support team",
    "come find me=come_by", "come find us=come_by", "come grab me=come_by",
    "let's see how=wait_and_see", "let us see how=wait_and_see", "see how it goes=wait_and_see",
    "see how things go=wait_and_see", "give it a few weeks=wait_and_see",
    "give it a few more weeks=wait_and_see", "give it some time=wait_and_see",
    "give it a couple of weeks=wait_and_see", "give it a couple weeks=wait_and_see",
    "give it a month=wait_and_see", "esperar a ver=wait_and_see", "a ver como=wait_and_see",
    "shoot me a text=call", "send me a text=call", "give me a shout=call",
    "give me a buzz=call", "pase a mi=pasar_por", "pasar a mi=pasar_por",
    "pase a la oficina=pasar_por", "mandeme un mensaje=call", "mandame un mensaje=call",
)  # fmt: skip

VOCABULARY = frozenset().union(
    MEETING, TEAM, HOLD, REQUEST, NECESSITY, NEEDLESS, REFUSE, GRANT, ANNUAL, WAIT,
    CONDITION, PREREQUISITE, TALK, VISIT, DISAGREE, LESSER_MEETING, SMALL, FEW_PEOPLE, OFFER,
    CONTACT, LOGISTICS, AFFIRM, SCHEDULED, PRESENT, SEND, REFUSAL_NOUNS,
)  # fmt: skip
