"""Automatic extraction: attributions, region claims, key points and machine drafts (see README.md)."""
