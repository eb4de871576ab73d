"""WC108 app_plumbing: the Celery app and its plumbing go once nothing else uses the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.codemod.tools import ALL, check_noop, check_rewritten, migrate
from weft_compat.codemod.cli import main
from weft_compat.codemod.report import FileOutcome, Status
from weft_compat.codemod.rules import ALL_RULES
from weft_compat.codemod.runner import run

APP = "proj.celery.app"
GONE: dict[str, tuple[str, ...]] = {APP: ()}
APP_MODULE = """\
    \"\"\"The Celery application.\"\"\"

    from __future__ import annotations

    import os

    from celery import Celery

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")

    app = Celery("proj")

    # Settings come from Django's, with a CELERY_ prefix.
    app.config_from_object("django.conf:settings", namespace="CELERY")

    # Load tasks.py from every installed app.
    app.autodiscover_tasks()
    """
DEBUG_TASK = """

    @app.task(bind=True)
    def debug_task(self):
        print(self.request)
    """


# The project's settings, already listing weft_compat's app (WC116 has nothing to do).
SETTINGS = {"proj.settings": "INSTALLED_APPS = ['proj', 'weft_compat.django']\n"}


def in_app_module(source: str, app_users: dict[str, tuple[str, ...]] | None = GONE) -> FileOutcome:
    return migrate(
        source,
        ALL,
        modules=SETTINGS,
        module="proj.celery",
        path="proj/celery.py",
        app_users=app_users,
    )


def test_the_app_module_keeps_only_what_is_not_plumbing() -> None:
    check_rewritten(
        APP_MODULE + DEBUG_TASK,
        """\
        \"\"\"The Celery application.\"\"\"

        from __future__ import annotations
        from weft_compat import weft_task


        @weft_task(bind=True)
        def debug_task(self):
            print(self.request)
        """,
        ALL,
        modules=SETTINGS,
        module="proj.celery",
        path="proj/celery.py",
        app_users=GONE,
    )


def test_an_app_module_with_nothing_left_is_deleted() -> None:
    outcome = in_app_module(APP_MODULE)
    assert outcome.status is Status.CHANGED
    assert outcome.deleted
    assert outcome.new_source == b""
    assert "+++ /dev/null" in outcome.diff
    assert outcome.findings == []


def test_an_app_still_used_stays_and_says_where() -> None:
    outcome = in_app_module(APP_MODULE, {APP: ("proj/views.py",)})
    assert outcome.new_source is None
    codes = [finding.code for finding in outcome.findings]
    assert codes == ["WC207", "WC207", "WC207"]
    message = outcome.findings[0].message
    assert "it stays because it is still used in proj/views.py" in message


def test_until_the_run_decides_nothing_is_removed() -> None:
    outcome = in_app_module(APP_MODULE, None)
    assert outcome.new_source is None
    assert outcome.app_plumbing == {APP}
    assert outcome.app_uses == frozenset()


def test_a_use_beyond_the_plumbing_is_reported_to_the_run() -> None:
    outcome = in_app_module(APP_MODULE + "\n    app.conf.beat_schedule = schedule()\n", None)
    assert outcome.app_uses == {APP}


def test_a_task_kept_on_celery_is_a_use() -> None:
    source = APP_MODULE + "\n    @app.task(base=Custom)\n    def kept():\n        pass\n"
    assert in_app_module(source, None).app_uses == {APP}


def test_a_rewritten_task_is_no_use() -> None:
    assert in_app_module(APP_MODULE + DEBUG_TASK, None).app_uses == frozenset()


PACKAGE = {"proj.celery": "from celery import Celery\napp = Celery('proj')\n"}


def in_package(source: str, app_users: dict[str, tuple[str, ...]] | None = GONE) -> FileOutcome:
    return migrate(
        source, ALL, modules=PACKAGE, module="proj", path="proj/__init__.py", app_users=app_users
    )


def test_the_package_import_and_its_all_entry_go() -> None:
    source = (
        '"""The package."""\n\nfrom .celery import app as celery_app\n\n__all__ = ("celery_app",)\n'
    )
    outcome = in_package(source)
    assert outcome.new_source == b'"""The package."""\n'
    assert not outcome.deleted
    assert outcome.findings == []


def test_a_package_left_empty_is_emptied_not_deleted() -> None:
    outcome = in_package("from .celery import app as celery_app\n\n__all__ = ['celery_app']\n")
    assert outcome.new_source == b""
    assert not outcome.deleted


def test_other_all_entries_and_imports_stay() -> None:
    outcome = in_package(
        "from .celery import app as celery_app\nfrom .version import VERSION\n\n"
        '__all__ = ("celery_app", "VERSION")\n'
    )
    assert outcome.new_source == (b'from .version import VERSION\n\n__all__ = ("VERSION",)\n')


def test_one_alias_of_several_goes() -> None:
    outcome = in_package("from .celery import app as celery_app, helper\n\nhelper()\n")
    assert outcome.new_source == b"from .celery import helper\n\nhelper()\n"


def test_a_package_import_used_for_more_is_a_use() -> None:
    outcome = in_package("from .celery import app as celery_app\n\ncelery_app.conf.x = 1\n", None)
    assert outcome.app_plumbing == frozenset()
    assert outcome.app_uses == {APP}


def test_config_calls_in_another_module_go_too() -> None:
    outcome = in_package("from .celery import app\n\napp.autodiscover_tasks()\n")
    assert outcome.new_source == b""


def test_the_settings_default_outside_the_app_module_stays() -> None:
    check_noop(
        'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n',
        ALL,
        modules={**PACKAGE, **SETTINGS},
        module="proj.wsgi",
        app_users=GONE,
    )


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


PROJECT = {
    "proj/__init__.py": "from .celery import app as celery_app\n\n__all__ = ('celery_app',)\n",
    "proj/celery.py": (
        "from celery import Celery\n\napp = Celery('proj')\napp.autodiscover_tasks()\n"
    ),
    "proj/tasks.py": "from proj.celery import app\n\n@app.task\ndef send(pk):\n    return pk\n",
    "proj/views.py": (
        "from proj.celery import app\n\ndef view():\n    return app.send_task('proj.tasks.send')\n"
    ),
    "proj/settings.py": SETTINGS["proj.settings"],
}
NAMES = [rule.NAME for rule in ALL_RULES]


def outcomes(root: Path) -> dict[str, FileOutcome]:
    return {str(Path(o.path).relative_to(root)): o for o in run([str(root)], NAMES, jobs=1)}


def test_a_run_removes_an_app_nothing_uses(tmp_path: Path) -> None:
    write(tmp_path, PROJECT)
    found = outcomes(tmp_path)
    assert found["proj/celery.py"].deleted
    assert found["proj/__init__.py"].new_source == b""
    assert all(not o.findings for o in found.values())


@pytest.mark.parametrize(
    ("name", "source"),
    [
        (
            "proj/admin.py",
            "from proj.celery import app\n\ndef stats():\n    app.control.inspect()\n",
        ),
        ("proj/beat.py", "from proj.celery import app\n\napp.conf.beat_schedule = made()\n"),
        (
            "proj/kept.py",
            "from proj.celery import app\n\n@app.task(base=Custom)\ndef f():\n    pass\n",
        ),
        ("proj/side_effect.py", "import proj.celery\n\nproj.celery.app.conf.x = 1\n"),
    ],
)
def test_an_app_used_anywhere_stays(tmp_path: Path, name: str, source: str) -> None:
    write(tmp_path, {**PROJECT, name: source})
    found = outcomes(tmp_path)
    assert found["proj/celery.py"].new_source is None
    messages = [f.message for f in found["proj/celery.py"].findings]
    assert any(f"still used in {tmp_path / name}" in message for message in messages), messages
    assert found["proj/__init__.py"].new_source is None


def test_a_file_the_rewrite_skipped_that_spells_a_name_of_the_app_keeps_it(
    tmp_path: Path,
) -> None:
    package = "from .celery import app\n\n__all__ = ('app',)\n"
    stats = "from proj import app\n\nprint(app.control)\n"
    write(tmp_path, {**PROJECT, "proj/__init__.py": package, "proj/stats.py": stats})
    found = outcomes(tmp_path)
    assert found["proj/stats.py"].status is Status.SKIPPED
    assert found["proj/celery.py"].new_source is None
    messages = [f.message for f in found["proj/celery.py"].findings]
    assert any(f"still used in {tmp_path / 'proj' / 'stats.py'}" in m for m in messages)


def test_a_file_that_does_not_parse_and_spells_the_app_keeps_it(tmp_path: Path) -> None:
    write(tmp_path, {**PROJECT, "proj/broken.py": "from proj import celery_app\ndef (:\n"})
    found = outcomes(tmp_path)
    assert found["proj/broken.py"].status is Status.FAILED
    assert found["proj/celery.py"].new_source is None


def test_from_stdin_nothing_is_removed() -> None:
    source = b"from celery import Celery\n\napp = Celery('proj')\napp.autodiscover_tasks()\n"
    [outcome] = run(["-"], NAMES, stdin=source)
    assert outcome.new_source is None


def test_a_second_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, PROJECT)
    assert main(["migrate", "--write", str(tmp_path)]) == 1
    first = {str(p): p.read_bytes() for p in tmp_path.rglob("*.py")}
    assert str(tmp_path / "proj" / "celery.py") not in first
    assert main(["migrate", "--write", str(tmp_path)]) == 0
    assert {str(p): p.read_bytes() for p in tmp_path.rglob("*.py")} == first
