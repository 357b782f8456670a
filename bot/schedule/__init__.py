"""The daily digest on schedule: jobs per subscription, the exactly-once outbox, deliverers.

`scheduler.DigestScheduler` runs APScheduler 3 in the bot's event loop; `outbox` owns the
(channel, local date) claims in SQLite; `deliver` defines the `Deliverer` protocol every
platform implements and the console deliverer; `adapters` wraps the Discord and Slack clients.
"""
