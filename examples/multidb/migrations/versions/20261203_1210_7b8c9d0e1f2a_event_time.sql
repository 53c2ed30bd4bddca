-- revision: 7b8c9d0e1f2a
-- down_revision: 1a2b3c4d5e6f
-- message: events are timed

-- upgrade analytics
ALTER TABLE events ADD COLUMN seen_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX events_seen_at ON events (seen_at);

-- downgrade analytics
DROP INDEX events_seen_at;
ALTER TABLE events DROP COLUMN seen_at;
