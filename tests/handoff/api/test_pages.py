"""What every page carries (security headers) and how pages treat a browser without a
session."""

from __future__ import annotations

from tests.handoff.customers import TestClient, make_app


def test_pages_forbid_inline_script_and_framing(sqlite_url: str) -> None:
    with TestClient(make_app(sqlite_url)) as client:
        response = client.get("/console/login")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_login_page_only_sends_people_back_to_this_site(sqlite_url: str) -> None:
    with TestClient(make_app(sqlite_url)) as client:
        local = client.get("/console/login", params={"next": "/supervisor/rules"})
        foreign = client.get("/console/login", params={"next": "//evil.example/x"})
    assert 'data-next="/supervisor/rules"' in local.text
    assert 'data-next="/console"' in foreign.text
    assert "evil.example" not in foreign.text


def test_templates_escape_whatever_they_are_given() -> None:
    from handoff.api.templating import templates

    rendered = templates.env.from_string("{{ text }}").render(text="<img src=x onerror=alert(1)>")
    assert rendered == "&lt;img src=x onerror=alert(1)&gt;"
