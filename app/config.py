"""Settings, read from the environment (prefix ``ASSAY_``) and validated once at start."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.clientaddr import IPNetwork, parse_networks

DEV_SECRET_FILE = Path(".assay-secret")
DEV_SIGNING_KEYS_FILE = Path(".assay-keys/signing-keys.json")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSAY_", extra="ignore")

    env: Literal["dev", "production", "test"] = "dev"
    database_url: str = "sqlite+aiosqlite:///./assay.db"
    # PostgreSQL connections one serving process may hold: SQLAlchemy's pool (plus 10 in
    # overflow) and asyncpg's pool of the hot paths; a few more for the change feeds and
    # the job engine. Size them so that every process together stays under the server's
    # max_connections (100 by default): `--workers 2` with the defaults can take ~150.
    database_pool_size: int = Field(default=40, ge=1)
    database_driver_pool_size: int = Field(default=20, ge=1)
    question_bank: Path = Path("./question_bank")
    scenarios: Path = Path("./scenarios")
    secret_key: str = ""
    # Where the dev secret is kept between restarts, so sessions survive a restart.
    secret_file: Path = DEV_SECRET_FILE

    access_token_minutes: int = Field(default=12 * 60, ge=1)
    # How long this process trusts a sign-in it checked, on the hot paths only (autosave,
    # the exam page's state and item reads, starts and check-ins; every other route
    # reads the session each time). On PostgreSQL every sign-out or
    # password change reaches every process at once and entries live the longer time;
    # otherwise changes through this process show at once, through another (the CLI)
    # within the shorter. 0 turns the cache off.
    session_cache_seconds: float = Field(default=2.0, ge=0)
    session_cache_pushed_seconds: float = Field(default=300.0, ge=0)
    # Requests in flight when the deadline passes are still accepted for this long.
    deadline_grace_seconds: int = Field(default=5, ge=0, le=60)
    sweep_interval_seconds: float = Field(default=10.0, gt=0)
    # How old this process's copy of the item exposure counters may get (form assembly
    # balances on it; the background pass folds new attempts into the counters).
    exposure_refresh_seconds: float = Field(default=30.0, ge=0)
    # Forms of one exam are balanced in expected difficulty (app/exams/forms.py) to within
    # this much of the target; an item's facility replaces its author's estimate once
    # its version has this many recorded responses (a snapshot read at most this often).
    form_balance: bool = True
    form_balance_tolerance: float = Field(default=0.02, gt=0, le=0.2)
    form_balance_min_responses: int = Field(default=30, ge=1)
    facility_refresh_seconds: float = Field(default=300.0, ge=0)
    # How old the item analysis the author pages show may get before the serving
    # process recomputes it in the background (app/authoring/cache.py); the page says when.
    item_analysis_max_age_seconds: float = Field(default=300.0, ge=0)
    # Admission (app/attempts/admission.py): starts and check-ins run at once (by this
    # process on SQLite; by all API processes together on PostgreSQL, where the line is
    # shared); past that a candidate waits in line (202 with their place), and a place not
    # asked for again within admission_ticket_seconds is given up.
    start_capacity: int = Field(default=16, ge=1)
    admission_ticket_seconds: float = Field(default=30.0, gt=0)
    # Password hashing (argon2id). Every sign-in pays one hash: time_cost passes over
    # memory_cost KiB with `parallelism` lanes. The defaults are argon2-cffi's (RFC 9106's
    # low-memory profile); bench/README.md has what each costs here. Existing hashes keep
    # their own parameters and are checked with them.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8192, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=16)
    # A sign-in that would wait longer than this for a hashing thread of its process is
    # answered at once with 503 sign_in_busy and a Retry-After (the sign-in page asks
    # again by itself) instead of being held until a proxy gives up on it; 0: never.
    sign_in_max_wait_seconds: float = Field(default=20.0, ge=0)
    # Outage credit (app/availability): no serving process's heartbeat for longer than
    # this is an outage; so is a minute with at least this many 500/503 answers.
    outage_gap_seconds: float = Field(default=30.0, gt=0)
    outage_shed_per_minute: int = Field(default=30, ge=1)
    # Gradings run at once by this process (each is two sandboxed runs): the in-process
    # engine's limit, and `assay worker`'s default --concurrency.
    grading_concurrency: int = Field(default=2, ge=1, le=64)
    # The job engine (app/core/jobs.py): "auto" is procrastinate on PostgreSQL (API
    # processes defer, `assay worker` processes run) and the in-process runner on SQLite.
    job_engine: Literal["auto", "inprocess", "procrastinate"] = "auto"
    # A job running longer is stopped and retried (the sandbox's own limits are shorter).
    job_time_limit_seconds: float = Field(default=600.0, gt=0)
    # Tries of a job whose infrastructure failed, waiting backoff**n seconds before the
    # n-th retry; a final grading is given up as stuck after its own count of tries.
    job_retries: int = Field(default=5, ge=1, le=50)
    job_backoff_seconds: int = Field(default=3, ge=1, le=60)
    # procrastinate workers beat every so many seconds; three missed beats and the
    # worker's running jobs are put back in their queue.
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    # Production grades only inside bubblewrap; set this to accept the process layer
    # (rlimits and a private uid, no namespaces) knowingly.
    sandbox_allow_process: bool = False
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR
    # blocks); none by default, so the connection's peer is the client.
    trusted_proxies: str = ""
    public_base_url: str = "http://127.0.0.1:8000"

    # Credentials. The signing keys (JSON written by `assay keys`): from
    # ASSAY_SIGNING_KEYS itself, else from this file; in dev the file is created on first
    # start, in production one of the two must be provided. New keys (the dev key, `assay
    # keys rotate`) are of this algorithm; each key keeps its own for good.
    credential_algorithm: Literal["ES256", "RS256"] = "ES256"
    signing_keys: str = ""
    signing_keys_file: Path = DEV_SIGNING_KEYS_FILE
    issuer_name: str = "Assay"
    # LinkedIn's add-to-profile link names the issuer by its company page when known.
    linkedin_organization_id: str = ""
    # Public verification, per client address: lookups per minute, and lookups of IDs
    # that do not exist (or with a wrong last name) per hour, the enumeration budget.
    verify_per_minute: int = Field(default=60, ge=1)
    verify_misses_per_hour: int = Field(default=30, ge=1)
    # How long a looked-up certificate is reused by this process. On PostgreSQL every
    # change is pushed to every process at once and entries live the longer time;
    # otherwise (SQLite) changes through this process show at once, through another
    # one within the shorter. 0 turns the cache off.
    verify_cache_seconds: float = Field(default=2.0, ge=0)
    verify_cache_pushed_seconds: float = Field(default=3600.0, ge=0)
    # Employers' bulk API: certificate IDs checked per key per hour, and per request.
    employer_ids_per_hour: int = Field(default=20_000, ge=1)
    employer_batch_max: int = Field(default=500, ge=1, le=5000)
    # Proctoring. Events the exam pages report: per attempt, a burst of this many then
    # this many a minute, and at most review_events_max stored.
    review_events_per_minute: int = Field(default=30, ge=1)
    review_events_max: int = Field(default=1000, ge=10)
    # Flags (signals.py): focus losses (blur + tab hidden) for a medium / a high flag;
    # one paste into a scenario file of this many characters (medium / high); answers
    # faster than this share of the time reading them takes at review_reading_wpm
    # (medium); IP changes (low from one, medium from this many); two sessions seen
    # within this many seconds of each other (medium, high from two addresses); similar
    # scenario submissions (normalised token shingles, Jaccard) from this score (high),
    # counted only when both have this many shingles of their own.
    review_focus_losses_medium: int = Field(default=10, ge=1)
    review_focus_losses_high: int = Field(default=30, ge=1)
    review_paste_chars_medium: int = Field(default=300, ge=1)
    review_paste_chars_high: int = Field(default=1500, ge=1)
    review_reading_wpm: int = Field(default=300, ge=50)
    review_fast_share: float = Field(default=0.5, ge=0, le=1)
    review_ip_changes_medium: int = Field(default=3, ge=1)
    review_concurrent_seconds: int = Field(default=180, ge=30)
    review_similarity: float = Field(default=0.8, gt=0, le=1)
    review_similarity_min_shingles: int = Field(default=12, ge=1)
    # Share (percent) of clean passing attempts held for review anyway, chosen by a keyed
    # hash of the attempt id: deterministic, and not predictable by candidates.
    review_sample_percent: float = Field(default=5.0, ge=0, le=100)
    # What a regrade does to a pass its key correction takes below the pass mark: "keep"
    # (the candidate keeps the pass and its certificate: the key error was ours, not
    # theirs) or "revoke" (the pass is withdrawn and its certificates revoked).
    regrade_drop_policy: Literal["keep", "revoke"] = "keep"
    # Attempts a regrade rescores per transaction (each batch commits on its own, so an
    # interrupted apply resumes where it stopped). Small: a batch's rescoring runs on the
    # worker's event loop without a pause (its rows read into objects, then every form
    # scored), and a worker also serving the interactive queue runs candidates' public
    # checks on that loop. Measured (bench/README.md, "Regrade beside public checks"):
    # 200 held the loop up to ~100 ms of CPU at a time, 25 about 20 ms, at the same rate.
    regrade_batch: int = Field(default=25, ge=1)
    # Expiry reminders go out by SMTP when a host is set, to the log otherwise.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "certificates@assay.invalid"
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value.split(","))
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies.split(","))

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            if len(self.secret_key) < 32:
                raise ValueError(
                    "ASSAY_SECRET_KEY of at least 32 characters is required in production"
                )
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs PostgreSQL: set ASSAY_DATABASE_URL")
            problem = _public_url_problem(self.public_base_url)
            if problem:
                raise ValueError(
                    f"ASSAY_PUBLIC_BASE_URL {self.public_base_url!r} {problem}: every link in "
                    "a credential (issuer, keys, status list, verification) is made from it"
                )
        return self

    def password_cost(self) -> dict[str, int]:
        """The argon2 parameters, as ``core.security.configure_passwords`` takes them."""
        return {
            "time_cost": self.argon2_time_cost,
            "memory_kib": self.argon2_memory_kib,
            "parallelism": self.argon2_parallelism,
        }

    @property
    def sandbox_requires_isolation(self) -> bool:
        """Whether grading must refuse to run without bubblewrap."""
        return self.env == "production" and not self.sandbox_allow_process

    def resolved_secret_key(self) -> str:
        """The signing secret; in dev one is generated once and kept in ``secret_file``."""
        if self.secret_key:
            return self.secret_key
        if self.secret_file.exists():
            return self.secret_file.read_text().strip()
        key = secrets.token_urlsafe(48)
        self.secret_file.write_text(key)
        self.secret_file.chmod(0o600)
        return key


def _public_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the public address of a production service, if it cannot."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "is not an https URL"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "has no host"
    if host == "localhost" or host.endswith(".localhost"):
        return "is a loopback address"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified or address.is_link_local:
        return "is a loopback or local-only address"
    return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
