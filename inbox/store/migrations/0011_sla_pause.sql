-- The SLA clock of a conversation stops while it waits for the contact (pending) or is
-- snoozed: sla_paused_at is when it stopped (microseconds), NULL while it runs, and
-- sla_paused_seconds the opening time it has spent stopped in all. On reopening, the
-- deadlines move by the opening time spent paused.
ALTER TABLE conversations ADD COLUMN sla_paused_at INTEGER;
ALTER TABLE conversations ADD COLUMN sla_paused_seconds INTEGER NOT NULL DEFAULT 0;
-- Conversations already waiting stopped their clock at their last change, at the latest.
UPDATE conversations SET sla_paused_at = updated_at WHERE status IN ('pending', 'snoozed');
