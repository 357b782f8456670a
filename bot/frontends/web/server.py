"""Serving the web view: `briefbot web`, or beside the chat front ends in `briefbot run`."""

from __future__ import annotations

import logging

import uvicorn

from bot.context import Context
from bot.frontends.web.app import create_app

log = logging.getLogger(__name__)


def server(ctx: Context, host: str | None = None, port: int | None = None) -> uvicorn.Server:
    """A uvicorn server of the web view. Behind a reverse proxy on this machine, the client's
    address comes from X-Forwarded-For (uvicorn trusts it from 127.0.0.1 only)."""
    config = uvicorn.Config(
        create_app(ctx),
        host=host or ctx.settings.web_host,
        port=ctx.settings.web_port if port is None else port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=True,
    )
    return uvicorn.Server(config)


async def serve(ctx: Context, host: str | None = None, port: int | None = None) -> None:
    web = server(ctx, host, port)
    log.info("web view on http://%s:%d/", web.config.host, web.config.port)
    await web.serve()
