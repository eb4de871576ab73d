"""Every guide link the runtime prints points at a page and heading that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from weft_compat import _task
from weft_compat._options import (
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
    for path in (ROOT / "weft_compat").glob("*.py"):
        links += re.findall(r"migration_guide/[\w\-]+\.md(?:#[\w\-]+)?", path.read_text())
    return sorted(set(links))


@pytest.mark.parametrize("link", runtime_links())
def test_runtime_guide_links_resolve(link: str) -> None:
    page, _, anchor = link.partition("#")
    path = ROOT / page
    assert path.exists(), f"{link}: no page {page}"
    if anchor:
        assert anchor in anchors(path), f"{link}: no heading with anchor #{anchor}"
