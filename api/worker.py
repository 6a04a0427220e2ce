"""The worker: APScheduler (UTC) running interval jobs; never started inside web processes.

`flask --app api worker` runs until SIGTERM or SIGINT (the sends in flight finish and are
recorded, unused leases are released); `--once` runs each job once and exits (tests, cron).
`flask --app api dev` serves the API with the same jobs in-process, for the embedded default
(one process, SQLite). A job that finds no database logs one line and backs off.
"""

import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from sqlalchemy.exc import InterfaceError, OperationalError

from fhir_r4 import export
from messages import dispatch, notices
from messages.gateways import gateways_from_config
from messages.policy import DispatchSettings, OutboxPolicy
from messages.throttle import Throttle
from models import db, utcnow
from schedules import release
from triage import acknowledgement, escalation

log = logging.getLogger(__name__)


class _SkipOverlapNotices(logging.Filter):
    """A drain still running when the next tick comes is normal here, not worth a warning."""

    def filter(self, record):
        return "maximum number of running instances reached" not in record.getMessage()


logging.getLogger("apscheduler.scheduler").addFilter(_SkipOverlapNotices())
logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)  # every tick


@dataclass
class Worker:
    app: Flask
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    stop: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        config = self.app.config
        self.gateway = gateways_from_config(config)
        self.policy = OutboxPolicy.from_config(config)
        self.settings = DispatchSettings.from_config(config)
        self.throttle = Throttle(
            concurrency=self.settings.concurrency, max_mps=config["TWILIO_MAX_MPS"]
        )
        # Sender threads: HTTP requests only; the dispatcher records outcomes on its own thread.
        self.pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="sms-send")

    def close(self):
        """After the scheduler has stopped: the sender threads end."""
        self.stop.set()
        self.pool.shutdown(wait=True)

    def jobs(self):
        """(id, function, interval seconds). Later features add their jobs here."""
        return [
            ("dispatch_outbox", self.dispatch_outbox, self.app.config["OUTBOX_POLL_SECONDS"]),
            ("escalate_alerts", self.escalate_alerts, self.app.config["ESCALATION_POLL_SECONDS"]),
            ("release_reminders", self.release_reminders, self.app.config["REMINDER_POLL_SECONDS"]),
            ("fhir_exports", self.fhir_exports, self.app.config["FHIR_EXPORT_POLL_SECONDS"]),
        ]

    @contextmanager
    def _job_run(self):
        """One job run: its own app context and session, removed whatever happens."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def release_reminders(self):
        """Due reminders: in-app now, a push (or SMS) notice through the outbox, quiet hours
        respected; notices not opened in time (R-LFT-HSCT) go again by SMS."""
        with self._job_run():
            stale = timedelta(hours=current_app.config["REMINDER_STALE_HOURS"])
            while True:  # a full batch may mean more are due
                stats = release.release_due(
                    db.session, now=utcnow(), stale_after=stale, policy=self.policy, limit=500
                )
                db.session.commit()
                if stats["seen"] < 500:
                    break
            notices.fall_back_unopened(db.session, now=utcnow(), policy=self.policy)
            db.session.commit()

    def escalate_alerts(self):
        """Open alerts past their acknowledgement deadline go to the next level; patients whose
        case was just acknowledged are told their care team has seen it."""
        with self._job_run():
            escalation.escalate_due(db.session, now=utcnow(), outbox_policy=self.policy)
            acknowledgement.notify_patients_seen(
                db.session, now=utcnow(), outbox_policy=self.policy
            )
            db.session.commit()  # on PostgreSQL the queued pages NOTIFY the dispatcher

    def fhir_exports(self):
        """FHIR Bulk Data exports: write queued ones' NDJSON files, delete expired ones'."""
        with self._job_run():
            config = current_app.config
            directory, hours = config["FHIR_EXPORT_DIR"], config["FHIR_EXPORT_HOURS"]
            export.delete_stale_files(db.session, directory=directory, now=utcnow())
            db.session.commit()
            while not self.stop.is_set():
                job = export.claim_next(db.session, now=utcnow(), worker_id=self.worker_id)
                db.session.commit()
                if job is None:
                    break
                export.run_job(
                    db.session,
                    job,
                    directory=directory,
                    hours=hours,
                    worker_id=self.worker_id,
                    now_fn=utcnow,
                    commit=db.session.commit,
                    stop=self.stop,
                )

    def dispatch_outbox(self):
        """Send what is due, pages first, up to OUTBOX_CONCURRENCY at once."""
        with self._job_run():
            stats = dispatch.drain(
                db.session,
                self.gateway,
                self.pool,
                now_fn=utcnow,
                worker_id=self.worker_id,
                policy=self.policy,
                settings=self.settings,
                throttle=self.throttle,
                stop=self.stop,
                wake=self.wake,
            )
            if stats["claimed"] or stats["expired"]:
                log.info("dispatch: %s", dict(stats))

    def schedule(self, scheduler):
        for job_id, func, seconds in self.jobs():
            scheduler.add_job(
                _BackingOff(job_id, func, seconds),
                "interval",
                name=job_id,
                seconds=seconds,
                id=job_id,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )

    def listen_for_wakeups(self, scheduler):
        """PostgreSQL: LISTEN outbox, so a commit that queues a message wakes us at once."""
        with self.app.app_context():
            url = db.engine.url
        if url.get_backend_name() != "postgresql":
            return
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        threading.Thread(target=self._listen, args=(dsn, scheduler), daemon=True).start()

    def _listen(self, dsn, scheduler):
        import psycopg

        delay = 5.0
        while not self.stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("LISTEN outbox")
                    delay = 5.0
                    while not self.stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.wake.set()
                            job = scheduler.get_job("dispatch_outbox")
                            if job is not None:
                                job.modify(next_run_time=datetime.now(UTC))
            except psycopg.Error as exc:
                log.warning("LISTEN: %s; polling, next try in %.0f s", _first_line(exc), delay)
                self.stop.wait(delay)
                delay = min(60.0, delay * 2)


def _first_line(exc: BaseException) -> str:
    """The error's kind and first line: no SQL, no parameters, no traceback."""
    orig = getattr(exc, "orig", None) or exc
    return f"{type(orig).__name__}: {(str(orig).splitlines() or [''])[0][:200]}"


class _BackingOff:
    """A scheduled job that, while the database is unreachable, logs one line per failure and
    skips its runs for a while (the poll interval, doubling up to 60 s), instead of a traceback
    on every tick. Other errors surface as they are."""

    def __init__(self, name: str, func, seconds: float):
        self.name, self.func, self.base = name, func, seconds
        self.failures, self.until = 0, 0.0
        self.__name__ = name  # APScheduler names the job after its function

    def __call__(self):
        if time.monotonic() < self.until:
            return
        try:
            self.func()
        except (OperationalError, InterfaceError) as exc:
            self.failures += 1
            delay = min(60.0, max(self.base, 0.5) * 2 ** (self.failures - 1))
            self.until = time.monotonic() + delay
            log.error(
                "%s: database unavailable (%s); next try in %.1f s",
                self.name,
                _first_line(exc),
                delay,
            )
            return
        if self.failures:
            log.warning("%s: database reachable again after %d failures", self.name, self.failures)
            self.failures, self.until = 0, 0.0


@click.command("worker")
@click.option("--once", is_flag=True, help="Run each job once, then exit.")
def worker_command(once):
    """Run the background worker (SMS dispatch, and the jobs later features add)."""
    worker = Worker(current_app._get_current_object())
    if once:
        for _, func, _ in worker.jobs():
            func()
        worker.close()
        return
    scheduler = BlockingScheduler(timezone=UTC)
    worker.schedule(scheduler)

    def shutdown(signum, frame):
        log.info("worker %s: signal %s, finishing the sends in flight", worker.worker_id, signum)
        worker.stop.set()
        scheduler.shutdown(wait=True)
        worker.close()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    worker.listen_for_wakeups(scheduler)
    log.info("worker %s started", worker.worker_id)
    scheduler.start()


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def dev_command(host, port):
    """Serve the API with the worker in-process (the embedded default: one process)."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    worker = Worker(app)
    scheduler = BackgroundScheduler(timezone=UTC)
    worker.schedule(scheduler)
    scheduler.start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        worker.stop.set()
        scheduler.shutdown(wait=True)
        worker.close()
