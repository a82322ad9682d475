"""The authors' pages: the bank by exam and domain with statistics and flags, one item
version (its text, versions, distractors and facility over time) and one exam (score
histogram, reliability, decision consistency, hidden checks). Roles author and admin;
rendered from the authoring service's reports, plots as inline SVG with tables."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Term:
    """A statistic as the pages name it: its header, its unit, and what it means in
    words an author who is not a psychometrician can use (the glossary and the tooltip
    of every column that shows it)."""

    key: str
    label: str
    unit: str
    meaning: str


TERMS = {
    t.key: t
    for t in (
        Term(
            "n",
            "Responses",
            "count",
            "How many scored attempts had this item on their form, answered or left blank. "
            f"Statistics and flags appear from {RULES.min_n}.",
        ),
        Term(
            "facility",
            "Facility",
            "share right, 0 to 1",
            "The share of candidates who answered right: 0.90 means nine in ten got it (an "
            "easy item), 0.30 three in ten (a hard one). Items between about 0.30 and 0.90 "
            "tell candidates apart best.",
        ),
        Term(
            "point_biserial",
            "Point-biserial",
            "correlation, -1 to 1",
            "Do candidates who do well on the rest of the exam also get this item right? "
            "Above 0.20: yes, the item separates stronger from weaker candidates. Near 0: "
            "it does not. Below 0: stronger candidates do worse on it, often a wrong key.",
        ),
        Term(
            "discrimination",
            "Upper-lower D",
            "difference of shares, -1 to 1",
            "The share right among the top 27 % of candidates by total score minus the share "
            "right among the bottom 27 %. 0.40 means the top group got it right 40 points "
            "more often; near 0 or below 0 is a reason to look at the item.",
        ),
        Term(
            "omit_rate",
            "Omitted",
            "% of responses",
            "The share of candidates who left the item blank. A high share can mean the item "
            "is unclear or takes too long.",
        ),
        Term(
            "median_seconds",
            "Median time to first answer",
            "seconds",
            "The middle time candidates took to first answer it, from their previous first "
            "answer on the form (or the start of the attempt); half took less. Later changes "
            "do not count.",
        ),
        Term(
            "mean_seconds",
            "Mean time to first answer",
            "seconds",
            "The average of the same times. Far above the median: a few candidates stayed "
            "long on it.",
        ),
        Term(
            "exposure",
            "Exposure",
            "% of attempts",
            "The share of this exam's attempts whose form held the item. An item shown very "
            "often is more likely to be memorised and shared.",
        ),
        Term(
            "flags",
            "Flags",
            "reasons to review",
            "Why the item may need attention (too easy, too hard, not discriminating, a "
            "likely wrong key, a possible leak), each with the numbers behind it.",
        ),
        Term(
            "share",
            "Chosen by",
            "% of all candidates",
            "The share of all candidates who chose this option.",
        ),
        Term(
            "upper_share",
            "Upper group",
            "% of the top 27 %",
            "The share of the strongest 27 % of candidates (by total score) who chose this "
            "option. A wrong option chosen more here than the key suggests a wrong key.",
        ),
        Term(
            "lower_share",
            "Lower group",
            "% of the bottom 27 %",
            "The share of the weakest 27 % of candidates (by total score) who chose this "
            "option. Wrong options should draw this group more than the top one.",
        ),
        Term(
            "window_n",
            "Responses",
            "count",
            "How many responses of that group fall in the window.",
        ),
        Term(
            "window_median_seconds",
            "Median time",
            "seconds",
            "The middle time to first answer in the window: half the candidates took less.",
        ),
        Term(
            "z",
            "z against baseline",
            "standard errors",
            "How far the window's facility is above the baseline's, in standard errors. "
            "Chance alone rarely goes above 3; below 0 the item got harder.",
        ),
        Term(
            "graded",
            "Graded",
            "count",
            "How many scored attempts had this hidden check graded.",
        ),
        Term(
            "pass_rate",
            "Pass rate",
            "% of graded attempts",
            "The share of graded attempts that passed the check. 0 % after many attempts "
            "usually means the check or the scenario is broken.",
        ),
        Term(
            "check_point_biserial",
            "Point-biserial",
            "correlation, -1 to 1",
            "Do candidates who pass this check score higher on the exam? Above 0.20: yes; "
            "near 0 or below: the check does not follow overall skill.",
        ),
        Term(
            "exam_attempts",
            "Scored attempts",
            "count",
            "How many attempts of this exam version were scored. Reliability and decision "
            f"consistency appear from {RULES.min_n}.",
        ),
        Term(
            "exam_pass_rate",
            "Pass rate",
            "% of scored attempts",
            "The share of scored attempts that reached the pass mark.",
        ),
        Term(
            "pass_mark",
            "Pass mark",
            "% of the score",
            "The score a candidate needs to pass, over the whole exam: choice items and "
            "scenarios, weighted as the blueprint weights them.",
        ),
        Term(
            "mean_right",
            "Mean",
            "choice items right",
            "The average number of choice items candidates got right on their form (the "
            "statistics below are on this scale).",
        ),
        Term(
            "sd",
            "Standard deviation",
            "choice items right",
            "How far scores typically are from the mean: about two in three candidates score "
            "within one standard deviation of it.",
        ),
        Term(
            "kr20",
            "KR-20",
            "reliability, 0 to 1",
            "How consistently the choice items measure one skill (Cronbach's alpha for "
            "right/wrong items). About 0.80 or more is usual for a certification; below "
            "0.70 a candidate's score says little on its own.",
        ),
        Term(
            "sem",
            "Standard error of measurement",
            "choice items right",
            "How far a score may be from the candidate's true level by chance alone: the "
            "standard deviation times the square root of 1 minus KR-20. A candidate within "
            "one of it of the pass mark could pass or fail on another day.",
        ),
        Term(
            "decision_consistency",
            "Decision consistency",
            "agreement 0 to 1, kappa",
            "How often two parallel sittings would agree on pass or fail (Subkoviak's "
            "estimate from one sitting). Kappa is the agreement beyond what chance alone "
            "gives: 0 none, 1 complete.",
        ),
    )
}
BANK_COLUMNS = [
    "n",
    "facility",
    "point_biserial",
    "discrimination",
    "omit_rate",
    "median_seconds",
    "exposure",
    "flags",
]
ITEM_TERMS = ["n", "facility", "point_biserial", "discrimination", "omit_rate", "median_seconds"]
ITEM_TERMS += ["mean_seconds", "exposure", "share", "upper_share", "lower_share", "window_n"]
ITEM_TERMS += ["window_median_seconds", "z"]
CHECK_TERMS = ["graded", "pass_rate", "check_point_biserial"]
EXAM_TERMS = ["exam_attempts", "exam_pass_rate", "pass_mark", "mean_right", "sd", "kr20", "sem"]
EXAM_TERMS += ["decision_consistency"]
# The columns the bank sorts by: each row's value, None for "not computed".
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "item": lambda r: (r["item_id"], r["version"]),
    "n": lambda r: r["n"],
    "facility": lambda r: r["facility"],
    "point_biserial": lambda r: r["point_biserial"],
    "discrimination": lambda r: r["discrimination"],
    "omit_rate": lambda r: r["omit_rate"],
    "median_seconds": lambda r: r["median_seconds"],
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
        terms=TERMS,
        columns=BANK_COLUMNS,
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
        if not windows:  # a group with no responses (no repeat takers yet): no line
            continue
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
            y_label="Facility (share right)",
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
        terms=TERMS,
        glossary_terms=ITEM_TERMS,
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
        terms=TERMS,
        glossary_terms=EXAM_TERMS + (CHECK_TERMS if checks else []),
        computed_at=kept.computed_at,
    )
