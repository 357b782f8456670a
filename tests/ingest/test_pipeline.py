"""The whole ingestion path against real pages on 127.0.0.1: metadata, text, dedup, refusals."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from pathlib import Path

import pytest

from bot.core.db import Store
from bot.core.digest_files import read_digest
from bot.ingest import storage
from bot.ingest.fetch import Fetcher
from bot.ingest.pipeline import Ingestor, IngestResult
from bot.settings import Settings
from tests.ingest.conftest import (
    BBC_FEED,
    CBS_SPORTS,
    CNBC_EMIRATES,
    GROUND_TRUTH,
    GUARDIAN_HK,
    HILL_OMAR,
    HTML_DIR,
    SEED,
    LocalServer,
    page_id,
    wire_page,
)

FIXED_NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    return FIXED_NOW


async def run(db: Store, settings: Settings, *sources: str, **kw: object) -> list[IngestResult]:
    async with Fetcher(settings, backoff_base_s=0, retries=1) as fetcher:
        ingestor = Ingestor(db, settings, clock=clock, fetcher=fetcher, **kw)  # type: ignore[arg-type]
        return await ingestor.ingest(sources)


def page_url(server: LocalServer, prefix: str, query: str = "") -> str:
    return f"{server.base}/html/{page_id(prefix)}.html{query}"


async def test_real_page_from_loopback(server: LocalServer, db: Store, settings: Settings) -> None:
    [result] = await run(db, settings, page_url(server, CNBC_EMIRATES))
    assert result.status == "new", result.reason
    assert result.outlet == "CNBC"
    assert result.title == (
        "Emirates inks $9 billion order for 30 Boeing 787 jets, will restart plans to expand airline by early 2020s"
    )
    assert result.author == "Natasha Turak"
    assert result.published == "2019-11-20"
    assert result.language == "en"
    assert result.url and result.url.startswith("https://www.cnbc.com/2019/11/20/emirates-inks-order")
    row = db["articles"].get(result.id)
    truth = GROUND_TRUTH[page_id(CNBC_EMIRATES)]["articleBody"]
    first_sentence = truth.split("\n")[0][:80]
    assert first_sentence in row["text"]
    assert row["review"] == "draft"  # ingestion drafted it; no person has reviewed it
    assert row["fetch_status"] == "200"
    assert row["date_source"] == "page"
    assert zlib.decompress(row["raw_document"]) == storage.raw_document(db, result.id)
    assert storage.raw_document(db, result.id) == (HTML_DIR / f"{page_id(CNBC_EMIRATES)}.html").read_bytes()
    assert row["fetched_at"] == "2026-11-24T12:00:00+00:00"


async def test_chrome_gone_and_hover_cards_removed(server: LocalServer, db: Store, settings: Settings) -> None:
    [hill] = await run(db, settings, page_url(server, HILL_OMAR))
    text = db["articles"].get(hill.id)["text"]
    assert "A New York man pleaded guilty to charges he threatened to kill Rep. Ilhan Omar (D-Minn.)" in text
    assert "Hillicon Valley" not in text  # the people hover card inlined in the sentence
    assert hill.author == "Justine Coleman"
    [guardian] = await run(db, settings, page_url(server, GUARDIAN_HK))
    gtext = db["articles"].get(guardian.id)["text"]
    assert gtext.startswith("Hong Kong is burning.")  # drop cap joined
    assert "The Guardian view on Hong Kong: a city on the brink" not in gtext  # headline is metadata


async def test_same_page_twice_and_with_tracking_params_is_duplicate(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    first = await run(db, settings, page_url(server, CBS_SPORTS))
    again = await run(db, settings, page_url(server, CBS_SPORTS, "?utm_source=twitter&fbclid=abc"))
    redirected = await run(db, settings, f"{server.base}/redirect/to-page")
    assert first[0].status == "new"
    assert again[0].status == "duplicate" and again[0].duplicate_of == first[0].id
    assert redirected[0].status == "duplicate" and redirected[0].duplicate_of == first[0].id
    assert db["articles"].count == 1


async def test_concurrent_duplicate_submissions_store_one(server: LocalServer, db: Store, settings: Settings) -> None:
    url = page_url(server, CBS_SPORTS)
    results = await run(db, settings, url, url, url + "?utm_medium=email")
    assert sorted(r.status for r in results) == ["duplicate", "duplicate", "new"]
    assert db["articles"].count == 1


async def test_syndicated_wire_story_is_one_story_two_sources(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    a, b = await run(db, settings, f"{server.base}/wire/Kyiv Herald", f"{server.base}/wire/Daily Courier")
    assert a.status == "new" and b.status == "new"
    assert {a.outlet, b.outlet} == {"Kyiv Herald", "Daily Courier"}
    assert a.story_id == b.story_id  # linked: one story, several sources
    assert a.id != b.id
    stories = db.execute("SELECT COUNT(DISTINCT story_id) FROM articles").fetchone()[0]
    assert stories == 1
    linked = b if b.same_story_as else a
    assert linked.same_story_as in {a.id, b.id}


async def test_unrelated_articles_are_separate_stories(server: LocalServer, db: Store, settings: Settings) -> None:
    a, b = await run(db, settings, page_url(server, CNBC_EMIRATES), page_url(server, HILL_OMAR))
    assert a.story_id != b.story_id
    assert a.same_story_as is None and b.same_story_as is None


async def test_wire_page_metadata_and_caption(server: LocalServer, db: Store, settings: Settings) -> None:
    [r] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    row = db["articles"].get(r.id)
    assert r.title == "Ukraine says forces push Russians back near Kharkiv"
    assert r.author == "Pavel Polityuk"
    assert r.published == "2022-05-10"
    assert r.url == "https://kyivherald.example/world/kharkiv-advance"  # rel=canonical
    text = row["text"]
    assert text.startswith("KYIV (Reuters) - Ukraine said on Tuesday")
    for chrome in ("Related Articles", "Markets slide", "All rights reserved", "Business"):
        assert chrome not in text
    # The extractor leaves the figure out of the body; a caption is never left as unmarked prose.
    captions = [text[s:e] for s, e in json.loads(row["captions"])]
    caption = "A Ukrainian soldier near Kharkiv, May 9, 2022. REUTERS/Stringer"
    assert caption not in text or caption in captions


async def test_hostile_sources_refused_with_one_line_each_others_go_on(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    b = server.base
    sources = {
        f"{b}/redirect/loop-a": "redirect loop",
        f"{b}/redirect/chain/9": "more than 5 redirects",
        f"{b}/huge": "too large",
        f"{b}/huge-stream": "too large",
        f"{b}/image.png": "content type image/png",
        f"{b}/empty": "empty",
        f"{b}/nav-only": "no article text",
        f"{b}/server-error": "HTTP 500",
        f"{b}/html/missing.html": "HTTP 404",
        f"{b}/feed/broken.xml": "malformed feed",
        "ftp://example.com/a": "only http and https",
        "/no/such/file.html": "no such file",
    }
    good = page_url(server, CNBC_EMIRATES)
    results = await run(db, settings, *sources, good)
    by_source = {r.source: r for r in results}
    for source, reason in sources.items():
        r = by_source[source]
        assert r.status == "refused", source
        assert reason in (r.reason or ""), (source, r.reason)
        assert "\n" not in (r.reason or "")
    assert by_source[good].status == "new"
    assert db["articles"].count == 1  # nothing half-written
    assert db["article_urls"].count >= 1


async def test_slow_server_times_out(server: LocalServer, db: Store, settings: Settings) -> None:

    quick = settings.with_(fetch_timeout_s=0.2)
    [r] = await run(db, quick, f"{server.base}/slow")
    assert r.status == "refused"
    assert r.reason == "timed out after 0.2 s"
    assert server.hits.counts["/slow"] >= 2  # retried once


async def test_wrong_and_missing_encodings(server: LocalServer, db: Store, settings: Settings) -> None:
    declared, undeclared = await run(db, settings, f"{server.base}/latin1", f"{server.base}/latin1-undeclared")
    for r in (declared, undeclared):
        assert r.status in {"new", "duplicate"}, r.reason
        text = db["articles"].get(r.id)["text"]
        assert "L'Ukraine a déclaré mardi — café" in text
        assert "\ufffd" not in text


async def test_saved_html_file_and_seed_text_file(db: Store, settings: Settings) -> None:
    path = HTML_DIR / f"{page_id(CNBC_EMIRATES)}.html"
    html_result, seed_result = await run(db, settings, str(path), str(SEED))
    assert html_result.status == "new" and html_result.outlet == "CNBC"
    assert db["articles"].get(html_result.id)["fetch_status"] == "file"
    assert seed_result.status == "new", seed_result.reason
    assert seed_result.title == "Kremlin Says Russia Is Done Taking Territory From Ukraine"
    assert seed_result.outlet == "Newsweek"
    assert seed_result.published == "2022-12-08"
    assert seed_result.author == "Anna Skinner"
    row = db["articles"].get(seed_result.id)
    assert row["date_source"] == "header"
    assert "UP NEXT" not in row["text"] and "AdChoices" not in row["text"]
    [again] = await run(db, settings, str(SEED))
    assert again.status == "duplicate"


async def test_plain_text_url_uses_the_same_cleaner(server: LocalServer, db: Store, settings: Settings) -> None:
    [r] = await run(db, settings, f"{server.base}/text/seed.txt")
    assert r.status == "new"
    assert r.outlet == "Newsweek" and r.author == "Anna Skinner"
    assert r.text and r.text.startswith("In this combination image")


async def test_feed_url_stores_entries_and_refuses_missing_pages(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    results = await run(db, settings, f"{server.base}/feed/bbc.xml")
    stored = [r for r in results if r.status == "new"]
    refused = [r for r in results if r.status == "refused"]
    assert len(stored) == 3, [(r.source, r.status, r.reason) for r in results if "/html/" in r.source]
    assert len(refused) == 51  # the BBC snapshot has 54 items; only 3 link to served pages
    assert all("HTTP 404" in (r.reason or "") for r in refused)
    assert {r.outlet for r in stored} == {"The Guardian", "The Hill", "CNBC"}


async def test_feed_file_is_read(server: LocalServer, db: Store, settings: Settings, tmp_path: Path) -> None:
    text = BBC_FEED.read_text("utf-8")
    # point the first item at a served page, drop the others
    first = text.index("<item>")
    end = text.index("</item>") + len("</item>")
    item = text[first:end]
    import re

    item = re.sub(r"<link>[^<]*</link>", f"<link>{page_url(server, CBS_SPORTS)}</link>", item)
    feed_file = tmp_path / "feed.xml"
    feed_file.write_text(text[:first] + item + text[text.rindex("</item>") + len("</item>") :], "utf-8")
    [r] = await run(db, settings, str(feed_file))
    assert r.status == "new"
    assert r.title and r.title.startswith("Browns player on Mason Rudolph")


async def test_updated_text_at_known_address(server: LocalServer, db: Store, settings: Settings) -> None:
    [first] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    db["articles"].update(first.id, {"content_hash": "stale", "text": "old text"})
    [second] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    assert second.status == "updated" and second.id == first.id
    assert db["articles"].get(first.id)["text"].startswith("KYIV (Reuters)")


async def test_skeleton_exported_and_loadable(server: LocalServer, db: Store, settings: Settings) -> None:
    [r] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    assert r.skeleton is not None
    digest = read_digest(Path(r.skeleton))
    assert digest.meta.id == r.id
    # the skeleton was filled with a machine draft, validated like any curated file ...
    assert digest.review.value == "draft"
    assert digest.text == db["articles"].get(r.id)["text"]
    assert digest.key_points and all(k.evidence.text in digest.text for k in digest.key_points)
    assert any(c.region == "UA-63" for c in digest.claims)  # "near Kharkiv"
    assert digest.meta.title == "Ukraine says forces push Russians back near Kharkiv"
    assert digest.meta.url == "https://kyivherald.example/world/kharkiv-advance"
    # ... and loaded, so the bot answers from it at once, labelled as unreviewed
    row = db["articles"].get(r.id)
    assert row["review"] == "draft" and row["fetched_at"] and row["raw_document"]
    assert db.execute("select count(*) from key_points where article_id = ?", [r.id]).fetchone()[0] > 0


async def test_private_addresses_refused_without_the_setting(
    server: LocalServer, db: Store, settings: Settings
) -> None:

    strict = settings.with_(allow_private_urls=False)
    before = server.hits.counts.get(f"/html/{page_id(CNBC_EMIRATES)}.html", 0)
    [r] = await run(db, strict, page_url(server, CNBC_EMIRATES))
    assert server.hits.counts.get(f"/html/{page_id(CNBC_EMIRATES)}.html", 0) == before  # never connected
    assert r.status == "refused"
    assert "private or local address" in (r.reason or "")
    assert db["articles"].count == 0


def test_feed_table_round_trip(db: Store) -> None:
    feed, created = storage.add_feed(db, "https://feeds.example/world.rss", FIXED_NOW)
    assert created
    again, created_again = storage.add_feed(db, "https://feeds.example/world.rss", FIXED_NOW)
    assert not created_again and again.id == feed.id
    assert [f.url for f in storage.list_feeds(db)] == ["https://feeds.example/world.rss"]
    assert storage.remove_feed(db, feed.id)
    assert storage.list_feeds(db) == []


async def test_hostile_files(db: Store, settings: Settings, tmp_path: Path) -> None:
    from tests.ingest.conftest import WIRE_BODY

    malformed = tmp_path / "malformed.html"
    # unclosed tags, a stray </body>, attributes without quotes, a comment never closed at the end
    malformed.write_text(
        "<html><head><title>Broken page</title><body><div class=story><p>"
        + "<p>".join(WIRE_BODY)
        + "</div></body><div><p>tail <b>bold <i>italic</p></html><!-- never closed",
        "utf-8",
    )
    # a saved page that names no date or address of its own takes them from the .json beside it
    (tmp_path / "malformed.json").write_text('{"published": "2022-04-12", "url": "https://example.org/a"}', "utf-8")
    binary = tmp_path / "binary.html"
    binary.write_bytes(b"\x00\x01\x02" * 1000 + b"<html>")
    huge = tmp_path / "huge.html"
    huge.write_bytes(b"<p>" + b"x" * (settings.fetch_max_bytes + 1))
    bad_feed = tmp_path / "feed.xml"
    bad_feed.write_text("<?xml version='1.0'?><rss><channel><item><title>x</title></channel>", "utf-8")
    empty_feed = tmp_path / "empty-feed.xml"
    empty_feed.write_text("<rss version='2.0'><channel><title>Nothing</title></channel></rss>", "utf-8")
    results = {
        Path(r.source).name: r
        for r in await run(db, settings, str(malformed), str(binary), str(huge), str(bad_feed), str(empty_feed))
    }
    assert results["malformed.html"].status == "new"
    assert results["malformed.html"].text is not None
    assert results["malformed.html"].text.startswith("KYIV (Reuters) - Ukraine said on Tuesday")
    assert results["binary.html"].status == "refused"
    assert results["huge.html"].reason == f"too large: {settings.fetch_max_bytes + 4} bytes, the limit is 2000000"
    assert (results["feed.xml"].reason or "").startswith("malformed feed")
    assert results["empty-feed.xml"].reason == "the feed has no entries with a web address"
    assert db["articles"].count == 1


def test_site_name_suffix_stripped_from_titles() -> None:
    from bot.ingest.page_text import strip_site_suffix

    assert strip_site_suffix("New York AG reportedly investigating WeWork – TechCrunch", "TechCrunch") == (
        "New York AG reportedly investigating WeWork"
    )
    assert strip_site_suffix("Kremlin says it is done | Newsweek", "Newsweek") == "Kremlin says it is done"
    assert strip_site_suffix("Newsweek reports", "Newsweek") == "Newsweek reports"
    assert strip_site_suffix("A title - Other Outlet", "Newsweek") == "A title - Other Outlet"


async def test_publication_date_falls_back_to_feed_then_fetch_time(
    server: LocalServer, db: Store, settings: Settings, tmp_path: Path
) -> None:
    feed = tmp_path / "wire.json"
    feed.write_text(
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Undated Daily",
                "items": [{"id": "1", "url": f"{server.base}/undated", "date_published": "2022-05-11T06:00:00Z"}],
            }
        ),
        "utf-8",
    )
    [from_feed] = await run(db, settings, str(feed))
    assert from_feed.status == "new" and from_feed.published == "2022-05-11"
    assert db["articles"].get(from_feed.id)["date_source"] == "feed"
    db2 = Store(":memory:")
    [direct] = await run(db2, settings, f"{server.base}/undated")
    assert direct.published == "2026-11-24"  # the injected clock's day
    assert db2["articles"].get(direct.id)["date_source"] == "fetched"


async def test_curated_article_text_is_kept_when_the_page_changes(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    [first] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    db["articles"].update(first.id, {"review": "reviewed", "text": "curated text", "content_hash": "curated"})
    [again] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    assert again.status == "duplicate"
    assert again.reason == "changed on the site, but curated: stored text kept"
    assert db["articles"].get(first.id)["text"] == "curated text"


async def test_identical_text_from_another_outlet_is_a_linked_source(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    a, b = await run(db, settings, f"{server.base}/wire/Kyiv Herald", f"{server.base}/wire/Steppe News")
    texts = {db["articles"].get(r.id)["text"] for r in (a, b)}
    assert len(texts) == 1  # byte-identical wire copy
    assert a.status == b.status == "new"
    assert a.story_id == b.story_id and a.id != b.id
    assert (b.same_story_as or a.same_story_as) in {a.id, b.id}


async def test_skeleton_refreshed_on_update_unless_an_editor_started(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    [first] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    assert first.skeleton is not None
    text_file = Path(first.skeleton).with_suffix(".txt")
    db["articles"].update(first.id, {"content_hash": "stale"})
    [updated] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    # an untouched machine draft is redrafted from the updated page
    assert updated.status == "updated" and updated.skeleton == first.skeleton
    assert text_file.read_text("utf-8").startswith("KYIV (Reuters)")
    # an editor reviews the draft: the file is theirs now
    yaml_path = Path(first.skeleton)
    yaml_path.write_text(yaml_path.read_text("utf-8").replace("review: draft", "review: reviewed"), "utf-8")
    db["articles"].update(first.id, {"content_hash": "stale"})
    [again] = await run(db, settings, f"{server.base}/wire/Kyiv Herald")
    assert again.status == "duplicate" and "curated" in (again.reason or "")  # stored text kept
    assert "review: reviewed" in yaml_path.read_text("utf-8")


async def test_a_page_update_keeps_every_editors_decision(server: LocalServer, db: Store, settings: Settings) -> None:
    """The page changes after an editor decided some items: the article is redrafted from the new
    text, every decision stays with its item, and only new words bring new undecided items."""
    from bot.core import queries
    from bot.core.gazetteer import load_gazetteer
    from bot.core.models import ItemState
    from bot.core.review import Desk
    from bot.core.speakers import load_registry

    server.pages["update"] = wire_page("Kyiv Herald")
    url = f"{server.base}/page/update"
    [first] = await run(db, settings, url)
    assert first.status == "new" and first.id
    desk = Desk(db, settings.summaries_dir)
    claims = desk.sheet(first.id).digest.claims
    pushed = next(c for c in claims if c.claim.value == "recaptured")
    shelling = next(c for c in claims if c.claim.value == "shelling")
    at = dt.datetime(2022, 5, 11, 9, 0, tzinfo=dt.UTC)
    desk.decide(first.id, [pushed.id], ItemState.ACCEPTED, by="Olha", at=at)
    desk.decide(first.id, [shelling.id], ItemState.REJECTED, by="Olha", at=at)
    desk.decide(first.id, ["q1"], ItemState.EDITED, by="Olha", at=at, changes={"kind": "mixed"})

    lead = "Ukrainian forces also recaptured Balakliia on Wednesday, the general staff said."
    server.pages["update"] = wire_page("Kyiv Herald", extra_lead=lead)
    [updated] = await run(db, settings, url)
    assert updated.status == "updated" and updated.id == first.id
    after = desk.sheet(first.id).digest
    assert after.text.startswith(lead) and "KYIV (Reuters)" in after.text
    assert db["articles"].get(first.id)["text"] == after.text
    by_id = {c.id: c for c in after.claims}
    assert by_id[pushed.id].review.state == ItemState.ACCEPTED and by_id[pushed.id].review.by == "Olha"
    assert by_id[shelling.id].review.state == ItemState.REJECTED
    q1 = next(q for q in after.quotes if q.id == "q1")
    assert q1.review.state == ItemState.EDITED and q1.kind.value == "mixed"
    again = [c for c in after.claims if c.claim == shelling.claim and c.evidence.text == shelling.evidence.text]
    assert [c.id for c in again] == [shelling.id]  # a rejected claim is not proposed again
    new = [c for c in after.claims if lead in c.evidence.text]
    assert new and all(c.review.state == ItemState.UNDECIDED for c in new)
    answer = queries.status(db, load_gazetteer(), load_registry(db), "Kharkiv")
    states = {c.item_id: c.state for g in answer.by_source for c in g.claims}  # type: ignore[union-attr]
    assert states[f"{first.id}#{pushed.id}"] == ItemState.ACCEPTED
    assert f"{first.id}#{shelling.id}" not in states


async def test_extraction_in_a_worker_process(server: LocalServer, db: Store, settings: Settings) -> None:
    from bot.ingest.pipeline import extraction_pool

    pool = extraction_pool(1)
    try:
        results = await run(db, settings, page_url(server, CNBC_EMIRATES), str(SEED), executor=pool)
    finally:
        pool.shutdown()
    assert [r.status for r in results] == ["new", "new"]
    assert results[0].author == "Natasha Turak" and results[1].author == "Anna Skinner"


def test_a_link_farm_is_refused_before_extraction() -> None:
    """A 4 MB page of 100,000 links took 10 s and 445 MB to extract; it is refused while parsing
    (its figures: README, ingestion)."""
    from bot.ingest.clean import ExtractionError
    from bot.ingest.page_text import extract_html

    html = "<html><body>" + "".join(f'<a href="/l{i}">link number {i}</a> ' for i in range(100_000)) + "</body></html>"
    with pytest.raises(ExtractionError, match="more than 20,000 links"):
        extract_html(html, "https://links.example/")
