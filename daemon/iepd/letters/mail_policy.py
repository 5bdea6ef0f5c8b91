"""The email policy of every message iepd writes: SMTP line ends, and headers whose value
starts on the header's own line.

CPython's folder sometimes breaks a long unstructured header right after its colon
(``Subject:`` CRLF `` [iepd] Not delivered: ...``). That is legal, but Python's own parser
then reads the value with a leading space, and a mail filter that tests "Subject begins with
[iepd]" misses it. Such a header is folded again at RFC 5322's hard limit of 998 characters,
so it stays on one line; other headers keep the usual 78-column folding.
"""

from __future__ import annotations

from email.policy import EmailPolicy
from typing import Any

_HARD_LIMIT = 998


class _ValueOnFirstLine(EmailPolicy):
    def fold(self, name: str, value: Any) -> str:
        folded: str = super().fold(name, value)
        if self._starts_on_next_line(name, folded, self.linesep):
            refolded: str = self.clone(max_line_length=_HARD_LIMIT).fold(name, value)
            return refolded
        return folded

    def fold_binary(self, name: str, value: Any) -> bytes:
        folded: bytes = super().fold_binary(name, value)
        if self._starts_on_next_line(name, folded.decode("ascii", "replace"), self.linesep):
            refolded_bytes: bytes = self.clone(max_line_length=_HARD_LIMIT).fold_binary(name, value)
            return refolded_bytes
        return folded

    def _starts_on_next_line(self, name: str, folded: str, linesep: str) -> bool:
        if (self.max_line_length or 0) >= _HARD_LIMIT:
            return False
        return folded[len(name) + 1 :].startswith(linesep)


MAIL_POLICY = _ValueOnFirstLine(linesep="\r\n")
