"""`WEFT_COMPAT` settings: validated with errors that quote the key, and autodiscovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from weft_compat._config import context_path, current_settings
from weft_compat._registry import registered_names


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"TEST_MODE": "eager"}, "WEFT_COMPAT['TEST_MODE'] = 'eager' is invalid"),
        ({"DEFAULT_TIMEOUT": -5}, "WEFT_COMPAT['DEFAULT_TIMEOUT'] = -5 is invalid"),
        ({"CONTXT": "/srv"}, "WEFT_COMPAT['CONTXT'] = '/srv' is invalid: known keys are"),
        (["CONTEXT"], "must be a dict"),
        (
            {"QUEUES": {"bulk": {"prefetch_multiplier": 0}}},
            "WEFT_COMPAT['QUEUES.bulk.prefetch_multiplier'] = {'bulk': "
            "{'prefetch_multiplier': 0}} is invalid",
        ),
    ],
)
def test_invalid_settings_raise_improperly_configured_quoting_the_key(
    value: Any, message: str
) -> None:
    with override_settings(WEFT_COMPAT=value), pytest.raises(ImproperlyConfigured) as raised:
        current_settings()
    assert message in str(raised.value)


def test_a_queue_prefetches_four_calls_per_process_unless_set() -> None:
    with override_settings(WEFT_COMPAT={"QUEUES": {"bulk": {"prefetch_multiplier": 16}}}):
        settings = current_settings()
        assert settings.queue_config("bulk")[1].prefetch_multiplier == 16
        assert settings.queue_config("other")[1].prefetch_multiplier == 4


def test_the_context_setting_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WEFT_COMPAT_CONTEXT", "/from/environment")
    with override_settings(WEFT_COMPAT={"CONTEXT": str(tmp_path)}):
        assert context_path() == str(tmp_path)
    assert context_path() == "/from/environment"
    monkeypatch.delenv("WEFT_COMPAT_CONTEXT")
    assert context_path() is None


def test_default_timeout_applies_to_tasks_without_a_limit() -> None:
    from tests import broker_tasks

    with override_settings(WEFT_COMPAT={"DEFAULT_TIMEOUT": 45}):
        assert broker_tasks.add.taskspec_template["spec"]["timeout"] == 45
    assert "timeout" not in broker_tasks.add.taskspec_template["spec"]


def test_tasks_modules_of_installed_apps_are_autodiscovered() -> None:
    assert "testapp.confirm_order" in registered_names()
