"""The outcome of a file the codemod cannot process: unreadable, unparsable, or a
rewrite that failed or would not parse."""

from __future__ import annotations

from weft_compat.codemod.report import FileOutcome, Finding, Status, guide_link

FAILURE_GUIDE = "codemod.md#files-the-codemod-cannot-process"
FAILURE_WHY = "the file could not be read, parsed or safely rewritten, so it was left as it is."


def failure(path: str, code: str, message: str, line: int = 1, col: int = 1) -> FileOutcome:
    """A failed outcome carrying one finding that says why."""
    finding = Finding(path, line, col, code, message, guide_link(FAILURE_GUIDE), FAILURE_WHY)
    return FileOutcome(path, Status.FAILED, [finding])
