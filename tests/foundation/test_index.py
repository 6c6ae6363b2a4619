"""What a newcomer meets first: ``/`` (JSON banner for clients, landing page for browsers) and
``/api/`` (the API's sections)."""

import pytest
from django.urls import Resolver404, resolve

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_root_answers_api_clients_with_the_json_banner(client, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get("/", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"name", "version", "description", "features"} <= set(body)
    assert body["links"]["docs"] == "/api/docs/"


def test_root_answers_browsers_with_a_landing_page(client):
    response = client.get("/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "traceability" in page.lower()
    for link in ('href="/admin/"', 'href="/api/docs/"', 'href="/health"', 'href="/api/"'):
        assert link in page
    assert "https://" not in page.replace("{{", ""), "the page loads nothing from elsewhere"


@pytest.mark.parametrize("path", ["/api", "/api/"])
def test_api_index_lists_the_sections(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    names = [section["name"] for section in body["sections"]]
    assert names[:2] == ["auth", "users"], "authentication comes first"
    assert {"items", "events", "circuits", "api-keys"} <= set(names)
    assert not {"schema", "docs", "redoc"} & set(names)
    assert body["links"]["schema"] == "/api/schema/"


def test_every_listed_section_is_served(client):
    """A section is listed only when the URL conf serves something under it."""
    from django.urls import get_resolver

    patterns: dict[str, list[str]] = {"api/": [], "": []}
    for entry in get_resolver().url_patterns:
        prefix = str(getattr(entry, "pattern", ""))
        if prefix in patterns:
            patterns[prefix] += [str(child.pattern) for child in getattr(entry, "url_patterns", [])]
    for section in client.get("/api/").json()["sections"]:
        name = section["name"]
        # Under /api/, or at the root where the earlier engine served it (/users/me/...).
        prefix = "api/" if section["path"] == f"/api/{name}" else ""
        assert section["path"] == f"/{prefix}{name}"
        assert any(pattern.lstrip("^").startswith(name) for pattern in patterns[prefix]), name
        assert section["description"], f"{section['path']} needs a line in SECTION_DESCRIPTIONS"
    with pytest.raises(Resolver404):
        resolve("/api/no-such-section/x")
