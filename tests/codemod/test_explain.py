"""`weft-compat explain`: a code's name, description and guide section, from the shipped guide."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.codemod.test_guide import possible_links, reported_links
from weft_compat.codemod import guide
from weft_compat.codemod.cli import main
from weft_compat.codemod.guide import guide_root, section, slug
from weft_compat.codemod.report import guide_link
from weft_compat.codemod.rules import ALL_RULES
from weft_compat.codemod.rules.base import Rule


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.CODE)
def test_a_code_prints_its_name_description_and_section(
    rule: type[Rule], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", rule.CODE]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"{rule.CODE} {rule.NAME}"
    assert lines[1] == rule.DESCRIPTION
    assert lines[2] == f"Guide: {guide_link(rule.GUIDE)}"
    assert lines[4] == f"### {rule.CODE} `{rule.NAME}`"
    assert len(lines) > 6


@pytest.mark.parametrize("link", sorted(possible_links() | reported_links()))
def test_every_link_a_finding_can_carry_has_a_section_to_print(link: str) -> None:
    text = section(link)
    assert text is not None, link
    assert slug(text.splitlines()[0].lstrip("#")) == link.partition("#")[2]


@pytest.mark.parametrize("value", ["task_decorator", "wc102", " WC102 "])
def test_a_rule_name_or_any_case_of_the_code_works(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", value]) == 0
    assert capsys.readouterr().out.startswith("WC102 task_decorator\n")


def test_a_guide_link_prints_its_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "migration_guide/decorator.md#rate_limit"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### `rate_limit`\n")
    assert "### `Request`" not in out


def test_the_file_codes_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "WC001"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("WC001 parse_error\n")
    assert "### Files the codemod cannot process" in out


@pytest.mark.parametrize("value", ["WC999", "nope", "decorator.md#no-such-section", "x.md"])
def test_an_unknown_code_is_a_usage_error_naming_it(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["explain", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"unknown code {value!r}; run `weft-compat explain --list` to see the codes" in err


def test_explain_without_a_code_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["explain"])
    assert exc.value.code == 2
    assert "explain needs a CODE" in capsys.readouterr().err


def test_list_prints_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--list"]) == 0
    codes = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert codes == sorted(["WC001", "WC002", *(rule.CODE for rule in ALL_RULES)])


def test_a_section_ends_at_the_next_heading_of_its_level_or_above() -> None:
    text = section("results.md#wc107-async_result")
    assert text is not None
    assert text.startswith("### WC107 `async_result`\n")
    assert "### WC204" not in text
    assert "```diff" in text


def test_headings_inside_code_blocks_are_not_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    page = "# Page\n\n## Shell\n\n```sh\n# not a heading\n```\n\nafter\n\n## Next\n"
    monkeypatch.setattr(guide, "page_text", lambda name: page if name == "p.md" else None)
    assert section("p.md#shell") == "## Shell\n\n```sh\n# not a heading\n```\n\nafter\n"
    assert section("p.md#not-a-heading") is None
    assert section("p.md#next") == "## Next\n"


@pytest.mark.parametrize(
    "link", ["../README.md#weft_compat", "nope.md#x", "results.md", "results.md#nope"]
)
def test_what_is_not_a_section_of_the_guide_is_none(link: str) -> None:
    assert section(link) is None


def test_the_guide_is_read_from_the_package_or_the_checkout() -> None:
    assert (guide_root() / "codemod.md").is_file()


def test_a_run_with_findings_points_at_explain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path
    (root / "canvas.py").write_text("from celery import group\n\ngroup()\n")
    assert main(["migrate", str(root)]) == 1
    assert "`weft-compat explain CODE` prints a code's guide section." in capsys.readouterr().err
