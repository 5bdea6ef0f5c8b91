"""PURE: where a message read from the inbox goes, before anything is made of it.

In this order: a reply to a reminder iepd sent is the parent's command (or, from anyone
else, nobody's), whatever else it is; a message From one of the parent's addresses is never
the school's answer, and is her own message to the school when the Sent folder's rules
(``decide.parent_messages``) put it in a request's thread; everything else is matched as
mail that may be the school's. A message from the parent that looks like a reply to a
reminder iepd does not know (a made-up reference) is neither: it is logged and left alone.
"""

from __future__ import annotations

from typing import Literal

from iepd.decide.parent_messages import SentContext, answers_iepd, from_parent
from iepd.inbox.parse import IncomingMessage

Route = Literal["command", "parent_message", "unknown_reminder_reply", "school"]


def inbox_route(message: IncomingMessage, ctx: SentContext, *, answers_reminder: bool) -> Route:
    """Given a message from the inbox (or its headers), the parent's context and whether it
    replies to a reminder iepd sent (``ParentReplies.answered_reminder``), return where it
    goes: ``command`` (ParentReplies), ``parent_message`` (the parent's own message, if in a
    thread), ``unknown_reminder_reply`` (ignored) or ``school`` (matching)."""
    if answers_reminder:
        return "command"
    if not from_parent(message, ctx):
        return "school"
    if answers_iepd(message, ctx):
        return "unknown_reminder_reply"
    return "parent_message"
