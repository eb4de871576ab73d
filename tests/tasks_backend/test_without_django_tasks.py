"""Without `django.tasks` (Django before 6.0), weft_compat still imports, and the backend
says what is missing (run here with `django.tasks` hidden, so it holds on Django 6 too)."""

from __future__ import annotations

from tests.conftest import run_python

SCRIPT = """
import sys
sys.modules["django.tasks"] = None  # What an `import django.tasks` finds before Django 6.
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django_project.settings"
import django
django.setup()
import weft_compat, weft_compat.django.apps, weft_compat.django.views, weft_compat.testing
from django.core.exceptions import ImproperlyConfigured
try:
    import weft_compat.django.backend
except ImproperlyConfigured as exc:
    print(exc)
"""


def test_weft_compat_imports_and_the_backend_names_the_django_it_needs() -> None:
    done = run_python(SCRIPT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "needs django.tasks" in done.stdout
    assert "upgrade to Django 6.0 or later" in done.stdout
