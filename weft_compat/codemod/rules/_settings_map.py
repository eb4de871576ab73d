"""What each ``CELERY_*`` setting becomes under weft_compat (shared by the settings rules)."""

from __future__ import annotations

_EAGER = (
    'use WEFT_COMPAT = {"TEST_MODE": "immediate"} in test settings, or the weft_immediate '
    "fixture / weft_compat.testing.immediate() (a decorator or a with block)"
)
_BROKER = "delete it: Weft brings its own broker (WEFT_COMPAT['CONTEXT'] picks its directory)"
_JSON = (
    "delete it: weft_compat always serialises with JSON, so arguments a pickle serializer "
    "took (model instances, objects, sets) fail when the call is enqueued; WC215 reports "
    "the calls it can tell, pass primary keys or plain values there"
)
_WORKER = "delete it: pools run as Weft tasks (`weft-compat worker`, migration_guide/workers.md)"
_ROUTING = "delete it and set queue= on the tasks that need one"
_IMPORTS = "becomes WEFT_COMPAT['IMPORTS'] (the modules every worker imports at start)"
_CONCURRENCY = "becomes WEFT_COMPAT['QUEUES'][queue]['concurrency']"
_PREFETCH = "becomes WEFT_COMPAT['QUEUES'][queue]['prefetch_multiplier']"
# Celery reads crontab schedules and naive etas in this zone; weft_compat reads the
# schedules in WEFT_COMPAT["TIMEZONE"] and refuses naive datetimes instead.
_TIMEZONE = (
    "becomes WEFT_COMPAT['TIMEZONE'] (the zone crontab schedules run in); weft_compat "
    "refuses naive eta/expires datetimes rather than reading them in it"
)
_AWARE_ONLY = (
    "delete it once every eta/expires datetime is aware: weft_compat refuses naive ones "
    "rather than reading them in a default time zone"
)

# Keys are setting names without the CELERY_ prefix; old (Celery 3) spellings included.
MAPPING = {
    "TASK_ALWAYS_EAGER": _EAGER,
    "ALWAYS_EAGER": _EAGER,
    "TASK_EAGER_PROPAGATES": "use weft_compat.testing.immediate(propagate=True) in tests",
    "EAGER_PROPAGATES_EXCEPTIONS": "use weft_compat.testing.immediate(propagate=True) in tests",
    "TASK_TIME_LIMIT": "becomes WEFT_COMPAT['DEFAULT_TIMEOUT'] (seconds)",
    "TASK_SOFT_TIME_LIMIT": "set soft_time_limit= on the tasks that need one",
    "BROKER_URL": _BROKER,
    "BROKER_TRANSPORT_OPTIONS": _BROKER,
    "BROKER_CONNECTION_RETRY_ON_STARTUP": _BROKER,
    "RESULT_BACKEND": _BROKER,
    "RESULT_EXPIRES": "becomes WEFT_COMPAT['RESULT_EXPIRES'] (seconds or a timedelta)",
    "IMPORTS": _IMPORTS,
    "INCLUDE": _IMPORTS,
    "RESULT_EXTENDED": (
        "becomes WEFT_COMPAT['RESULT_EXTENDED'] (True also stores each call's args, "
        "kwargs, queue, worker host and start time with its outcome)"
    ),
    "CACHE_BACKEND": _BROKER,
    "TASK_SERIALIZER": _JSON,
    "RESULT_SERIALIZER": _JSON,
    "ACCEPT_CONTENT": _JSON,
    "TIMEZONE": _TIMEZONE,
    "ENABLE_UTC": _AWARE_ONLY,
    "TASK_DEFAULT_QUEUE": "becomes WEFT_COMPAT['DEFAULT_QUEUE']",
    "TASK_ROUTES": _ROUTING,
    "TASK_QUEUES": _ROUTING,
    "TASK_IGNORE_RESULT": "delete it and set ignore_result=True on the tasks that need it",
    "TASK_TRACK_STARTED": "delete it: Weft reports running tasks as STARTED",
    "TASK_ACKS_LATE": "delete it: the pooled lane redelivers lost calls by default",
    "WORKER_CONCURRENCY": _CONCURRENCY,
    "CELERYD_CONCURRENCY": _CONCURRENCY,
    "WORKER_PREFETCH_MULTIPLIER": _PREFETCH,
    "CELERYD_PREFETCH_MULTIPLIER": _PREFETCH,
    "WORKER_MAX_TASKS_PER_CHILD": _WORKER,
    "WORKER_HIJACK_ROOT_LOGGER": _WORKER,
    "WORKER_SEND_TASK_EVENTS": _WORKER,
    "TASK_SEND_SENT_EVENT": "delete it: Weft records every lifecycle event",
}
# Beat settings belong to the beat rule, with its own advice.
BEAT = frozenset({"BEAT_SCHEDULE", "BEAT_SCHEDULER", "BEAT_MAX_LOOP_INTERVAL"})
PREFIXES = ("CELERY_", "CELERYD_", "CELERYBEAT_")


def setting_key(name: str) -> str | None:
    """``TASK_ALWAYS_EAGER`` for ``CELERY_TASK_ALWAYS_EAGER``; None for other names."""
    for prefix in PREFIXES:
        if name.startswith(prefix) and name.isupper():
            key = name.removeprefix("CELERY_")
            return None if key in BEAT or prefix == "CELERYBEAT_" else key
    return None


def advice(key: str) -> str:
    """What to do with the setting ``CELERY_<key>``."""
    if key in MAPPING:
        return MAPPING[key]
    if key.startswith("WORKER_") or key.startswith("CELERYD_"):
        return _WORKER
    if key.startswith(("BROKER_", "RESULT_", "REDIS_")):
        return _BROKER
    return MAPPING.get(key, "no weft_compat counterpart; delete it once nothing reads it")


# ``app.conf`` keys (Celery's lower-case names) with a WEFT_COMPAT counterpart.
CONF_KEYS = {
    "imports": _IMPORTS,
    "include": _IMPORTS,
    "result_expires": MAPPING["RESULT_EXPIRES"],
    "result_extended": MAPPING["RESULT_EXTENDED"],
    "task_time_limit": MAPPING["TASK_TIME_LIMIT"],
    "task_default_queue": MAPPING["TASK_DEFAULT_QUEUE"],
}


def conf_advice(key: str) -> str:
    """What to do with ``app.conf.<key>`` (or ``Celery(<key>=...)``)."""
    return CONF_KEYS.get(key, "move what still matters to WEFT_COMPAT and delete the rest")
