"""Staff login, logout and who-am-I."""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Response, status

from handoff.accounts.login import Outcome, attempt_login
from handoff.accounts.schemas import AccountPublic, LoginRequest, LoginResponse
from handoff.accounts.sessions import now, revoke_session, start_session
from handoff.api.deps import SESSION_COOKIE, CurrentStaff, SessionDep, SettingsDep
from handoff.audit.record import record

router = APIRouter(prefix="/api/auth", tags=["auth"])

INVALID_LOGIN = "E-mailadres of wachtwoord onjuist"


def locked_message(minutes: int) -> str:
    unit = "minuut" if minutes == 1 else "minuten"
    return (
        "Te veel mislukte inlogpogingen. Dit account is tijdelijk geblokkeerd; "
        f"probeer het over {minutes} {unit} opnieuw."
    )


@router.post("/login")
def login(
    body: LoginRequest, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginResponse:
    # A plain ``def`` route: FastAPI runs it in the thread pool, so argon2's tens of
    # milliseconds of CPU never block the event loop.
    attempt = attempt_login(
        session,
        email=body.email,
        password=body.password,
        max_failures=settings.login_max_failures,
        lockout_minutes=settings.login_lockout_minutes,
    )
    if attempt.outcome is not Outcome.ok or attempt.account is None:
        session.commit()  # the failure counter and the audit entries
        if attempt.outcome is Outcome.locked and attempt.locked_until is not None:
            seconds = max(1, math.ceil((attempt.locked_until - now()).total_seconds()))
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                locked_message(math.ceil(seconds / 60)),
                headers={"Retry-After": str(seconds)},
            )
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_LOGIN)

    new = start_session(session, account=attempt.account, ttl_minutes=settings.session_ttl_minutes)
    session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=settings.session_ttl_minutes * 60,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
    )
    return LoginResponse(
        account=AccountPublic.of(attempt.account), csrf_token=new.staff_session.csrf_token
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    staff: CurrentStaff, response: Response, session: SessionDep, settings: SettingsDep
) -> None:
    revoke_session(session, staff.staff_session)
    record(session, action="logout", account_id=staff.account.id)
    session.commit()
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=settings.cookie_secure
    )


@router.get("/me")
def me(staff: CurrentStaff) -> LoginResponse:
    # The console reloads without logging in again; it needs the CSRF token back.
    return LoginResponse(
        account=AccountPublic.of(staff.account), csrf_token=staff.staff_session.csrf_token
    )
