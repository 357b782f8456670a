"""The web view's HTTP side (Starlette): routes, formats, editors' sign-in, review forms, headers.

Every page is an answer of the core, laid out once (`bot.render.layout`) and rendered to HTML
by `bot.render.web_html`; the same answer is served as JSON (a `.json` suffix, or `Accept:
application/json`), a region's status also as CSV and GeoJSON. Queries and rendering run on the
store's reader threads, decisions on its writer thread (`Store.run`, `Store.run_write`), so the
event loop only moves bytes. Reviews go through `bot.commands.review_action`, the function chat
controls use. Pages work without JavaScript (there is none).

Hygiene: every response carries a strict Content-Security-Policy (no script at all, styles from
this server only), `X-Content-Type-Options: nosniff`, `Referrer-Policy`, frame denial; cookies
are HttpOnly and SameSite=Lax; every POST needs a signed-in editor's session and its CSRF token
(the sign-in form a double-submitted token instead), else it is refused with 403.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import commands
from bot.context import Context
from bot.core import editors, queries
from bot.core.article_view import article_page
from bot.core.models import (
    Answer,
    ClaimItem,
    NotFound,
    RegionAnswer,
    RegionsAnswer,
    ReviewAnswer,
    to_jsonable,
)
from bot.core.review import pending_answer
from bot.core.schema import article_handle
from bot.core.search import search
from bot.frontends.web import sessions
from bot.render.layout import Layout, layout, line_text
from bot.render.web_html import Page, Viewer, render_page, render_template

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
FORMATS = ("json", "csv", "geojson")
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
FRONT_REGIONS = 12
FRONT_SOURCES = 10
MAX_KEY = 200  # characters of a path's name (a region, speaker or article)


class SecurityHeaders:
    """ASGI middleware: the same security headers on every response, errors and files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass
class Visit:
    """Who asks (the session, if any) and in which format."""

    viewer: Viewer
    token: str | None
    fmt: str  # html | json | csv | geojson


def _split(key: str) -> tuple[str, str | None]:
    """'UA-14.json' -> ('UA-14', 'json')."""
    for fmt in FORMATS:
        if key.endswith(f".{fmt}"):
            return key[: -len(fmt) - 1], fmt
    return key, None


class WebView:
    """The routes of the web view over one Context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.limiter = sessions.SignInLimiter()

    # ------------------------------------------------------------------ plumbing

    def now(self) -> dt.datetime:
        return self.ctx.clock()

    async def visit(self, request: Request, fmt: str | None = None) -> Visit:
        token = request.cookies.get(sessions.SESSION_COOKIE)
        session = await self.store.run(sessions.find, self.store, token, self.now()) if token else None
        if session is not None and session.flash:
            await self.store.run_write(sessions.set_flash, self.store, token or "", None)
        if fmt is None:
            accept = request.headers.get("accept", "")
            fmt = "json" if "application/json" in accept and "text/html" not in accept else "html"
        viewer = Viewer(
            editor=session.editor if session else None,
            csrf=session.csrf if session else "",
            flash=session.flash if session else None,
        )
        return Visit(viewer, token if session else None, fmt)

    def _refused(self, visit: Visit) -> Response | None:
        """A private web view shows nothing but the sign-in page to readers."""
        if self.ctx.settings.web_private and not visit.viewer.editor:
            if visit.fmt == "html":
                return RedirectResponse("/signin", status_code=303)
            return JSONResponse({"error": "sign in as an editor to read this web view"}, status_code=401)
        return None

    def html(self, page: Page, visit: Visit, status: int = 200) -> HTMLResponse:
        return HTMLResponse(render_page(page, visit.viewer), status_code=status, headers={"cache-control": "no-store"})

    def error(self, visit: Visit, status: int, title: str, message: str) -> Response:
        if visit.fmt == "html":
            body = render_template("error.html", visit.viewer, title=title, message=message)
            return HTMLResponse(body, status_code=status)
        return JSONResponse({"error": message}, status_code=status)

    async def answer_page(
        self,
        request: Request,
        fmt: str | None,
        make: Callable[[Visit], Answer],
        path: str,
        *,
        formats: tuple[str, ...] = ("json",),
        search_text: str = "",
        extra: Callable[[Answer, str], Response | None] | None = None,
        editors_only: str = "",
    ) -> Response:
        """One page: the answer made on a reader thread, then HTML (or JSON, CSV, GeoJSON);
        `extra` makes the formats other than HTML and JSON from the answer. A page for editors
        only sends others to sign in (HTML) or answers them `editors_only` (JSON, 401)."""
        visit = await self.visit(request, fmt)
        refused = self._refused(visit)
        if refused is not None:
            return refused
        if editors_only and visit.viewer.editor is None:
            if visit.fmt == "html":
                return RedirectResponse(f"/signin?next={path}", status_code=303)
            return self.error(visit, 401, "Sign in", editors_only)
        if visit.fmt not in ("html", *formats):
            return self.error(visit, 404, "Not found", f"This page has no .{visit.fmt} form.")

        def build() -> Response:
            answer = make(visit)
            if isinstance(answer, NotFound):
                return self.error(visit, 404, "Not found", line_text(layout(answer).message or ()))
            if visit.fmt == "json":
                return JSONResponse(to_jsonable(answer))
            if extra is not None:
                made = extra(answer, visit.fmt)
                if made is not None:
                    return made
            page_formats = tuple((f.upper() if f != "geojson" else "GeoJSON", f"{path}.{f}") for f in formats)
            page = Page(layout(answer), path, (), page_formats, search_text[:200])
            return self.html(page, visit)

        return await self.store.run(build)

    # ------------------------------------------------------------------ pages

    async def front(self, request: Request) -> Response:
        visit = await self.visit(request, "json" if request.url.path == "/.json" else None)
        refused = self._refused(visit)
        if refused is not None:
            return refused
        ctx, drafts = self.ctx, self.ctx.settings.show_drafts

        def build() -> Response:
            briefing = queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers, include_drafts=drafts)
            regions = queries.regions(ctx.store, ctx.gazetteer, include_drafts=drafts)
            front_regions = RegionsAnswer(regions.regions[:FRONT_REGIONS])
            sources = queries.sources(ctx.store, limits=queries.Limits(articles=FRONT_SOURCES))
            pending = pending_answer(commands.desk(ctx)) if visit.viewer.editor else None
            if visit.fmt == "json":
                data = {"briefing": briefing, "regions": front_regions, "sources": sources}
                if pending is not None:
                    data["pending"] = pending
                return JSONResponse(to_jsonable(data))
            more: list[tuple[Layout, str]] = [(layout(front_regions), "/regions"), (layout(sources), "/sources")]
            if pending is not None:
                more.insert(0, (layout(pending), "/review"))
            return self.html(Page(layout(briefing), "/", tuple(more), (("JSON", "/.json"),)), visit)

        return await self.store.run(build)

    async def digest(self, request: Request) -> Response:
        _, fmt = _split(request.url.path)
        date = request.query_params.get("date", "")[:40]
        command = commands.Command("digest", {"date": date} if date else {})
        caller = commands.Caller("web", can_manage=False, can_edit=False)
        return await self.answer_page(
            request, fmt, lambda _visit: commands.execute(self.ctx, command, caller), "/digest", formats=("json",)
        )

    async def regions(self, request: Request) -> Response:
        _, fmt = _split(request.url.path)
        ctx = self.ctx

        def extra(answer: Answer, fmt: str) -> Response | None:
            assert isinstance(answer, RegionsAnswer)
            return self._regions_geojson(answer) if fmt == "geojson" else None

        return await self.answer_page(
            request,
            fmt,
            lambda _visit: queries.regions(ctx.store, ctx.gazetteer, include_drafts=ctx.settings.show_drafts),
            "/regions",
            formats=("json", "geojson"),
            extra=extra,
        )

    async def region(self, request: Request) -> Response:
        key, fmt = _split(request.path_params["key"][:MAX_KEY])
        ctx = self.ctx

        def make(_visit: Visit) -> Answer:
            return queries.region_page(
                ctx.store, ctx.gazetteer, ctx.speakers, key, include_drafts=ctx.settings.show_drafts
            )

        def extra(answer: Answer, fmt: str) -> Response | None:
            assert isinstance(answer, RegionAnswer)
            if fmt == "csv":
                return _region_csv(answer)
            if fmt == "geojson":
                return self._region_geojson(answer)
            return None

        visit_key = quote(key, safe="")
        return await self.answer_page(
            request, fmt, make, f"/region/{visit_key}", formats=("json", "csv", "geojson"), extra=extra
        )

    async def speakers(self, request: Request) -> Response:
        _, fmt = _split(request.url.path)
        ctx = self.ctx
        return await self.answer_page(
            request,
            fmt,
            lambda _visit: queries.speakers_overview(ctx.store, ctx.speakers, include_drafts=ctx.settings.show_drafts),
            "/speakers",
        )

    async def speaker(self, request: Request) -> Response:
        key, fmt = _split(request.path_params["key"][:MAX_KEY])
        ctx = self.ctx
        return await self.answer_page(
            request,
            fmt,
            lambda _visit: queries.quotes(ctx.store, ctx.speakers, key, include_drafts=ctx.settings.show_drafts),
            f"/speaker/{quote(key, safe='')}",
        )

    async def contradictions(self, request: Request) -> Response:
        _, fmt = _split(request.url.path)
        region = request.query_params.get("region", "")[:MAX_KEY] or None
        ctx = self.ctx
        return await self.answer_page(
            request,
            fmt,
            lambda _visit: queries.contradictions(
                ctx.store, ctx.gazetteer, region, include_drafts=ctx.settings.show_drafts
            ),
            "/contradictions",
        )

    async def sources(self, request: Request) -> Response:
        _, fmt = _split(request.url.path)
        return await self.answer_page(request, fmt, lambda _visit: queries.sources(self.ctx.store), "/sources")

    async def search(self, request: Request) -> Response:
        _, fmt = _split(request.url.path)
        text = request.query_params.get("q", "")[:1000]
        ctx = self.ctx
        return await self.answer_page(
            request,
            fmt,
            lambda _visit: search(ctx.store, ctx.speakers, text, include_drafts=ctx.settings.show_drafts),
            "/search",
            search_text=text,
        )

    async def article(self, request: Request) -> Response:
        key, fmt = _split(request.path_params["key"][:MAX_KEY])
        ctx = self.ctx

        def make(visit: Visit) -> Answer:
            editor = visit.viewer.editor is not None
            return article_page(
                ctx.store,
                ctx.gazetteer,
                ctx.speakers,
                key,
                editors_view=editor,
                include_drafts=ctx.settings.show_drafts,
            )

        return await self.answer_page(request, fmt, make, f"/article/{quote(key, safe='')}")

    async def review(self, request: Request) -> Response:
        _, fmt = _split(request.url.path)
        return await self.answer_page(
            request,
            fmt,
            lambda _visit: pending_answer(commands.desk(self.ctx)),
            "/review",
            editors_only="Sign in as an editor to see the drafts to review.",
        )

    # ------------------------------------------------------------------ GeoJSON and CSV

    def _feature(self, code: str, properties: dict[str, Any]) -> dict[str, Any] | None:
        centre = self.ctx.gazetteer.centre(code)
        if centre is None:
            return None
        return {
            "type": "Feature",
            "id": code,
            "geometry": {"type": "Point", "coordinates": [centre.longitude, centre.latitude]},
            "properties": {"centre": centre.city, **properties},
        }

    def _regions_geojson(self, answer: RegionsAnswer) -> Response:
        features = [
            self._feature(
                r.region.code,
                {
                    "code": r.region.code,
                    "name": r.region.name,
                    "claims": r.claims,
                    "latest": r.latest.isoformat(),
                    "page": f"/region/{r.region.code}",
                },
            )
            for r in answer.regions
        ]
        return _geojson({"type": "FeatureCollection", "features": [f for f in features if f]})

    def _region_geojson(self, answer: RegionAnswer) -> Response:
        region = answer.status.region
        status = to_jsonable(answer.status)
        feature = self._feature(region.code, {"code": region.code, "name": region.name, "status": status})
        return _geojson(feature or {"type": "Feature", "geometry": None, "properties": {"code": region.code}})

    # ------------------------------------------------------------------ editors

    async def signin_form(self, request: Request) -> Response:
        visit = await self.visit(request, "html")
        token = request.cookies.get(sessions.SIGNIN_COOKIE) or sessions.new_token()
        return self._signin_page(visit, token, request.query_params.get("next", "/"), "", None, 200)

    def _signin_page(self, visit: Visit, token: str, next_path: str, name: str, error: str | None, status: int):
        body = render_template(
            "signin.html", visit.viewer, csrf=token, next=_local(next_path), name=name[:40], error=error
        )
        response = HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})
        self._cookie(response, sessions.SIGNIN_COOKIE, token, max_age=3600)
        return response

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=self.ctx.settings.web_secure_cookies,
            path="/",
        )

    async def signin(self, request: Request) -> Response:
        visit = await self.visit(request, "html")
        form = await request.form()
        name, password = str(form.get("name", ""))[:100], str(form.get("password", ""))
        next_path = str(form.get("next", "/"))
        cookie = request.cookies.get(sessions.SIGNIN_COOKIE)
        if not sessions.same_token(cookie, str(form.get("csrf", ""))):
            return self.error(visit, 403, "Refused", "This form has expired: open the sign-in page again.")
        address = request.client.host if request.client else "unknown"
        if not self.limiter.allow(address, name):
            return self._signin_page(visit, cookie or "", next_path, name, "Too many attempts: wait a minute.", 429)
        editor = await self.store.run_write(editors.verify, self.store, name, password, self.now())
        if editor is None:
            return self._signin_page(visit, cookie or "", next_path, name, "Wrong name or password.", 401)
        hours = self.ctx.settings.web_session_hours
        token = await self.store.run_write(sessions.start, self.store, editor, self.now(), hours)
        response = RedirectResponse(_local(next_path), status_code=303)
        self._cookie(response, sessions.SESSION_COOKIE, token, max_age=int(hours * 3600))
        response.delete_cookie(sessions.SIGNIN_COOKIE, path="/")
        log.info("web: %s signed in", editor)
        return response

    async def _editor_post(self, request: Request) -> tuple[Visit, Any] | Response:
        """A POST of a signed-in editor with the session's CSRF token, else a 403."""
        visit = await self.visit(request, "html")
        form = await request.form()
        if visit.viewer.editor is None:
            return self.error(visit, 403, "Refused", "Sign in as an editor to change anything here.")
        if not sessions.same_token(visit.viewer.csrf, str(form.get("csrf", ""))):
            return self.error(visit, 403, "Refused", "This form has expired: reload the page and try again.")
        return visit, form

    async def signout(self, request: Request) -> Response:
        checked = await self._editor_post(request)
        if isinstance(checked, Response):
            return checked
        await self.store.run_write(sessions.end, self.store, checked[0].token)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(sessions.SESSION_COOKIE, path="/")
        return response

    async def decide(self, request: Request) -> Response:
        checked = await self._editor_post(request)
        if isinstance(checked, Response):
            return checked
        visit, form = checked
        article_id = request.path_params["key"][:MAX_KEY]
        verb = str(form.get("verb", ""))
        item = str(form.get("item", ""))[:40]
        if verb not in ("accept", "reject", "edit", "promote"):
            return self.error(visit, 400, "Not understood", "Unknown review action.")
        changes = None
        if verb == "edit":
            field, value = str(form.get("field", ""))[:20], str(form.get("value", ""))[:200]
            if not field or not value or not item:
                return self.error(visit, 400, "Not understood", "An edit needs an item, a field and a value.")
            changes = {field: value}
        editor = visit.viewer.editor or ""
        caller = commands.Caller("web", user=editor, can_manage=False, can_edit=True, name=f"{editor} (web)")
        answer = await self.store.run_write(
            commands.review_action, self.ctx, caller, article_handle(article_id), verb, item, 0, changes
        )
        if isinstance(answer, ReviewAnswer):
            flash = answer.message or "done"
        else:
            flash = line_text(layout(answer).message or ())
        await self.store.run_write(sessions.set_flash, self.store, visit.token or "", flash[:300])
        anchor = f"#item-{item}" if item else ""
        return RedirectResponse(f"/article/{quote(article_id, safe='')}{anchor}", status_code=303)


def _local(path: str) -> str:
    """Only a path of this site is a place to go after signing in (never //host or http://...)."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def _geojson(data: dict[str, Any]) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/geo+json")


CSV_COLUMNS = (
    "region",
    "region_name",
    "asserted_by",
    "claim",
    "actor",
    "place",
    "claim_date",
    "evidence",
    "publisher",
    "published",
    "url",
    "article_id",
    "item_id",
    "state",
)


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _region_csv(answer: RegionAnswer) -> Response:
    region = answer.status.region
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    claims: list[ClaimItem] = [c for day in answer.timeline for c in day.claims]
    for c in claims:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    region.code,
                    region.name,
                    c.asserted_by,
                    c.claim.value,
                    c.actor,
                    c.place,
                    c.date.isoformat() if c.date else "",
                    c.evidence,
                    c.source.publisher,
                    c.source.published.isoformat(),
                    c.source.url,
                    c.source.article_id,
                    c.item_id,
                    c.state.value,
                )
            ]
        )
    headers = {"content-disposition": f'attachment; filename="{region.code}.csv"'}
    return PlainTextResponse(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def create_app(ctx: Context) -> ASGIApp:
    view = WebView(ctx)

    def page(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> list[Route]:
        """A page at `path` and at each of its format suffixes (`/sources.json`)."""
        return [
            Route(path, endpoint, methods=["GET"]),
            *(Route(f"{path}.{f}", endpoint, methods=["GET"]) for f in FORMATS),
        ]

    routes = [
        Route("/", view.front, methods=["GET"]),
        Route("/.json", view.front, methods=["GET"]),
        *page("/digest", view.digest),
        *page("/regions", view.regions),
        Route("/region/{key}", view.region, methods=["GET"]),
        *page("/speakers", view.speakers),
        Route("/speaker/{key}", view.speaker, methods=["GET"]),
        *page("/contradictions", view.contradictions),
        *page("/sources", view.sources),
        *page("/search", view.search),
        Route("/article/{key}", view.article, methods=["GET"]),
        Route("/article/{key}/review", view.decide, methods=["POST"]),
        *page("/review", view.review),
        Route("/signin", view.signin_form, methods=["GET"]),
        Route("/signin", view.signin, methods=["POST"]),
        Route("/signout", view.signout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed, 500: _server_error})
    return SecurityHeaders(app)


async def _not_found(request: Request, exc: Exception) -> Response:
    return HTMLResponse(render_template("error.html", Viewer(), title="Not found", message="No such page."), 404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    if request.method == "POST":
        message = "Refused: nothing here takes a POST."
        return HTMLResponse(render_template("error.html", Viewer(), title="Refused", message=message), 403)
    return HTMLResponse(render_template("error.html", Viewer(), title="Not allowed", message="Not allowed."), 405)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("web: error answering %s", request.url.path, exc_info=exc)
    message = commands.SORRY
    return HTMLResponse(render_template("error.html", Viewer(), title="Sorry", message=message), 500)
