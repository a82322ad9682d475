"""The catalog: publishing the bank from disk as versioned rows, and reading it back."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import Clock
from app.exams import markdown
from app.exams.content import Bank, BlueprintSpec, ItemSpec
from app.exams.exceptions import ContentInvalid, ExamNotFound
from app.exams.forms import PoolEntry
from app.exams.models import ExamVersion, ItemVersion
from app.exams.repository import ExamRepository
from app.grading.scoring import KeyCorrection


@dataclass(frozen=True)
class PublishReport:
    new_exam_versions: int
    new_item_versions: int


async def publish_bank(session: AsyncSession, clock: Clock, bank: Bank) -> PublishReport:
    """Make the database match the bank: a changed exam or item gets a new version row and
    the old one stops being current; unchanged content is left alone, so publishing twice
    changes nothing. Items removed from the files are retired, not deleted: attempts
    still point at them."""
    if bank.problems:
        raise ContentInvalid(f"{len(bank.problems)} problems in the question bank")
    _pool_cache.invalidate()
    repo = ExamRepository(session)
    now = clock.now()

    current_exams = {e.code: e for e in await repo.current_exams()}
    new_exams = 0
    for code, spec in bank.blueprints.items():
        existing = current_exams.get(code)
        digest = spec.content_hash()
        if existing is not None and existing.content_hash == digest:
            continue
        await repo.retire_exam_versions(code)
        repo.add(_exam_row(spec, digest, (existing.version + 1) if existing else 1, now))
        new_exams += 1

    current_items = {i.item_id: i for i in await repo.current_items()}
    new_items = 0
    for item_id, item in bank.items.items():
        existing_item = current_items.get(item_id)
        digest = item.content_hash()
        if existing_item is not None and existing_item.content_hash == digest:
            continue
        await repo.retire_item_versions(item_id)
        version = (existing_item.version + 1) if existing_item else 1
        repo.add(_item_row(item, digest, version, now))
        new_items += 1
    for item_id, row in current_items.items():
        if item_id not in bank.items and not row.retired:
            row.retired = True
    await session.flush()
    return PublishReport(new_exams, new_items)


def _exam_row(spec: BlueprintSpec, digest: str, version: int, now: datetime) -> ExamVersion:
    return ExamVersion(
        id=uuid.uuid4(),
        code=spec.code,
        version=version,
        content_hash=digest,
        is_current=True,
        title=spec.title,
        level=spec.level,
        track=spec.track,
        renews=spec.renews,
        duration_minutes=spec.duration_minutes,
        pass_mark=spec.pass_mark,
        validity_months=spec.validity_months,
        definition=spec.model_dump(mode="json"),
        created_at=now,
    )


def _item_row(item: ItemSpec, digest: str, version: int, now: datetime) -> ItemVersion:
    return ItemVersion(
        id=uuid.uuid4(),
        item_id=item.id,
        version=version,
        content_hash=digest,
        is_current=True,
        retired=item.status == "retired",
        domain=item.domain,
        level=item.level,
        type=item.type,
        difficulty=item.difficulty,
        tags=list(item.tags),
        stem=item.stem,
        options=[o.model_dump() for o in item.options],
        key=list(item.key),
        rationale=item.rationale.model_dump(),
        created_at=now,
    )


def blueprint_of(exam: ExamVersion) -> BlueprintSpec:
    return BlueprintSpec.model_validate(exam.definition)


async def list_exams(session: AsyncSession) -> Sequence[ExamVersion]:
    exams = await ExamRepository(session).current_exams()
    return [e for e in exams if e.renews is None]


def block_html(text: str) -> str:
    """A stem's or a brief's Markdown as safe HTML."""
    return markdown.block_html(text)


def markdown_problems(text: str) -> list[str]:
    """Why a text would not render as Markdown the way its author meant (validation)."""
    return markdown.problems(text)


def inline_html(text: str) -> str:
    """An option's Markdown as safe inline HTML."""
    return markdown.inline_html(text)


async def exam_title(session: AsyncSession, code: str) -> str:
    """The exam's current title, for people; its code if it is no longer published."""
    exam = await ExamRepository(session).current_exam(code)
    return exam.title if exam is not None else code


async def get_exam(session: AsyncSession, code: str) -> ExamVersion:
    exam = await ExamRepository(session).current_exam(code)
    if exam is None:
        raise ExamNotFound()
    return exam


async def require_published(session: AsyncSession, code: str) -> None:
    """Raises ExamNotFound unless some version of the exam was published, retired or not
    (its delivered attempts are still there to analyse)."""
    if not await ExamRepository(session).has_exam(code):
        raise ExamNotFound(f"There is no exam with the code {code!r}.")


async def renewal_exam_for(session: AsyncSession, exam_code: str) -> ExamVersion | None:
    """The current exam that renews ``exam_code``, if the bank has one."""
    for exam in await ExamRepository(session).current_exams():
        if exam.renews == exam_code:
            return exam
    return None


async def get_exam_version(session: AsyncSession, version_id: uuid.UUID) -> ExamVersion:
    exam = await ExamRepository(session).exam_version(version_id)
    if exam is None:
        raise ExamNotFound()
    return exam


@dataclass(frozen=True)
class DrawableItem:
    """What a start needs of a current item version: no stem, key or rationale."""

    id: uuid.UUID
    item_id: str
    type: str
    domain: str
    level: str
    option_ids: tuple[str, ...]
    # The author's estimate of the share answering right (what forms balance on before
    # there is enough data).
    difficulty: float


class _PoolCache:
    """The drawable items, kept by this process: every start drew on all of them, and
    loading a few hundred item versions through the ORM was the largest part of a start.
    A publish in this process empties it; one in another process (a replica starting
    with new content) reaches it within ``POOL_LIFETIME``, meanwhile starts draw the
    versions that were current when it was read (still valid rows). Its age is read on
    the app's clock; a copy read "in the future" (the clock set back) is stale."""

    def __init__(self) -> None:
        self.items: tuple[DrawableItem, ...] | None = None
        self.read_at: datetime | None = None

    def get(self, now: datetime) -> tuple[DrawableItem, ...] | None:
        if (
            self.items is not None
            and self.read_at is not None
            and timedelta(0) <= now - self.read_at < POOL_LIFETIME
        ):
            return self.items
        return None

    def put(self, items: tuple[DrawableItem, ...], now: datetime) -> None:
        self.items, self.read_at = items, now

    def invalidate(self) -> None:
        self.items = None


POOL_LIFETIME = timedelta(seconds=60)
_pool_cache = _PoolCache()


async def drawable_pool(
    session: AsyncSession, clock: Clock
) -> tuple[list[PoolEntry], dict[str, DrawableItem]]:
    now = clock.now()
    items = _pool_cache.get(now)
    if items is None:
        items = tuple(
            DrawableItem(
                id_, item_id, type_, domain, level, tuple(o["id"] for o in options), difficulty
            )
            for id_, item_id, type_, domain, level, options, difficulty in await ExamRepository(
                session
            ).drawable_items()
        )
        _pool_cache.put(items, now)
    by_id = {item.item_id: item for item in items}
    pool = [PoolEntry(item.item_id, "mcq", item.domain, item.level) for item in items]
    return pool, by_id


async def item_versions(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ItemVersion]:
    return await ExamRepository(session).item_versions(ids)


@dataclass(frozen=True)
class ItemContent:
    """What a candidate is shown of an item version, rendered once: its stem and options
    as authored and as HTML; never its key or rationale."""

    stem: str
    stem_html: str
    multiple: bool
    # option id -> (text, html)
    options: dict[str, tuple[str, str]]


class _ContentCache:
    """Item versions never change once published (a change is a new version), so their
    rendering is kept by this process: opening an item costs no read of the version and
    no Markdown rendering. Bounded: the least recently used go first."""

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[uuid.UUID, ItemContent] = OrderedDict()
        self._size = size

    def get(self, version_id: uuid.UUID) -> ItemContent | None:
        content = self._data.get(version_id)
        if content is not None:
            self._data.move_to_end(version_id)
        return content

    def put(self, version_id: uuid.UUID, content: ItemContent) -> None:
        self._data[version_id] = content
        if len(self._data) > self._size:
            self._data.popitem(last=False)


_content_cache = _ContentCache(5_000)


async def item_content(session: AsyncSession, version_id: uuid.UUID) -> ItemContent | None:
    """The version as candidates see it (None: no such version)."""
    content = _content_cache.get(version_id)
    if content is not None:
        return content
    version = (await ExamRepository(session).item_versions([version_id])).get(version_id)
    if version is None:
        return None
    content = ItemContent(
        stem=version.stem,
        stem_html=block_html(version.stem),
        multiple=version.type == "multiple",
        options={o["id"]: (o["text"], inline_html(o["text"])) for o in version.options},
    )
    _content_cache.put(version_id, content)
    return content


async def versions_of_item(session: AsyncSession, item_id: str) -> Sequence[ItemVersion]:
    """Every published version of an item, oldest first (retired ones included)."""
    return await ExamRepository(session).versions_of_item(item_id)


async def items_with_history(session: AsyncSession) -> Sequence[ItemVersion]:
    """Every version of the items published more than once (oldest first per item)."""
    return await ExamRepository(session).items_with_history()


async def correct_key(
    session: AsyncSession, version_ids: Sequence[uuid.UUID], correction: KeyCorrection
) -> None:
    """From now on these delivered versions are scored under ``correction`` (a regrade)."""
    await ExamRepository(session).set_key_correction(version_ids, correction.as_json())
