"""Every guide link the runtime prints, and every link between the guide's pages and
from the README, points at a page and heading that exist; the index lists every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from weft_compat import _task
from weft_compat._option_names import (
    CALLING_GUIDE,
    DECORATOR_GUIDE,
    REFUSED_CALL_OPTIONS,
    REFUSED_OPTIONS,
)

ROOT = Path(__file__).resolve().parent.parent


def anchors(page: Path) -> set[str]:
    """GitHub-style anchors of the page's headings."""
    found = set()
    for line in page.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
            found.add(slug)
    return found


def runtime_links() -> list[str]:
    links = [f"{DECORATOR_GUIDE}#{name.lower()}" for name in REFUSED_OPTIONS]
    links += [f"{CALLING_GUIDE}#{name.lower()}" for name in REFUSED_CALL_OPTIONS]
    links += [f"{DECORATOR_GUIDE}#unknown-options", f"{CALLING_GUIDE}#unknown-options"]
    links += [f"migration_guide/{page}" for _, page in _task._RENAMED.values()]
    for path in (ROOT / "weft_compat").rglob("*.py"):
        links += re.findall(r"migration_guide/[\w\-]+\.md(?:#[\w\-]+)?", path.read_text())
    # Docstrings show the shape of a link with a placeholder page.
    return sorted({link for link in links if not link.lower().startswith("migration_guide/page.")})


@pytest.mark.parametrize("link", runtime_links())
def test_runtime_guide_links_resolve(link: str) -> None:
    page, _, anchor = link.partition("#")
    path = ROOT / page
    assert path.exists(), f"{link}: no page {page}"
    if anchor:
        assert anchor in anchors(path), f"{link}: no heading with anchor #{anchor}"


GUIDE = ROOT / "migration_guide"
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def markdown_links() -> list[tuple[str, str]]:
    """(page, target) of every relative link in the guide's pages and the README."""
    pages = [*sorted(GUIDE.glob("*.md")), ROOT / "README.md"]
    found = []
    for page in pages:
        for target in MARKDOWN_LINK.findall(page.read_text()):
            if not target.startswith(("http://", "https://", "mailto:")):
                found.append((str(page.relative_to(ROOT)), target))
    return found


@pytest.mark.parametrize(("page", "target"), markdown_links())
def test_links_between_pages_resolve(page: str, target: str) -> None:
    path_part, _, anchor = target.partition("#")
    linked = (ROOT / page).parent / path_part if path_part else ROOT / page
    assert linked.exists(), f"{page}: link {target!r} names no file"
    if anchor and linked.suffix == ".md":
        assert anchor in anchors(linked), f"{page}: link {target!r} names no heading"


def test_the_guide_index_lists_every_page() -> None:
    index = (GUIDE / "README.md").read_text()
    missing = [
        page.name
        for page in sorted(GUIDE.glob("*.md"))
        if page.name != "README.md" and f"]({page.name})" not in index
    ]
    assert not missing, f"migration_guide/README.md does not list {missing}"
