"""Every guide link a finding can carry resolves, and codemod.md lists every rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from weft_compat.codemod.report import GUIDE_DIR
from weft_compat.codemod.rules import ALL_RULES
from weft_compat.codemod.rules._shared import REFUSED_CALL_OPTIONS, REFUSED_OPTIONS
from weft_compat.codemod.runner import run

ROOT = Path(__file__).resolve().parents[2]
CODEMOD = ROOT / "weft_compat" / "codemod"
EXAMPLE = ROOT / "examples" / "celery_shop"


def anchors(page: Path) -> set[str]:
    """GitHub-style anchors of a Markdown page's headings."""
    found = set()
    for line in page.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def possible_links() -> set[str]:
    """Links named in the rules' source, their sections, and the per-option sections."""
    links = {f"{GUIDE_DIR}/{rule.GUIDE}" for rule in ALL_RULES}
    links |= {f"{GUIDE_DIR}/decorator.md#{option.lower()}" for option in REFUSED_OPTIONS}
    links |= {f"{GUIDE_DIR}/calling.md#{option.lower()}" for option in REFUSED_CALL_OPTIONS}
    for path in CODEMOD.rglob("*.py"):
        for page in re.findall(r"[\"']([\w\-]+\.md#[\w\-]+)[\"']", path.read_text()):
            links.add(f"{GUIDE_DIR}/{page}")
    return links


def reported_links() -> set[str]:
    """Links of the findings on the example project, when it is present."""
    if not EXAMPLE.exists():
        return set()
    outcomes = run([str(EXAMPLE)], [rule.NAME for rule in ALL_RULES], jobs=1)
    return {finding.guide for outcome in outcomes for finding in outcome.findings}


@pytest.mark.parametrize("link", sorted(possible_links() | reported_links()))
def test_guide_link_resolves(link: str) -> None:
    page, _, anchor = link.partition("#")
    path = ROOT / page
    assert path.exists(), f"{link}: no page {page}"
    assert anchor in anchors(path), f"{link}: no heading with anchor #{anchor}"


def test_every_rule_has_a_section_with_a_diff_or_instructions() -> None:
    for rule in ALL_RULES:
        page, _, _anchor = rule.GUIDE.partition("#")
        text = (ROOT / GUIDE_DIR / page).read_text()
        assert f"### {rule.CODE} `{rule.NAME}`" in text, rule.NAME
        section = text.split(f"### {rule.CODE} `{rule.NAME}`", 1)[1].split("\n## ", 1)[0]
        if rule.CODE.startswith("WC1"):
            assert "```diff" in section or "```diff" in text, rule.NAME


def test_codemod_page_lists_every_rule() -> None:
    text = (ROOT / GUIDE_DIR / "codemod.md").read_text()
    rows = [line for line in text.splitlines() if re.match(r"\| WC\d{3} \|", line)]
    expected = [
        f"| {r.CODE} | `{r.NAME}` | {r.DESCRIPTION.replace('|', '/')} | "
        f"[{r.GUIDE.split('#')[0]}]({r.GUIDE}) |"
        for r in ALL_RULES
    ]
    assert rows == expected
