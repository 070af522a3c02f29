"""Analytics for supervisors: the period's numbers as JSON, CSV and SVG charts, and
the knowledge gaps."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response

from handoff.analytics.export import to_csv
from handoff.analytics.gaps import GapGroup
from handoff.analytics.load import analyse, period_gaps
from handoff.analytics.metrics import AnalyticsReport
from handoff.analytics.period import Period
from handoff.analytics.views import CHARTS
from handoff.api.deps import CurrentSupervisor, SessionDep
from handoff.api.pages import PageSupervisor
from handoff.api.routes.replay import period_or_422
from handoff.api.templating import render
from handoff.rulesets.store import active_ruleset

router = APIRouter(tags=["analytics"])

UNKNOWN_CHART = "Onbekende grafiek; kies uit: {names}"


def _chosen(session: SessionDep, start: date | None, end: date | None) -> Period:
    """The last 28 days when no period is given."""
    _version, rules = active_ruleset(session)
    end = end or date.today()
    start = start or end - timedelta(days=27)
    return period_or_422(start, end, rules.opening_hours.timezone)


@router.get("/api/supervisor/analytics")
def analytics(
    staff: CurrentSupervisor,
    session: SessionDep,
    start: date | None = None,
    end: date | None = None,
) -> AnalyticsReport:
    return analyse(session, _chosen(session, start, end))[0]


@router.get("/api/supervisor/analytics.csv")
def analytics_csv(
    staff: CurrentSupervisor,
    session: SessionDep,
    start: date | None = None,
    end: date | None = None,
) -> Response:
    period = _chosen(session, start, end)
    report = analyse(session, period)[0]
    name = f"analyse-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/supervisor/analytics/charts/{name}.svg")
def chart(
    name: str,
    staff: CurrentSupervisor,
    session: SessionDep,
    start: date | None = None,
    end: date | None = None,
) -> Response:
    draw = CHARTS.get(name)
    if draw is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, UNKNOWN_CHART.format(names=", ".join(CHARTS))
        )
    report = analyse(session, _chosen(session, start, end))[0]
    return Response(draw(report), media_type="image/svg+xml")


@router.get("/api/supervisor/gaps")
def gaps(
    staff: CurrentSupervisor,
    session: SessionDep,
    start: date | None = None,
    end: date | None = None,
) -> list[GapGroup]:
    return period_gaps(session, _chosen(session, start, end))


@router.get("/supervisor/analytics", response_class=HTMLResponse, include_in_schema=False)
def analytics_page(request: Request, staff: PageSupervisor) -> HTMLResponse:
    return render(request, "supervisor/analytics.html", staff=staff, active="analytics")


@router.get("/supervisor/gaps", response_class=HTMLResponse, include_in_schema=False)
def gaps_page(request: Request, staff: PageSupervisor) -> HTMLResponse:
    return render(request, "supervisor/gaps.html", staff=staff, active="gaps")
