"""The command line: modes, exit codes, formats, stdin, rule selection."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from weft_compat.codemod.cli import list_rules, main
from weft_compat.codemod.rules import ALL_RULES


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_diff_mode_is_the_default_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(project)
    assert main(["migrate", str(project)]) == 1
    out = capsys.readouterr().out
    assert "+@weft_task" in out
    assert "+    send.enqueue_on_commit(pk)" in out
    assert f"--- a/{str(project).lstrip('/')}/proj/celery.py\n+++ /dev/null\n" in out
    assert snapshot(project) == before


def test_write_then_second_run_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--write", str(project)]) == 1
    findings = capsys.readouterr().out.splitlines()
    # A site in a file the run deleted is not there to report again: here WC116's, at
    # the app's autodiscover_tasks() (the fixture has no settings module to add to).
    deleted = str(project / "proj" / "celery.py")
    assert [line.split()[1] for line in findings if line.startswith(deleted)] == ["WC116"]
    findings = [line for line in findings if not line.startswith(deleted)]
    first = snapshot(project)
    assert "from weft_compat import weft_task" in first["proj/tasks.py"].decode()
    assert "return send.enqueue(pk).tid" in first["proj/views.py"].decode()
    main(["migrate", "--write", str(project)])
    assert snapshot(project) == first
    captured = capsys.readouterr()
    assert "0 file(s) rewritten" in captured.err
    # The same sites are still reported, at their new positions.
    assert [line.split()[1] for line in captured.out.splitlines()] == [
        line.split()[1] for line in findings
    ]


def test_check_prints_no_diff(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--check", str(project)]) == 1
    captured = capsys.readouterr()
    assert "+++" not in captured.out
    assert "would rewrite" in captured.err


def test_clean_tree_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain.py").write_text("print('hi')\n")
    assert main(["migrate", "--check", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_json_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--format", "json", "--skip", "app_plumbing", str(project)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"mode", "findings", "changed", "summary"}
    finding = document["findings"][0]
    assert set(finding) == {"path", "line", "col", "code", "message", "guide", "why"}
    assert finding["why"].endswith(".")
    assert {item["path"].rpartition("/")[2] for item in document["changed"]} == {
        "tasks.py",
        "views.py",
    }
    assert document["summary"]["files"]["skipped"] == 1


def test_json_format_marks_a_deleted_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--format", "json", str(project)]) == 1
    document = json.loads(capsys.readouterr().out)
    deleted = {item["path"].rpartition("/")[2]: item["deleted"] for item in document["changed"]}
    assert deleted == {
        "__init__.py": False,
        "celery.py": True,
        "tasks.py": False,
        "views.py": False,
    }
    assert document["summary"]["deleted"] == 1


def test_write_deletes_what_the_rewrite_empties_and_check_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--check", str(project)]) == 1
    assert f"would delete {project / 'proj' / 'celery.py'}" in capsys.readouterr().err
    assert (project / "proj" / "celery.py").exists()
    assert main(["migrate", "--write", str(project)]) == 1
    err = capsys.readouterr().err
    assert f"deleted {project / 'proj' / 'celery.py'}" in err
    assert "(1 of them deleted)" in err
    assert not (project / "proj" / "celery.py").exists()
    assert (project / "proj" / "__init__.py").read_text() == ""


def test_findings_are_one_line_each_with_a_guide_link(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["migrate", "--check", str(project)])
    for line in capsys.readouterr().out.splitlines():
        _path, line_no, col, rest = line.split(":", 3)
        assert line_no.isdigit() and col.isdigit()
        assert rest.strip().startswith("WC") and rest.endswith(")")
        assert "(migration_guide/" in rest


def test_stdin_diff(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    source = b"from celery import shared_task\n\n@shared_task\ndef f():\n    pass\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source)))
    assert main(["migrate", "-"]) == 1
    assert "+@weft_task" in capsys.readouterr().out


def test_stdin_write_prints_the_source(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = b"from celery import Celery\n\napp = Celery()\n\n@app.task\ndef f():\n    pass\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source)))
    stdout = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(stdout))
    assert main(["migrate", "--write", "-"]) == 1
    sys.stdout.flush()
    assert b"@weft_task\ndef f()" in stdout.getvalue()
    assert "WC207" in capsys.readouterr().err


def test_only_and_skip(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["migrate", "--check", "--only", "celery_app", str(project)])
    codes = {line.split()[1] for line in capsys.readouterr().out.splitlines()}
    assert codes == {"WC207"}
    main(["migrate", "--check", "--skip", "celery_app,delay", str(project)])
    assert "WC207" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["migrate", "--only", "nope", "x"],
        ["migrate", "does/not/exist"],
        ["migrate"],
        ["migrate", "--write", "--check", "x"],
        ["migrate", "-", "other"],
        ["migrate", "--jobs", "0", "."],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--list-rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [[r.CODE, r.NAME] for r in ALL_RULES]


def test_rule_codes_and_names_are_unique_and_follow_the_module() -> None:
    assert len({rule.CODE for rule in ALL_RULES}) == len(ALL_RULES)
    for rule in ALL_RULES:
        module = sys.modules[rule.__module__]
        assert rule.__module__.rpartition(".")[2] == rule.NAME
        assert (module.CODE, module.DESCRIPTION) == (rule.CODE, rule.DESCRIPTION)
        assert rule.CODE[:3] in ("WC1", "WC2", "WC3")


def test_parallel_run_matches_serial(tmp_path: Path) -> None:
    for number in range(40):
        (tmp_path / f"m{number}.py").write_text(
            f"from celery import shared_task\n\n@shared_task\ndef t{number}():\n    pass\n"
        )
    from weft_compat.codemod.runner import run

    names = [rule.NAME for rule in ALL_RULES]
    serial = run([str(tmp_path)], names, jobs=1)
    parallel = run([str(tmp_path)], names, jobs=2)
    assert [(o.path, o.status, o.new_source) for o in serial] == [
        (o.path, o.status, o.new_source) for o in parallel
    ]


def test_python_dash_m(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "weft_compat.codemod", "migrate", "--list-rules"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0
    assert completed.stdout.strip() == list_rules()


def test_explain_says_why_under_each_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "views.py").write_text("from proj.other import job\n\njob.delay(1)\n")
    assert main(["migrate", "--explain", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    finding = next(index for index, line in enumerate(out) if " WC201 " in line)
    assert out[finding + 1] == (
        "    why: 'job' does not resolve to a task the index found (a local value, an "
        "attribute, or a task defined outside the paths given)."
    )


def test_without_explain_there_is_one_line_per_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "views.py").write_text("from proj.other import job\n\njob.delay(1)\n")
    assert main(["migrate", str(tmp_path)]) == 1
    assert "why:" not in capsys.readouterr().out


def test_every_rule_says_why_in_one_sentence() -> None:
    from weft_compat.codemod.rules import ALL_RULES

    for rule in ALL_RULES:
        assert rule.WHY.endswith("."), rule.NAME
        assert rule.WHY.count(". ") == 0, rule.NAME
