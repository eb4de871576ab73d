"""The example Celery project, migrated by the codemod alone, runs without Celery.

A copy of `examples/celery_shop` goes through `weft-compat migrate --write` with no
hand edits; then the project's own `manage.py check`, `manage.py migrate` and
`manage.py test` pass in a Python where `import celery` (and `django_celery_*`) fails,
and a migrated task runs on real Weft.

Nothing is touched by hand: the beat schedule, the `task_failure` receiver in
`orders/signals.py` (with the test that needs it) and the `group(...)` of `.s()`
signatures in `orders/views.py` are migrated as they are.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("libcst")

from weft_compat.codemod.cli import main as codemod_main

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = ("celery", "django_celery_beat", "django_celery_results")

# Installed as `sitecustomize` on PYTHONPATH, so every Python the test starts has it.
NO_CELERY = textwrap.dedent(
    """
    import sys


    class NoCelery:
        \"\"\"Fails every import of Celery and its Django packages, as if not installed.\"\"\"

        def find_spec(self, name, path=None, target=None):
            top = name.partition(".")[0]
            if top == "celery" or top.startswith("django_celery_"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    sys.meta_path.insert(0, NoCelery())
    """
)

# The project's own settings, run with a Weft context that no real submission can use
# (see `no_celery`). weft_compat's Django app, which the codemod installs (WC116),
# rightly reports that context as unusable (`weft_compat.E001`); only that check is
# silenced, and only here.
HARNESS_SETTINGS = textwrap.dedent(
    """
    from shop.settings import *  # noqa: F403

    SILENCED_SYSTEM_CHECKS = ["weft_compat.E001"]
    """
)

RUN_MIGRATED_TASK = """
import json, django
django.setup()
from orders.tasks import compute_order_total
from weft_compat import WeftSubmission
submission = compute_order_total.enqueue([{"price": "10.00", "quantity": 2}], tax_rate=0.25)
submission.result(timeout=120)
print(json.dumps(WeftSubmission.from_tid(submission.tid).as_dict()))
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example after `weft-compat migrate --write`."""
    project = tmp_path_factory.mktemp("example") / "celery_shop"
    shutil.copytree(ROOT / "examples" / "celery_shop", project)
    assert codemod_main(["migrate", "--write", str(project)]) == 1  # rewrites and findings
    return project


@pytest.fixture(scope="module")
def no_celery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a Python in which Celery cannot be imported.

    Its Weft context sits under a regular file, so a call that leaves the test modes and
    is submitted for real fails loudly instead of starting a Weft manager; the project's
    settings are read through `HARNESS_SETTINGS`, which silences the check reporting it.
    """
    bootstrap = tmp_path_factory.mktemp("no_celery")
    (bootstrap / "sitecustomize.py").write_text(NO_CELERY)
    (bootstrap / "harness_settings.py").write_text(HARNESS_SETTINGS)
    (bootstrap / "not-a-directory").write_text("")
    return {
        **os.environ,
        "PYTHONPATH": str(bootstrap),
        "DJANGO_SETTINGS_MODULE": "harness_settings",
        "WEFT_COMPAT_CONTEXT": str(bootstrap / "not-a-directory" / "weft"),
    }


def run(project: Path, environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("package", BLOCKED)
def test_celery_cannot_be_imported_there(
    migrated: Path, no_celery: dict[str, str], package: str
) -> None:
    completed = run(migrated, no_celery, "-c", f"import {package}")
    assert completed.returncode != 0
    assert f"No module named {package!r}" in completed.stderr


def test_the_migrated_example_no_longer_mentions_celery_in_code(migrated: Path) -> None:
    for path in migrated.rglob("*.py"):
        code = path.read_text()
        assert not re.search(r"^\s*(from|import) celery\b", code, flags=re.M), path
    assert not (migrated / "shop" / "celery.py").read_text().count("Celery(")
    assert "celery_app" not in (migrated / "shop" / "__init__.py").read_text()


def test_the_migrated_settings_install_weft_compats_django_app(
    migrated: Path, no_celery: dict[str, str]
) -> None:
    settings = (migrated / "shop" / "settings.py").read_text()
    assert '    "orders.apps.OrdersConfig",\n    "weft_compat.django",\n]' in settings
    # Django finds the management commands through the installed app.
    completed = run(migrated, no_celery, "manage.py", "help", "--commands")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert {"weft_worker", "weft_beat", "weft_status"} <= set(completed.stdout.split())


MIGRATED_SCHEDULE = """
import json, django
django.setup()
from weft_compat.beat._publish import validate_schedule
print(json.dumps({entry.name: [entry.task, entry.description] for entry in validate_schedule()}))
"""


def test_the_migrated_beat_schedule_is_weft_compats(
    migrated: Path, no_celery: dict[str, str]
) -> None:
    settings = (migrated / "shop" / "settings.py").read_text()
    assert "from weft_compat import crontab" in settings
    assert "CELERY_BEAT_SCHEDULE" not in settings
    completed = run(migrated, no_celery, "-c", MIGRATED_SCHEDULE)
    assert completed.returncode == 0, completed.stderr[-3000:]
    schedule = json.loads(completed.stdout.strip().splitlines()[-1])
    assert schedule == {
        "expire-stale-orders": ["orders.expire_stale_orders", "every 15 minutes"],
        "nightly-sales-report": ["orders.tasks.build_sales_report", "at 02:30"],
    }


@pytest.mark.parametrize(
    "command",
    [["check"], ["migrate", "--noinput"], ["test", "--noinput", "-v", "2"]],
    ids=["check", "migrate", "test"],
)
def test_the_migrated_example_passes_its_own_checks_and_tests(
    migrated: Path, no_celery: dict[str, str], command: list[str]
) -> None:
    completed = run(migrated, no_celery, "manage.py", *command)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    if command[0] == "test":
        # Every test the migrated tests.py defines ran, and passed.
        defined = (migrated / "orders" / "tests.py").read_text().count("\n    def test_")
        assert re.search(rf"^Ran {defined} tests in .*\n\nOK\b", completed.stderr, flags=re.M)


@pytest.mark.broker
def test_a_migrated_example_task_runs_on_weft(
    migrated: Path, no_celery: dict[str, str], weft_context: Path
) -> None:
    tasks_source = (migrated / "orders" / "tasks.py").read_text()
    assert "@weft_task(bind=True, max_retries=3, default_retry_delay=10)" in tasks_source
    assert "    autoretry_for=(URLError, TimeoutError),\n    max_retries=5," in tasks_source
    assert '@weft_task(queue="emails")' in tasks_source
    views_source = (migrated / "orders" / "views.py").read_text()
    assert 'send_confirmation_email.using(queue="emails", countdown=10).enqueue(' in views_source
    environment = {
        **no_celery,
        "PYTHONPATH": os.pathsep.join([no_celery["PYTHONPATH"], str(migrated)]),
        "WEFT_COMPAT_CONTEXT": str(weft_context),
    }
    completed = run(migrated, environment, "-c", RUN_MIGRATED_TASK)
    assert completed.returncode == 0, completed.stderr[-3000:]
    seen = json.loads(completed.stdout.strip().splitlines()[-1])
    assert seen["state"] == "SUCCESS", seen.get("errors")
    assert seen["name"] == "orders.tasks.compute_order_total"
    assert seen["result"] == {"item_count": 2, "subtotal": 20.0, "tax": 5.0, "total": 25.0}
