"""Ingestion: URLs, saved pages, pasted text and feeds -> cleaned, deduplicated articles in the store.

fetch.py (HTTP, safely) -> documents.py / page_text.py / clean.py (text and metadata) ->
dedupe.py (URLs, hashes, MinHash) -> storage.py (SQLite) ; pipeline.py ties them together,
feeds.py parses and polls feeds, cli.py holds `briefbot ingest` and `briefbot feeds`.
"""
