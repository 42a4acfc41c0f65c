-- Issue 16: a first read of created-date days is COPied straight into the table when no row
-- of the stream was created on those days yet; this index answers that check (and a user's
-- "licenses created in ..." queries) without reading the table.
CREATE INDEX affiliate_licenses_created
    ON livechat.affiliate_licenses (source, program, created_at);
