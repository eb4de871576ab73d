"""Several worker hosts and one PostgreSQL broker, on this machine, for a test's lifetime.

Production with PostgreSQL runs the web on one host and `weft-compat worker` on others,
all sharing one PostgreSQL broker. These fixtures build that for one test: a Linux
bridge on a free private /24 (`10.213.X.0/24`), a network namespace per worker host with
a veth on the bridge, and a PostgreSQL server of the test's own that listens on the
bridge's address. The test process is the web host: it sits on the bridge's address and
reaches the server with the same DSN as the workers. Traffic never leaves the machine:
the hosts have no default route and the machine does not forward. Everything is removed
when the test ends, passes or fails.

Fixtures (`tests/hosts/conftest.py`; `pytest -p tests.hosts.fixtures` elsewhere), all
per test:

- `host_network -> Network`: `.hosts`, `.bridge` (`wc-<token>-br`), `.subnet`,
  `.address` (the machine's address on the bridge, `10.213.X.1`).
- `hosts -> list[Host]`: `host_network.hosts`, two unless `@pytest.mark.hosts(count=N)`.
- `pg_server -> PostgresServer`: `.dsn(database)`, `.create_database(name) -> dsn`,
  `.connect(database)` (autocommit psycopg connection over the server's unix socket),
  `.log()`, `.address`, `.port` (5432 unless taken), `.directory`, `.postmaster`.
- `pg_dsn -> str`: `postgresql://postgres@10.213.X.1:5432/weft_compat`, a database made
  for the test (superuser `postgres`, trust authentication, no password).

Every test that uses them carries `@pytest.mark.hosts` (a test without it fails): tox
runs these tests in py312-django61 only. Where the machine cannot build hosts (not root,
no `ip`, no `initdb`, namespaces refused) they skip with the reason, and fail with it
under `WEFT_COMPAT_REQUIRE_SERVICES=1`, as CI sets.

A `Host` (`wc-<token>-h<N>`, address `10.213.X.(10+N)`):

- `run(argv, env=None, **popen_kwargs) -> Popen` starts a command inside the namespace
  (`ip netns exec`); `python(*args, ...)` runs `sys.executable`. `env` adds to the test
  process's environment; the working directory defaults to `host.home`, output to a log
  in `host.home/logs` (`host.log(process)` reads it), and the process gets a session of
  its own. The Popen's PID is the command's own.
- `kill_all() -> pids` SIGKILLs every process in the namespace by PID (listed with
  `ip netns pids`, signalled through a pidfd after checking the namespace) until none is
  left, and reaps what `run` started. `pids()` lists them.
- `link_down()` / `link_up()` take the bridge end of the host's veth down and up: the
  host keeps its address and processes but no packet passes either way, as with a pulled
  cable.
- `close()` kills what is left, deletes the namespace, its veth and its `/dev/shm`;
  idempotent, and run by the fixture's teardown.

A host is a machine of its own to `weft_compat`: its own network namespace (so its own
`host_id()` in lease registries), host name (the namespace's name) and `/dev/shm` (so
doorbells and slot tables are per host). It shares the file system, users and PID space
with the machine: give each host its own Weft context directory (`host.home` is there
for that), and put the repository on `PYTHONPATH` when its processes import test modules
(`host.home` is their working directory). They inherit `DJANGO_SETTINGS_MODULE` and any
`WEFT_COMPAT_*` variable the test process has, unless `env` overrides it.

Writing the PostgreSQL cases on top:

    @pytest.mark.hosts
    def test_two_hosts_drain_calls_and_each_runs_once(hosts, pg_server, pg_dsn):
        env = {"WEFT_COMPAT_BROKER": pg_dsn, "PYTHONPATH": str(REPO), ...}
        workers = [
            host.python("-m", "weft_compat", "worker", "-Q", "default", "-c", "2",
                        "-I", "tests.hosts.tasks",
                        env={**env, "WEFT_COMPAT_CONTEXT": str(host.home)})
            for host in hosts
        ]
        # enqueue 2,000 calls from the test process with the same broker, then read
        # what ran where from a table the task writes (pg_server.connect("weft_compat")).

- Two hosts drain 2,000 calls: as above; a task that records (call id, host name) in a
  table with a unique call id shows every call ran once, and on which host.
- SIGKILL one host's whole worker mid-run: `hosts[0].kill_all()` once some calls ran
  there; its lease lapses after 10 s and the other host's scan (every 10 s) releases its
  calls, so allow 30 s or more before asserting that they finished on `hosts[1]`.
- Take one host's link down mid-run: `hosts[0].link_down()`. Its processes keep running
  and come back when the link does (`link_up()`), so assert what the delivery rules
  promise for the calls it held; teardown kills them either way.
- Revoke across hosts: enqueue from the test, revoke from the test or from another host
  (`hosts[1].python("-c", ...)`) while the call runs on `hosts[0]`.
- Deferred calls, retry chains and Django's `on_commit` need only `pg_dsn` (or another
  database: `pg_server.create_database("django")` for the test project's DATABASES);
  the machine's loopback PostgreSQL on 127.0.0.1:5432 is not reachable from the hosts.

What to know about the server and the network:

- The server is PostgreSQL from `initdb`/`pg_ctl` (found on PATH, via `pg_config`, under
  `/usr/lib/postgresql/*/bin`, or in `WEFT_COMPAT_PG_BINDIR`), run as the `postgres`
  system user in `/tmp/wc-pg-*` (the cluster in `data/`, the log in `server.log`).
  Durability stays at the defaults (`fsync`, `synchronous_commit` on); stopping it
  (`pg_ctl stop -m fast`, its shutdown checkpoint) takes most of the teardown's second.
- `max_connections` is 200 (`DEFAULT_SETTINGS`; `postgres_server(settings=...)` changes
  it): simplebroker-pg keeps up to three pooled connections and a LISTEN connection per
  process.
- TCP keepalives and timeouts are the kernel's defaults in every namespace: across a
  downed link a connection with no `tcp_user_timeout` or keepalive stalls for about
  15 minutes (`tcp_retries2` = 15) before it fails, on the host and on the server, and
  the server keeps that session's locks meanwhile.
- SIGTERM to a pytest run that uses these fixtures ends it like Ctrl-C, so the session's
  end can sweep what it made (`tests.hosts.leftovers`). After a SIGKILL, remove the
  remains by hand: `ip netns delete wc-...` for each `ip netns list` entry of that run,
  `ip link delete wc-...-br`, `pg_ctl -D /tmp/wc-pg-.../data stop` as `postgres`, and
  the `/tmp/wc-pg-*` and `/dev/shm/wc-*` directories.
"""
