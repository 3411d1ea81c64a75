"""Several counters, one RA: N counters enrolling at once against ONE PostgreSQL server and ONE
signing service while OCSP is under load from a compiled client (issue 9, item 6).

Set-up (not timed), all on this machine:

- a private PostgreSQL server (the same ``initdb`` + private socket/port as the tests in
  ``tests/integration/postgres/``), durable by default (``fsync``/``synchronous_commit`` on;
  ``--fast-db`` keeps the tests' non-durable settings);
- the signing host's data dir on that database through the real CLI (``init``, operators,
  ``ca init``, ``est init``, ``est server-cert``, one ``est counter-cert`` per counter plus one for
  the load generator), then ``counter-app est serve``: EST over mutual TLS, OCSP beside it;
- each counter a separate process (``multiprocessing`` spawn) with its own SoftHSM2 token store
  and token, its own client certificate, the store on the same database, and ``ESTSigning`` as
  its signing module, i.e. what ``counter-app --ca-url ... enroll`` does, minus the process start
  and the sign-ins (done once per counter, not timed).

Each phase runs for ``--duration`` seconds: the N counters enroll back to back (a new individual
subscriber each time, EC P-256 key made on the token), while ``ab`` (apache2-utils) POSTs one
OCSP request at ``-c --ocsp-concurrency`` to the same service, a new connection per request
(``--ocsp-via est``: ``est serve --ocsp-port``'s own OCSP worker process, plain HTTP as relying
parties ask; ``--ocsp-via est-tls``: the EST process itself, over TLS with a client certificate;
``--ocsp-via serve``:
a ``counter-app serve`` beside it on the same data dir and database, plain HTTP, as
``docs/deployment.md`` deploys OCSP). Two peer rows measured in the same run: OCSP alone (no
counter) and one counter alone (no OCSP load).

Printed per phase: enrollments/s and p99 enrollment latency, OCSP responses/s and p99, CPU of
each part (% of one core; the machine has ``os.cpu_count()`` cores) and each enrollment's time
split into token work (key pair, CSR signature, certificate write + read-back on SoftHSM), the
EST round trip (TLS request to the service, which signs and commits) and the counter's own
database transactions; "other" is the rest (validation, PKCS#11 session and login, Python).

    .venv/bin/python bench/counters.py [--counters 1,2,4,8] [--duration 20]
        [--ocsp-concurrency 4] [--ocsp-via est|est-tls|serve] [--fast-db] [--no-peers]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the PostgreSQL server helper of the tests is reused below

BIN = Path(sys.executable).parent
ADMIN_PASS = "Adm1n-bench-pass"
CLERK, CLERK_PASS = "clerk1", "Clerk-pass1"
SUPERVISOR, SUPERVISOR_PASS = "sup1", "Super-pass1"  # `ca issue` needs a supervisor's sign-in
REVIEWER, REVIEWER_PASS = "rev1", "Review-pass1"
CA_PASS = "bench-CA-pass1"
TLS_PASS = "bench-TLS-pass1"
CLIENT_PASS = "bench-client-pass1"
SO_PIN, USER_PIN = "87654321", "246813"  # bench set-up only: softhsm2-util takes PINs on argv
TICK = os.sysconf("SC_CLK_TCK")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


# --- set-up ------------------------------------------------------------------------------


@dataclass
class Site:
    root: Path
    data_dir: Path
    db_url: str
    pg: Any  # tests.integration.postgres.conftest.PostgresServer
    tls: dict[str, str]
    clients: list[dict[str, str]]  # one client certificate per counter
    loader: dict[str, str]  # the load generator's client certificate
    procs: list[subprocess.Popen[str]] = field(default_factory=list)


def cli(site_env: dict[str, str], data_dir: Path, *args: str, **extra: str) -> str:
    done = subprocess.run(
        [str(BIN / "counter-app"), "--data-dir", str(data_dir), *args],
        env={**site_env, **extra},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise SystemExit(f"counter-app {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def base_env(root: Path, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTER_APP_")}
    return {**env, "HOME": str(root / "home"), "COUNTER_APP_DB_URL": db_url}


def make_site(root: Path, max_counters: int, durable: bool) -> Site:
    from tests.integration.postgres.conftest import _make_server

    pg = _make_server()
    if durable:
        # The tests' server trades durability for speed; a bench of commits must not.
        with pg.admin() as conn:
            for name in ("fsync", "synchronous_commit", "full_page_writes"):
                conn.execute(f"ALTER SYSTEM SET {name} = on")
            conn.execute("SELECT pg_reload_conf()")
    db_url = pg.url(pg.create_database())
    data = root / "signing"
    env = base_env(root, db_url)
    (root / "home").mkdir()
    cli(env, data, "init", COUNTER_APP_PASSWORD=ADMIN_PASS)
    admin = {"COUNTER_APP_OPERATOR": "admin", "COUNTER_APP_PASSWORD": ADMIN_PASS}
    for name, role, password in (
        (CLERK, "clerk", CLERK_PASS),
        (REVIEWER, "reviewer", REVIEWER_PASS),
        (SUPERVISOR, "supervisor", SUPERVISOR_PASS),
    ):
        cli(
            env,
            data,
            "operator",
            "add",
            name,
            "--role",
            role,
            **admin,
            COUNTER_APP_NEW_PASSWORD=password,
        )
    cli(env, data, "ca", "init", COUNTER_APP_CA_PASSPHRASE=CA_PASS)
    cli(env, data, "est", "init", COUNTER_APP_CA_PASSPHRASE=CA_PASS)
    tls = json.loads(
        cli(
            env, data, "est", "server-cert", "signing", "--host", "127.0.0.1",
            "--out", str(root / "tls"),
            COUNTER_APP_CA_PASSPHRASE=CA_PASS, COUNTER_APP_TLS_KEY_PASSPHRASE=TLS_PASS,
        )
    )  # fmt: skip
    # Client certificates straight from the counter-client CA (the same code `est counter-cert`
    # runs, without a process start per counter).
    from counter_app.server.counter_ca import CounterCA

    ca = CounterCA.in_data_dir(data)
    clients = []
    for i in range(max_counters + 1):
        name = f"counter-{i + 1:02d}" if i < max_counters else "ocsp-load"
        pair = ca.issue(name, root / "clients", ca_passphrase=CA_PASS, key_passphrase=CLIENT_PASS)
        clients.append({"cert": str(pair.cert), "key": str(pair.key), "trust": str(pair.trust)})
    return Site(root, data, db_url, pg, tls, clients[:-1], clients[-1])


def start_service(site: Site, ocsp_workers: bool) -> tuple[str, str | None]:
    """(EST URL, URL of its own OCSP workers or None): `est serve` started."""
    env = base_env(site.root, site.db_url) | {
        "COUNTER_APP_CA_PASSPHRASE": CA_PASS,
        "COUNTER_APP_TLS_KEY_PASSPHRASE": TLS_PASS,
    }
    extra = ["--ocsp-port", "0"] if ocsp_workers else []
    proc = subprocess.Popen(
        [
            str(BIN / "counter-app"), "--data-dir", str(site.data_dir), "est", "serve",
            "--port", "0", "--tls-cert", site.tls["cert"], "--tls-key", site.tls["key"], *extra,
        ],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    site.procs.append(proc)
    assert proc.stderr is not None
    ocsp_url = None
    if ocsp_workers:
        line = proc.stderr.readline()
        found = re.search(r"serving OCSP on (http://\S+)", line)
        if not found:
            raise SystemExit("est serve did not start its OCSP workers: " + line)
        ocsp_url = found.group(1)
    line = proc.stderr.readline()
    match = re.search(r"serving EST on (https://\S+)", line)
    if not match:
        raise SystemExit("est serve did not start: " + line + proc.stderr.read())
    return match.group(1), ocsp_url


def child_pids(pid: int) -> list[int]:
    """The processes `pid` forked (est serve's OCSP workers), for the CPU accounting."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in children.read_text().split()] if children.exists() else []


def start_plain_serve(site: Site) -> str:
    env = base_env(site.root, site.db_url) | {"COUNTER_APP_CA_PASSPHRASE": CA_PASS}
    proc = subprocess.Popen(
        [str(BIN / "counter-app"), "--data-dir", str(site.data_dir), "serve", "--port", "0"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    site.procs.append(proc)
    assert proc.stderr is not None
    match = re.search(r"serving on (http://\S+)", proc.stderr.readline())
    if not match:
        raise SystemExit("counter-app serve did not start")
    return match.group(1)


def ocsp_request(site: Site, out: Path) -> None:
    """An OCSP request (no nonce) for a certificate the signing service issued."""
    from benchlib import bench_csr, openssl_ocsp
    from cryptography.hazmat.primitives import serialization

    from counter_app.ca import CAFiles

    _, csr = bench_csr()
    csr_path, leaf = site.root / "ocsp-leaf.csr", site.root / "ocsp-leaf.pem"
    csr_path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    cli(
        base_env(site.root, site.db_url), site.data_dir, "ca", "issue", "--csr", str(csr_path),
        "--profile", "individual", "--cn", "OCSP Bench", "--out", str(leaf),
        COUNTER_APP_CA_PASSPHRASE=CA_PASS, COUNTER_APP_SUPERVISOR=SUPERVISOR,
        COUNTER_APP_SUPERVISOR_PASSWORD=SUPERVISOR_PASS, COUNTER_APP_REVIEWER=REVIEWER,
        COUNTER_APP_REVIEWER_PASSWORD=REVIEWER_PASS,
    )  # fmt: skip
    issuing = CAFiles.in_data_dir(site.data_dir).cert("issuing")
    openssl_ocsp(issuing, leaf, "-reqout", str(out), check=True)


def ab_client_pem(site: Site) -> Path:
    """ab -E wants the certificate and an unencrypted key in one file: a bench-only copy."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(
        Path(site.loader["key"]).read_bytes(), CLIENT_PASS.encode()
    )
    path = site.root / "ab-client.pem"
    path.touch(mode=0o600)
    plain = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(Path(site.loader["cert"]).read_bytes() + plain)
    return path


def check_ocsp_answer(url: str, site: Site, request: Path, tls: bool) -> None:
    """The endpoint under load answers SUCCESSFUL/GOOD (judged by cryptography's parser)."""
    import ssl

    import httpx
    from cryptography.x509 import ocsp

    verify: ssl.SSLContext | bool = False
    if tls:
        verify = ssl.create_default_context(cafile=site.loader["trust"])
        verify.load_cert_chain(site.loader["cert"], site.loader["key"], password=CLIENT_PASS)
    answer = httpx.post(
        url,
        content=request.read_bytes(),
        headers={"content-type": "application/ocsp-request"},
        verify=verify,
        timeout=30,
    )
    parsed = ocsp.load_der_ocsp_response(answer.content)
    assert parsed.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL, parsed.response_status
    assert parsed.certificate_status == ocsp.OCSPCertStatus.GOOD, parsed.certificate_status


# --- CPU accounting ----------------------------------------------------------------------


def cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def machine_cpu() -> tuple[float, float]:
    """(busy, iowait) CPU seconds of the whole machine so far, all cores (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICK, iowait / TICK


def wal_and_commits(site: Site) -> tuple[int, int]:
    """(WAL syncs of the cluster, committed transactions of the bench database) so far."""
    database = site.db_url.split("@/", 1)[1].split("?", 1)[0]
    sync = site.pg.sql(database, "SELECT wal_sync FROM pg_stat_wal")[0][0]
    commits = site.pg.sql(
        database, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
    )[0][0]
    return int(sync), int(commits)  # type: ignore[call-overload]


def raw_fdatasync_rate(directory: Path, seconds: float = 2.0) -> float:
    """The disk's raw limit for durable commits: 8 KiB write + fdatasync per op, one writer."""
    path = directory / "fsync-probe"
    block = os.urandom(8192)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        count, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            os.pwrite(fd, block, 0)
            os.fdatasync(fd)
            count += 1
        return count / (time.perf_counter() - t0)
    finally:
        os.close(fd)
        path.unlink()


class WaitSampler:
    """Samples pg_stat_activity every 50 ms: how many backends are running, and how many of
    them wait for a lock (row or transaction lock: one counter waiting for another's commit)."""

    def __init__(self, site: Site) -> None:
        import threading

        self._site, self._stop = site, threading.Event()
        self.samples: list[tuple[int, int]] = []
        self.waiting_on: collections.Counter[str] = collections.Counter()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psycopg

        pg = self._site.pg
        with psycopg.connect(
            host=str(pg.sockdir), port=pg.port, user=pg.superuser, dbname="postgres",
            autocommit=True,
        ) as conn:  # fmt: skip
            while not self._stop.wait(0.05):
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE state = 'active'),"
                    " count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock')"
                    " FROM pg_stat_activity WHERE backend_type = 'client backend'"
                    " AND pid <> pg_backend_pid()"
                ).fetchone()
                assert row is not None
                self.samples.append((int(row[0]), int(row[1])))
                for (query,) in conn.execute(
                    "SELECT query FROM pg_stat_activity WHERE state = 'active'"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                ).fetchall():
                    self.waiting_on[_table_of(str(query))] += 1

    def means(self) -> tuple[float, float]:
        if not self.samples:
            return 0.0, 0.0
        return (
            statistics.fmean(a for a, _ in self.samples),
            statistics.fmean(w for _, w in self.samples),
        )


def _table_of(query: str) -> str:
    """'SELECT ... FROM audit_head ... FOR UPDATE' -> 'audit_head FOR UPDATE'."""
    match = re.search(r"\b(?:FROM|UPDATE|INTO)\s+(\w+)", query)
    table = match.group(1) if match else query[:40]
    return table + (" FOR UPDATE" if "FOR UPDATE" in query else "")


def postgres_pids(site: Site) -> list[int]:
    master = int((site.pg.datadir / "postmaster.pid").read_text().split()[0])
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
    return pids


# --- one simulated counter (runs in its own process) ------------------------------------


def individual(first17: str) -> dict[str, Any]:
    number = (
        first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    )
    data = json.loads((REPO / "resources/examples/enroll-individual.json").read_text("utf-8"))
    data["subscriber"].update(id_number=number, social_insurance_number=number)
    data["documents"][0]["number"] = number
    return data


def counter_main(job: dict[str, Any], start: Any) -> dict[str, Any]:
    """Enroll back to back for ``duration`` s after ``start``; per-enrollment times (s)."""
    try:
        return _counter(job, start)
    except Exception as exc:  # reported to the parent, which stops on it
        message = exc.message("en") if hasattr(exc, "message") else repr(exc)
        raise RuntimeError(f"counter {job['index']}: {message}") from None


def _counter(job: dict[str, Any], start: Any) -> dict[str, Any]:
    import datetime as dt
    import resource

    root = Path(job["root"])
    (root / "tokens").mkdir(parents=True)
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    label = f"COUNTER{job['index']:02d}"
    # Each counter under its own name (its payments', and its own audit chain where the code
    # has one per counter).
    os.environ["COUNTER_APP_COUNTER"] = label
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label,
         "--so-pin", SO_PIN, "--pin", USER_PIN],
        check=True, capture_output=True, env=os.environ,
    )  # fmt: skip

    from counter_app.config import load_config
    from counter_app.services import issuance, operators
    from counter_app.services.context import ServiceContext
    from counter_app.services.enroll import EnrollRequest, enroll
    from counter_app.services.est_client import ESTSettings, ESTSigning
    from counter_app.services.pipeline import Operators
    from counter_app.services.tokens import TokenChoice
    from counter_app.store.db import open_store
    from counter_app.token import TokenSession, open_token

    spent = {"keygen": 0.0, "csr": 0.0, "write": 0.0, "est": 0.0, "db": 0.0}

    def timed(part: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - t

        return wrapper

    # Bench-only instrumentation of this process: each part's time, nothing else changed.
    TokenSession.generate_key_pair = timed("keygen", TokenSession.generate_key_pair)  # type: ignore[method-assign]
    for name in ("write_certificate", "check_certificate_matches"):
        setattr(TokenSession, name, timed("write", getattr(TokenSession, name)))
    issuance.build_csr = timed("csr", issuance.build_csr)  # type: ignore[attr-defined]
    ESTSigning.issue = timed("est", ESTSigning.issue)  # type: ignore[method-assign]

    config = load_config(
        data_dir=root / "data", db_url=job["db_url"], ca_url=job["ca_url"], environ={}
    )
    store = open_store(job["db_url"])
    plain_session = store.session

    @contextlib.contextmanager
    def timed_session(*args: Any) -> Iterator[Any]:
        t = time.perf_counter()
        try:
            with plain_session(*args) as session:
                yield session
        finally:
            spent["db"] += time.perf_counter() - t

    store.session = timed_session  # type: ignore[method-assign]
    client = job["client"]
    settings = ESTSettings(
        job["ca_url"], Path(client["cert"]), Path(client["key"]), Path(client["trust"])
    )
    ctx = ServiceContext(
        config=config.with_(pkcs11_module=job["module"]),
        store=store,
        signing_factory=lambda: ESTSigning(settings, lambda: CLIENT_PASS),
    )
    clerk = operators.authenticate(store, CLERK, CLERK_PASS)
    reviewer = operators.authenticate(store, REVIEWER, REVIEWER_PASS)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=job["phase"] * 40 + job["index"])
    prefix = "110101" + birth.strftime("%Y%m%d")

    def one(seq: int) -> None:
        request = EnrollRequest.parse(
            ctx, individual(f"{prefix}{seq:03d}"), token=TokenChoice(label), pin=USER_PIN
        )
        enroll(ctx, request, Operators(maker=clerk, second=reviewer))

    def hand_over() -> float:
        """The subscriber leaves with the token; the next brings an empty one (not timed)."""
        t = time.perf_counter()
        with open_token(job["module"], label=label).login(USER_PIN) as ts:
            for key in ts.list_keys():
                ts.delete_key_pair(key.key_id)
        return time.perf_counter() - t

    one(0)  # warm-up: connections, imports; not counted
    hand_over()
    start.wait()
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    rows = []
    seq, handing_over = 1, 0.0
    while time.perf_counter() - t0 < job["duration"]:
        before = dict(spent)
        began = time.perf_counter()
        one(seq)
        ended = time.perf_counter()
        parts = {k: spent[k] - before[k] for k in spent}
        handing_over += hand_over()
        # The rate's window leaves the hand-overs out: "end" is busy time since the start.
        rows.append({"total": ended - began, "end": ended - t0 - handing_over, **parts})
        seq += 1
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    store.close()
    return {"rows": rows, "cpu": cpu, "handing_over": handing_over}


# --- a phase: N counters + ab at once ---------------------------------------------------


@dataclass
class Phase:
    counters: int
    ocsp: bool
    enroll_rows: list[dict[str, float]] = field(default_factory=list)
    wall: float = 0.0  # first start to last enrollment's end: the rate's window
    elapsed: float = 0.0  # the window of the CPU, WAL and commit figures
    ocsp_rps: float = 0.0
    ocsp_p99: float = 0.0
    ocsp_non2xx: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    machine: tuple[float, float] = (0.0, 0.0)  # busy, iowait CPU seconds, all cores
    wal_syncs: int = 0
    active_waiting: tuple[float, float] = (0.0, 0.0)  # mean backends active / waiting on a lock
    waiting_on: dict[str, int] = field(default_factory=dict)  # what the waiting ones ran
    commits: int = 0


def run_ab(args: list[str]) -> tuple[subprocess.Popen[str], float]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, time.perf_counter()


def finish_ab(proc: subprocess.Popen[str]) -> tuple[str, float]:
    """Wait for ab and return its report and its own CPU seconds (from wait4's rusage)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"ab failed: {err.strip()}")
    return out, usage.ru_utime + usage.ru_stime


def run_phase(site: Site, number: int, counters: int, opts: argparse.Namespace, ca_url: str,
              ocsp: list[str] | None, server_pids: list[int]) -> Phase:  # fmt: skip
    phase = Phase(counters, ocsp is not None)
    ctx = multiprocessing.get_context("spawn")
    jobs = [
        {
            "index": i, "phase": number, "root": str(site.root / f"p{number}" / f"c{i}"),
            "db_url": site.db_url, "ca_url": ca_url, "client": site.clients[i],
            "module": opts.module, "duration": opts.duration,
        }
        for i in range(counters)
    ]  # fmt: skip
    with ctx.Manager() as manager:
        start = manager.Barrier(counters + 1)
        with ctx.Pool(max(counters, 1)) as pool:
            pending = pool.starmap_async(counter_main, [(job, start) for job in jobs])
            if counters:
                start.wait(timeout=300)
            pg_before = {pid: cpu_s(pid) for pid in postgres_pids(site)}
            before = {"server": sum(map(cpu_s, server_pids)), "postgres": 0.0}
            machine0, wal0 = machine_cpu(), wal_and_commits(site)
            t0 = time.perf_counter()
            with WaitSampler(site) as sampler:
                ab = run_ab(ocsp) if ocsp else None
                results = pending.get(timeout=opts.duration + 600)
                ab_out, ab_cpu = finish_ab(ab[0]) if ab else ("", 0.0)
            phase.active_waiting = sampler.means()
            phase.waiting_on = dict(sampler.waiting_on.most_common(3))
            phase.wall = phase.elapsed = time.perf_counter() - t0
            # Backends started during the phase count from zero (ended ones are lost).
            pg_after = sum(cpu_s(pid) - pg_before.get(pid, 0.0) for pid in postgres_pids(site))
            after = {"server": sum(map(cpu_s, server_pids)), "postgres": pg_after}
            machine1, wal1 = machine_cpu(), wal_and_commits(site)
    phase.machine = (machine1[0] - machine0[0], machine1[1] - machine0[1])
    phase.wal_syncs, phase.commits = wal1[0] - wal0[0], wal1[1] - wal0[1]
    phase.cpu = {k: after[k] - before[k] for k in before}
    phase.cpu["counters"] = sum(r["cpu"] for r in results)
    phase.cpu["ab"] = ab_cpu
    for result in results:
        phase.enroll_rows.extend(result["rows"])
    if results:
        phase.wall = max(max((row["end"] for row in r["rows"]), default=0.0) for r in results)
    if ab_out:
        phase.ocsp_rps = float(re.search(r"Requests per second:\s+([\d.]+)", ab_out).group(1))  # type: ignore[union-attr]
        phase.ocsp_p99 = float(re.search(r"^\s+99%\s+(\d+)", ab_out, re.M).group(1))  # type: ignore[union-attr]
        non2xx = re.search(r"Non-2xx responses:\s+(\d+)", ab_out)
        phase.ocsp_non2xx = int(non2xx.group(1)) if non2xx else 0
    return phase


# --- report ------------------------------------------------------------------------------


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else 0.0


def rate(phase: Phase) -> float:
    return len(phase.enroll_rows) / phase.wall if phase.enroll_rows and phase.wall else 0.0


def print_phase(phase: Phase, cores: int) -> None:
    rows = phase.enroll_rows
    name = f"N={phase.counters}" + ("" if phase.ocsp else " (no OCSP load)")
    if phase.counters == 0:
        name = "N=0 (OCSP alone)"
    enroll = (
        f"{rate(phase):6.2f}/s  p99 {p99([r['total'] for r in rows]) * 1000:5.0f} ms ({len(rows):3d})"
        if rows
        else f"{'-':>6s}      {'-':>5s}         "
    )
    ocsp = (
        f"{phase.ocsp_rps:6.0f}/s  p99 {phase.ocsp_p99:4.0f} ms"
        if phase.ocsp
        else f"{'-':>6s}      {'-':>4s}   "
    )
    window = phase.elapsed
    mine = sum(phase.cpu.values())
    busy, iowait = (v / window * 100 for v in phase.machine)
    cpu = " ".join(f"{k} {v / window * 100:3.0f}" for k, v in phase.cpu.items())
    print(
        f"{name:20s} {enroll}  {ocsp}  {cpu} | machine {busy:3.0f}/{cores * 100}"
        f" (others {max(busy - mine / window * 100, 0):3.0f}) iowait {iowait:3.0f}"
    )
    if phase.ocsp_non2xx:
        print(f"{'':20s} OCSP non-2xx responses: {phase.ocsp_non2xx}")
    if rows:
        parts = ("keygen", "csr", "write", "est", "db")
        mean = {k: statistics.fmean(r[k] for r in rows) * 1000 for k in ("total", *parts)}
        other = mean["total"] - sum(mean[k] for k in parts)
        print(
            f"{'':20s} mean enrollment {mean['total']:4.0f} ms = token: keygen {mean['keygen']:3.0f}"
            f" CSR {mean['csr']:3.0f} cert write+read {mean['write']:3.0f}"
            f" | EST round trip {mean['est']:4.0f} | counter DB transactions {mean['db']:4.0f}"
            f" | other {other:3.0f};  {phase.commits / len(rows):4.1f} commits,"
            f" {phase.wal_syncs / len(rows):4.1f} WAL fsyncs per enrollment;"
            f" PostgreSQL backends active {phase.active_waiting[0]:.2f},"
            f" of them waiting for a lock {phase.active_waiting[1]:.2f} (mean)"
        )
        if phase.waiting_on:
            total = sum(phase.waiting_on.values())
            top = ", ".join(f"{q} {n / total:.0%}" for q, n in phase.waiting_on.items())
            print(f"{'':20s} lock waits were on: {top}")


def analyse(phases: list[Phase], cores: int, fsync_rate: float) -> None:
    loaded = [p for p in phases if p.ocsp and p.counters]
    alone = next((p for p in phases if p.counters == 0), None)
    if not loaded:
        return
    top = max(loaded, key=lambda p: p.counters)
    window = top.elapsed
    shares = {k: v / window * 100 for k, v in top.cpu.items()}
    busy, iowait = (v / window * 100 for v in top.machine)
    syncs = top.wal_syncs / max(len(top.enroll_rows), 1)
    print(f"\nwhere the time goes at N={top.counters}:")
    print(
        f"  CPU: the machine's {cores} cores are {busy / cores:.0f}% busy (iowait {iowait:.0f}%"
        f" of one core); service {shares['server']:.0f}%, counters {shares['counters']:.0f}%,"
        f" PostgreSQL {shares['postgres']:.0f}%, ab {shares['ab']:.0f}% of one core."
    )
    print(
        f"  disk: raw fdatasync {fsync_rate:.0f}/s (one writer, same run); {syncs:.1f} WAL fsyncs"
        f" per enrollment -> at most ~{fsync_rate / max(syncs, 0.1):.1f} enrollments/s if every"
        f" commit waits for its own flush; measured {rate(top):.2f}/s."
    )
    rates = [(p.counters, rate(p)) for p in loaded if p.enroll_rows]
    if len(rates) > 1:
        (n0, r0), (n1, r1) = rates[0], rates[-1]
        print(
            f"  scaling: {r0:.2f} enrollments/s at N={n0} -> {r1:.2f}/s at N={n1}"
            f" ({r1 / r0:.2f}x for {n1 / n0:.0f}x the counters)."
        )
    if alone is not None and alone.ocsp_rps:
        worst = max(loaded, key=lambda p: p.ocsp_p99)
        print(
            f"  OCSP: {alone.ocsp_rps:.0f}/s p99 {alone.ocsp_p99:.0f} ms alone ->"
            f" {top.ocsp_rps:.0f}/s at N={top.counters}; worst p99 {worst.ocsp_p99:.0f} ms"
            f" (N={worst.counters})."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counters", default="1,2,4,8", help="comma-separated N values")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--ocsp-concurrency", type=int, default=4)
    parser.add_argument("--ocsp-via", choices=("est", "est-tls", "serve"), default="est")
    parser.add_argument("--fast-db", action="store_true", help="PostgreSQL without fsync")
    parser.add_argument("--no-peers", action="store_true", help="skip the two peer rows")
    parser.add_argument("--module", default=None, help="PKCS#11 module (default: SoftHSM2's)")
    opts = parser.parse_args()
    if opts.module is None:
        from counter_app.config import default_pkcs11_module

        opts.module = default_pkcs11_module()
    counts = [int(n) for n in opts.counters.split(",")]
    if shutil.which("ab") is None:
        raise SystemExit("ab is missing: install the Debian package apache2-utils")
    root = Path(tempfile.mkdtemp(prefix="bench-counters-"))
    root.chmod(0o755)
    started = time.perf_counter()
    site = make_site(root, max(counts), durable=not opts.fast_db)
    try:
        ca_url, est_ocsp_url = start_service(site, ocsp_workers=opts.ocsp_via == "est")
        server_pids = [site.procs[0].pid, *child_pids(site.procs[0].pid)]
        request = root / "ocsp-req.der"
        ocsp_request(site, request)
        ab_args = ["ab", "-q", "-t", str(opts.duration), "-n", "10000000",
                   "-c", str(opts.ocsp_concurrency), "-p", str(request),
                   "-T", "application/ocsp-request"]  # fmt: skip
        if opts.ocsp_via == "est":
            assert est_ocsp_url is not None
            ocsp_url = est_ocsp_url + "/ocsp"
            ab_args.append(ocsp_url)
        elif opts.ocsp_via == "est-tls":
            ocsp_url = ca_url + "/ocsp"
            ab_args += ["-E", str(ab_client_pem(site)), ocsp_url]
        else:
            ocsp_url = start_plain_serve(site) + "/ocsp"
            server_pids.append(site.procs[-1].pid)
            ab_args.append(ocsp_url)
        check_ocsp_answer(ocsp_url, site, request, tls=opts.ocsp_via == "est-tls")
        fsync_rate = raw_fdatasync_rate(site.pg.datadir.parent)
        print(
            f"{len(counts)} phases of {opts.duration:.0f} s; {os.cpu_count()} cores; PostgreSQL "
            f"{'without fsync' if opts.fast_db else 'durable (fsync on)'}; OCSP by "
            f"`ab -c {opts.ocsp_concurrency}` (new connection per request) to "
            + {
                "est": "`est serve`'s own OCSP workers (--ocsp-port, plain HTTP)",
                "est-tls": "the EST process itself over TLS + client cert",
                "serve": "`counter-app serve` beside `est serve` (plain HTTP)",
            }[opts.ocsp_via]
            + f"; set-up took {time.perf_counter() - started:.0f} s"
        )
        print(
            f"{'':20s} {'enrollments/s, p99 (count)':^29s}  {'OCSP responses/s, p99':^22s}"
            "  CPU, % of one core (machine: all cores)"
        )
        phases = []
        plan: list[tuple[int, bool]] = [] if opts.no_peers else [(0, True), (1, False)]
        plan += [(n, True) for n in counts]
        for number, (n, with_ocsp) in enumerate(plan):
            phase = run_phase(
                site, number, n, opts, ca_url, ab_args if with_ocsp else None, server_pids
            )
            phases.append(phase)
            print_phase(phase, os.cpu_count() or 1)
        analyse(phases, os.cpu_count() or 1, fsync_rate)
        print(f"total run {time.perf_counter() - started:.0f} s")
    finally:
        for proc in site.procs:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        if site.pg.is_running():
            site.pg.stop("immediate")
        shutil.rmtree(site.pg.datadir.parent, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
