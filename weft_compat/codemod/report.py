"""Findings, per-file outcomes and the run summary, rendered as text or JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum

GUIDE_DIR = "migration_guide"
# Codes for problems with a file itself rather than a Celery site; no rule owns them.
PARSE_ERROR = "WC001"
UNSAFE_REWRITE = "WC002"


class Status(StrEnum):
    """What happened to one file."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, order=True)
class Finding:
    """A site left for a human, with a 1-based line and column and a guide link."""

    path: str
    line: int
    col: int
    code: str
    message: str
    guide: str
    # Why the site was not rewritten (which condition failed), in one sentence.
    why: str = ""

    def as_text(self, *, explain: bool = False) -> str:
        """``path:line:col: CODE message (guide)``, the format editors and CI parse;
        with ``explain``, a second, indented line says why the site was not rewritten."""
        line = f"{self.path}:{self.line}:{self.col}: {self.code} {self.message} ({self.guide})"
        if explain and self.why:
            line += f"\n    why: {self.why}"
        return line


def guide_link(page_and_anchor: str) -> str:
    """``calling.md#link`` → ``migration_guide/calling.md#link``."""
    return f"{GUIDE_DIR}/{page_and_anchor}"


@dataclass
class FileOutcome:
    """The result of migrating one file; never an exception."""

    path: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    new_source: bytes | None = None
    diff: str = ""
    # A changed file that the rewrite leaves with nothing in it, so it is deleted.
    deleted: bool = False
    # The Celery apps of the tree that the rewritten file still refers to, and those it
    # holds plumbing for (which the run removes once no file refers to the app).
    app_uses: frozenset[str] = frozenset()
    app_plumbing: frozenset[str] = frozenset()


@dataclass
class Summary:
    """Counts by file status and by finding code."""

    files: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    deleted: int = 0

    @classmethod
    def of(cls, outcomes: Iterable[FileOutcome]) -> Summary:
        """Tally ``outcomes``."""
        summary = cls()
        for outcome in outcomes:
            summary.files[outcome.status.value] += 1
            summary.codes.update(finding.code for finding in outcome.findings)
            summary.deleted += outcome.deleted
        return summary

    @property
    def findings(self) -> int:
        """How many findings in all."""
        return sum(self.codes.values())

    def as_dict(self, rule_names: Mapping[str, str]) -> dict[str, object]:
        """A JSON-ready summary; ``rule_names`` maps codes to rule names."""
        return {
            "files": {status.value: self.files[status.value] for status in Status},
            "deleted": self.deleted,
            "findings": self.findings,
            "by_code": {
                code: {"rule": rule_names.get(code, ""), "count": count}
                for code, count in sorted(self.codes.items())
            },
        }

    def as_text(self, rule_names: Mapping[str, str], *, wrote: bool) -> str:
        """A short human summary: file counts, then findings per rule."""
        changed = self.files[Status.CHANGED.value]
        verb = "rewritten" if wrote else "would be rewritten"
        if self.deleted:
            verb += f" ({self.deleted} of them deleted)"
        lines = [
            f"{self.findings} finding(s); {changed} file(s) {verb}, "
            f"{self.files[Status.UNCHANGED.value]} unchanged, "
            f"{self.files[Status.SKIPPED.value]} without Celery usage, "
            f"{self.files[Status.FAILED.value]} failed."
        ]
        for code, count in sorted(self.codes.items()):
            lines.append(f"  {code}  {rule_names.get(code, ''):<22} {count}")
        return "\n".join(lines)


def render_json(outcomes: list[FileOutcome], rule_names: Mapping[str, str], *, wrote: bool) -> str:
    """One JSON document: findings, changed files (with their diffs) and the summary."""
    findings = sorted(f for outcome in outcomes for f in outcome.findings)
    changed = [
        {"path": outcome.path, "deleted": outcome.deleted, "diff": outcome.diff}
        for outcome in outcomes
        if outcome.status is Status.CHANGED
    ]
    document = {
        "mode": "write" if wrote else "diff",
        "findings": [asdict(finding) for finding in findings],
        "changed": changed,
        "summary": Summary.of(outcomes).as_dict(rule_names),
    }
    return json.dumps(document, indent=2)
