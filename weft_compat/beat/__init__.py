"""Periodic tasks: Celery beat's schedules, ticked exactly once however many schedulers run.

The schedule is configured in Celery's shape (`WEFT_COMPAT["BEAT_SCHEDULE"]`,
`add_periodic_task`, `crontab`), bound to its tasks and published in the broker by the
processes that load the deployment's configuration (`_publish`), and ticked by every
mover and `weft-compat beat` (`_ticker`), each tick claimed in the broker by (entry,
due moment) (`_ticks`). See migration_guide/beat.md.

The modules are imported one by one (the lanes import the ticker, the runtime front the
publisher); this package's root imports nothing.
"""
