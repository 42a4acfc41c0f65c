-- The LiveChat Partner API warehouse (design/streams.md, schema `livechat`): one table per kind
-- of upstream data, keyed as connectors/livechat/*.cpp declare, plus the licenses' histories.
--
-- Every data table: `source` (the config name of the partner account) first in the key, the
-- data columns, `raw` (the record exactly as received), `first_seen_at` and `last_changed_at`
-- (moved only by a re-read that changed a value: the sync's upsert skips unchanged rows).
-- Data columns are nullable on purpose: an absent field or an invalid value is NULL and the
-- record stays visible in `raw`. Times are upstream "YYYY-MM-DD HH:MM:SS" read in the source's
-- configured timezone. No API token or billing secret is ever stored here.

CREATE SCHEMA IF NOT EXISTS livechat;
COMMENT ON SCHEMA livechat IS 'LiveChat Partner API data synced by partnersync (one row set per source).';

-- ---- Licenses ---------------------------------------------------------------------------------

CREATE TABLE livechat.affiliate_licenses (
    source             text        NOT NULL,
    program            text        NOT NULL CHECK (program IN ('livechat', 'partner_program')),
    license_key        text        NOT NULL,
    tier               smallint,
    client_email       text,
    created_at         timestamptz,
    end_at             timestamptz,
    cc_added           boolean,
    paid               boolean,
    seats              integer,
    plan               text,
    billing_cycle      text,
    chat_installed     boolean,
    conversations      integer,
    total_commission   numeric,
    commission_percent numeric,
    utm_source         text,
    utm_medium         text,
    utm_content        text,
    utm_term           text,
    campaign           text,
    blocked            boolean,
    raw                jsonb       NOT NULL,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    last_changed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, program, license_key)
);
COMMENT ON TABLE livechat.affiliate_licenses IS
    'Licenses referred as an affiliate: LiveChat affiliate licenses (program livechat) and Partner Program lead licenses (program partner_program). Upstream has no license id.';
COMMENT ON COLUMN livechat.affiliate_licenses.program IS
    'livechat (/affiliates/livechat/licenses) or partner_program (/affiliates/livechat-partner-program/licenses).';
COMMENT ON COLUMN livechat.affiliate_licenses.license_key IS
    'Deterministic key, since upstream has no license id: "<creation_timestamp>|<client_email>|<n>" with the timestamp and masked e-mail exactly as sent (e-mail empty when absent, as for Partner Program leads) and n counting earlier records of the same response with the same timestamp and e-mail (0 for the first). Stable across re-reads.';
COMMENT ON COLUMN livechat.affiliate_licenses.tier IS
    'Commission tier: 1 or 2 from the old response grouping {"tier1": [...], "tier2": [...]}, or the record''s own tier; NULL when upstream gives none.';
COMMENT ON COLUMN livechat.affiliate_licenses.client_email IS 'Masked by upstream (e.g. w...n@l...c); NULL for Partner Program leads.';
COMMENT ON COLUMN livechat.affiliate_licenses.created_at IS 'creation_timestamp: the date the windows (date_from/date_to) filter on.';
COMMENT ON COLUMN livechat.affiliate_licenses.end_at IS 'end_timestamp: end of the trial or of the paid period; moves when a license converts or renews.';
COMMENT ON COLUMN livechat.affiliate_licenses.cc_added IS 'A credit card was added (trial likely to convert).';
COMMENT ON COLUMN livechat.affiliate_licenses.total_commission IS 'Commission earned on this license so far (grows over time).';
COMMENT ON COLUMN livechat.affiliate_licenses.utm_source IS 'Only in the old response shape; NULL from the current endpoints.';
COMMENT ON COLUMN livechat.affiliate_licenses.campaign IS 'campaign_name (current shape) or utm_campaign (old shape).';

CREATE TABLE livechat.solution_licenses (
    source                     text        NOT NULL,
    license                    text        NOT NULL,
    client_name                text,
    client_email               text,
    purchase_order             text,
    created_at                 timestamptz,
    end_at                     timestamptz,
    cc_added                   boolean,
    paid                       boolean,
    seats                      integer,
    plan                       text,
    billing_cycle              text,
    total_discount             numeric,
    discount_percent           numeric,
    expired                    boolean,
    blocked                    boolean,
    payment_origin             text,
    conversations              integer,
    conversations_last_30_days integer,
    total_commission           numeric,
    commission_percent         numeric,
    data_center                text,
    recurly_subscriber         boolean,
    recurly_in_trial           boolean,
    recurly_recurrent          boolean,
    raw                        jsonb       NOT NULL,
    first_seen_at              timestamptz NOT NULL DEFAULT now(),
    last_changed_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, license)
);
COMMENT ON TABLE livechat.solution_licenses IS
    'Solution Partner (reseller) client licenses: the list /resellers/licenses completed by each license''s details /resellers/licenses/<id>.';
COMMENT ON COLUMN livechat.solution_licenses.license IS 'LiveChat license id.';
COMMENT ON COLUMN livechat.solution_licenses.purchase_order IS 'Free text the partner set when creating the license.';
COMMENT ON COLUMN livechat.solution_licenses.payment_origin IS 'Who manages the subscription payment: partner or client.';
COMMENT ON COLUMN livechat.solution_licenses.data_center IS 'dal (Dallas, US) or fra (Frankfurt, EU).';
COMMENT ON COLUMN livechat.solution_licenses.total_discount IS 'Reseller discount earned on this license so far.';
COMMENT ON COLUMN livechat.solution_licenses.recurly_subscriber IS 'recurly.subscriber from the license details; NULL when the details answered 404.';
COMMENT ON COLUMN livechat.solution_licenses.recurly_in_trial IS 'recurly.in_trial from the license details.';
COMMENT ON COLUMN livechat.solution_licenses.recurly_recurrent IS 'recurly.recurrent from the license details.';
COMMENT ON COLUMN livechat.solution_licenses.raw IS 'The license details record (which includes every list field), or the list record when the details answered 404.';

-- History: every version a re-read replaced. The sync's upsert updates a row only when a value
-- changed, so the trigger fires only then. sync.keep_history inserts the old row positionally
-- followed by (valid_from, valid_to): a column added to a data table later must be added to
-- its history table in the same position, i.e. recreate valid_from/valid_to after it.

CREATE TABLE livechat.affiliate_licenses_history (LIKE livechat.affiliate_licenses);
ALTER TABLE livechat.affiliate_licenses_history
    ADD COLUMN valid_from timestamptz NOT NULL,
    ADD COLUMN valid_to   timestamptz NOT NULL;
CREATE INDEX affiliate_licenses_history_key
    ON livechat.affiliate_licenses_history (source, program, license_key, valid_to);
COMMENT ON TABLE livechat.affiliate_licenses_history IS
    'Previous versions of livechat.affiliate_licenses rows: the row as it was from valid_from until a re-read changed it at valid_to.';
COMMENT ON COLUMN livechat.affiliate_licenses_history.valid_from IS 'When this version became current (its last_changed_at).';
COMMENT ON COLUMN livechat.affiliate_licenses_history.valid_to IS 'When a re-read replaced this version.';
CREATE TRIGGER affiliate_licenses_keep_history
    BEFORE UPDATE ON livechat.affiliate_licenses
    FOR EACH ROW EXECUTE FUNCTION sync.keep_history('livechat.affiliate_licenses_history');

CREATE TABLE livechat.solution_licenses_history (LIKE livechat.solution_licenses);
ALTER TABLE livechat.solution_licenses_history
    ADD COLUMN valid_from timestamptz NOT NULL,
    ADD COLUMN valid_to   timestamptz NOT NULL;
CREATE INDEX solution_licenses_history_key
    ON livechat.solution_licenses_history (source, license, valid_to);
COMMENT ON TABLE livechat.solution_licenses_history IS
    'Previous versions of livechat.solution_licenses rows: the row as it was from valid_from until a re-read changed it at valid_to.';
COMMENT ON COLUMN livechat.solution_licenses_history.valid_from IS 'When this version became current (its last_changed_at).';
COMMENT ON COLUMN livechat.solution_licenses_history.valid_to IS 'When a re-read replaced this version.';
CREATE TRIGGER solution_licenses_keep_history
    BEFORE UPDATE ON livechat.solution_licenses
    FOR EACH ROW EXECUTE FUNCTION sync.keep_history('livechat.solution_licenses_history');

CREATE TABLE livechat.solution_invoices (
    source          text        NOT NULL,
    license         text        NOT NULL,
    invoice_no      bigint      NOT NULL,
    issued_at       timestamptz,
    plan            text,
    seats           integer,
    billing_cycle   text,
    amount          numeric,
    status          text,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, license, invoice_no)
);
COMMENT ON TABLE livechat.solution_invoices IS
    'Invoices of Solution Partner licenses (/resellers/licenses/<id>/invoices), fetched for the licenses synced in the same run.';
COMMENT ON COLUMN livechat.solution_invoices.license IS 'The license the invoices were requested for (the records do not name it).';
COMMENT ON COLUMN livechat.solution_invoices.issued_at IS 'The invoice''s "date".';

-- ---- Reports ----------------------------------------------------------------------------------

CREATE TABLE livechat.performance_daily (
    source             text        NOT NULL,
    program            text        NOT NULL CHECK (program IN ('livechat', 'partner_program')),
    day                date        NOT NULL,
    campaign           text        NOT NULL,
    medium             text        NOT NULL,
    content            text        NOT NULL,
    term               text        NOT NULL,
    clicks             integer,
    leads              integer,
    trials             integer,
    trial_percent      numeric,
    paid               integer,
    paid_percent       numeric,
    commission         numeric,
    chat_installations integer,
    aha                integer,
    raw                jsonb       NOT NULL,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    last_changed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, program, day, campaign, medium, content, term)
);
COMMENT ON TABLE livechat.performance_daily IS
    'Affiliate performance report per day and campaign/medium/content/term, requested one day at a time; recent days are re-read because conversions are attributed to the day of the click.';
COMMENT ON COLUMN livechat.performance_daily.day IS 'The report day (date_from = date_to).';
COMMENT ON COLUMN livechat.performance_daily.campaign IS 'Empty string, not NULL, when upstream has none (part of the key); likewise medium, content and term.';
COMMENT ON COLUMN livechat.performance_daily.leads IS 'Partner Program only.';
COMMENT ON COLUMN livechat.performance_daily.chat_installations IS 'Qualified leads: trials with the chat code installed on a website (LiveChat program only).';
COMMENT ON COLUMN livechat.performance_daily.aha IS 'Qualified leads that had at least 10 chats, the "AHA moment" (LiveChat program only).';

CREATE TABLE livechat.history_monthly (
    source          text        NOT NULL,
    program         text        NOT NULL
                    CHECK (program IN ('livechat', 'partner_program', 'solution', 'expert')),
    month           date        NOT NULL CHECK (extract(day FROM month) = 1),
    trials          integer,
    paid            integer,
    commission      numeric,
    leads           integer,
    profile_views   integer,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, program, month)
);
COMMENT ON TABLE livechat.history_monthly IS
    'Monthly activity per program from the history endpoints. Upstream returns only the last 12 months; older months are kept here, never deleted.';
COMMENT ON COLUMN livechat.history_monthly.program IS
    'livechat (affiliate), partner_program (Partner Program leads), solution (Solution Partner) or expert (Expert profile).';
COMMENT ON COLUMN livechat.history_monthly.month IS 'First day of the month ("date": "YYYY-MM" upstream).';
COMMENT ON COLUMN livechat.history_monthly.leads IS 'Partner Program only.';
COMMENT ON COLUMN livechat.history_monthly.profile_views IS 'Expert only: views of the Expert profile.';

-- ---- Snapshots --------------------------------------------------------------------------------
-- Point-in-time figures with no date parameter: a new snapshot (taken_at) only when a value
-- changed since the source's latest one; otherwise only that one's last_seen_at moves.

CREATE TABLE livechat.earnings_snapshots (
    source                                                    text        NOT NULL,
    taken_at                                                  timestamptz NOT NULL DEFAULT now(),
    balance                                                   numeric,
    blocked                                                   numeric,
    pending                                                   numeric,
    withdrawals                                               numeric,
    commission_total                                          numeric,
    commission_last_30_days                                   numeric,
    affiliate_commission_total                                numeric,
    affiliate_commission_last_30_days                         numeric,
    affiliate_livechat_commission_total                       numeric,
    affiliate_livechat_commission_last_30_days                numeric,
    affiliate_livechat_partner_program_commission_total       numeric,
    affiliate_livechat_partner_program_commission_last_30_days numeric,
    reseller_commission_total                                 numeric,
    reseller_commission_last_30_days                          numeric,
    reseller_livechat_commission_total                        numeric,
    reseller_livechat_commission_last_30_days                 numeric,
    reseller_discount                                         numeric,
    raw                                                       jsonb       NOT NULL,
    first_seen_at                                             timestamptz NOT NULL DEFAULT now(),
    last_changed_at                                           timestamptz NOT NULL DEFAULT now(),
    last_seen_at                                              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, taken_at)
);
COMMENT ON TABLE livechat.earnings_snapshots IS
    'Earnings (/earnings) over time, one row per change. Nested figures are flattened by joining the JSON path with _ (affiliate.livechat.commission_total -> affiliate_livechat_commission_total).';
COMMENT ON COLUMN livechat.earnings_snapshots.taken_at IS 'When these figures were first read.';
COMMENT ON COLUMN livechat.earnings_snapshots.last_seen_at IS 'Last time a read confirmed these figures.';
COMMENT ON COLUMN livechat.earnings_snapshots.balance IS 'Amount available to withdraw.';
COMMENT ON COLUMN livechat.earnings_snapshots.blocked IS 'Commission not yet released.';
COMMENT ON COLUMN livechat.earnings_snapshots.withdrawals IS 'Total withdrawn so far.';
COMMENT ON COLUMN livechat.earnings_snapshots.commission_total IS 'commission_total; "commission" in the old flat shape.';
COMMENT ON COLUMN livechat.earnings_snapshots.reseller_discount IS 'Total Solution Partner discount: reseller.livechat.discount; "discount" in the old flat shape.';

CREATE TABLE livechat.license_stats_snapshots (
    source          text        NOT NULL,
    taken_at        timestamptz NOT NULL DEFAULT now(),
    program         text        NOT NULL,
    channel         text        NOT NULL,
    trials          integer,
    trials_cc       integer,
    paid            integer,
    leads           integer,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, taken_at, program, channel)
);
COMMENT ON TABLE livechat.license_stats_snapshots IS
    'Active license counts (/stats, old /active-licenses) over time: one row per program and channel of each snapshot, a new snapshot per change.';
COMMENT ON COLUMN livechat.license_stats_snapshots.taken_at IS 'When these counts were first read; all rows of one snapshot share it.';
COMMENT ON COLUMN livechat.license_stats_snapshots.last_seen_at IS 'Last time a read confirmed these counts.';
COMMENT ON COLUMN livechat.license_stats_snapshots.program IS 'The upstream grouping: affiliate or reseller (Solution Partner).';
COMMENT ON COLUMN livechat.license_stats_snapshots.channel IS
    'The product inside the program: livechat or livechat_partner_program; empty string for a program-wide figure (reseller, and the old flat shape''s affiliate_* counts).';
COMMENT ON COLUMN livechat.license_stats_snapshots.trials_cc IS 'Active trials with a credit card added.';
COMMENT ON COLUMN livechat.license_stats_snapshots.leads IS 'Partner Program leads (affiliate / livechat_partner_program only).';
COMMENT ON COLUMN livechat.license_stats_snapshots.raw IS 'This row''s part of the response: {"program", "channel", counts as received}.';

-- ---- Money and campaigns ----------------------------------------------------------------------

CREATE TABLE livechat.withdrawals (
    source          text        NOT NULL,
    withdrawal_key  text        NOT NULL,
    withdrawal_id   bigint,
    requested_at    timestamptz,
    action_at       timestamptz,
    status          text,
    amount          numeric,
    invoice_id      text,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, withdrawal_key)
);
COMMENT ON TABLE livechat.withdrawals IS 'Affiliate withdrawal requests, synced in windows over their request date.';
COMMENT ON COLUMN livechat.withdrawals.withdrawal_key IS
    'withdrawal_id as text. The old list shape has no withdrawal_id: there it is request_timestamp as sent ("YYYY-MM-DD HH:MM:SS").';
COMMENT ON COLUMN livechat.withdrawals.action_at IS 'When the request was acted on (paid/rejected); NULL while pending.';
COMMENT ON COLUMN livechat.withdrawals.invoice_id IS 'YYYY/M/<partner_id>; the invoice can be fetched from /affiliates/withdrawals/invoices/<invoice_id>.';

CREATE TABLE livechat.campaigns (
    source          text        NOT NULL,
    program         text        NOT NULL CHECK (program IN ('livechat', 'partner_program')),
    slug            text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('active', 'disabled')),
    name            text,
    trial_duration  integer,
    discount        text,
    url             text,
    short_url       text,
    created_at      timestamptz,
    disabled_at     timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, program, slug)
);
COMMENT ON TABLE livechat.campaigns IS 'Affiliate campaigns of both programs, from the active and disabled lists.';
COMMENT ON COLUMN livechat.campaigns.slug IS 'URL-friendly campaign name with the pp_ prefix (utm_campaign of the campaign links).';
COMMENT ON COLUMN livechat.campaigns.status IS 'Which list the campaign was last read from; active wins when a slug is in both.';
COMMENT ON COLUMN livechat.campaigns.trial_duration IS 'Trial days the campaign gives (LiveChat program only).';
COMMENT ON COLUMN livechat.campaigns.discount IS 'Label of the coupon the campaign applies; empty when none (LiveChat program only).';
COMMENT ON COLUMN livechat.campaigns.disabled_at IS 'Disabled list only.';

CREATE TABLE livechat.leads (
    source                 text        NOT NULL,
    partner_id             text        NOT NULL,
    created_at             timestamptz,
    campaign               text,
    medium                 text,
    content                text,
    term                   text,
    active_trials          integer,
    active_trials_cc_added integer,
    total_trials           integer,
    active_paid            integer,
    total_paid             integer,
    commission             numeric,
    raw                    jsonb       NOT NULL,
    first_seen_at          timestamptz NOT NULL DEFAULT now(),
    last_changed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, partner_id)
);
COMMENT ON TABLE livechat.leads IS 'Partners referred through the Partner Program (leads) and the licenses they brought.';
COMMENT ON COLUMN livechat.leads.partner_id IS 'The referred partner''s id.';
COMMENT ON COLUMN livechat.leads.commission IS 'Commission earned on this lead''s licenses so far.';
