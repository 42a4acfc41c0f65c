-- Every readable endpoint of the Partner and reseller APIs (issue 12): the tables of the streams
-- profile, coupons, solution_operators, expert_profile, expert_stats, expert_comments,
-- license_addons and license_attributes (design/streams.md), max_agents_raw beside each
-- max_agents, the bi views a dashboard reads them through, and comments of 002..005 that said
-- something the documents do not (001..005 are applied and checksummed: fixed here with
-- COMMENT ON, CREATE OR REPLACE).
--
-- Same conventions as 002 and 003. Sets that shrink upstream (coupons, a license's operators)
-- keep a member that is no longer listed and give it removed_at; listed again, removed_at is
-- NULL again (StreamSpec::removed_when_unlisted). No token, password or billing field of
-- /v2/partners is ever stored: /v2/partners/tokens, billing and Recurly are never synced.

-- ---- LiveChat: the partner profile -------------------------------------------------------------

CREATE TABLE livechat.profile_snapshots (
    source                                       text        NOT NULL,
    taken_at                                     timestamptz NOT NULL DEFAULT now(),
    partner_id                                   text,
    login                                        text,
    first_name                                   text,
    last_name                                    text,
    full_name                                    text,
    contact_name                                 text,
    contact_email                                text,
    websites                                     jsonb,
    send_monthly_summary                         boolean,
    send_newsletter                              boolean,
    send_notifications                           boolean,
    send_reseller_weekly_summary                 boolean,
    affiliate_livechat_url                       text,
    affiliate_livechat_short_url                 text,
    affiliate_livechat_commission_percent        numeric,
    affiliate_livechat_commission_end_at         timestamptz,
    affiliate_partner_program_url                text,
    affiliate_partner_program_short_url          text,
    affiliate_partner_program_commission_percent numeric,
    affiliate_partner_program_commission_end_at  timestamptz,
    reseller_discount_percent                    numeric,
    reseller_discount_end_at                     timestamptz,
    expert_status                                text,
    expert_marketplace_position                  integer,
    properties                                   jsonb,
    raw                                          jsonb       NOT NULL,
    first_seen_at                                timestamptz NOT NULL DEFAULT now(),
    last_changed_at                              timestamptz NOT NULL DEFAULT now(),
    last_seen_at                                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, taken_at)
);
COMMENT ON TABLE livechat.profile_snapshots IS
    'The partner profile (/v2/partners) over time, one row per change: the current commission and discount rates with their end dates, Expert status and marketplace position. Both the current shape (001) and the old one (000: full_name, websites, a single affiliate program) land here.';
COMMENT ON COLUMN livechat.profile_snapshots.taken_at IS 'When this profile was first read.';
COMMENT ON COLUMN livechat.profile_snapshots.last_seen_at IS 'Last time a read confirmed this profile.';
COMMENT ON COLUMN livechat.profile_snapshots.full_name IS 'Old shape (000) only; the current one has first_name and last_name.';
COMMENT ON COLUMN livechat.profile_snapshots.websites IS 'Old shape (000) only: the partner''s websites as a JSON array.';
COMMENT ON COLUMN livechat.profile_snapshots.affiliate_livechat_url IS 'affiliate.livechat.url (old shape: affiliate.url): the referral link.';
COMMENT ON COLUMN livechat.profile_snapshots.affiliate_livechat_commission_percent IS
    'affiliate.livechat.current_commission.percent (old shape: affiliate.current_commission.percent): the affiliate commission rate now.';
COMMENT ON COLUMN livechat.profile_snapshots.affiliate_livechat_commission_end_at IS
    'When that rate ends; NULL when upstream sends "" (no end).';
COMMENT ON COLUMN livechat.profile_snapshots.affiliate_partner_program_commission_percent IS
    'affiliate.livechat_partner_program.current_commission.percent: the Partner Program commission rate now.';
COMMENT ON COLUMN livechat.profile_snapshots.affiliate_partner_program_commission_end_at IS 'When that rate ends; NULL when no end.';
COMMENT ON COLUMN livechat.profile_snapshots.reseller_discount_percent IS 'reseller.current_discount.percent: the Solution Partner discount now.';
COMMENT ON COLUMN livechat.profile_snapshots.reseller_discount_end_at IS 'When that discount ends; NULL when no end.';
COMMENT ON COLUMN livechat.profile_snapshots.expert_status IS 'expert.status, e.g. verified.';
COMMENT ON COLUMN livechat.profile_snapshots.expert_marketplace_position IS 'expert.marketplace_position: position in the Experts Marketplace.';
COMMENT ON COLUMN livechat.profile_snapshots.properties IS 'Dashboard UI flags (properties) as a JSON object.';
COMMENT ON COLUMN livechat.profile_snapshots.raw IS 'The profile object as received.';

-- ---- LiveChat: coupons ------------------------------------------------------------------------

CREATE TABLE livechat.coupons (
    source          text        NOT NULL,
    coupon_id       text        NOT NULL,
    label           text,
    removed_at      timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, coupon_id)
);
COMMENT ON TABLE livechat.coupons IS
    'The partner''s active coupons (/v2/partners/coupons), re-read whole each run. A coupon no longer listed keeps its row with removed_at.';
COMMENT ON COLUMN livechat.coupons.coupon_id IS 'id (a number upstream), as text.';
COMMENT ON COLUMN livechat.coupons.label IS 'What the coupon gives, e.g. "30% off first payment".';
COMMENT ON COLUMN livechat.coupons.removed_at IS 'When a read first no longer listed the coupon; NULL while it is listed (again).';

-- ---- LiveChat: operators of Solution licenses ---------------------------------------------------

CREATE TABLE livechat.solution_operators (
    source          text        NOT NULL,
    license         text        NOT NULL,
    login           text        NOT NULL,
    name            text,
    permission      text,
    removed_at      timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, license, login)
);
COMMENT ON TABLE livechat.solution_operators IS
    'Owner, administrators and agents of each Solution Partner license (/v2/partners/solutions/licenses/<license>/operators), read for the licenses synced in the run. A license whose subscription the partner does not manage answers 403 and is skipped (its rows stay as they were). An operator no longer listed keeps its row with removed_at.';
COMMENT ON COLUMN livechat.solution_operators.license IS 'The license (livechat.solution_licenses.license).';
COMMENT ON COLUMN livechat.solution_operators.login IS 'The operator''s login (e-mail).';
COMMENT ON COLUMN livechat.solution_operators.permission IS 'owner, administrator or normal (agent).';
COMMENT ON COLUMN livechat.solution_operators.removed_at IS 'When a read of the license first no longer listed the operator; NULL while listed (again).';

-- ---- LiveChat: Expert ---------------------------------------------------------------------------

CREATE TABLE livechat.expert_profile_snapshots (
    source            text        NOT NULL,
    taken_at          timestamptz NOT NULL DEFAULT now(),
    expert_id         text,
    status            text,
    company           text,
    phone             text,
    logo              text,
    description       text,
    short_description text,
    agents            text,
    hour_rate         text,
    project_rate      text,
    country           text,
    website           text,
    facebook          text,
    twitter           text,
    linkedin          text,
    googleplus        text,
    categories        jsonb,
    languages         jsonb,
    projects          jsonb,
    raw               jsonb       NOT NULL,
    first_seen_at     timestamptz NOT NULL DEFAULT now(),
    last_changed_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, taken_at)
);
COMMENT ON TABLE livechat.expert_profile_snapshots IS
    'The Expert Marketplace profile (/v2/partners/experts/profile) over time, one row per change. Empty for a partner that is not an Expert (403: the stream is not_applicable).';
COMMENT ON COLUMN livechat.expert_profile_snapshots.taken_at IS 'When this profile was first read.';
COMMENT ON COLUMN livechat.expert_profile_snapshots.last_seen_at IS 'Last time a read confirmed this profile.';
COMMENT ON COLUMN livechat.expert_profile_snapshots.agents IS 'Team size as the Expert wrote it, e.g. 5+.';
COMMENT ON COLUMN livechat.expert_profile_snapshots.hour_rate IS 'Hourly rate as sent (a string upstream, e.g. "50").';
COMMENT ON COLUMN livechat.expert_profile_snapshots.project_rate IS 'Project rate as sent (a string upstream, e.g. "500").';
COMMENT ON COLUMN livechat.expert_profile_snapshots.categories IS 'Marketplace categories, a JSON array.';
COMMENT ON COLUMN livechat.expert_profile_snapshots.languages IS 'Language codes, a JSON array.';
COMMENT ON COLUMN livechat.expert_profile_snapshots.projects IS 'Project URLs, a JSON array.';

CREATE TABLE livechat.expert_stats_snapshots (
    source          text        NOT NULL,
    taken_at        timestamptz NOT NULL DEFAULT now(),
    position        integer,
    comments        integer,
    messages        integer,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, taken_at)
);
COMMENT ON TABLE livechat.expert_stats_snapshots IS
    'Expert figures (/v2/partners/experts/stats) over time, one row per change: marketplace position and the numbers of comments and messages. Empty for a partner that is not an Expert.';
COMMENT ON COLUMN livechat.expert_stats_snapshots.taken_at IS 'When these figures were first read.';
COMMENT ON COLUMN livechat.expert_stats_snapshots.last_seen_at IS 'Last time a read confirmed these figures.';
COMMENT ON COLUMN livechat.expert_stats_snapshots.position IS 'Position in the Experts Marketplace (1 = first).';
COMMENT ON COLUMN livechat.expert_stats_snapshots.comments IS 'Comments on the Expert profile.';
COMMENT ON COLUMN livechat.expert_stats_snapshots.messages IS 'Messages received through the profile.';

CREATE TABLE livechat.expert_comments (
    source          text        NOT NULL,
    comment_key     text        NOT NULL,
    author          text,
    comment         text,
    website         text,
    created_at      timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, comment_key)
);
COMMENT ON TABLE livechat.expert_comments IS
    'Comments on the Expert profile (/v2/partners/experts/comments), re-read whole each run; comments that disappear upstream are kept.';
COMMENT ON COLUMN livechat.expert_comments.comment_key IS
    'Deterministic key, since comments have no id: "<creation_timestamp>|<author>|<n>", n counting earlier comments of the same response with the same time and author (0 for the first).';
COMMENT ON COLUMN livechat.expert_comments.created_at IS 'creation_timestamp.';
COMMENT ON COLUMN livechat.expert_comments.website IS 'The commenter''s website; empty when none.';

-- ---- LiveAgent: license add-ons and attributes --------------------------------------------------

CREATE TABLE liveagent.license_addons (
    source             text        NOT NULL,
    license_code       text        NOT NULL,
    addon_id           text        NOT NULL,
    addon_license_code text        NOT NULL,
    name               text,
    description        text,
    price              numeric,
    valid_from_at      timestamptz,
    valid_to_at        timestamptz,
    status             text,
    status_label       text GENERATED ALWAYS AS (
                           CASE status WHEN 'A' THEN 'Approved' WHEN 'R' THEN 'Refunded' END) STORED,
    raw                jsonb       NOT NULL,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    last_changed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, license_code, addon_id, addon_license_code)
);
COMMENT ON TABLE liveagent.license_addons IS
    'Add-ons of each license (/licenses/<license_code>/addons), read for the licenses synced in the run. Add-ons that disappear upstream are kept.';
COMMENT ON COLUMN liveagent.license_addons.license_code IS 'The license the add-ons were requested for (liveagent.licenses.license_code).';
COMMENT ON COLUMN liveagent.license_addons.addon_id IS 'id: the add-on (as in liveagent.variation_addons.addon_id).';
COMMENT ON COLUMN liveagent.license_addons.addon_license_code IS 'The add-on record''s own license_code (one per purchase; 003 types it "datetime", its examples show codes).';
COMMENT ON COLUMN liveagent.license_addons.price IS 'Add-on price, sent as a string ("99.90").';
COMMENT ON COLUMN liveagent.license_addons.valid_from_at IS 'valid_from: start of validity.';
COMMENT ON COLUMN liveagent.license_addons.valid_to_at IS 'valid_to: end of validity; NULL when open-ended.';
COMMENT ON COLUMN liveagent.license_addons.status IS 'One-letter code as sent: A (Approved) or R (Refunded).';
COMMENT ON COLUMN liveagent.license_addons.status_label IS 'The documented meaning of status; NULL for an undocumented code.';

ALTER TABLE liveagent.licenses
    ADD COLUMN max_agents     integer,
    ADD COLUMN max_agents_raw text;
COMMENT ON COLUMN liveagent.licenses.max_agents IS
    'The max_agents attribute (stream license_attributes, /licenses/<code>/attributes/max_agents) as an integer; NULL until read, and NULL (counted in sync.runs.invalid_values) when upstream sent something that is not an integer: see max_agents_raw.';
COMMENT ON COLUMN liveagent.licenses.max_agents_raw IS 'The max_agents value exactly as served (003 types it as text: "99").';

-- liveagent.accounts gets max_agents_raw too. sync.keep_history inserts the old row
-- positionally, so accounts_history is rebuilt with the new column before valid_from (as 003
-- asks of a column added later), its versions kept.
ALTER TABLE liveagent.accounts ADD COLUMN max_agents_raw text;
COMMENT ON COLUMN liveagent.accounts.max_agents IS
    'The max_agents attribute (stream account_attributes) as an integer; NULL until read, and NULL (counted in sync.runs.invalid_values) when upstream sent something that is not an integer: see max_agents_raw.';
COMMENT ON COLUMN liveagent.accounts.max_agents_raw IS 'The max_agents value exactly as served (003 types it as text: "99").';

ALTER TABLE liveagent.accounts_history RENAME TO accounts_history_005;
ALTER INDEX liveagent.accounts_history_key RENAME TO accounts_history_005_key;
CREATE TABLE liveagent.accounts_history (LIKE liveagent.accounts);
ALTER TABLE liveagent.accounts_history
    ADD COLUMN valid_from timestamptz NOT NULL,
    ADD COLUMN valid_to   timestamptz NOT NULL;
INSERT INTO liveagent.accounts_history
SELECT source, account_id, customer_email, domain, customer_name, company, created_at,
       variation_id, status, status_label, version, last_login_at, max_agents, raw,
       first_seen_at, last_changed_at, NULL, valid_from, valid_to
  FROM liveagent.accounts_history_005;
-- The views over the history (bi.account_versions, 005) followed the rename: point them at the
-- new table with their own definition (CREATE OR REPLACE keeps their comments, grants and the
-- views built on them).
DO $$
DECLARE
    v regclass;
BEGIN
    FOR v IN
        SELECT DISTINCT r.ev_class::regclass
          FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
         WHERE d.classid = 'pg_rewrite'::regclass
           AND d.refobjid = 'liveagent.accounts_history_005'::regclass
           AND r.ev_class <> 'liveagent.accounts_history_005'::regclass
    LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', v,
                       replace(pg_get_viewdef(v), 'accounts_history_005', 'accounts_history'));
    END LOOP;
END $$;
DROP TABLE liveagent.accounts_history_005;
CREATE INDEX accounts_history_key
    ON liveagent.accounts_history (source, account_id, valid_to);
COMMENT ON TABLE liveagent.accounts_history IS
    'Previous versions of liveagent.accounts rows: the row as it was from valid_from until a re-read (or a new max_agents) changed it at valid_to.';
COMMENT ON COLUMN liveagent.accounts_history.status_label IS 'status_label as it was (a plain copy here, not computed).';
COMMENT ON COLUMN liveagent.accounts_history.max_agents_raw IS 'max_agents_raw as it was; NULL for versions kept before it existed.';
COMMENT ON COLUMN liveagent.accounts_history.valid_from IS 'When this version became current (its last_changed_at).';
COMMENT ON COLUMN liveagent.accounts_history.valid_to IS 'When a re-read replaced this version.';

-- The first fill of the attribute (max_agents or, for a non-integer, only max_agents_raw) is
-- not a change of the account and keeps no version; any later change does (003's rule, with
-- max_agents_raw).
DROP TRIGGER accounts_keep_history ON liveagent.accounts;
CREATE TRIGGER accounts_keep_history
    BEFORE UPDATE ON liveagent.accounts
    FOR EACH ROW
    WHEN (OLD.max_agents IS NOT NULL OR OLD.max_agents_raw IS NOT NULL
          OR (NEW.max_agents IS NULL AND NEW.max_agents_raw IS NULL))
    EXECUTE FUNCTION sync.keep_history('liveagent.accounts_history');

-- variation_addons.raw is now the add-on exactly as served (it had "variation_id" injected).
COMMENT ON COLUMN liveagent.variation_addons.raw IS 'The nested add-on exactly as received; its variation is in variation_id.';
-- license_stats_snapshots.raw is now the group object as served.
COMMENT ON COLUMN livechat.license_stats_snapshots.raw IS
    'The object the row''s counts were read from, exactly as received: e.g. the body''s affiliate.livechat object, the reseller object, or the whole body for the old flat shape (/active-licenses).';

-- ---- Comments of 002 and 004 that departed from the documents -----------------------------------

-- 001 "Get Performance Report": date_from/date_to select the licenses *created* in the range.
COMMENT ON TABLE livechat.performance_daily IS
    'Affiliate performance report per day and campaign/medium/content/term, requested one day at a time (date_from = date_to); upstream filters the report by the day licenses were created (001 "Get Performance Report"), and recent days are re-read because their licenses keep converting.';
COMMENT ON COLUMN livechat.performance_daily.day IS 'The report day (date_from = date_to): the day the counted licenses were created.';
COMMENT ON VIEW bi.campaign_performance IS
    'Affiliate performance per source, program, day and campaign/medium/content/term (livechat.performance_daily), with the campaign''s details from livechat.campaigns matched on slug or name within the same program. The day is the day the counted licenses were created (001 "Get Performance Report"); recent days change as those licenses convert.';
COMMENT ON COLUMN bi.licenses.billing_cycle IS 'Billing cycle as upstream sends it: "monthly" or "annual".';

-- ---- bi views over the new tables ---------------------------------------------------------------

CREATE VIEW bi.partner_profile AS
SELECT DISTINCT ON (p.source)
       p.source,
       p.partner_id,
       p.login,
       coalesce(p.full_name, nullif(concat_ws(' ', p.first_name, p.last_name), '')) AS partner_name,
       p.affiliate_livechat_commission_percent                                       AS livechat_commission_percent,
       p.affiliate_livechat_commission_end_at                                        AS livechat_commission_ends_at,
       p.affiliate_partner_program_commission_percent                                AS partner_program_commission_percent,
       p.affiliate_partner_program_commission_end_at                                 AS partner_program_commission_ends_at,
       p.reseller_discount_percent                                                   AS solution_discount_percent,
       p.reseller_discount_end_at                                                    AS solution_discount_ends_at,
       p.expert_status,
       p.expert_marketplace_position,
       p.taken_at                                                                    AS profile_since,
       p.last_seen_at                                                                AS confirmed_at
  FROM livechat.profile_snapshots p
 ORDER BY p.source, p.taken_at DESC;
COMMENT ON VIEW bi.partner_profile IS
    'The partner profile as last read, one row per source: the current commission rates of both affiliate programs and the Solution discount with their end dates, and the Expert status and marketplace position (livechat.profile_snapshots, latest snapshot).';
COMMENT ON COLUMN bi.partner_profile.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.partner_profile.partner_id IS 'Upstream partner id.';
COMMENT ON COLUMN bi.partner_profile.login IS 'The partner''s login e-mail.';
COMMENT ON COLUMN bi.partner_profile.partner_name IS 'full_name (old shape), else first and last name.';
COMMENT ON COLUMN bi.partner_profile.livechat_commission_percent IS 'Current LiveChat affiliate commission rate, percent.';
COMMENT ON COLUMN bi.partner_profile.livechat_commission_ends_at IS 'When that rate ends; NULL when it has no end.';
COMMENT ON COLUMN bi.partner_profile.partner_program_commission_percent IS 'Current Partner Program commission rate, percent.';
COMMENT ON COLUMN bi.partner_profile.partner_program_commission_ends_at IS 'When that rate ends; NULL when it has no end.';
COMMENT ON COLUMN bi.partner_profile.solution_discount_percent IS 'Current Solution Partner discount, percent.';
COMMENT ON COLUMN bi.partner_profile.solution_discount_ends_at IS 'When that discount ends; NULL when it has no end.';
COMMENT ON COLUMN bi.partner_profile.expert_status IS 'Expert status, e.g. verified; NULL when not an Expert.';
COMMENT ON COLUMN bi.partner_profile.expert_marketplace_position IS 'Position in the Experts Marketplace according to the profile.';
COMMENT ON COLUMN bi.partner_profile.profile_since IS 'When the profile was first read with these values.';
COMMENT ON COLUMN bi.partner_profile.confirmed_at IS 'Last time a read confirmed these values.';

CREATE VIEW bi.expert_position AS
SELECT s.source,
       s.taken_at                                                         AS valid_from,
       lead(s.taken_at) OVER (PARTITION BY s.source ORDER BY s.taken_at)  AS valid_to,
       s.last_seen_at                                                     AS confirmed_at,
       s.position,
       s.comments,
       s.messages
  FROM livechat.expert_stats_snapshots s;
COMMENT ON VIEW bi.expert_position IS
    'Experts Marketplace position and the numbers of comments and messages over time (livechat.expert_stats_snapshots), one row per change; the current figures have valid_to NULL.';
COMMENT ON COLUMN bi.expert_position.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.expert_position.valid_from IS 'When these figures were first read.';
COMMENT ON COLUMN bi.expert_position.valid_to IS 'When a read first saw other figures; NULL for the current ones.';
COMMENT ON COLUMN bi.expert_position.confirmed_at IS 'Last time a read confirmed these figures.';
COMMENT ON COLUMN bi.expert_position.position IS 'Position in the Experts Marketplace (1 = first).';
COMMENT ON COLUMN bi.expert_position.comments IS 'Comments on the Expert profile.';
COMMENT ON COLUMN bi.expert_position.messages IS 'Messages received through the profile.';

CREATE VIEW bi.coupons AS
SELECT c.source,
       c.coupon_id,
       c.label,
       c.removed_at IS NULL AS is_active,
       c.removed_at,
       c.first_seen_at
  FROM livechat.coupons c;
COMMENT ON VIEW bi.coupons IS 'The partner''s coupons (livechat.coupons), withdrawn ones included with removed_at.';
COMMENT ON COLUMN bi.coupons.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.coupons.coupon_id IS 'Upstream coupon id.';
COMMENT ON COLUMN bi.coupons.label IS 'What the coupon gives.';
COMMENT ON COLUMN bi.coupons.is_active IS 'Listed by the last read.';
COMMENT ON COLUMN bi.coupons.removed_at IS 'When a read first no longer listed it; NULL while active.';
COMMENT ON COLUMN bi.coupons.first_seen_at IS 'When partnersync first saw the coupon.';

CREATE VIEW bi.solution_operators AS
SELECT o.source,
       o.license,
       l.client_name,
       o.login,
       o.name,
       o.permission,
       o.removed_at IS NULL AS is_current,
       o.removed_at,
       o.first_seen_at
  FROM livechat.solution_operators o
  LEFT JOIN livechat.solution_licenses l ON l.source = o.source AND l.license = o.license;
COMMENT ON VIEW bi.solution_operators IS
    'Owner, administrators and agents of the Solution Partner licenses whose subscription the partner manages (livechat.solution_operators), with the license''s client.';
COMMENT ON COLUMN bi.solution_operators.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.solution_operators.license IS 'The Solution license id.';
COMMENT ON COLUMN bi.solution_operators.client_name IS 'The license''s client (livechat.solution_licenses).';
COMMENT ON COLUMN bi.solution_operators.login IS 'The operator''s login (e-mail).';
COMMENT ON COLUMN bi.solution_operators.name IS 'The operator''s name.';
COMMENT ON COLUMN bi.solution_operators.permission IS 'owner, administrator or normal (agent).';
COMMENT ON COLUMN bi.solution_operators.is_current IS 'Listed by the last read of the license.';
COMMENT ON COLUMN bi.solution_operators.removed_at IS 'When a read first no longer listed the operator; NULL while listed.';
COMMENT ON COLUMN bi.solution_operators.first_seen_at IS 'When partnersync first saw the operator.';

COMMENT ON VIEW bi.commission_rates IS
    'Commission rates seen on the licenses, one row per source, program and rate; is_current marks the rate of the most recently created license of the program. The account''s own current rate and its end date are in bi.partner_profile; tier-2 affiliate licenses carry a lower rate than tier 1.';

GRANT SELECT ON bi.partner_profile, bi.expert_position, bi.coupons, bi.solution_operators
    TO partnersync_bi;
