"""Choosing the broker: DSNs are checked, and a password never shows in a message."""

from __future__ import annotations

import pytest

from weft_compat._config import validate_settings, without_password
from weft_compat.exceptions import InvalidOptionValue


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/app", "postgresql://app@db:5432/app"),
        ("postgresql://app:s3cret@[::1]:5432/app", "postgresql://app@[::1]:5432/app"),
        ("postgresql://app:p%40ss@db/app", "postgresql://app@db/app"),
        ("postgresql://:s3cret@db/app", "postgresql://db/app"),
        ("postgresql://app@db/app", "postgresql://app@db/app"),
        ("postgresql://app:s3cret@[::1/app", "postgresql://app@[::1/app"),
    ],
)
def test_a_dsn_is_shown_without_its_password(dsn: str, shown: str) -> None:
    assert without_password(dsn) == shown


def test_a_misspelt_broker_setting_is_refused_without_echoing_the_password() -> None:
    with pytest.raises(InvalidOptionValue, match="postgress://app@db/app") as raised:
        validate_settings({"BROKER": "postgress://app:s3cret@db/app"}, where="WEFT_COMPAT")
    assert "s3cret" not in str(raised.value)
