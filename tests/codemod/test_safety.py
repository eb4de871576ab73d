"""Safety: unparseable files, untouched files, encodings, line endings, comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from weft_compat.codemod.cli import main
from weft_compat.codemod.report import Status
from weft_compat.codemod.rules import ALL_RULES
from weft_compat.codemod.runner import run

NAMES = [rule.NAME for rule in ALL_RULES]


def test_a_file_that_does_not_parse_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("from celery import shared_task\ndef (:\n")
    (tmp_path / "good.py").write_text(
        "from celery import shared_task\n\n@shared_task\ndef f():\n    pass\n"
    )
    outcomes = {Path(o.path).name: o for o in run([str(tmp_path)], NAMES, jobs=1)}
    assert outcomes["broken.py"].status is Status.FAILED
    assert outcomes["broken.py"].findings[0].code == "WC001"
    assert outcomes["broken.py"].findings[0].line == 2
    assert outcomes["good.py"].status is Status.CHANGED


def test_files_without_celery_are_skipped_before_parsing(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_bytes(b"x = 1\r\n")
    (tmp_path / "broken_plain.py").write_bytes(b"def (:\n")
    statuses = {Path(o.path).name: o.status for o in run([str(tmp_path)], NAMES, jobs=1)}
    assert statuses == {"plain.py": Status.SKIPPED, "broken_plain.py": Status.SKIPPED}


def test_encoding_line_endings_and_comments_are_preserved(tmp_path: Path) -> None:
    source = (
        "# -*- coding: latin-1 -*-\r\n"
        "from celery import shared_task  # the decorator\r\n"
        "\r\n"
        "@shared_task  # keep\r\n"
        "def f():\r\n"
        "    return 'caf\xe9'\r\n"
    ).encode("latin-1")
    path = tmp_path / "legacy.py"
    path.write_bytes(source)
    assert main(["migrate", "--write", str(tmp_path)]) == 1
    written = path.read_bytes()
    assert written.decode("latin-1") == (
        "# -*- coding: latin-1 -*-\r\n"
        "from weft_compat import weft_task\r\n"
        "\r\n"
        "@weft_task  # keep\r\n"
        "def f():\r\n"
        "    return 'caf\xe9'\r\n"
    )


def test_unchanged_celery_files_are_byte_identical(tmp_path: Path) -> None:
    source = b"from celery import group  # canvas stays\r\n\r\njob = group([])\r\n"
    path = tmp_path / "canvas.py"
    path.write_bytes(source)
    assert main(["migrate", "--write", str(tmp_path)]) == 1
    assert path.read_bytes() == source


def test_a_rewrite_that_would_not_parse_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import libcst as cst

    from weft_compat.codemod.rules import task_decorator

    def broken(self: object, original: cst.Decorator, updated: cst.Decorator) -> cst.Decorator:
        return updated.with_changes(decorator=cst.Name("weft task"))

    monkeypatch.setattr(task_decorator.TaskDecorator, "leave_Decorator", broken)
    source = b"from celery import shared_task\n\n@shared_task\ndef f():\n    pass\n"
    path = tmp_path / "tasks.py"
    path.write_bytes(source)
    outcome = run([str(tmp_path)], NAMES, jobs=1)[0]
    assert outcome.status is Status.FAILED
    assert outcome.findings[-1].code == "WC002"
    assert main(["migrate", "--write", str(tmp_path)]) == 1
    assert path.read_bytes() == source


def test_a_crashing_rule_fails_one_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from weft_compat.codemod.rules import canvas

    def crash(self: object, node: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(canvas.Canvas, "visit_Call", crash)
    (tmp_path / "a.py").write_text("from celery import group\n\ngroup()\n")
    (tmp_path / "b.py").write_text("CELERY_BROKER_URL = 'x'\n")
    outcomes = {Path(o.path).name: o for o in run([str(tmp_path)], NAMES, jobs=1)}
    assert outcomes["a.py"].status is Status.FAILED
    assert "boom" in outcomes["a.py"].findings[0].message
    assert outcomes["b.py"].findings[0].code == "WC301"


TASK = b"from celery import shared_task\n\n@shared_task\ndef f():\n    pass\n"


def test_a_written_file_keeps_its_mode_and_nothing_else_is_left(tmp_path: Path) -> None:
    path = tmp_path / "tasks.py"
    path.write_bytes(TASK)
    path.chmod(0o750)
    assert main(["migrate", "--write", str(tmp_path)]) == 1  # rewritten
    assert b"@weft_task" in path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks.py"]


def test_a_symlinked_file_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "tasks.py").write_bytes(TASK)
    scanned = tmp_path / "scanned"
    scanned.mkdir()
    (scanned / "tasks.py").symlink_to(real / "tasks.py")
    assert main(["migrate", "--write", str(scanned)]) == 1  # rewritten
    assert (scanned / "tasks.py").is_symlink()
    assert b"@weft_task" in (real / "tasks.py").read_bytes()


MIGRATED_PROJECT = {
    "app/__init__.py": "",
    "app/base.py": (
        "from celery import Task\n\n\nclass Logged(Task):\n    rate_limit = '10/m'\n"
        "    max_retries = 2\n\n    def on_failure(self, exc, task_id, args, kwargs, einfo):\n"
        "        pass\n"
    ),
    "app/tasks.py": (
        "from celery import current_task, shared_task\n\nfrom app.base import Logged\n\n\n"
        "class Export(Logged):\n    name = 'app.export'\n\n    def run(self, pk):\n"
        "        current_task.update_state(state='PROGRESS', meta={'pk': pk})\n"
        "        return current_task.request.id\n\n\n"
        "@shared_task(base=Logged, bind=True)\ndef work(self, x):\n    return self.max_retries\n"
    ),
    "app/registry.py": (
        "from celery import Celery\n\nfrom app.tasks import Export\n\napp = Celery('app')\n"
        "export = app.register_task(Export())\n"
    ),
}
IMPORT_MIGRATED = """
import sys

class NoCelery:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "celery":
            raise ModuleNotFoundError(name)

sys.meta_path.insert(0, NoCelery())
import app.tasks, app.registry
print(app.tasks.work(1), app.registry.export.name)
"""


def test_migrated_task_classes_import_without_celery(tmp_path: Path) -> None:
    import subprocess
    import sys

    for name, source in MIGRATED_PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    main(["migrate", "--write", str(tmp_path)])
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_MIGRATED],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr + (tmp_path / "app/tasks.py").read_text()
    assert completed.stdout.split() == ["2", "app.export"]
