"""The widget on the organisation's own site calls the customer API across origins:
allowed for the configured origins only."""

from __future__ import annotations

from tests.handoff.customers import ORIGIN, TestClient, make_app

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-contact-token",
}


def test_a_configured_origin_may_start_a_conversation_from_its_page(sqlite_url: str) -> None:
    with TestClient(make_app(sqlite_url)) as client:
        preflight = client.options(
            "/api/web/conversations", headers={"Origin": ORIGIN, **PREFLIGHT}
        )
        started = client.post(
            "/api/web/conversations", json={"lang": "nl"}, headers={"Origin": ORIGIN}
        )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert started.status_code == 200
    assert started.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-credentials" not in started.headers


def test_another_origin_gets_no_permission(sqlite_url: str) -> None:
    other = "https://evil.example"
    with TestClient(make_app(sqlite_url)) as client:
        preflight = client.options("/api/web/conversations", headers={"Origin": other, **PREFLIGHT})
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
