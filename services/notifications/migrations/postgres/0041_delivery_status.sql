-- What became of a message after the provider took it: the SMS gateway is asked at growing
-- pauses until it says delivered, failed or expired (then `status` says so and
-- `settled_at_us` when), or until `status_checks` runs out and the audit keeps "sent".
ALTER TABLE deliveries ADD COLUMN status_checks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN next_status_check_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN settled_at_us BIGINT;
CREATE INDEX deliveries_unsettled ON deliveries (status, channel, next_status_check_us);
