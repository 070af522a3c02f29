"""The supervisor API: the escalation rule set (form, validation, versions, diff,
restore), the Value Matrix, the team, and taking over a conversation. Every route needs
a supervisor session (``CurrentSupervisor``: 401 without a session, 403 for agents)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.accounts.models import Account
from handoff.accounts.sessions import utc
from handoff.agents.effects import apply_effects
from handoff.agents.errors import AgentActionError
from handoff.api.deps import CurrentSupervisor, SessionDep, SettingsDep
from handoff.audit.models import AuditEntry
from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.rulesets.models import RuleSet
from handoff.rulesets.store import (
    RuleSetInvalid,
    VersionNotFound,
    active_ruleset,
    publish,
    restore,
    version_data,
    versions,
)
from handoff.rulesets.value_matrix import Quadrant
from handoff.supervisor import team as team_ops
from handoff.supervisor.ruleset_diff import diff
from handoff.supervisor.ruleset_form import (
    FIELDS,
    INTENT_LABELS,
    Problem,
    describe,
    field_for,
    form_problems,
)
from handoff.supervisor.takeover import take_over

router = APIRouter(prefix="/api/supervisor", tags=["supervisor"])

NOT_SAVED = "Niet opgeslagen"
STALE = "Een collega heeft intussen versie {version} opgeslagen; laad de pagina opnieuw"
VERSION_NOT_FOUND = "Versie {version} bestaat niet"
LABELS = {field.name: field.label for field in FIELDS}


class RuleSetIn(BaseModel):
    data: dict[str, Any]
    # The version the form was loaded from: a save on top of a colleague's newer
    # version would silently undo their change.
    based_on: int | None = None


class ValueMatrixIn(BaseModel):
    matrix: dict[str, Quadrant]
    based_on: int | None = None


def _iso(moment: datetime | None) -> str | None:
    return utc(moment).isoformat() if moment else None


def _names(session: Session) -> dict[int, str]:
    return {
        row.id: row.display_name
        for row in session.execute(select(Account.id, Account.display_name))
    }


def _problems_response(problems: list[Problem]) -> JSONResponse:
    count = len(problems)
    noun = "probleem" if count == 1 else "problemen"
    return JSONResponse(
        {
            "detail": f"{NOT_SAVED}: {count} {noun}. Niets is gewijzigd.",
            "problems": [{"field": p.field, "message": p.message} for p in problems],
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def _ruleset_view(session: Session) -> dict[str, Any]:
    version, rules = active_ruleset(session)
    session.commit()  # the seed of version 1, on a fresh database
    row = session.scalar(select(RuleSet).where(RuleSet.version == version))
    names = _names(session)
    return {
        "version": version,
        "created_at": _iso(row.created_at) if row else None,
        "created_by": names.get(row.created_by) if row and row.created_by else None,
        "data": rules.model_dump(mode="json"),
        "form": describe(rules),
    }


def _save(session: Session, data: dict[str, Any], based_on: int | None, account_id: int) -> Any:
    problems = form_problems(data)
    if problems:
        return _problems_response(problems)
    active, _rules = active_ruleset(session)
    if based_on is not None and based_on != active:
        raise HTTPException(status.HTTP_409_CONFLICT, STALE.format(version=active))
    try:
        version = publish(session, data=data, account_id=account_id)
    except RuleSetInvalid as invalid:
        session.rollback()
        return _problems_response(
            [
                Problem(field_for(path), message or text)
                for text in invalid.problems
                for path, _, message in [text.partition(": ")]
            ]
        )
    session.commit()
    return JSONResponse({"version": version}, status_code=status.HTTP_201_CREATED)


@router.get("/ruleset")
def read_ruleset(staff: CurrentSupervisor, session: SessionDep) -> dict[str, Any]:
    return _ruleset_view(session)


@router.get("/ruleset/defaults")
def read_defaults(staff: CurrentSupervisor) -> dict[str, Any]:
    return {"data": DEFAULT_RULESET.model_dump(mode="json")}


@router.post("/ruleset/validate")
def validate_ruleset(body: RuleSetIn, staff: CurrentSupervisor) -> dict[str, Any]:
    return {
        "problems": [{"field": p.field, "message": p.message} for p in form_problems(body.data)]
    }


@router.post("/ruleset", status_code=status.HTTP_201_CREATED)
def save_ruleset(body: RuleSetIn, staff: CurrentSupervisor, session: SessionDep) -> Any:
    return _save(session, body.data, body.based_on, staff.account.id)


@router.get("/ruleset/versions")
def list_versions(staff: CurrentSupervisor, session: SessionDep) -> dict[str, Any]:
    names = _names(session)
    restored = {
        entry.object_id: entry.details.get("restored_version")
        for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "ruleset.restore")
        )
    }
    rows = versions(session)
    return {
        "versions": [
            {
                "version": row.version,
                "active": row.active,
                "created_at": _iso(row.created_at),
                "created_by": names.get(row.created_by) if row.created_by else None,
                "restored_from": restored.get(str(row.version)),
            }
            for row in rows
        ]
    }


def _version(session: Session, version: int) -> dict[str, Any]:
    try:
        return version_data(session, version).model_dump(mode="json")
    except VersionNotFound:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, VERSION_NOT_FOUND.format(version=version)
        ) from None


@router.get("/ruleset/versions/{version}")
def read_version(version: int, staff: CurrentSupervisor, session: SessionDep) -> dict[str, Any]:
    return {"version": version, "data": _version(session, version)}


def _label(path: str) -> str:
    if path.startswith("value_matrix."):
        intent = path.removeprefix("value_matrix.")
        return f"Waardematrix: {INTENT_LABELS.get(intent, intent)}"
    return LABELS.get(path, path)


@router.get("/ruleset/diff")
def version_diff(
    staff: CurrentSupervisor,
    session: SessionDep,
    from_version: int = Query(alias="from"),
    to_version: int = Query(alias="to"),
) -> dict[str, Any]:
    old, new = _version(session, from_version), _version(session, to_version)
    return {
        "from": from_version,
        "to": to_version,
        "changes": [
            change.model_dump() | {"label": _label(change.path)} for change in diff(old, new)
        ],
    }


@router.post("/ruleset/versions/{version}/restore", status_code=status.HTTP_201_CREATED)
def restore_version(version: int, staff: CurrentSupervisor, session: SessionDep) -> dict[str, Any]:
    _version(session, version)
    try:
        new_version = restore(session, version=version, account_id=staff.account.id)
    except RuleSetInvalid as invalid:
        session.rollback()
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Versie {version} kan niet terug: " + "; ".join(invalid.problems),
        ) from None
    session.commit()
    return {"version": new_version, "restored_from": version}


@router.get("/value-matrix")
def read_value_matrix(staff: CurrentSupervisor, session: SessionDep) -> dict[str, Any]:
    view = _ruleset_view(session)
    return {
        "version": view["version"],
        "intents": view["form"]["value_matrix"],
        "quadrants": view["form"]["quadrants"],
    }


@router.put("/value-matrix", status_code=status.HTTP_201_CREATED)
def save_value_matrix(body: ValueMatrixIn, staff: CurrentSupervisor, session: SessionDep) -> Any:
    _version_number, rules = active_ruleset(session)
    data = rules.model_dump(mode="json") | {"value_matrix": dict(body.matrix)}
    return _save(session, data, body.based_on, staff.account.id)


def _team_error(error: team_ops.TeamError) -> HTTPException:
    return HTTPException(error.status_code, error.message)


def _reset_url(settings: Any, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/password-reset/{token}"


@router.get("/team")
def list_team(staff: CurrentSupervisor, session: SessionDep) -> dict[str, Any]:
    return {"members": team_ops.team(session)}


@router.post("/team", status_code=status.HTTP_201_CREATED)
def create_member(
    body: team_ops.MemberCreate,
    staff: CurrentSupervisor,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    try:
        account = team_ops.create_member(session, data=body, by=staff.account)
        link = team_ops.issue_reset_link(
            session,
            account_id=account.id,
            by=staff.account,
            valid_hours=settings.password_reset_hours,
        )
    except team_ops.TeamError as error:
        session.rollback()
        raise _team_error(error) from error
    session.commit()
    return {
        "id": account.id,
        "reset_url": _reset_url(settings, link.token),
        "expires_at": _iso(link.expires_at),
    }


@router.patch("/team/{account_id}")
def update_member(
    account_id: int, body: team_ops.MemberUpdate, staff: CurrentSupervisor, session: SessionDep
) -> dict[str, Any]:
    try:
        team_ops.update_member(session, account_id=account_id, data=body, by=staff.account)
    except team_ops.TeamError as error:
        session.rollback()
        raise _team_error(error) from error
    session.commit()
    return {"members": team_ops.team(session)}


@router.post("/team/{account_id}/deactivate")
def deactivate_member(
    account_id: int, staff: CurrentSupervisor, session: SessionDep
) -> dict[str, Any]:
    try:
        team_ops.deactivate_member(session, account_id=account_id, by=staff.account)
    except team_ops.TeamError as error:
        session.rollback()
        raise _team_error(error) from error
    session.commit()
    return {"members": team_ops.team(session)}


@router.post("/team/{account_id}/reset-link", status_code=status.HTTP_201_CREATED)
def reset_link(
    account_id: int, staff: CurrentSupervisor, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    try:
        link = team_ops.issue_reset_link(
            session,
            account_id=account_id,
            by=staff.account,
            valid_hours=settings.password_reset_hours,
        )
    except team_ops.TeamError as error:
        session.rollback()
        raise _team_error(error) from error
    session.commit()
    return {"reset_url": _reset_url(settings, link.token), "expires_at": _iso(link.expires_at)}


@router.post("/conversations/{conversation_id}/take-over")
async def take_over_conversation(
    conversation_id: str, request: Request, staff: CurrentSupervisor, session: SessionDep
) -> dict[str, Any]:
    def run() -> Any:
        try:
            effects = take_over(session, conversation_id=conversation_id, supervisor=staff.account)
            session.commit()
            return effects
        except AgentActionError as error:
            session.rollback()
            raise HTTPException(error.status_code, error.message) from error

    effects = await run_in_threadpool(run)
    await apply_effects(request.app, effects)
    result: dict[str, Any] = effects.result
    return result
