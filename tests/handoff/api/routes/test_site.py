"""The demo site: its home page embeds the widget with one script tag, the help pages the
bot cites are served as HTML, and an unknown page is a 404 in words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.handoff.customers import TestClient, make_app


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(make_app(sqlite_url)) as test_client:
        yield test_client


def test_home_page_embeds_the_widget_with_one_script_tag(client: TestClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    assert '<html lang="nl">' in answer.text
    assert answer.text.count("<script") == 1
    assert '<script src="/static/widget/widget.js" defer></script>' in answer.text
    assert "Voorbeeld Energie" in answer.text
    assert "script-src 'self'" in answer.headers["content-security-policy"]


def test_english_home_page_says_so_in_its_lang(client: TestClient) -> None:
    answer = client.get("/en")
    assert answer.status_code == 200
    assert '<html lang="en">' in answer.text
    assert "Energy without worries" in answer.text


def test_a_help_page_is_rendered_from_its_markdown(client: TestClient) -> None:
    answer = client.get("/help/meterstand-doorgeven")
    assert answer.status_code == 200
    assert "<h1>Je meterstand doorgeven</h1>" in answer.text
    assert "<title>Je meterstand doorgeven · Voorbeeld Energie</title>" in answer.text
    assert "<h2>" in answer.text  # the Markdown's sections became headings
    assert "#" not in answer.text.split("<article", 1)[1].split("</article>", 1)[0]


def test_every_help_page_is_listed_and_served(client: TestClient) -> None:
    index = client.get("/help")
    assert index.status_code == 200
    for slug in ("contact", "meterstand-doorgeven", "storing-melden"):
        assert f'href="/help/{slug}"' in index.text
        assert client.get(f"/help/{slug}").status_code == 200


@pytest.mark.parametrize("slug", ["bestaat-niet", "_contact", "Contact", "contact.md"])
def test_unknown_help_page_is_a_404_page(client: TestClient, slug: str) -> None:
    answer = client.get(f"/help/{slug}")
    assert answer.status_code == 404
    assert "Pagina niet gevonden" in answer.text


def test_widget_files_are_served(client: TestClient) -> None:
    script = client.get("/static/widget/widget.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text
    style = client.get("/static/widget/widget.css")
    assert style.status_code == 200
    assert "text/css" in style.headers["content-type"]
