"""Which broker backend a deployment uses: Weft's SQLite (the default) or its PostgreSQL.

The `BROKER` setting (or `WEFT_COMPAT_BROKER`, which also serves a Django project whose
settings do not name one) names a PostgreSQL database by DSN and
`BROKER_SCHEMA` the schema Weft's tables live in (created on first use). The password
comes from the DSN or from Weft's own `WEFT_BACKEND_PASSWORD`; it is handed to Weft and
to the processes weft_compat starts through their environment, and never appears in a
message, a command line or an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from weft_compat._config import (
    BROKER_ENV_VAR,
    BROKER_SCHEMA_ENV_VAR,
    Settings,
    current_settings,
    without_password,
)
from weft_compat.exceptions import BrokerUnavailable, InvalidOptionValue

__all__ = ["PASSWORD_ENV_VAR", "Backend", "backend"]

PASSWORD_ENV_VAR: Final = "WEFT_BACKEND_PASSWORD"
_CONNECT_SECONDS: Final = 5
# libpq's TCP settings a DSN gets unless it names them.
_TCP_DEFAULTS: Final = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "3",
    "tcp_user_timeout": "10000",
}


@dataclass(frozen=True, slots=True)
class Backend:
    """A PostgreSQL broker: where it is (without the password), its schema and password."""

    target: str
    host: str
    port: int
    database: str
    schema: str
    password: str | None = None

    def weft_config(self) -> dict[str, Any]:
        """The keys that point a Weft context at this broker."""
        config: dict[str, Any] = {
            "BACKEND": "postgres",
            "BACKEND_TARGET": self.target,
            "BACKEND_SCHEMA": self.schema,
        }
        if self.password is not None:
            config["BACKEND_PASSWORD"] = self.password
        return config

    def environment(self) -> dict[str, str]:
        """The variables a process weft_compat starts needs to reach this broker."""
        variables = {BROKER_ENV_VAR: self.target, BROKER_SCHEMA_ENV_VAR: self.schema}
        if self.password is not None:
            variables[PASSWORD_ENV_VAR] = self.password
        return variables

    def describe(self) -> str:
        """Where the broker is, for messages: host, port, database and schema."""
        return f"PostgreSQL at {self.host}:{self.port}/{self.database} (schema {self.schema!r})"

    def check(self) -> None:
        """Connect once (within a few seconds) and raise `BrokerUnavailable` if that fails.

        Weft's own pool would retry for a minute and a half before it said so.
        """
        try:
            import psycopg  # The PostgreSQL driver comes with weft[pg], an extra.
        except ImportError as exc:
            raise BrokerUnavailable(
                f"the broker is {self.describe()}, but the PostgreSQL driver is not "
                "installed; install it with pip install 'weft-compat[postgres]'"
            ) from exc
        try:
            psycopg.connect(
                self.target, password=self.password, connect_timeout=_CONNECT_SECONDS
            ).close()
        except psycopg.Error as exc:
            # psycopg's message may quote the DSN; only the reason's class is kept.
            raise BrokerUnavailable(
                f"cannot reach the broker, {self.describe()}: {type(exc).__name__}; check "
                "WEFT_COMPAT['BROKER'] (or WEFT_COMPAT_BROKER), that the server runs and that "
                "the password is right (WEFT_BACKEND_PASSWORD)"
            ) from None


def backend(settings: Settings | None = None) -> Backend | None:
    """The PostgreSQL broker the settings (default: those in force) name, or None for
    Weft's SQLite.

    The setting wins; without it, `WEFT_COMPAT_BROKER` (and `WEFT_COMPAT_BROKER_SCHEMA`)
    from the environment, also in a Django project (containers configure that way).
    """
    settings = settings if settings is not None else current_settings()
    if settings.BROKER is not None:
        return _parse(settings.BROKER, settings.BROKER_SCHEMA)
    dsn = os.environ.get(BROKER_ENV_VAR)
    if not dsn:
        return None
    if not dsn.startswith(("postgresql://", "postgres://")):
        raise InvalidOptionValue(
            f"{BROKER_ENV_VAR}={without_password(dsn)!r} is not a PostgreSQL DSN; write it "
            "as postgresql://user@host:5432/database"
        )
    return _parse(dsn, os.environ.get(BROKER_SCHEMA_ENV_VAR) or settings.BROKER_SCHEMA)


def _parse(dsn: str, schema: str) -> Backend:
    parts = urlsplit(dsn)
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise InvalidOptionValue(
            f"BROKER={without_password(dsn)!r} names no host or database; write it as "
            "postgresql://user@host:5432/database"
        )
    password = unquote(parts.password) if parts.password else os.environ.get(PASSWORD_ENV_VAR)
    return Backend(
        target=_with_tcp_defaults(without_password(dsn)),
        host=parts.hostname,
        port=parts.port or 5432,
        database=database,
        schema=schema,
        password=password,
    )


def _with_tcp_defaults(dsn: str) -> str:
    # A worker host whose link is cut must find out in seconds (to fence itself, see
    # migration_guide/deployment.md), not after the kernel's fifteen minutes of retries.
    parts = urlsplit(dsn)
    query = dict(parse_qsl(parts.query))
    for name, value in _TCP_DEFAULTS.items():
        query.setdefault(name, value)
    return urlunsplit(parts._replace(query=urlencode(query)))
