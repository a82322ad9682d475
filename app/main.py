"""The application factory: state, error handlers, middleware, routers, operations."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import api_docs
from app.attempts import dependencies as attempts_deps
from app.attempts import service as attempts_service
from app.attempts.admission import AdmissionWait, MemoryLine, wait_response
from app.attempts.balance import FormBalancer
from app.attempts.exposure import ExposureCache, fold_exposure
from app.attempts.router import autosave_router
from app.attempts.router import router as attempts_router
from app.attempts.shared_admission import SharedLine
from app.authoring.cache import AnalysisCache
from app.availability import service as availability_service
from app.availability.failures import FailureCounter
from app.availability.monitor import AvailabilityMonitor
from app.availability.service import GapPolicy
from app.certificates import dependencies as certificates_deps
from app.certificates.outbox import run_reminders
from app.certificates.router import public_router as verification_router
from app.certificates.router import router as certificates_router
from app.config import Settings, get_settings
from app.core.apidocs import install_docs
from app.core.clientaddr import TrustedProxies
from app.core.clock import Clock, SystemClock
from app.core.db import (
    create_engine,
    create_sessionmaker,
    database_unreachable,
    dispose_engine,
    driver_pool,
    session_scope,
)
from app.core.deps import Runtime
from app.core.errors import AssayError, DatabaseUnavailable, error_body
from app.core.jobqueue import ProcrastinateJobs
from app.core.jobs import JobPort, JobRunner, Urgency, publish_queue_stats
from app.core.migrate import current_revision, head_revision
from app.core.observability import (
    REGISTRY,
    HttpMiddleware,
    configure_logging,
)
from app.core.ratelimit import LimitStore
from app.core.security import TokenService, configure_hashing_line, configure_passwords
from app.core.seeds import SeedSource, SystemSeeds
from app.core.sharedlimits import PostgresBackend
from app.core.staticfiles import CompressedStaticFiles
from app.exams.router import router as exams_router
from app.grading import pipeline_runs
from app.grading import service as grading_service
from app.grading.scenarios import Scenario
from app.identity import dependencies as identity_deps
from app.identity.dependencies import csrf_key
from app.identity.router import router as identity_router
from app.proctoring import dependencies as proctoring_deps
from app.proctoring.router import events_router
from app.proctoring.router import router as review_router
from app.regrading import service as regrading_service
from app.regrading.router import router as regrades_router
from app.sittings.router import router as sittings_router
from app.web import pages as web_pages
from app.web.authoring import router as author_pages
from app.web.public import router as public_documents
from app.web.regrades import router as regrade_pages
from app.web.review import router as review_pages
from app.web.router import router as web_router

log = structlog.get_logger("assay")

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


# Metrics are ours (Prometheus, /metrics) and so are the logs; FastAPI's OpenTelemetry
# hooks stay off. Left on, they look the providers up in the environment on every
# request: 7% of an autosave's time, measured.
TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

GRADINGS_STUCK = Gauge(
    "assay_gradings_stuck",
    "Final gradings given up after every retry (never scored; waiting for staff)",
    registry=REGISTRY,
)


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    engine: AsyncEngine | None = None,
    run_sweeper: bool = True,
    freeze_heap: bool = False,
    seeds: SeedSource | None = None,
    scenarios: dict[str, Scenario] | None = None,
) -> FastAPI:
    """``engine`` lets a caller (the tests) own the database; otherwise the lifespan
    opens one from the settings and closes it on shutdown. ``freeze_heap`` (the server
    and the worker) moves everything built at start out of the garbage collector's
    sight: a full collection over it took ~65 ms, a pause every request in flight felt.
    ``seeds`` draws new attempts' forms (tests pass a seeded source). ``scenarios``: the
    scenario registry already loaded (a test that builds an app per example loads it
    once); by default it is loaded from ASSAY_SCENARIOS."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    configure_logging(settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        certificates_deps.load_keys(app)
        # Detect the grading sandbox now (a bubblewrap smoke run), not at the first
        # submission; /readyz reports it.
        sandbox_ok, sandbox = await grading_service.sandbox_status()
        (log.info if sandbox_ok else log.error)("grading sandbox", **sandbox)
        own_engine = engine is None
        if own_engine:
            # SQLite keeps SQLAlchemy's own pool size.
            sized = settings.database_url.startswith("postgresql")
            pool = {"pool_size": settings.database_pool_size} if sized else {}
            _attach_engine(
                app,
                create_engine(
                    settings.database_url,
                    driver_pool_size=settings.database_driver_pool_size,
                    **pool,
                ),
            )
        async with certificates_deps.change_feed(app), identity_deps.session_changes(app):
            # The in-process engine runs the periodic work here; procrastinate's is run
            # by `assay worker` processes, once per period whatever their number.
            await app.state.jobs.start(periodic=run_sweeper)
            heartbeat = asyncio.create_task(heartbeat_forever(app)) if run_sweeper else None
            if freeze_heap:
                gc.collect()
                gc.freeze()
            try:
                yield
            finally:
                if heartbeat is not None:
                    heartbeat.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await heartbeat
                await app.state.jobs.stop()
        if own_engine:
            await dispose_engine(app.state.engine)

    app = FastAPI(
        title="Assay",
        version="0.1.0",
        summary="Timed, practical MLOps certification exams.",
        lifespan=lifespan,
        telemetry=TELEMETRY,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.seeds = seeds or SystemSeeds()
    secret = settings.resolved_secret_key()
    app.state.tokens = TokenService(secret, clock)
    app.state.csrf_key = csrf_key(secret)
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxy_networks)
    # Rate limits and event budgets: in memory, or shared in PostgreSQL (_attach_engine).
    app.state.limits = LimitStore(clock)
    certificates_deps.install(app, settings, clock)
    proctoring_deps.install(app, settings, clock)
    app.state.scenarios = (
        scenarios if scenarios is not None else grading_service.load_registry(settings.scenarios)
    )
    app.state.jobs = job_port(settings)
    app.state.exposure = ExposureCache(timedelta(seconds=settings.exposure_refresh_seconds))
    app.state.balancer = (
        FormBalancer(
            timedelta(seconds=settings.facility_refresh_seconds),
            settings.form_balance_min_responses,
            settings.form_balance_tolerance,
        )
        if settings.form_balance
        else None
    )
    app.state.analysis = AnalysisCache(
        clock, timedelta(seconds=settings.item_analysis_max_age_seconds)
    )
    # The admission line: in memory, or shared in PostgreSQL (_attach_engine).
    app.state.admission = MemoryLine(
        settings.start_capacity, ticket_seconds=settings.admission_ticket_seconds
    )
    configure_passwords(**settings.password_cost())
    configure_hashing_line(settings.sign_in_max_wait_seconds)
    # Requests failed (500) or shed (503), per minute: evidence for outage credit.
    app.state.failures = FailureCounter()
    if engine is not None:
        _attach_engine(app, engine)

    _install_error_handlers(app)
    # Ours rather than FastAPI's max_body_size: that one answers 413 in plain text, not
    # in the contract's error shape.
    app.add_middleware(HttpMiddleware, max_bytes=settings.max_request_bytes)

    # Routes are matched in order, one by one: the hot paths (autosave, then public
    # verification) go first.
    for router in (
        autosave_router,
        verification_router,
        attempts_router,
        identity_router,
        exams_router,
        certificates_router,
        events_router,
        review_router,
        regrades_router,
        sittings_router,
    ):
        app.include_router(router)
    app.include_router(web_router)
    app.include_router(public_documents)
    app.include_router(review_pages)
    app.include_router(regrade_pages)
    app.include_router(author_pages)
    install_docs(app)
    app.mount("/static", CompressedStaticFiles(packages=[("app.web", "static")]), name="static")
    _install_operations(app)
    api_docs.install(app)
    return app


def serving_app() -> FastAPI:
    """The app of one `assay serve --workers N` process."""
    return create_app(freeze_heap=True)


def _attach_engine(app: FastAPI, engine: AsyncEngine) -> None:
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.runtime = Runtime(
        settings=app.state.settings,
        clock=app.state.clock,
        tokens=app.state.tokens,
        jobs=app.state.jobs,
    )
    pool = driver_pool(engine)
    if pool is not None:
        app.state.limits.use(PostgresBackend(pool))
        app.state.admission = SharedLine(
            pool,
            app.state.settings.start_capacity,
            ticket_seconds=app.state.settings.admission_ticket_seconds,
        )
    certificates_deps.attach_engine(app, engine)
    identity_deps.attach_engine(app, engine)
    attempts_deps.attach_engine(app, engine)
    proctoring_deps.attach_engine(app, engine)
    app.state.jobs.register(
        pipeline_runs.RUN_PIPELINE,
        functools.partial(
            pipeline_runs.run_pipeline_job,
            app.state.sessionmaker,
            app.state.clock,
            app.state.scenarios,
        ),
        urgency=Urgency.interactive,
    )
    app.state.jobs.register(
        attempts_service.GRADE_RUN,
        functools.partial(
            attempts_service.run_grading_job,
            app.state.sessionmaker,
            app.state.clock,
            app.state.scenarios,
            review=proctoring_deps.review_policy(app),
        ),
        urgency=Urgency.grading,
    )
    _register_regrades(app)
    _register_background_work(app)


def job_port(settings: Settings) -> JobPort:
    """procrastinate on PostgreSQL (workers anywhere), the in-process runner otherwise."""
    engine = settings.job_engine
    if engine == "auto":
        engine = "procrastinate" if settings.database_url.startswith("postgresql") else "inprocess"
    if engine == "procrastinate":
        return ProcrastinateJobs(
            settings.database_url,
            time_limit=settings.job_time_limit_seconds,
            retries=settings.job_retries,
            backoff_seconds=settings.job_backoff_seconds,
            heartbeat_seconds=settings.worker_heartbeat_seconds,
        )
    return JobRunner(
        concurrency=settings.grading_concurrency, time_limit=settings.job_time_limit_seconds
    )


def _register_regrades(app: FastAPI) -> None:
    certificates = certificates_deps.certificates_state(app)
    app.state.jobs.register(
        regrading_service.REGRADE_APPLY,
        regrading_service.ApplyJob(
            app.state.sessionmaker,
            app.state.clock,
            certificates.issuer,
            batch=app.state.settings.regrade_batch,
            lookup=certificates.lookup,
        ),
        urgency=Urgency.maintenance,
    )


def _register_background_work(app: FastAPI) -> None:
    """The periodic work, each its own job: run by the in-process engine's loops, or by
    procrastinate once per period across every worker."""
    settings: Settings = app.state.settings
    jobs: JobPort = app.state.jobs
    sessionmaker, clock = app.state.sessionmaker, app.state.clock
    period = max(1, round(settings.sweep_interval_seconds))
    grace = timedelta(seconds=settings.deadline_grace_seconds)

    async def deadline_sweep() -> None:
        # Time owed for an outage is given before overdue attempts are submitted.
        async with session_scope(sessionmaker) as session:
            credited = await availability_service.credit_gaps(session, clock)
        if credited:
            log.warning("outage credited to attempts in progress", attempts=credited)
        count = await attempts_service.sweep_overdue(
            sessionmaker,
            clock,
            grace,
            runner=jobs,
            scenarios=app.state.scenarios,
            review=proctoring_deps.review_policy(app),
        )
        if count:
            log.info("sweeper submitted overdue attempts", count=count)

    async def exposure_fold() -> None:
        if await fold_exposure(sessionmaker):
            app.state.exposure.invalidate()

    async def grading_recovery() -> None:
        await attempts_service.requeue_stalled_gradings(
            sessionmaker,
            clock,
            jobs,
            scenarios=app.state.scenarios,
            review=proctoring_deps.review_policy(app),
        )
        await pipeline_runs.give_up_stalled(sessionmaker, clock)

    async def regrades_resume() -> None:
        await regrading_service.resume_applying(sessionmaker, jobs)

    async def limits_prune() -> None:
        backend = app.state.limits.backend
        if isinstance(backend, PostgresBackend):
            await backend.prune(clock.now().timestamp())

    async def expiry_reminders() -> None:
        certificates = certificates_deps.certificates_state(app)
        await run_reminders(sessionmaker, clock, certificates.issuer, certificates.mailer)

    jobs.every("deadline_sweep", period, deadline_sweep)
    jobs.every("exposure_fold", period, exposure_fold)
    jobs.every("grading_recovery", period, grading_recovery)
    jobs.every("regrades_resume", period, regrades_resume)
    jobs.every("limits_prune", period, limits_prune)
    jobs.every("expiry_reminders", period, expiry_reminders)


async def heartbeat_forever(app: FastAPI) -> None:
    """A serving process's heartbeat and failure counts, every few seconds: the
    evidence outage credit is computed from (app/availability)."""
    settings: Settings = app.state.settings
    monitor = AvailabilityMonitor(app.state.clock.now(), app.state.failures)
    policy = GapPolicy(
        timedelta(seconds=settings.outage_gap_seconds), settings.outage_shed_per_minute
    )
    interval = min(settings.sweep_interval_seconds, settings.outage_gap_seconds / 3)
    await asyncio.gather(
        monitor.beat_forever(app.state.sessionmaker, app.state.clock, policy, interval),
        _refresh_snapshots_forever(app),
    )


async def _refresh_snapshots_forever(app: FastAPI) -> None:
    """This serving process's own snapshot of item facilities (what starts balance forms
    on): no shared periodic job can refresh another process's memory."""
    balancer: FormBalancer | None = app.state.balancer
    if balancer is None:
        return
    while True:
        try:
            await balancer.refresh(app.state.sessionmaker, app.state.clock.now())
        except Exception:
            log.exception("facility snapshot refresh failed; will retry")
        await asyncio.sleep(app.state.settings.sweep_interval_seconds)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AdmissionWait)
    async def admission_wait(_: Request, exc: AdmissionWait) -> JSONResponse:
        return wait_response(exc.waiting)

    def render(exc: AssayError) -> JSONResponse:
        headers = None
        if "retry_after" in exc.details:
            # RFC 9110: how long to wait, in seconds, also in the body's details.
            headers = {"Retry-After": str(exc.details["retry_after"])}
        return JSONResponse(
            error_body(exc.code, exc.message, **exc.details),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(AssayError)
    async def assay_error(_: Request, exc: AssayError) -> JSONResponse:
        if exc.status_code >= 500 and exc.is_failure:
            log.error("domain error", code=exc.code, message=exc.message)
            app.state.failures.count(app.state.clock.now())
        return render(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The offending input is not echoed back: it may be huge or hostile.
        problems = [
            {
                # A dict key is part of the location; a NUL in it is not sent back raw.
                "where": ".".join(str(p).replace("\x00", "\\u0000") for p in err.get("loc", ())),
                "problem": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        first = problems[0] if problems else {"where": "", "problem": "invalid"}
        message = f"{first['where']}: {first['problem']}" if first["where"] else first["problem"]
        return JSONResponse(
            error_body("invalid_request", message, problems=problems[:20]), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if web_pages.wants_page(request):
            return web_pages.error_page(request, exc.status_code)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "Request refused."
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        app.state.failures.count(app.state.clock.now())
        return JSONResponse(
            error_body("internal_error", AssayError.default_message), status_code=500
        )

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        """A database that cannot be reached is a 503 the page retries, not a bug. Caught
        inside the app: the catch-all above answers from outside it, after which the
        server drops the connection, and the page may never read the answer."""
        if database_unreachable(exc):
            log.error("database unreachable", error=f"{type(exc).__name__}: {exc}")
            app.state.failures.count(app.state.clock.now())
            return render(DatabaseUnavailable(retry_after=1))
        return await unexpected(request, exc)

    for kind in (ConnectionError, socket.gaierror, asyncpg.PostgresError, DBAPIError, PoolTimeout):
        app.add_exception_handler(kind, database_error)


def _install_operations(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        responses={
            503: {
                "description": "Not ready: see `checks`",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, Any] = {}
        try:
            async with request.app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
            current, head = await current_revision(request.app.state.engine), head_revision()
            checks["migrations"] = "ok" if current == head else f"at {current}, head is {head}"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        ready = all(value == "ok" for value in checks.values())
        # Grading is part of readiness where this process grades: a server that would
        # refuse every submission's scenarios (production without bubblewrap) is not
        # ready. With workers (procrastinate) the API only defers; its sandbox is shown.
        sandbox_ok, sandbox = await grading_service.sandbox_status()
        if isinstance(request.app.state.jobs, ProcrastinateJobs):
            checks["grading_sandbox"] = "in workers"
        else:
            checks["grading_sandbox"] = "ok" if sandbox_ok else sandbox["problem"]
            ready = ready and sandbox_ok
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks, "sandbox": sandbox},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        try:
            await publish_queue_stats(request.app.state.jobs)
            async with session_scope(request.app.state.sessionmaker) as session:
                GRADINGS_STUCK.set(await grading_service.count_stuck_final_runs(session))
        except Exception:
            # The rest of the metrics still answer; the gauges keep their last values.
            log.exception("job metrics unavailable")
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
