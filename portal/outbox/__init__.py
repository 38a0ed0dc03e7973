"""E-mail that is never lost: an outbox table, sent after commit and retried by cron."""
