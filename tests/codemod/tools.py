"""Checks for codemod rules: run one source through the rules and compare.

``check_rewritten(before, after)``, ``check_noop(source)`` and
``check_flagged(source, codes)`` take dedented source snippets. Other modules of
the project (for cross-module task lookups) are passed as ``modules={name: source}``.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Mapping, Sequence

from weft_compat.codemod.facts import collect_facts
from weft_compat.codemod.helpers import settle_helpers
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.report import FileOutcome, Status
from weft_compat.codemod.rules import ALL_RULES, rule_classes
from weft_compat.codemod.transform import migrate_source

MODULE = "proj.app.module"
ALL = tuple(rule.NAME for rule in ALL_RULES)


def migrate(
    source: str,
    rules: Sequence[str] = ALL,
    modules: Mapping[str, str] | None = None,
    module: str = MODULE,
    path: str = "module.py",
    app_users: dict[str, tuple[str, ...]] | None = None,
    whole: bool = False,
) -> FileOutcome:
    """Migrate ``source`` as module ``module`` of a project that also holds ``modules``.

    ``app_users`` stands for the run's decision about apps (see ``codemod.apps``): for
    each app, the files still using it; an empty tuple removes its plumbing. ``whole``
    migrates the module without the shortcuts (no outline, no splicing).
    """
    text = textwrap.dedent(source)
    sources = {module: text, **{k: textwrap.dedent(v) for k, v in (modules or {}).items()}}
    # A module that others live under is a package: its relative imports start at itself.
    packages = {name for name in sources if any(o.startswith(f"{name}.") for o in sources)}
    all_facts = {
        name: collect_facts(
            ast.parse(code), name, name if name in packages else name.rpartition(".")[0]
        )
        for name, code in sources.items()
    }
    index = ProjectIndex.build(all_facts.values())
    indexed = [(f"{name}.py", facts, sources[name].encode()) for name, facts in all_facts.items()]
    settle_helpers(index, indexed, [])
    index.app_users = app_users
    rows = () if whole else None
    return migrate_source(text.encode(), path, all_facts[module], index, rule_classes(rules), rows)


def check_rewritten(
    before: str, after: str, rules: Sequence[str] = ALL, **kwargs: object
) -> FileOutcome:
    """``before`` becomes exactly ``after``."""
    outcome = migrate(before, rules, **kwargs)  # type: ignore[arg-type]
    assert outcome.status is Status.CHANGED, outcome
    assert outcome.new_source is not None
    assert outcome.new_source.decode() == textwrap.dedent(after), outcome.new_source.decode()
    return outcome


def check_noop(source: str, rules: Sequence[str] = ALL, **kwargs: object) -> None:
    """``source`` is left byte-identical and nothing is reported."""
    outcome = migrate(source, rules, **kwargs)  # type: ignore[arg-type]
    assert outcome.status is Status.UNCHANGED, outcome.diff
    assert outcome.findings == [], outcome.findings


def check_flagged(
    source: str, codes: Sequence[str], rules: Sequence[str] = ALL, **kwargs: object
) -> FileOutcome:
    """Reported codes, in position order, are exactly ``codes``."""
    outcome = migrate(source, rules, **kwargs)  # type: ignore[arg-type]
    assert [finding.code for finding in outcome.findings] == list(codes), outcome.findings
    return outcome
