"""The fixed world both corpora are written against (tests/corpus/expected.toml and
tests/replies/README.md): the parent Jordan Rivera, Sam's request (a1, its follow-up a2) and
Maya's (b1), with the same case manager. The corpus tests and benchmarks/classification.py
match every message against this context."""

from __future__ import annotations

from iepd.decide.matching import MatchContext, OpenRequest
from iepd.decide.mentions import areas_of

# The parents' concerns, as every author was told them: what each letter is about.
SAM_CONCERN = (
    "Since October Sam has received about half of his 60 minutes a week of small-group"
    " speech-language therapy."
)
MAYA_CONCERN = (
    "Maya's reading fluency has dropped since the fall; her private tutor's assessment shows it."
)

SAM = OpenRequest(
    request_id="sam-speech",
    child_id="sam",
    child_name="Sam Rivera",
    sent_message_ids=frozenset({"<a1.iepd@family.example>", "<a2.iepd@family.example>"}),
    case_manager="dalvarez@district.example",
    principal="lchen@district.example",
    school_domains=("district.example",),
    staff_names=("Dana Alvarez", "Lee Chen"),
    areas=areas_of(SAM_CONCERN),
)
MAYA = OpenRequest(
    request_id="maya-reading",
    child_id="maya",
    child_name="Maya Rivera",
    sent_message_ids=frozenset({"<b1.iepd@family.example>"}),
    case_manager="dalvarez@district.example",
    principal="mbrooks@hamiltonms.example",
    school_domains=("district.example", "hamiltonms.example"),
    staff_names=("Dana Alvarez", "Marcus Brooks"),
    areas=areas_of(MAYA_CONCERN),
)
CONTEXT = MatchContext(parent_addresses=frozenset({"jordan@family.example"}), requests=(SAM, MAYA))
