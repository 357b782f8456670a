"""The web view over HTTP (Starlette's test client): every page and its JSON, CSV and GeoJSON,
links between pages, escaping of hostile article text, search on any input, security headers."""

from __future__ import annotations

import csv
import io
import re

import pytest
from starlette.testclient import TestClient

from bot.frontends.web.app import SECURITY_HEADERS
from tests.conftest import SEED_ID
from tests.frontends.web.conftest import DRAFT_ID, HOSTILE

PAGES = [
    "/",
    "/digest",
    "/digest?date=2022-12-08",
    "/regions",
    "/region/UA-14",
    "/region/Donetsk",
    "/speakers",
    "/speaker/dmitry-peskov",
    "/speaker/Peskov",
    f"/article/{SEED_ID}",
    f"/article/{DRAFT_ID}",
    "/contradictions",
    "/contradictions?region=Donetsk",
    "/sources",
    "/search?q=Peskov",
]


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_in_html_and_json(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.count("<h1") == 1
    base, _, query = path.partition("?")
    suffixed = client.get(f"{base if base != '/' else '/'}.json" + (f"?{query}" if query else ""))
    assert suffixed.status_code == 200
    assert suffixed.headers["content-type"] == "application/json"
    negotiated = client.get(path, headers={"accept": "application/json"})
    assert negotiated.json() == suffixed.json()


def test_donetsk_is_one_click_from_the_front_page_with_its_evidence(client: TestClient) -> None:
    front = client.get("/").text
    assert "/region/UA-14" in links(front)
    region = client.get("/region/UA-14").text
    assert "Donetsk (UA-14): what the sources say" in region
    assert "<mark>“Peskov said the area specifically needing liberation was Donetsk”</mark>" in region
    assert f'href="/article/{SEED_ID}">Newsweek, 8 Dec 2022' in region
    assert 'id="timeline"' in region and "<h3>8 Dec 2022</h3>" in region


def test_every_link_of_the_front_page_leads_somewhere(client: TestClient) -> None:
    for href in sorted(set(links(client.get("/").text))):
        if href.startswith("/"):
            assert client.get(href).status_code == 200, href


def test_json_is_the_core_answer(client: TestClient) -> None:
    status = client.get("/region/Donetsk.json").json()
    assert status["type"] == "RegionAnswer"
    assert status["status"]["region"]["code"] == "UA-14"
    evidence = [c["evidence"] for g in status["status"]["by_source"] for c in g["claims"]]
    assert "Peskov said the area specifically needing liberation was Donetsk" in evidence
    front = client.get("/.json").json()
    assert set(front) == {"briefing", "regions", "sources"}  # no pending drafts for readers


def test_region_as_csv_and_geojson(client: TestClient) -> None:
    response = client.get("/region/UA-14.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["region"] for r in rows} == {"UA-14"}
    assert any(r["asserted_by"] == "Dmitry Peskov" and r["claim"] == "goal" for r in rows)
    assert all(r["article_id"] and r["published"] for r in rows)
    feature = client.get("/region/UA-14.geojson").json()
    assert feature["type"] == "Feature" and feature["properties"]["centre"] == "Donetsk"
    lon, lat = feature["geometry"]["coordinates"]
    assert 37.5 < lon < 38.1 and 47.8 < lat < 48.2
    collection = client.get("/regions.geojson").json()
    assert collection["type"] == "FeatureCollection"
    codes = {f["id"] for f in collection["features"]}
    assert {"UA-14", "UA-63"} <= codes
    assert client.get("/regions.geojson").headers["content-type"] == "application/geo+json"


def test_a_csv_cell_is_never_a_formula() -> None:
    from bot.frontends.web.app import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("Russia") == "Russia"


def test_only_http_addresses_become_links() -> None:
    from bot.render.layout import Run
    from bot.render.web_html import line_html

    assert "href" not in line_html((Run("x", url="javascript:alert(1)"),))
    assert "href" not in line_html((Run("x", url="data:text/html,hi"),))
    assert 'href="https://example.org/a?b=1&amp;c=2"' in line_html((Run("x", url="https://example.org/a?b=1&c=2"),))


def test_hostile_article_text_is_escaped_everywhere(client: TestClient) -> None:
    for path in (f"/article/{DRAFT_ID}", "/sources", "/", "/search?q=resident"):
        html = client.get(path).text
        assert "<script" not in html and "<img" not in html, path
        assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "") or "&lt;img" in html
    article = client.get(f"/article/{DRAFT_ID}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in article
    assert 'href="https://example.org/izium?q=&#34;&gt;&lt;script&gt;' in article  # the address escaped too
    data = client.get(f"/article/{DRAFT_ID}.json").json()
    assert HOSTILE in data["text"]  # the JSON keeps the text as stored


def test_article_page_highlights_every_curated_span(client: TestClient) -> None:
    html = client.get(f"/article/{SEED_ID}").text
    data = client.get(f"/article/{SEED_ID}.json").json()
    assert data["marks"], "the seed has curated spans"
    ids = {m["item_id"] for m in data["marks"]}
    covered = {i for attr in re.findall(r'data-items="([^"]+)"', html) for i in attr.split()}
    assert covered == ids  # every span is marked in the text, with the items it stands for
    for item_id in ids:
        assert f'id="item-{item_id}"' in html  # and the item is beside the text
    for item_id in ids:  # each item leads to its first span in the text
        assert f'href="#span-{item_id}"' in html and f'id="span-{item_id}"' in html
    linked = set(re.findall(r'class="span[^"]*" href="#item-([^"]+)"', html))
    assert linked <= ids and len(linked) > len(ids) / 2  # spans link to their (innermost) item
    assert html.count("<mark>") >= len(ids)
    assert "[accepted" in html
    assert "<form" not in html.split("<main", 1)[1].split("</main>")[0]  # readers get no review forms


def test_drafted_items_are_labelled(client: TestClient) -> None:
    html = client.get(f"/article/{DRAFT_ID}").text
    assert "automatic, not reviewed" in html
    assert "[undecided]" in html


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "AND", "NEAR(", "*", "text:", "Kherson-based", "a" * 1000, "'; DROP TABLE articles; --", "-", ""],
)
def test_search_takes_any_input(client: TestClient, query: str) -> None:
    page = client.get("/search", params={"q": query})
    assert page.status_code == 200
    assert "Nothing matches" in page.text or "Type one or more words" in page.text or "<mark>" in page.text
    assert client.get("/search.json", params={"q": query}).status_code == 200


def test_search_finds_articles_and_statements(client: TestClient) -> None:
    data = client.get("/search.json", params={"q": "liberate"}).json()
    assert any(h["source"]["article_id"] == SEED_ID for h in data["articles"])
    assert data["quotes"], "statements with the word"
    phrase = client.get("/search.json", params={"q": '"no plans"'}).json()
    assert phrase["articles"]
    html = client.get("/search", params={"q": "liberate"}).text
    assert "<mark>liberate</mark>" in html


def test_unknown_names_are_a_short_404_with_suggestions(client: TestClient) -> None:
    assert client.get("/region/Donetks").status_code == 200  # a typo still finds Donetsk
    page = client.get("/region/Zzyzxq")
    assert page.status_code == 404 and "Unknown region" in page.text and "Did you mean" in page.text
    outside = client.get("/region/New York")
    assert outside.status_code == 404 and "not a region briefbot follows" in outside.text
    assert client.get("/speaker/Zzyzxq.json").status_code == 404
    assert client.get("/article/nope").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/region/UA-14.xml").status_code == 404


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/region/UA-14.json", "/static/style.css", "/no/such/page", "/signin"):
        response = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (path, name)
    assert "script-src" not in SECURITY_HEADERS["content-security-policy"]  # default-src 'none': no script
    html = client.get("/").text
    assert "<script" not in html and " style=" not in html  # nothing inline for the CSP to allow


def test_a_failure_is_a_short_apology_not_a_traceback(web_ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.commands import SORRY
    from bot.core import queries
    from bot.frontends.web.app import create_app

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(queries, "sources", broken)
    client = TestClient(create_app(web_ctx), raise_server_exceptions=False)
    page = client.get("/sources")
    assert page.status_code == 500 and SORRY in page.text
    assert "Traceback" not in page.text and "on fire" not in page.text
    assert page.headers["content-security-policy"] == SECURITY_HEADERS["content-security-policy"]
