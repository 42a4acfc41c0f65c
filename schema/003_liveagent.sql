-- The LiveAgent reseller API warehouse (design/streams.md, schema `liveagent`): one table per
-- kind of upstream data, keyed as connectors/liveagent/*.cpp declare, plus the accounts' history.
--
-- Same conventions as schema `livechat` (002): `source` first in every key, nullable data
-- columns (an absent field or an invalid value is NULL and stays visible in `raw`), `raw`,
-- `first_seen_at`, `last_changed_at`. Upstream datetimes ("YYYY-MM-DD HH:MM:SS", 003 "Datafield
-- formats") are read in the source's configured timezone (default America/Los_Angeles); an
-- impossible one such as 003's "2008-12-11 08:95:41" is NULL and counted in sync.runs. Prices
-- come as strings ("99.90") and are kept exactly as numeric. No API key is ever stored here.
-- Upstream field names that differ from a column name are given in the column's comment.

CREATE SCHEMA IF NOT EXISTS liveagent;
COMMENT ON SCHEMA liveagent IS 'LiveAgent reseller API data synced by partnersync (one row set per source).';

-- ---- Accounts ---------------------------------------------------------------------------------

CREATE TABLE liveagent.accounts (
    source          text        NOT NULL,
    account_id      text        NOT NULL,
    customer_email  text,
    domain          text,
    customer_name   text,
    company         text,
    created_at      timestamptz,
    variation_id    text,
    status          text,
    -- 003 "Get account status" lists every code; "Get accounts info" only the first six.
    status_label    text GENERATED ALWAYS AS (
                        CASE status
                            WHEN 'a' THEN 'Active'
                            WHEN 's' THEN 'Suspended'
                            WHEN 't' THEN 'Terminated'
                            WHEN 'n' THEN 'New'
                            WHEN 'b' THEN 'Broken'
                            WHEN 'c' THEN 'Waiting for create'
                            WHEN 'r' THEN 'Crashed'
                            WHEN 'm' THEN 'Wait for manual unsuspend'
                            WHEN 'p' THEN 'Wait for suspend'
                            WHEN 'd' THEN 'Wait for termination'
                            WHEN 'u' THEN 'Wait for unsuspend'
                            WHEN 'v' THEN 'Wait for update'
                        END) STORED,
    version         text,
    last_login_at   timestamptz,
    max_agents      integer,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, account_id)
);
COMMENT ON TABLE liveagent.accounts IS
    'The reseller''s LiveAgent accounts (/accounts), synced in windows over their creation datetime; max_agents completed per account from /accounts/<id>/attributes/max_agents.';
COMMENT ON COLUMN liveagent.accounts.account_id IS 'LiveAgent account identifier.';
COMMENT ON COLUMN liveagent.accounts.domain IS 'The account''s full domain, e.g. mysupport.ladesk.com.';
COMMENT ON COLUMN liveagent.accounts.customer_name IS 'The customer''s name (003 describes it as "Customer email", its examples show a name).';
COMMENT ON COLUMN liveagent.accounts.created_at IS 'date_created: the datetime the windows (created_from/created_to) filter on.';
COMMENT ON COLUMN liveagent.accounts.variation_id IS 'The variation (plan) assigned to the account: liveagent.variations.variation_id.';
COMMENT ON COLUMN liveagent.accounts.status IS 'One-letter status code as sent (a, s, t, n, b, c, r, m, p, d, u, v); see status_label.';
COMMENT ON COLUMN liveagent.accounts.status_label IS
    'The documented meaning of status (Active, Suspended, Terminated, New, Broken, Waiting for create, Crashed, Wait for manual unsuspend, Wait for suspend, Wait for termination, Wait for unsuspend, Wait for update); NULL for an undocumented code.';
COMMENT ON COLUMN liveagent.accounts.version IS 'LiveAgent version the account runs, e.g. 4.0.5.1.';
COMMENT ON COLUMN liveagent.accounts.last_login_at IS 'last_login_date: the customer''s last login; NULL when never.';
COMMENT ON COLUMN liveagent.accounts.max_agents IS 'The max_agents attribute (stream account_attributes); NULL until read.';

-- History: every version a re-read replaced (same pattern as livechat.affiliate_licenses_history).
-- LIKE copies status_label as a plain column (no INCLUDING GENERATED), so sync.keep_history's
-- positional insert of the old row stores its label as it was. A column added to
-- liveagent.accounts later must be added here in the same position (before valid_from).
CREATE TABLE liveagent.accounts_history (LIKE liveagent.accounts);
ALTER TABLE liveagent.accounts_history
    ADD COLUMN valid_from timestamptz NOT NULL,
    ADD COLUMN valid_to   timestamptz NOT NULL;
CREATE INDEX accounts_history_key
    ON liveagent.accounts_history (source, account_id, valid_to);
COMMENT ON TABLE liveagent.accounts_history IS
    'Previous versions of liveagent.accounts rows: the row as it was from valid_from until a re-read (or a new max_agents) changed it at valid_to.';
COMMENT ON COLUMN liveagent.accounts_history.status_label IS 'status_label as it was (a plain copy here, not computed).';
COMMENT ON COLUMN liveagent.accounts_history.valid_from IS 'When this version became current (its last_changed_at).';
COMMENT ON COLUMN liveagent.accounts_history.valid_to IS 'When a re-read replaced this version.';
-- account_attributes fills max_agents in a separate UPDATE right after an account is first
-- synced: that first fill is not a change of the account, so it keeps no version (else every
-- account would get one). The accounts upsert never writes max_agents, and account_attributes
-- writes nothing else, so OLD.max_agents IS NULL AND NEW.max_agents IS NOT NULL is exactly
-- that fill; a later change of max_agents, or of anything else, keeps the previous version.
CREATE TRIGGER accounts_keep_history
    BEFORE UPDATE ON liveagent.accounts
    FOR EACH ROW
    WHEN (OLD.max_agents IS NOT NULL OR NEW.max_agents IS NULL)
    EXECUTE FUNCTION sync.keep_history('liveagent.accounts_history');

CREATE TABLE liveagent.account_addons (
    source          text        NOT NULL,
    account_id      text        NOT NULL,
    addon_id        text        NOT NULL,
    license_code    text        NOT NULL,
    name            text,
    description     text,
    price           numeric,
    valid_from_at   timestamptz,
    valid_to_at     timestamptz,
    status          text,
    status_label    text GENERATED ALWAYS AS (
                        CASE status WHEN 'A' THEN 'Approved' WHEN 'R' THEN 'Refunded' END) STORED,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, account_id, addon_id, license_code)
);
COMMENT ON TABLE liveagent.account_addons IS
    'Add-ons bought for an account (/accounts/<id>/addons), fetched for the accounts synced in the same run; one row per add-on license.';
COMMENT ON COLUMN liveagent.account_addons.account_id IS 'The account the add-ons were requested for (the records do not name it).';
COMMENT ON COLUMN liveagent.account_addons.addon_id IS 'id: the add-on (as in liveagent.variation_addons.addon_id).';
COMMENT ON COLUMN liveagent.account_addons.license_code IS 'The add-on license (003 types it "datetime"; its examples show codes such as ss5l5sa6).';
COMMENT ON COLUMN liveagent.account_addons.price IS 'Add-on price, sent as a string ("99.90").';
COMMENT ON COLUMN liveagent.account_addons.valid_from_at IS 'valid_from: start of the add-on''s validity.';
COMMENT ON COLUMN liveagent.account_addons.valid_to_at IS 'valid_to: end of the add-on''s validity; NULL when open-ended.';
COMMENT ON COLUMN liveagent.account_addons.status IS 'One-letter code as sent: A (Approved) or R (Refunded).';
COMMENT ON COLUMN liveagent.account_addons.status_label IS 'The documented meaning of status; NULL for an undocumented code.';

CREATE TABLE liveagent.account_users (
    source          text        NOT NULL,
    account_id      text        NOT NULL,
    userid          text        NOT NULL,
    email           text,
    firstname       text,
    lastname        text,
    role            text,
    status          text,
    role_type       text,
    created_at      timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, account_id, userid)
);
COMMENT ON TABLE liveagent.account_users IS
    'Users (agents) of an account (/accounts/<id>/users), fetched for the accounts synced in the same run.';
COMMENT ON COLUMN liveagent.account_users.account_id IS 'The account the users were requested for (the records do not name it).';
COMMENT ON COLUMN liveagent.account_users.userid IS 'The agent''s id within the account.';
COMMENT ON COLUMN liveagent.account_users.role IS 'Agent role, e.g. Owner.';
COMMENT ON COLUMN liveagent.account_users.status IS 'Agent status code as sent (e.g. A); 003 does not document its values.';
COMMENT ON COLUMN liveagent.account_users.role_type IS 'Agent role type, e.g. la_own.';
COMMENT ON COLUMN liveagent.account_users.created_at IS 'date_created.';

-- ---- Licenses and variations ------------------------------------------------------------------

CREATE TABLE liveagent.licenses (
    source               text        NOT NULL,
    license_code         text        NOT NULL,
    customer_email       text,
    customer_name        text,
    valid_from_at        timestamptz,
    valid_to_at          timestamptz,
    variation_id         text,
    license_status       text,
    license_status_label text GENERATED ALWAYS AS (
                             CASE license_status WHEN 'A' THEN 'Approved' WHEN 'R' THEN 'Refunded' END)
                             STORED,
    raw                  jsonb       NOT NULL,
    first_seen_at        timestamptz NOT NULL DEFAULT now(),
    last_changed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, license_code)
);
COMMENT ON TABLE liveagent.licenses IS 'Every license of the reseller (/licenses), re-read whole each run; licenses that disappear upstream are kept.';
COMMENT ON COLUMN liveagent.licenses.valid_from_at IS 'valid_from: start of validity. NULL when upstream sent an impossible datetime (003''s example: 2008-12-11 08:95:41); see raw.';
COMMENT ON COLUMN liveagent.licenses.valid_to_at IS 'valid_to: end of validity; NULL when open-ended.';
COMMENT ON COLUMN liveagent.licenses.variation_id IS 'The variation (plan): liveagent.variations.variation_id.';
COMMENT ON COLUMN liveagent.licenses.license_status IS 'One-letter code as sent: A (Approved) or R (Refunded).';
COMMENT ON COLUMN liveagent.licenses.license_status_label IS 'The documented meaning of license_status; NULL for an undocumented code.';

CREATE TABLE liveagent.variations (
    source          text        NOT NULL,
    variation_id    text        NOT NULL,
    name            text,
    created_at      timestamptz,
    description     text,
    product         text,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, variation_id)
);
COMMENT ON TABLE liveagent.variations IS 'The reseller''s variations (plans) from /variations, re-read whole each run; their add-ons are in liveagent.variation_addons.';
COMMENT ON COLUMN liveagent.variations.variation_id IS 'id.';
COMMENT ON COLUMN liveagent.variations.created_at IS 'created.';
COMMENT ON COLUMN liveagent.variations.product IS 'The product the variation is of, e.g. LiveAgent.';
COMMENT ON COLUMN liveagent.variations.raw IS 'The variation record as received, nested addons included.';

CREATE TABLE liveagent.variation_addons (
    source          text        NOT NULL,
    variation_id    text        NOT NULL,
    addon_id        text        NOT NULL,
    name            text,
    price           numeric,
    description     text,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, variation_id, addon_id)
);
COMMENT ON TABLE liveagent.variation_addons IS
    'Add-ons offered with each variation: the addons nested in /variations, one row each (internal stream variation_addons, run with variations). Add-ons that disappear upstream are kept.';
COMMENT ON COLUMN liveagent.variation_addons.variation_id IS 'The variation the add-on was nested in.';
COMMENT ON COLUMN liveagent.variation_addons.addon_id IS 'id.';
COMMENT ON COLUMN liveagent.variation_addons.price IS 'Add-on price, sent as a string ("99.90").';
COMMENT ON COLUMN liveagent.variation_addons.raw IS 'The nested add-on as received, with "variation_id" added as its first member.';
