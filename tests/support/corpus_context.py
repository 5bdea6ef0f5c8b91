"""The fixed world both corpora are written against (tests/corpus/expected.toml and
tests/replies/README.md): the parent Jordan Rivera, Sam's request (a1, its follow-up a2) and
Maya's (b1), with the same case manager. The corpus tests and benchmarks/classification.py
match every message against this context."""

from __future__ import annotations

from iepd.decide.matching import MatchContext, OpenRequest

SAM = OpenRequest(
    request_id="sam-speech",
    child_id="sam",
    child_name="Sam Rivera",
    sent_message_ids=frozenset({"<a1.iepd@family.example>", "<a2.iepd@family.example>"}),
    case_manager="dalvarez@district.example",
    principal="lchen@district.example",
    school_domains=("district.example",),
)
MAYA = OpenRequest(
    request_id="maya-reading",
    child_id="maya",
    child_name="Maya Rivera",
    sent_message_ids=frozenset({"<b1.iepd@family.example>"}),
    case_manager="dalvarez@district.example",
    principal="mbrooks@hamiltonms.example",
    school_domains=("district.example", "hamiltonms.example"),
)
CONTEXT = MatchContext(parent_addresses=frozenset({"jordan@family.example"}), requests=(SAM, MAYA))
