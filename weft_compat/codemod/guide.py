"""The migration guide as shipped with the package: its pages and their sections.

Findings link to ``migration_guide/PAGE.md#anchor``. The guide's Markdown is installed
with the package as ``weft_compat.guide`` (``pyproject.toml`` maps the repository's
``migration_guide/`` there), so ``weft-compat explain`` can print a section wherever the
package is installed; a source checkout reads ``migration_guide/`` itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from weft_compat.codemod.report import GUIDE_DIR

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

PACKAGE = "weft_compat.guide"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def guide_root() -> Traversable | Path:
    """Where the guide's pages are: the installed package, else the source checkout."""
    # Loaded here, not with the module: ``migrate`` never reads the guide, and loading
    # ``importlib.resources`` would add to every run's start-up.
    from importlib import resources

    try:
        return resources.files(PACKAGE)
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / GUIDE_DIR


def slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def page_text(page: str) -> str | None:
    """The Markdown of ``page`` (``results.md``), None if the guide has no such page."""
    if "/" in page or "\\" in page or not page.endswith(".md"):
        return None
    entry = guide_root() / page
    try:
        return entry.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def section(link: str) -> str | None:
    """The text of the section a guide link names, from its heading to the next heading
    of the same or a higher level; None if the page or the heading is missing.

    ``link`` is ``page.md#anchor`` or a finding's ``migration_guide/page.md#anchor``.
    """
    page, _, anchor = link.removeprefix(f"{GUIDE_DIR}/").partition("#")
    text = page_text(page)
    if text is None or not anchor:
        return None
    lines = text.splitlines()
    start = level = None
    fenced = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        heading = None if fenced else _HEADING.match(line)
        if heading is None:
            continue
        depth = len(heading.group(1))
        if start is None:
            if slug(heading.group(2)) == anchor:
                start, level = number, depth
        elif level is not None and depth <= level:
            return "\n".join(lines[start:number]).rstrip() + "\n"
    if start is None:
        return None
    return "\n".join(lines[start:]).rstrip() + "\n"
