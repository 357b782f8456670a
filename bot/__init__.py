"""briefbot: curated, source-grounded news digests answered in chat."""

__version__ = "0.1.0"
