"""What a running SleepCoT counts, for `/metrics` (Prometheus' text format, prometheus-client's default
registry): briefings written and sent, fallbacks and guard refusals by reason, syncs and vendor errors by
vendor, model latency. The outbox's depth is read from the database when scraped (bot.health). Labels are
short codes from fixed sets, never user data."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

BRIEFINGS_WRITTEN = Counter("sleepcot_briefings_written", "Briefings written, by who wrote them", ["writer"])
MESSAGES_SENT = Counter("sleepcot_messages_sent", "Scheduled messages delivered to Telegram, by kind", ["kind"])
FALLBACKS = Counter("sleepcot_fallbacks", "Replies that fell back to the deterministic text, by reason", ["reason"])
GUARD_REFUSALS = Counter("sleepcot_guard_refusals", "Model replies the guard refused, by problem", ["problem"])
SYNCS = Counter("sleepcot_syncs", "Syncs of a user's wearable, by vendor and outcome", ["vendor", "outcome"])
VENDOR_ERRORS = Counter("sleepcot_vendor_errors", "Vendor calls that failed (each retry counts), by vendor and kind: "
                        "rate_limited, http_4xx, http_5xx, transport", ["vendor", "error"])
MODEL_SECONDS = Histogram("sleepcot_model_seconds", "Time the model took to write one reply, by task", ["task"],
                          buckets=(0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120))
