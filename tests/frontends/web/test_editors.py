"""Editors in the web view: sign-in (argon2, rate-limited, CSRF), sessions, permissions, and
reviewing a draft through the same functions as the CLI and chat."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from starlette.testclient import TestClient

from bot.cli import cli
from bot.context import Context
from bot.core.models import ItemState
from bot.core.review import Desk
from bot.frontends.web.app import create_app
from tests.frontends.web.conftest import DRAFT_ID, EDITOR, PASSWORD, csrf_of, make_context, sign_in


def undecided_item(ctx: Context, prefix: str = "c") -> str:
    sheet = Desk(ctx.store, ctx.settings.summaries_dir).sheet(DRAFT_ID)
    return next(i for i, _s, item in sheet.items() if i.startswith(prefix) and item.review.state == ItemState.UNDECIDED)


def test_sign_in_sets_a_safe_session_cookie_and_shows_the_editor(client: TestClient) -> None:
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "briefbot_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    front = client.get("/").text
    assert f"Signed in as <strong>{EDITOR}</strong>" in front
    assert "Drafts to review" in front  # editors see the pending drafts on the front page
    assert "pending" in client.get("/.json").json()


def test_a_session_is_stored_as_a_hash_only(client: TestClient, web_ctx: Context) -> None:
    sign_in(client)
    token = client.cookies.get("briefbot_session")
    stored = [r[0] for r in web_ctx.store.execute("SELECT token_hash FROM web_sessions")]
    assert token and token not in stored and len(stored) == 1


def test_wrong_password_and_unknown_name_are_refused_alike(client: TestClient) -> None:
    wrong = sign_in(client, password="not the password at all")
    unknown = sign_in(client, name="nobody", password=PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong name or password." in response.text
    assert "briefbot_session" not in client.cookies


def test_sign_in_is_rate_limited(client: TestClient) -> None:
    codes = [sign_in(client, password=f"wrong password {n}").status_code for n in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert sign_in(client).status_code == 429  # even the right password waits out the window


def test_sign_in_needs_its_form_token(client: TestClient) -> None:
    client.get("/signin")
    response = client.post("/signin", data={"name": EDITOR, "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403
    fresh = TestClient(client.app, base_url="http://127.0.0.1:8080")
    assert fresh.post("/signin", data={"name": EDITOR, "password": PASSWORD}).status_code == 403


def test_sign_in_goes_back_only_to_this_site(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = sign_in(client, next_path=target)
        assert response.headers["location"] == "/", target
        client.cookies.clear()
    assert sign_in(client, next_path="/review").headers["location"] == "/review"


def test_anonymous_posts_are_refused(client: TestClient, web_ctx: Context) -> None:
    item = undecided_item(web_ctx)
    for path, data in (
        (f"/article/{DRAFT_ID}/review", {"verb": "accept", "item": item}),
        ("/signout", {}),
        ("/", {}),
        ("/region/UA-14", {}),
    ):
        response = client.post(path, data=data)
        assert response.status_code == 403, path
    assert undecided_item(web_ctx) == item  # nothing changed


def test_an_editors_post_without_the_sessions_token_is_refused(client: TestClient, web_ctx: Context) -> None:
    sign_in(client)
    item = undecided_item(web_ctx)
    for token in ("", "forged"):
        response = client.post(f"/article/{DRAFT_ID}/review", data={"verb": "accept", "item": item, "csrf": token})
        assert response.status_code == 403
    assert undecided_item(web_ctx) == item


def test_an_editor_reviews_a_draft_in_the_browser_forms(client: TestClient, web_ctx: Context) -> None:
    sign_in(client)
    page = client.get(f"/article/{DRAFT_ID}").text
    assert "<form" in page and "Accept" in page
    csrf = csrf_of(page)
    claim = undecided_item(web_ctx, "c")
    accepted = client.post(
        f"/article/{DRAFT_ID}/review", data={"verb": "accept", "item": claim, "csrf": csrf}, follow_redirects=False
    )
    assert accepted.status_code == 303 and accepted.headers["location"] == f"/article/{DRAFT_ID}#item-{claim}"
    after = client.get(f"/article/{DRAFT_ID}").text
    assert f"accepted {claim} — by {EDITOR} (web)" in after  # the outcome, shown once
    assert f"[accepted by {EDITOR} (web)" in after
    assert f"accepted {claim}" not in client.get(f"/article/{DRAFT_ID}").text.split("<main", 1)[1][:400]
    # the decision is in the digest file, the record a person reads
    sheet = Desk(web_ctx.store, web_ctx.settings.summaries_dir).sheet(DRAFT_ID)
    decided = {i: item.review for i, _s, item in sheet.items()}
    assert decided[claim].state == ItemState.ACCEPTED and decided[claim].by == f"{EDITOR} (web)"
    # an edit of the claim type, then reject a statement
    edit = client.post(
        f"/article/{DRAFT_ID}/review",
        data={"verb": "edit", "item": claim, "field": "claim", "value": "controls", "csrf": csrf},
    )
    assert "edited" in edit.text and "claim type → controls" in edit.text
    quote = undecided_item(web_ctx, "q")
    client.post(f"/article/{DRAFT_ID}/review", data={"verb": "reject", "item": quote, "csrf": csrf})
    assert f"[rejected by {EDITOR} (web)" in client.get(f"/article/{DRAFT_ID}").text
    anonymous = TestClient(client.app).get(f"/article/{DRAFT_ID}").text
    assert f'id="item-{quote}"' not in anonymous  # readers never see a rejected item


def test_accept_all_then_mark_reviewed(client: TestClient, web_ctx: Context) -> None:
    sign_in(client)
    csrf = csrf_of(client.get(f"/article/{DRAFT_ID}").text)
    client.post(f"/article/{DRAFT_ID}/review", data={"verb": "accept", "item": "", "csrf": csrf})
    page = client.get(f"/article/{DRAFT_ID}").text
    assert "Mark the article reviewed" in page
    promoted = client.post(f"/article/{DRAFT_ID}/review", data={"verb": "promote", "item": "", "csrf": csrf})
    main = promoted.text.split("<main", 1)[1].split("</main>")[0]
    assert "marked reviewed — by anna (web)" in main
    assert "automatic, not reviewed" not in main
    assert client.get(f"/article/{DRAFT_ID}.json").json()["review"]["source"]["review"] == "reviewed"


def test_sign_out_ends_the_session(client: TestClient, web_ctx: Context) -> None:
    sign_in(client)
    token = client.cookies.get("briefbot_session")
    csrf = csrf_of(client.get("/").text)
    assert client.post("/signout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert web_ctx.store.one("SELECT count(*) FROM web_sessions") == (0,)
    client.cookies.set("briefbot_session", token or "")
    assert "Editors: sign in" in client.get("/").text


def test_the_review_list_is_for_editors(client: TestClient) -> None:
    assert client.get("/review", follow_redirects=False).headers["location"] == "/signin?next=/review"
    assert client.get("/review.json").status_code == 401
    sign_in(client)
    assert DRAFT_ID in client.get("/review").text


def test_a_private_web_view_shows_readers_only_the_sign_in(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, web_private=True)
    client = TestClient(create_app(ctx))
    assert client.get("/", follow_redirects=False).headers["location"] == "/signin"
    assert client.get("/region/UA-14.json").status_code == 401
    assert client.get("/signin").status_code == 200
    sign_in(client)
    assert client.get("/region/UA-14").status_code == 200
    ctx.close()


def test_editors_are_added_from_the_command_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFBOT_DATA", str(tmp_path / "data"))
    runner = CliRunner()
    made = runner.invoke(cli, ["web", "add-editor", "Olha", "--password-stdin"], input="a long enough secret\n")
    assert made.exit_code == 0 and "editor olha created" in made.output
    short = runner.invoke(cli, ["web", "add-editor", "petro", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    listed = runner.invoke(cli, ["web", "editors"])
    assert "olha" in listed.output and "petro" not in listed.output
    assert "a long enough secret" not in (tmp_path / "data" / "briefbot.db").read_bytes().decode("latin-1")
    gone = runner.invoke(cli, ["web", "remove-editor", "olha"])
    assert gone.exit_code == 0 and "no editors yet" in runner.invoke(cli, ["web", "editors"]).output


def test_hidden_drafts_are_hidden_from_readers_not_from_editors(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, show_drafts=False)
    client = TestClient(create_app(ctx))
    reader = client.get(f"/article/{DRAFT_ID}.json").json()
    assert reader["review"]["items"] == [] and reader["marks"] == []
    assert "Peskov" not in client.get("/region/Kharkiv").text  # the draft's claims are not shown
    sign_in(client)
    editor = client.get(f"/article/{DRAFT_ID}.json").json()
    assert editor["review"]["items"] and editor["editors_view"]
    ctx.close()
