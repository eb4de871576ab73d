"""Dropping the imports a rewrite left unused: mentions in code count, prose does not."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.codemod.tools import check_rewritten
from weft_compat.codemod.imports import unused_after_rewrite

IMPORT = "from celery import Celery\n"


@pytest.mark.parametrize(
    "rest",
    [
        "app = Celery()\n",
        '"""The Celery app."""\napp = Celery()\n',
        "# Celery needs this\napp = Celery()\n",
        "app = Celery()  # Celery(...) builds it\n",
        "x = 'a Celery app'\napp = Celery()\n",
    ],
)
def test_a_name_mentioned_only_in_prose_is_unused(rest: str) -> None:
    assert unused_after_rewrite(Counter({"Celery": 1}), IMPORT + rest) == {"Celery"}


@pytest.mark.parametrize(
    "rest",
    [
        "app = Celery()\nother = Celery()\n",
        '"""The Celery app."""\napp = Celery()\nkind = Celery\n',
        "app = Celery()\n__all__ = ['Celery']\n",
        'app = Celery()\nfactory = getattr(module, "Celery")\n',
        "app = Celery()\nvalue = thing.Celery\n",
        "app = Celery()\nprint(f'{Celery}')\n",
    ],
)
def test_a_name_still_mentioned_in_code_is_kept(rest: str) -> None:
    assert unused_after_rewrite(Counter({"Celery": 1}), IMPORT + rest) == set()


def test_a_docstring_naming_the_decorator_does_not_keep_its_import() -> None:
    check_rewritten(
        '''\
        """Tasks, each a shared_task."""
        from celery import shared_task

        @shared_task
        def f():
            pass
        ''',
        '''\
        """Tasks, each a shared_task."""
        from weft_compat import weft_task

        @weft_task
        def f():
            pass
        ''',
        ("task_decorator",),
    )
