"""The words of the export's printable page that iepd writes from Python, per language (the
parent's, ``parent.language``): what each event and message is, the notes on a letter that
may not have gone out, the request's states and the reminders' kinds. Data only; the page's
own words are its template's (``templates/export/``, ``templates/es/export/``).
"""

from __future__ import annotations

from collections.abc import Mapping

from iepd.vocabulary import PARENT_MESSAGE

EVENT_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "request_drafted": "Request drafted (on hold)",
        "request_queued": "Request queued to be sent",
        "request_sent": "Request sent",
        "followup_sent": "Follow-up sent",
        "escalation_sent": "Second follow-up sent, principal copied",
        "reply_received": "Answer received",
        # found in the Sent folder, or in the inbox when the parent copied herself
        PARENT_MESSAGE: "The parent's own message to the school",
        "auto_reply_received": "Automatic reply received",
        "bounce_received": "Delivery failure received",
        "meeting_scheduled": "Meeting date recorded",
        "reminder_sent": "Reminder emailed to the parent",
        "send_failed": "Sending failed",
        "send_uncertain": "Sending uncertain",
        "sent_copy_failed": "Sent copy could not be filed",
        "closed": "Closed by the parent",
        "mailed": "Printed letter mailed by the parent (certified mail)",
        "mail_delivered": "Mailed letter delivered",
        "state_changed": "State changed",
        # the conversation until the meeting (v2)
        "draft_created": "Letter drafted, shown to the parent for approval",
        "draft_approved": "Draft approved (the parent's SEND, or sent by itself as configured)",
        "draft_withdrawn": "Draft withdrawn: never sent",
        "letter_sent": "Letter sent in the school's thread",
        "command_received": "The parent's command by email",
        "reclassified": "The school's message read again, as the parent corrected it",
        "meeting_held": "Meeting held",
        "agreed_recorded": "What was agreed, as the parent listed it",
    },
    "es": {
        "request_drafted": "Solicitud preparada (en espera)",
        "request_queued": "Solicitud en cola para enviarse",
        "request_sent": "Solicitud enviada",
        "followup_sent": "Carta de seguimiento enviada",
        "escalation_sent": "Segunda carta de seguimiento enviada, con copia al director/a",
        "reply_received": "Respuesta recibida",
        PARENT_MESSAGE: "Mensaje propio del padre o la madre a la escuela",
        "auto_reply_received": "Respuesta automática recibida",
        "bounce_received": "Aviso de que no se entregó",
        "meeting_scheduled": "Fecha de la reunión anotada",
        "reminder_sent": "Recordatorio enviado al padre o la madre",
        "send_failed": "No se pudo enviar",
        "send_uncertain": "No se sabe si se envió",
        "sent_copy_failed": "No se pudo guardar la copia en enviados",
        "closed": "Cerrada por el padre o la madre",
        "mailed": "Carta impresa enviada por correo certificado",
        "mail_delivered": "Carta por correo entregada",
        "state_changed": "Cambio de estado",
        "draft_created": "Carta preparada, mostrada al padre o la madre para aprobarla",
        "draft_approved": "Borrador aprobado (ENVIAR del padre o la madre, o envío automático"
        " según la configuración)",
        "draft_withdrawn": "Borrador retirado: nunca se envió",
        "letter_sent": "Carta enviada en la conversación con la escuela",
        "command_received": "Respuesta del padre o la madre por correo",
        "reclassified": "Mensaje de la escuela leído de nuevo, según lo corrigió el padre o la"
        " madre",
        "meeting_held": "Reunión realizada",
        "agreed_recorded": "Lo acordado, según la lista del padre o la madre",
    },
}
MESSAGE_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "request": "Letter: the request for an IEP meeting",
        "followup": "Letter: follow-up",
        "escalation": "Letter: second follow-up",
        "answer": "Answer from the school",
        "declined": "Answer from the school: declines the meeting",
        "informal": "Answer from the school: offers an informal call or check-in",
        "invite": "Answer from the school: calendar invitation",
        "auto_reply": "Automatic reply (out of office)",
        "bounce": "Delivery failure report",
        PARENT_MESSAGE: "The parent's own message to the school",
        "ask_for_date": "Letter: asking when the meeting will be held",
        "insist": "Letter: asking again for a formal IEP meeting",
        "pwn_request": "Letter: asking for prior written notice of the refusal",
        "confirm": "Letter: confirming the meeting",
        "recap": "Letter: the parent's recap of the meeting",
    },
    "es": {
        "request": "Carta: la solicitud de una reunión del IEP",
        "followup": "Carta: seguimiento",
        "escalation": "Carta: segundo seguimiento",
        "answer": "Respuesta de la escuela",
        "declined": "Respuesta de la escuela: niega la reunión",
        "informal": "Respuesta de la escuela: ofrece una llamada o plática informal",
        "invite": "Respuesta de la escuela: invitación de calendario",
        "auto_reply": "Respuesta automática (fuera de la oficina)",
        "bounce": "Aviso de que no se entregó",
        PARENT_MESSAGE: "Mensaje propio del padre o la madre a la escuela",
        "ask_for_date": "Carta: pregunta cuándo será la reunión",
        "insist": "Carta: vuelve a pedir una reunión formal del IEP",
        "pwn_request": "Carta: pide el aviso previo por escrito de la negativa",
        "confirm": "Carta: confirma la reunión",
        "recap": "Carta: resumen de la reunión escrito por el padre o la madre",
    },
}
STEP_NOTES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "failed": "NOT SENT: the mail server refused it",
        "uncertain": "UNCERTAIN: the connection broke while it was being sent",
    },
    "es": {
        "failed": "NO SE ENVIÓ: el servidor de correo la rechazó",
        "uncertain": "NO SE SABE: la conexión se cortó mientras se enviaba",
    },
}
# The page's few words built here: its title, when the parent sent her own message, a
# message without text, a letter never handed over, and the unknown step.
PAGE_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Paper trail: {request_id} ({child})",
        "sent": "sent {when}",
        "no_text": "(no text part)",
        "unknown": "unknown",
        "unclassified": "unclassified",
        "request_gone": "(this request is no longer in the config)",
        "child_gone": "(not in the config)",
    },
    "es": {
        "title": "Registro: {request_id} ({child})",
        "sent": "enviado {when}",
        "no_text": "(sin parte de texto)",
        "unknown": "desconocido",
        "unclassified": "sin clasificar",
        "request_gone": "(esta solicitud ya no está en la configuración)",
        "child_gone": "(no está en la configuración)",
    },
}
# A request's state and a reminder's kind, as the page names them in Spanish (English: the
# name itself, without underscores).
STATE_NAMES_ES: Mapping[str, str] = {
    "draft": "en espera", "queued": "en cola", "sent": "enviada",
    "followed_up": "con seguimiento", "escalated": "con segundo seguimiento",
    "answered": "respondida", "declined": "negada", "meeting_scheduled": "reunión fijada",
    "undeliverable": "no se entregó", "failed": "no se pudo enviar", "closed": "cerrada",
    "uncertain": "envío incierto", "acknowledged": "recibida, sin fecha",
    "informal_offered": "ofrecieron algo informal", "awaiting_notice": "esperando aviso previo",
    "meeting_held": "reunión realizada", "recap_sent": "resumen enviado",
}  # fmt: skip
CLASS_NAMES_ES: Mapping[str, str] = {
    "answer": "respuesta", "auto_reply": "respuesta automática", "bounce": "no entregado",
    "declined": "negativa", "informal": "oferta informal", "invite": "invitación",
}  # fmt: skip

REMINDER_NAMES_ES: Mapping[str, str] = {
    "sent": "enviada", "answer": "respuesta", "auto_reply": "respuesta automática",
    "bounce": "no entregada", "declined": "negativa", "informal": "oferta informal",
    "invite": "invitación", "followup_sent": "seguimiento enviado",
    "escalation_sent": "segundo seguimiento enviado", "no_response": "sin respuesta",
    "meeting_prep": "preparación", "after_meeting": "después de la reunión",
    "deadline_passed": "plazo vencido", "send_failed": "no enviada",
    "send_uncertain": "envío incierto", "sent_copy_failed": "sin copia en enviados",
    "command_done": "respuesta cumplida", "command_refused": "respuesta no cumplida",
    "help": "ayuda", "draft_ready": "borrador para aprobar", "recap_due": "pedir lo acordado",
    "letter_sent": "carta enviada",
}  # fmt: skip


def named(name: str, language: str, spanish: Mapping[str, str]) -> str:
    """Given an identifier ("meeting_scheduled") and a language, return it in words."""
    if language == "es" and name in spanish:
        return spanish[name]
    return name.replace("_", " ")
