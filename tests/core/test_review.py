"""Editors' decisions (bot/core/review.py): written into the digest file, loaded at once, shown
by state; promote only when nothing is undecided; edits stay verbatim; two editors at once; a
redraft keeps every decision."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import shutil
from pathlib import Path

import pytest

from bot.core import queries
from bot.core.db import Store
from bot.core.digest_files import default_context, load_dir, read_digest
from bot.core.gazetteer import load_gazetteer
from bot.core.models import ArticleMeta, ClaimType, ItemState, NotFound, Review
from bot.core.review import Desk, ReviewError, digest_items, pending_answer, sheet_answer
from bot.core.speakers import load_registry
from bot.extract.draft import draft_state, make_draft, write_draft
from bot.render.text import render_text
from tests.conftest import SUMMARIES

ARTICLE = "2022-09-16-test-izium"
TEXT = (
    "Ukraine says it recaptured Izium\n\n"
    "Ukrainian forces recaptured Izium on Thursday, the defence ministry said.\n\n"
    "“We will liberate every village in Kherson,” President Volodymyr Zelensky told reporters on Friday.\n\n"
    "Kremlin spokesman Dmitry Peskov said Russia still controls the city of Izium.\n\n"
    "Olena Kovalenko, a local teacher, said the shelling of Kharkiv had stopped this month.\n"
)
META = ArticleMeta(
    ARTICLE, "Ukraine says it recaptured Izium", "Test Wire", dt.date(2022, 9, 16), "https://example.org/i"
)
AT = dt.datetime(2022, 9, 17, 8, 30, tzinfo=dt.UTC)


def drafted_ids(folder: Path) -> list[str]:
    """The ids of the drafted items in the order a review card pages through them: the chat
    review tests read where an item is from here, since which statements a machine draft holds
    is the extractor's, not theirs."""
    return [item_id for item_id, _, _ in digest_items(read_digest(folder / f"{ARTICLE}.yaml", default_context(folder)))]


def page_of(folder: Path, item_id: str, per_page: int) -> int:
    """The card page (0-based) an item is on."""
    return drafted_ids(folder).index(item_id) // per_page


def write(folder: Path, text: str) -> None:
    ctx = default_context(folder)
    outcome = write_draft(make_draft(META, text, ctx.speakers, load_gazetteer()), folder, ctx)
    assert outcome.written, outcome.reason


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    folder = tmp_path / "summaries"
    folder.mkdir()
    shutil.copy(SUMMARIES / "speakers.yaml", folder / "speakers.yaml")
    write(folder, TEXT)
    store = Store(tmp_path / "review.db")
    assert load_dir(store, folder).ok
    return Desk(store, folder)


def claims_of(desk: Desk, region: str) -> dict[str, ItemState]:
    answer = queries.status(desk.store, load_gazetteer(), load_registry(desk.store), region)
    assert not hasattr(answer, "what"), answer
    return {c.item_id.split("#")[1]: c.state for g in answer.by_source for c in g.claims}  # type: ignore[union-attr]


def claim_ids(desk: Desk, region: str) -> list[str]:
    return [c.id for c in desk.sheet(ARTICLE).digest.claims if c.region == region]


def claim_id(desk: Desk, words: str) -> str:
    """The id of the claim whose evidence holds `words`."""
    [found] = [c.id for c in desk.sheet(ARTICLE).digest.claims if words in c.evidence.text]
    return found


RECAPTURED = "Ukrainian forces recaptured Izium on Thursday"  # the article's own claim
CONTROLS = "Peskov said Russia still controls"  # Peskov's claim


def test_accept_one_reject_another_changes_status_at_once(desk: Desk) -> None:
    kharkiv = claim_ids(desk, "UA-63")
    keep, drop = claim_id(desk, RECAPTURED), claim_id(desk, CONTROLS)
    assert claims_of(desk, "Kharkiv") == dict.fromkeys(kharkiv, ItemState.UNDECIDED)
    desk.decide(ARTICLE, [keep], ItemState.ACCEPTED, by="Olha Editor", at=AT)
    desk.decide(ARTICLE, [drop], ItemState.REJECTED, by="Olha Editor", at=AT)
    shown = claims_of(desk, "Kharkiv")
    assert shown[keep] == ItemState.ACCEPTED and drop not in shown  # rejected: never shown
    raw = (desk.folder / f"{ARTICLE}.yaml").read_text("utf-8")
    assert "by: Olha Editor" in raw and "at: '2022-09-17T08:30:00+00:00'" in raw
    assert "# drafter-sha256" not in raw  # a person's file now: never replaced by a new draft
    assert draft_state(desk.folder / f"{ARTICLE}.yaml") == "reviewing"
    # the rendered answer labels only what no person has decided
    text = render_text(queries.status(desk.store, load_gazetteer(), load_registry(desk.store), "Kharkiv"))
    kept_line = next(line for line in text.splitlines() if RECAPTURED in line)
    assert "automatic" not in kept_line, text
    claims_part = text.split("Contradictions:")[0]  # a candidate contradiction is an item of its own
    assert CONTROLS not in claims_part and "(3 claims, newest first)" in claims_part, text


def test_a_decision_keeps_the_files_comments_and_other_lines(desk: Desk) -> None:
    path = desk.folder / f"{ARTICLE}.yaml"
    raw = path.read_text("utf-8").replace("claims:\n", "claims:  # checked against the wire copy\n", 1)
    path.write_text(raw, "utf-8")
    first = claim_ids(desk, "UA-63")[0]
    desk.decide(ARTICLE, [first], ItemState.ACCEPTED, by="Ed", at=AT)
    after = path.read_text("utf-8")
    assert "claims:  # checked against the wire copy" in after
    changed = [line for line in after.splitlines() if line not in raw.splitlines()]
    assert len(changed) == 1 and changed[0].strip().startswith("review: {state: accepted, by: Ed"), changed


def test_promote_is_refused_while_anything_is_undecided(desk: Desk) -> None:
    with pytest.raises(ReviewError, match=r"item\(s\) still undecided: k1"):
        desk.promote(ARTICLE, by="Ed", at=AT)
    sheet = desk.decide(ARTICLE, None, ItemState.ACCEPTED, by="Ed", at=AT)
    assert not sheet.undecided
    with pytest.raises(ReviewError, match="no undecided item"):
        desk.decide(ARTICLE, None, ItemState.ACCEPTED, by="Ed", at=AT)
    promoted = desk.promote(ARTICLE, by="Ed", at=AT)
    assert promoted.digest.review == Review.REVIEWED
    raw = (desk.folder / f"{ARTICLE}.yaml").read_text("utf-8")
    assert "review: reviewed" in raw and "made by a machine" not in raw
    row = desk.store.rows("SELECT review, pending FROM articles WHERE id = ?", [ARTICLE])[0]
    assert row == {"review": "reviewed", "pending": 0}
    assert pending_answer(desk).articles == ()


def test_edit_changes_a_claim_within_the_verbatim_text(desk: Desk) -> None:
    claim = next(c for c in desk.sheet(ARTICLE).digest.claims if c.asserted_by == "dmitry-peskov")
    sheet = desk.decide(ARTICLE, [claim.id], ItemState.EDITED, by="Ed", at=AT, changes={"claim": "claims_sovereignty"})
    edited = next(c for c in sheet.digest.claims if c.id == claim.id)
    assert edited.claim == ClaimType.CLAIMS_SOVEREIGNTY and edited.review.state == ItemState.EDITED
    assert dict(edited.review.was) == {"claim": claim.claim.value}
    with pytest.raises(ReviewError, match="not found verbatim"):
        desk.decide(ARTICLE, [claim.id], ItemState.EDITED, by="Ed", at=AT, changes={"evidence": "Russia won"})
    with pytest.raises(ReviewError, match="unknown speaker 'Nobody Known'"):
        desk.decide(ARTICLE, ["q1"], ItemState.EDITED, by="Ed", at=AT, changes={"speaker": "Nobody Known"})
    quote = desk.decide(ARTICLE, ["q1"], ItemState.EDITED, by="Ed", at=AT, changes={"speaker": "Dmitry Peskov"})
    assert quote.digest.quotes[0].speaker == "dmitry-peskov"
    with pytest.raises(ReviewError, match="cannot be edited"):
        desk.decide(ARTICLE, ["k1"], ItemState.EDITED, by="Ed", at=AT, changes={"speaker": "Dmitry Peskov"})
    # nothing invalid reached the file or the store
    assert read_digest(desk.folder / f"{ARTICLE}.yaml", default_context(desk.folder)).claims


def test_unknown_items_and_articles_are_named(desk: Desk) -> None:
    with pytest.raises(ReviewError, match=f"has no item c99 \\(see: briefbot review show {ARTICLE}\\)"):
        desk.decide(ARTICLE, ["c99"], ItemState.ACCEPTED, by="Ed", at=AT)
    with pytest.raises(ReviewError, match="no digest file for 'nope'"):
        desk.sheet("nope")
    with pytest.raises(ReviewError, match="no article"):
        desk.sheet("../../etc/passwd")


def test_sheet_shows_each_item_in_its_paragraph(desk: Desk) -> None:
    answer = sheet_answer(desk.sheet(ARTICLE), desk)
    by_id = {i.item_id: i for i in answer.items}
    peskov = next(i for i in answer.items if i.kind == "statement" and "Peskov" in i.summary)
    assert peskov.context == "Kremlin spokesman Dmitry Peskov said Russia still controls the city of Izium."
    assert all(i.state == ItemState.UNDECIDED for i in by_id.values())
    text = render_text(answer)
    assert "q1" in text and "undecided" in text and "Test Wire" in text


def _decide_in_process(db: str, folder: str, state: str, who: str, start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    desk = Desk(Store(Path(db)), Path(folder))
    desk.decide(ARTICLE, ["c1"], ItemState(state), by=who, at=dt.datetime.now(dt.UTC))


def test_two_editors_on_one_item_at_once_later_wins_both_recorded(desk: Desk, tmp_path: Path) -> None:
    """Two processes decide c1 at the same moment: the file lock puts them one after the other;
    the decision written last stands, the earlier one is kept in its history."""
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Event()
    db = str(tmp_path / "review.db")
    procs = [
        spawn.Process(target=_decide_in_process, args=(db, str(desk.folder), "accepted", "Anna", start)),
        spawn.Process(target=_decide_in_process, args=(db, str(desk.folder), "rejected", "Borys", start)),
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    claim = next(c for c in desk.sheet(ARTICLE).digest.claims if c.id == "c1")
    assert len(claim.review.history) == 1
    earlier = claim.review.history[0]
    assert {earlier.by, claim.review.by} == {"Anna", "Borys"}
    assert earlier.at <= claim.review.at  # type: ignore[operator]
    expected = ItemState.ACCEPTED if claim.review.by == "Anna" else ItemState.REJECTED
    assert claim.review.state == expected
    stored = desk.store.rows("SELECT state, reviewed_by FROM region_claims WHERE id = ?", [f"{ARTICLE}#c1"])
    assert stored == [{"state": expected.value, "reviewed_by": claim.review.by}]


def test_a_redraft_keeps_every_decision(desk: Desk) -> None:
    kharkiv = [claim_id(desk, RECAPTURED), claim_id(desk, CONTROLS)]
    desk.decide(ARTICLE, [kharkiv[0]], ItemState.ACCEPTED, by="Ed", at=AT)
    desk.decide(ARTICLE, [kharkiv[1]], ItemState.REJECTED, by="Ed", at=AT)
    desk.decide(ARTICLE, ["q1"], ItemState.EDITED, by="Ed", at=AT, changes={"kind": "mixed"})
    before = {c.id: c for c in desk.sheet(ARTICLE).digest.claims}
    edited_words = next(q.words.text for q in desk.sheet(ARTICLE).digest.quotes if q.id == "q1")
    # the page changes: a paragraph added at the top, the decided ones untouched
    added = "Ukrainian forces recaptured Balakliia on Wednesday, the general staff said.\n\n"
    new_text = TEXT.replace("Ukrainian forces recaptured Izium", added + "Ukrainian forces recaptured Izium", 1)
    write(desk.folder, new_text)
    assert load_dir(desk.store, desk.folder).ok
    after = desk.sheet(ARTICLE).digest
    assert after.text == new_text
    claims = {c.id: c for c in after.claims}
    assert claims[kharkiv[0]].review.state == ItemState.ACCEPTED and claims[kharkiv[0]].review.by == "Ed"
    assert claims[kharkiv[1]].review.state == ItemState.REJECTED
    assert claims[kharkiv[0]].evidence.text == before[kharkiv[0]].evidence.text
    assert new_text[claims[kharkiv[0]].evidence.start :].startswith(claims[kharkiv[0]].evidence.text)
    # the rejected claim is not proposed again as an undecided copy
    rejected = before[kharkiv[1]]
    copies = [
        c
        for c in after.claims
        if c.evidence.text == rejected.evidence.text and c.region == rejected.region and c.id != rejected.id
    ]
    assert copies == []
    edited = next(q for q in after.quotes if q.words.text == edited_words)
    assert edited.review.state == ItemState.EDITED and edited.kind.value == "mixed"
    fresh = [c for c in after.claims if "Balakliia" in c.evidence.text]
    assert fresh and all(c.review.state == ItemState.UNDECIDED for c in fresh)
    assert len({c.id for c in after.claims}) == len(after.claims)  # no id taken twice
    # words an editor rejected may go; words an editor accepted keep the editor's file and text
    ctx = default_context(desk.folder)
    peskov = "Kremlin spokesman Dmitry Peskov said Russia still controls the city of Izium."
    assert rejected.evidence.text in peskov
    without_rejected = new_text.replace(peskov, "")
    redrafted = write_draft(make_draft(META, without_rejected, ctx.speakers, load_gazetteer()), desk.folder, ctx)
    assert redrafted.written and redrafted.reason == "redrafted, every decision kept"
    accepted = before[kharkiv[0]].evidence.text
    without_accepted = without_rejected.replace(accepted, "")
    kept = write_draft(make_draft(META, without_accepted, ctx.speakers, load_gazetteer()), desk.folder, ctx)
    assert not kept.written and "no longer in the text" in kept.reason
    assert (desk.folder / f"{ARTICLE}.txt").read_text("utf-8") == without_rejected


def test_a_file_changed_between_decisions_is_read_again(desk: Desk) -> None:
    """Decisions reuse the parsed file only while its text is exactly what was written."""
    path = desk.folder / f"{ARTICLE}.yaml"
    desk.decide(ARTICLE, ["k1"], ItemState.ACCEPTED, by="Ed", at=AT)
    desk.decide(ARTICLE, ["k2"], ItemState.ACCEPTED, by="Ed", at=AT)  # from the kept tree
    # an editor changes the file by hand (a comment and a title) between two decisions
    edited = path.read_text("utf-8").replace("claims:\n", "claims:  # hand note\n", 1)
    edited = edited.replace("title: Ukraine says it recaptured Izium", "title: Kyiv says it recaptured Izium")
    path.write_text(edited, "utf-8")
    desk.decide(ARTICLE, ["k3"], ItemState.REJECTED, by="Ed", at=AT)
    after = path.read_text("utf-8")
    assert "claims:  # hand note" in after and "title: Kyiv says it recaptured Izium" in after
    desk.decide(ARTICLE, None, ItemState.ACCEPTED, by="Ed", at=AT)
    desk.promote(ARTICLE, by="Ed", at=AT)
    desk.decide(ARTICLE, ["k3"], ItemState.ACCEPTED, by="Ed", at=AT)  # a decision after promotion
    final = path.read_text("utf-8")
    assert "review: reviewed" in final and "made by a machine" not in final and "drafter-sha256" not in final
    k3 = next(k for k in desk.sheet(ARTICLE).digest.key_points if k.id == "k3")
    assert k3.review.state == ItemState.ACCEPTED and [h.state for h in k3.review.history] == [ItemState.REJECTED]


def _counts_match_the_rows(store: Store) -> None:
    kept = {(k, key, state): n for k, key, state, n in store.execute("SELECT * FROM item_counts WHERE n != 0")}
    actual = {
        ("speaker", s, st): n
        for s, st, n in store.execute("SELECT speaker_id, state, count(*) FROM quotes GROUP BY 1, 2")
    }
    actual |= {
        ("region", r, st): n
        for r, st, n in store.execute("SELECT region, state, count(*) FROM region_claims GROUP BY 1, 2")
    }
    actual[("articles", "", "")] = store.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert kept == {key: n for key, n in actual.items() if n}


def test_the_kept_counts_follow_every_write(desk: Desk) -> None:
    """Answers' totals come from counts kept by triggers: they stay exact through a load, a
    decision, an edit of a speaker and a region, and a deleted file."""
    _counts_match_the_rows(desk.store)
    sheet = desk.sheet(ARTICLE)
    claim = sheet.digest.claims[0]
    desk.decide(ARTICLE, [claim.id], ItemState.REJECTED, by="Ed", at=AT)
    desk.decide(ARTICLE, ["q1"], ItemState.EDITED, by="Ed", at=AT, changes={"speaker": "Dmitry Peskov"})
    moved = sheet.digest.claims[1]
    desk.decide(ARTICLE, [moved.id], ItemState.EDITED, by="Ed", at=AT, changes={"region": "Kherson"})
    assert desk.store.execute("SELECT region FROM region_claims WHERE id LIKE ?", [f"%{moved.id}"]).fetchone()
    _counts_match_the_rows(desk.store)
    answer = queries.quotes(desk.store, load_registry(desk.store), "Dmitry Peskov")
    assert not isinstance(answer, NotFound) and answer.total == len(answer.quotes) >= 1
    (desk.folder / f"{ARTICLE}.yaml").unlink()
    assert load_dir(desk.store, desk.folder).ok
    _counts_match_the_rows(desk.store)
    assert desk.store.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def test_an_undecided_item_says_how_sure_the_machine_was(desk: Desk) -> None:
    answer = sheet_answer(desk.sheet(ARTICLE), desk)
    drafted = [i for i in answer.items if i.kind in ("statement", "claim")]
    assert drafted and all(re.search(r"\(confidence (0\.\d\d|1\.00)\)$", i.summary) for i in drafted)
    claim = next(i.item_id for i in drafted if i.kind == "claim")
    desk.decide(ARTICLE, [claim], ItemState.ACCEPTED, by="Olha Editor", at=AT)
    decided = next(i for i in sheet_answer(desk.sheet(ARTICLE), desk).items if i.item_id == claim)
    assert "confidence" not in decided.summary  # a person stands behind it now
