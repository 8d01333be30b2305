-- The SLA clock of a conversation stops while it waits for the contact (pending) or is
-- snoozed: sla_paused_at is when it stopped (microseconds), NULL while it runs. On
-- reopening, the deadlines move by the opening time spent paused.
ALTER TABLE conversations ADD COLUMN sla_paused_at INTEGER;
