"""The ``weft-compat`` command line: ``migrate`` (the codemod) and ``explain`` (its codes).

Exit codes follow ruff and django-upgrade: 0 when nothing would change and nothing
is flagged, 1 when something would change or needs a human, 2 on a usage error.
Diffs and findings go to stdout; progress and status go to stderr. ``explain CODE``
prints a rule's code, name, description and guide section, as ``ruff rule`` does.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from weft_compat.codemod.failures import FAILURE_GUIDE
from weft_compat.codemod.guide import section
from weft_compat.codemod.report import (
    PARSE_ERROR,
    UNSAFE_REWRITE,
    FileOutcome,
    Status,
    Summary,
    guide_link,
    render_json,
)
from weft_compat.codemod.runner import STDIN, run, write_changes

if TYPE_CHECKING:
    from weft_compat.codemod.rules.base import Rule

EXIT_CLEAN, EXIT_FOUND, EXIT_USAGE = 0, 1, 2
# Codes no rule owns: problems with a file itself. Code → (name, description, guide).
FILE_CODES = {
    PARSE_ERROR: ("parse_error", "the file does not parse or cannot be read", FAILURE_GUIDE),
    UNSAFE_REWRITE: (
        "unsafe_rewrite",
        "the rewrite failed or would not parse; the file was left as it was",
        FAILURE_GUIDE,
    ),
}


def _rules() -> tuple[type[Rule], ...]:
    # The rules are written in LibCST, which takes about a fifth of a second to load; a
    # run loads them once its files are indexed (``runner``), so they are loaded here
    # only when a command needs them first.
    from weft_compat.codemod.rules import ALL_RULES

    return ALL_RULES


def _rule_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    known = {rule.NAME for rule in _rules()}
    for name in names:
        if name not in known:
            raise argparse.ArgumentTypeError(
                f"unknown rule {name!r}; run `weft-compat migrate --list-rules` to see them"
            )
    return names


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: ``weft-compat migrate ...``."""
    parser = argparse.ArgumentParser(
        prog="weft-compat", description="Move a Celery codebase onto weft_compat."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    migrate = commands.add_parser(
        "migrate",
        help="rewrite Celery call sites and list what needs a human",
        description="Rewrite Celery call sites to weft_compat and report every site left "
        "for a human, with a code and a guide link. Shows a diff unless --write is given.",
    )
    migrate.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories; - is stdin"
    )
    mode = migrate.add_mutually_exclusive_group()
    mode.add_argument(
        "--diff",
        dest="mode",
        action="store_const",
        const="diff",
        help="print a unified diff and write nothing (the default)",
    )
    mode.add_argument(
        "--write",
        dest="mode",
        action="store_const",
        const="write",
        help="rewrite the files in place",
    )
    mode.add_argument(
        "--check",
        dest="mode",
        action="store_const",
        const="check",
        help="print only what would change and the findings",
    )
    migrate.add_argument("--format", choices=("text", "json"), default="text")
    migrate.add_argument(
        "--only",
        type=_rule_list,
        action="append",
        default=[],
        metavar="RULE",
        help="run only these rules (repeat or comma-separate)",
    )
    migrate.add_argument(
        "--skip",
        type=_rule_list,
        action="append",
        default=[],
        metavar="RULE",
        help="do not run these rules (repeat or comma-separate)",
    )
    migrate.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    migrate.add_argument(
        "--explain",
        action="store_true",
        help="under each finding, say why the site was not rewritten (which condition failed)",
    )
    migrate.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes (default: the CPU count)",
    )
    migrate.set_defaults(mode="diff")
    explain = commands.add_parser(
        "explain",
        help="print what a finding's code means and its guide section",
        description="Print a rule's code, name and description and the section of the "
        "migration guide its findings link to, from the guide installed with weft-compat.",
    )
    explain.add_argument(
        "code",
        nargs="?",
        metavar="CODE",
        help="a code (WC102), a rule name (task_decorator) or a finding's guide link "
        "(migration_guide/decorator.md#rate_limit)",
    )
    explain.add_argument(
        "--list", action="store_true", help="list every code with its name and exit"
    )
    explain.set_defaults(explain_parser=explain)
    return parser


def _codes() -> dict[str, tuple[str, str, str]]:
    """Every code: code → (name, description, guide link)."""
    codes = {
        code: (name, text, guide_link(page)) for code, (name, text, page) in FILE_CODES.items()
    }
    for rule in _rules():
        codes[rule.CODE] = (rule.NAME, rule.DESCRIPTION, guide_link(rule.GUIDE))
    return dict(sorted(codes.items()))


def explanation(value: str) -> str | None:
    """What ``weft-compat explain VALUE`` prints; None if VALUE names nothing known."""
    codes = _codes()
    wanted = value.strip()
    by_name = {name: code for code, (name, _, _) in codes.items()}
    code = wanted.upper() if wanted.upper() in codes else by_name.get(wanted)
    if code is None:
        if ".md" not in wanted:
            return None
        return section(wanted)
    name, description, link = codes[code]
    text = section(link)
    body = text if text is not None else f"(the guide section {link} is not installed)\n"
    return f"{code} {name}\n{description}\nGuide: {link}\n\n{body}"


def _explain(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.list:
        codes = _codes()
        width = max(len(name) for name, _, _ in codes.values())
        for code, (name, description, _) in codes.items():
            print(f"{code}  {name:<{width}}  {description}")
        return EXIT_CLEAN
    if args.code is None:
        parser.error("explain needs a CODE (such as WC102), or --list to see them")
    text = explanation(args.code)
    if text is None:
        parser.error(
            f"unknown code {args.code!r}; run `weft-compat explain --list` to see the codes"
        )
    sys.stdout.write(text)
    return EXIT_CLEAN


def list_rules() -> str:
    """One line per rule: code, name, description."""
    rules = _rules()
    width = max(len(rule.NAME) for rule in rules)
    return "\n".join(f"{rule.CODE}  {rule.NAME:<{width}}  {rule.DESCRIPTION}" for rule in rules)


def _selected(args: argparse.Namespace) -> list[str] | None:
    """The rules to run; None for all of them."""
    only = {name for group in args.only for name in group}
    skip = {name for group in args.skip for name in group}
    if not only and not skip:
        return None
    return [
        rule.NAME for rule in _rules() if (not only or rule.NAME in only) and rule.NAME not in skip
    ]


def _print_text(
    outcomes: list[FileOutcome], mode: str, rule_names: dict[str, str], *, explain: bool = False
) -> None:
    for outcome in outcomes:
        if outcome.status is Status.CHANGED:
            if mode == "diff":
                sys.stdout.write(outcome.diff)
            else:
                verb = "rewrote" if mode == "write" else "would rewrite"
                if outcome.deleted:
                    verb = "deleted" if mode == "write" else "would delete"
                print(f"{verb} {outcome.path}", file=sys.stderr)
    findings = sorted(f for outcome in outcomes for f in outcome.findings)
    for finding in findings:
        print(finding.as_text(explain=explain))
    print(Summary.of(outcomes).as_text(rule_names, wrote=mode == "write"), file=sys.stderr)
    if findings:
        print("`weft-compat explain CODE` prints a code's guide section.", file=sys.stderr)


def _migrate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.list_rules:
        print(list_rules())
        return EXIT_CLEAN
    if not args.paths:
        parser.error("migrate needs at least one PATH (or - for stdin)")
    if STDIN in args.paths and len(args.paths) > 1:
        parser.error("- (stdin) cannot be combined with other paths")
    missing = [path for path in args.paths if path != STDIN and not os.path.exists(path)]
    if missing:
        parser.error(f"path {missing[0]!r} does not exist")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, not {args.jobs!r}")
    stdin = sys.stdin.buffer.read() if args.paths == [STDIN] else None
    outcomes = run(args.paths, _selected(args), jobs=args.jobs, stdin=stdin, progress=_progress)
    if args.mode == "write":
        if stdin is not None:
            changed = outcomes[0].new_source if outcomes[0].status is Status.CHANGED else stdin
            sys.stdout.buffer.write(changed or b"")
            sys.stdout.flush()
            sys.stdout = sys.stderr  # findings must not mix with the rewritten source
        else:
            write_changes(outcomes)
    found_any = any(outcome.findings for outcome in outcomes)
    rule_names = {rule.CODE: rule.NAME for rule in _rules()} if found_any else {}
    if args.format == "json":
        print(render_json(outcomes, rule_names, wrote=args.mode == "write"))
    else:
        _print_text(outcomes, args.mode, rule_names, explain=args.explain)
    found = any(o.findings or o.status in (Status.CHANGED, Status.FAILED) for o in outcomes)
    return EXIT_FOUND if found else EXIT_CLEAN


def _progress(message: str) -> None:
    print(f"weft-compat: {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``weft-compat``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "explain":
        return _explain(args, args.explain_parser)
    stdout = sys.stdout
    try:
        return _migrate(args, parser)
    finally:
        sys.stdout = stdout
