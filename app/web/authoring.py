"""The authors' pages: the bank by exam and domain with statistics and flags, one item
version (its text, versions, distractors and facility over time) and one exam (score
histogram, reliability, decision consistency, hidden checks). Roles author and admin;
rendered from the authoring service's reports, plots as inline SVG with tables."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from app.authoring import service
from app.authoring.cache import AnalysisCache, BankAnalysis
from app.authoring.drift import Drift, DriftRules
from app.authoring.statistics import FlagRules
from app.core.deps import SessionDep, UnitOfWorkRoute
from app.core.text import Text
from app.exams import service as exams_service
from app.exams.exceptions import ExamNotFound
from app.identity.models import Role, User
from app.web.charts import LineSeries, histogram, line_chart
from app.web.pages import error_page, render, staff_user
from app.web.regrades import CHANGES

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWorkRoute)

RULES = FlagRules()
DRIFT = DriftRules()
FLAG_NAMES = {
    "too_easy": "Too easy",
    "too_hard": "Too hard",
    "non_discriminating": "Not discriminating",
    "negative_discrimination": "Negative discrimination",
    "likely_miskey": "Likely mis-keyed",
    "possible_leak": "Possible leak",
    "time_collapse": "Answer time collapsed",
    "nobody_passes": "Nobody passes",
}
# The columns the bank sorts by: each row's value, None for "not computed".
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "item": lambda r: (r["item_id"], r["version"]),
    "n": lambda r: r["n"],
    "facility": lambda r: r["facility"],
    "point_biserial": lambda r: r["point_biserial"],
    "discrimination": lambda r: r["discrimination"],
    "omit_rate": lambda r: r["omit_rate"],
    "mean_seconds": lambda r: r["mean_seconds"],
    "exposure": lambda r: r["exposure"],
    "flags": lambda r: len(r["flags"]),
}


def _sorted(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    """By the column, either way; rows without a value last whichever way."""
    key = SORTS[sort]
    present = [r for r in rows if key(r) is not None]
    return sorted(present, key=key, reverse=descending) + [r for r in rows if key(r) is None]


def _analysis(request: Request) -> AnalysisCache:
    cache: AnalysisCache = request.app.state.analysis
    return cache


async def _author(request: Request, session: SessionDep) -> User | Response:
    return await staff_user(
        request, session, (Role.author, Role.admin), "Only authors and admins see item analysis."
    )


def _flags(flags: list[Any]) -> list[dict[str, str]]:
    return [
        {"code": f.code, "name": FLAG_NAMES.get(f.code, f.code), "reason": f.reason} for f in flags
    ]


def _row(report: service.ItemReport, drift: Drift | None) -> dict[str, Any]:
    more = drift.flags if drift else []
    row: dict[str, Any] = dict(report.as_dict(more))
    row["id"] = report.item_version_id
    row["domain"] = report.domain
    row["enough"] = report.stats.n >= RULES.min_n
    row["flag_list"] = _flags(report.stats.flags + more)
    return row


@router.get("/author/items")
async def bank_page(
    request: Request,
    session: SessionDep,
    exam: Annotated[Text | None, Query()] = None,
    sort: Annotated[Text, Query()] = "item",
    order: Annotated[Text, Query()] = "asc",
) -> Response:
    author = await _author(request, session)
    if isinstance(author, Response):
        return author
    exams = list(await exams_service.list_exams(session))
    codes = [e.code for e in exams]
    code = exam if exam in codes else (codes[0] if codes else None)
    sort = sort if sort in SORTS else "item"
    descending = order == "desc"
    kept = (
        await _analysis(request).get(session, request.app.state.sessionmaker, "bank", code)
        if code
        else None
    )
    analysis: BankAnalysis = kept.value if kept else BankAnalysis([], {})
    rows = [_row(r, analysis.drift.get(r.item_version_id)) for r in analysis.items]
    domains: dict[str, list[dict[str, Any]]] = {}
    for row in _sorted(rows, sort, descending):
        domains.setdefault(row["domain"], []).append(row)
    return render(
        request,
        "author_items.html",
        title="Item analysis",
        exams=exams,
        code=code,
        domains=dict(sorted(domains.items())),
        sort=sort,
        descending=descending,
        flagged=sum(1 for r in rows if r["flags"]),
        min_n=RULES.min_n,
        computed_at=kept.computed_at if kept else None,
    )


def _markdown(html: str) -> Markup:
    """Item text as exams.markdown renders it: raw HTML in the source is escaped there,
    and no links or images are made, so the result is safe to insert."""
    return Markup(html)  # noqa: S704


def _facility_over_time(item_id: str, drift: Drift) -> dict[str, Any]:
    """The plot and its table: each group's baseline, then each window, in order."""
    columns: list[tuple[str, int]] = []  # (group, index) in plot order
    for s in drift.series:
        for w in ([s.baseline] if s.baseline else []) + s.windows:
            columns.append((s.group, w.index))
    positions = sorted({i for _, i in columns})
    rows = []
    series = []
    tests = {(t.group, t.window.index): t for t in drift.tests}
    for s in drift.series:
        windows = ([s.baseline] if s.baseline else []) + s.windows
        series.append(
            LineSeries(s.group, [(positions.index(w.index), w.facility) for w in windows])
        )
        for w in windows:
            t = tests.get((s.group, w.index))
            rows.append(
                {
                    "group": s.group,
                    "label": "baseline" if w.index < 0 else f"window {w.index + 1}",
                    "window": w,
                    "z": t.z if t else None,
                    "leak": bool(t and t.leak),
                    "collapse": bool(t and t.collapse),
                }
            )
    labels = ["baseline" if i < 0 else f"w{i + 1}" for i in positions]
    chart = None
    if rows:
        chart = line_chart(
            f"Facility over time, item {item_id}",
            "Share answering right in the baseline (the first "
            f"{DRIFT.baseline_n} responses) and in each following window of "
            f"{DRIFT.window_n}, for first-time and for repeat takers; "
            "the same numbers are in the table below.",
            labels,
            series,
        )
    return {"chart": chart, "rows": rows}


@router.get("/author/items/{item_version_id}")
async def item_page(item_version_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    author = await _author(request, session)
    if isinstance(author, Response):
        return author
    versions = list(await service.item_versions(session, item_version_id))
    version = next((v for v in versions if v.id == item_version_id), None)
    if version is None:
        return error_page(request, 404)
    kept = await _analysis(request).get(session, request.app.state.sessionmaker, "items", None)
    report = next((r for r in kept.value if r.item_version_id == version.id), None)
    # One item's windows are quick (bench/README.md): always current.
    drift = (await service.drift(session, [version.id], DRIFT))[version.id]
    texts = {str(o["id"]): str(o["text"]) for o in version.options}
    return render(
        request,
        "author_item.html",
        title=f"Item {version.item_id} v{version.version}",
        version=version,
        versions=versions,
        stem=_markdown(exams_service.block_html(version.stem)),
        options=[(oid, _markdown(exams_service.inline_html(t))) for oid, t in texts.items()],
        row=_row(report, drift) if report else None,
        stats=report.stats if report else None,
        min_n=RULES.min_n,
        drift_rules=DRIFT,
        over_time=_facility_over_time(version.item_id, drift),
        option_text={oid: _markdown(exams_service.inline_html(t)) for oid, t in texts.items()},
        computed_at=kept.computed_at,
        item_id=version.item_id,
        item_changes=CHANGES,
    )


@router.get("/author/exams/{code}")
async def exam_page(code: Text, request: Request, session: SessionDep) -> Response:
    author = await _author(request, session)
    if isinstance(author, Response):
        return author
    try:
        current = await exams_service.get_exam(session, code)
    except ExamNotFound:
        return error_page(request, 404)
    kept = await _analysis(request).get(session, request.app.state.sessionmaker, "exam", code)
    reports, check_reports = kept.value
    versions = []
    for report in reports:
        dc = report.consistency
        bins = [(str(total), count) for total, count in report.distribution.items()]
        totals = list(report.distribution)
        mark = None
        if dc is not None:
            mark = next((i for i, t in enumerate(totals) if t >= dc.cut), len(totals))
        chart = None
        if bins:
            chart = histogram(
                f"Scores on {report.code} version {report.version}",
                f"Attempts by number of choice items right, {report.attempts} scored "
                "attempts; the line marks the pass mark on that scale. The same "
                "numbers are in the table below.",
                bins,
                mark,
            )
        versions.append({"report": report, "chart": chart, "dc": dc})
    checks = [{"check": c, "flag_list": _flags(c.stats.flags)} for c in check_reports]
    return render(
        request,
        "author_exam.html",
        title=f"Exam analysis: {current.title}",
        exam=current,
        versions=versions,
        checks=checks,
        min_n=RULES.min_n,
        computed_at=kept.computed_at,
    )
