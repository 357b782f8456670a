"""The web view: read digests in a browser, and review drafts there as an editor (Starlette)."""
