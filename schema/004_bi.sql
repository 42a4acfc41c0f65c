-- The BI layer (design/streams.md "BI layer"): views with friendly names for Metabase and Grafana,
-- and the role partnersync_bi that may read them and nothing else.
--
-- The views are plain (not security_invoker): they run with their owner's rights, the daemon's
-- role that owns livechat, liveagent and sync, so partnersync_bi needs no right on those schemas.
-- No view exposes raw bodies, quarantined bodies or URLs: nothing here can carry a secret.
-- Day and month boundaries of timestamptz columns follow the session's TimeZone setting.

CREATE SCHEMA IF NOT EXISTS bi;
COMMENT ON SCHEMA bi IS 'Read-only views over the partnersync warehouse for dashboards (Metabase, Grafana); readable by the role partnersync_bi.';

-- ---- bi.licenses --------------------------------------------------------------------------------

CREATE VIEW bi.licenses AS
SELECT l.source,
       l.program,
       l.license_key,
       NULL::text                                         AS license_id,
       l.tier,
       NULL::text                                         AS client_name,
       l.client_email,
       l.created_at,
       l.end_at                                           AS ends_at,
       CASE WHEN l.paid THEN 'paid' ELSE 'trial' END      AS status,
       coalesce(l.paid, false)                            AS is_paid,
       CASE WHEN l.paid THEN
           coalesce((SELECT max(h.valid_to)
                       FROM livechat.affiliate_licenses_history h
                      WHERE h.source = l.source AND h.program = l.program
                        AND h.license_key = l.license_key AND h.paid IS NOT TRUE),
                    l.first_seen_at)
       END                                                AS paid_detected_at,
       l.cc_added                                         AS card_added,
       l.end_at < now()                                   AS is_expired,
       l.blocked                                          AS is_blocked,
       l.seats,
       l.plan,
       l.billing_cycle,
       l.chat_installed,
       l.conversations,
       NULL::integer                                      AS conversations_last_30_days,
       l.total_commission,
       l.commission_percent,
       NULL::numeric                                      AS total_discount,
       NULL::numeric                                      AS discount_percent,
       l.campaign,
       l.utm_source,
       l.utm_medium,
       l.utm_content,
       l.utm_term,
       NULL::text                                         AS payment_origin,
       NULL::text                                         AS data_center,
       l.first_seen_at,
       l.last_changed_at
  FROM livechat.affiliate_licenses l
UNION ALL
SELECT s.source,
       'solution',
       s.license,
       s.license,
       NULL::smallint,
       s.client_name,
       s.client_email,
       s.created_at,
       s.end_at,
       CASE WHEN s.paid THEN 'paid' ELSE 'trial' END,
       coalesce(s.paid, false),
       CASE WHEN s.paid THEN
           coalesce((SELECT max(h.valid_to)
                       FROM livechat.solution_licenses_history h
                      WHERE h.source = s.source AND h.license = s.license AND h.paid IS NOT TRUE),
                    s.first_seen_at)
       END,
       s.cc_added,
       coalesce(s.expired, s.end_at < now()),
       s.blocked,
       s.seats,
       s.plan,
       s.billing_cycle,
       NULL::boolean,
       s.conversations,
       s.conversations_last_30_days,
       s.total_commission,
       s.commission_percent,
       s.total_discount,
       s.discount_percent,
       NULL::text,
       NULL::text,
       NULL::text,
       NULL::text,
       NULL::text,
       s.payment_origin,
       s.data_center,
       s.first_seen_at,
       s.last_changed_at
  FROM livechat.solution_licenses s;

COMMENT ON VIEW bi.licenses IS
    'Every LiveChat license of every source, one row per license: affiliate licenses (program livechat), Partner Program lead licenses (program partner_program) and Solution Partner client licenses (program solution).';
COMMENT ON COLUMN bi.licenses.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.licenses.program IS 'livechat (affiliate), partner_program (Partner Program leads) or solution (Solution Partner client).';
COMMENT ON COLUMN bi.licenses.license_key IS 'Unique per source and program. Solution licenses: the LiveChat license id. Affiliate licenses have no id upstream: a stable key built from creation time, masked e-mail and an ordinal.';
COMMENT ON COLUMN bi.licenses.license_id IS 'The LiveChat license id (solution licenses only; affiliate licenses have none upstream).';
COMMENT ON COLUMN bi.licenses.tier IS 'Affiliate commission tier (1 or 2) when upstream gives one.';
COMMENT ON COLUMN bi.licenses.client_name IS 'Client name (solution licenses only).';
COMMENT ON COLUMN bi.licenses.client_email IS 'Client e-mail; masked by upstream for affiliate licenses (e.g. w...n@l...c), absent for Partner Program leads.';
COMMENT ON COLUMN bi.licenses.created_at IS 'When the license was created.';
COMMENT ON COLUMN bi.licenses.ends_at IS 'End of the trial or of the current paid period; moves when the license converts or renews.';
COMMENT ON COLUMN bi.licenses.status IS 'paid when the license is paid, otherwise trial.';
COMMENT ON COLUMN bi.licenses.is_paid IS 'The license is paid (false for trials and when upstream does not say).';
COMMENT ON COLUMN bi.licenses.paid_detected_at IS 'For paid licenses: when partnersync first saw it paid (end of its last unpaid version in the history, or when it was first synced if it was already paid); NULL when not paid.';
COMMENT ON COLUMN bi.licenses.card_added IS 'A credit card was added (a trial likely to convert).';
COMMENT ON COLUMN bi.licenses.is_expired IS 'Solution licenses: upstream expired flag. Affiliate licenses: ends_at is in the past (as last synced).';
COMMENT ON COLUMN bi.licenses.is_blocked IS 'The license is blocked upstream.';
COMMENT ON COLUMN bi.licenses.seats IS 'Number of agent seats.';
COMMENT ON COLUMN bi.licenses.plan IS 'LiveChat plan.';
COMMENT ON COLUMN bi.licenses.billing_cycle IS 'Billing cycle in months (as upstream sends it).';
COMMENT ON COLUMN bi.licenses.chat_installed IS 'The chat code is installed on a website (affiliate licenses only).';
COMMENT ON COLUMN bi.licenses.conversations IS 'Conversations on the license so far.';
COMMENT ON COLUMN bi.licenses.conversations_last_30_days IS 'Conversations in the last 30 days (solution licenses only).';
COMMENT ON COLUMN bi.licenses.total_commission IS 'Commission earned on this license so far (grows over time).';
COMMENT ON COLUMN bi.licenses.commission_percent IS 'Commission rate in percent.';
COMMENT ON COLUMN bi.licenses.total_discount IS 'Reseller discount earned on this license so far (solution licenses only).';
COMMENT ON COLUMN bi.licenses.discount_percent IS 'Reseller discount rate in percent (solution licenses only).';
COMMENT ON COLUMN bi.licenses.campaign IS 'Affiliate campaign the license came through (campaign name or utm_campaign).';
COMMENT ON COLUMN bi.licenses.utm_source IS 'utm_source (old response shape only).';
COMMENT ON COLUMN bi.licenses.utm_medium IS 'utm_medium of the referral link (affiliate licenses only).';
COMMENT ON COLUMN bi.licenses.utm_content IS 'utm_content of the referral link (affiliate licenses only).';
COMMENT ON COLUMN bi.licenses.utm_term IS 'utm_term of the referral link (affiliate licenses only).';
COMMENT ON COLUMN bi.licenses.payment_origin IS 'Who pays the subscription: partner or client (solution licenses only).';
COMMENT ON COLUMN bi.licenses.data_center IS 'dal (Dallas, US) or fra (Frankfurt, EU) (solution licenses only).';
COMMENT ON COLUMN bi.licenses.first_seen_at IS 'When partnersync first synced the license.';
COMMENT ON COLUMN bi.licenses.last_changed_at IS 'When a sync last saw a value of the license change.';

-- ---- bi.conversions_monthly ---------------------------------------------------------------------

CREATE VIEW bi.conversions_monthly AS
WITH history AS (
    SELECT source, program, month, trials, paid, commission, leads, profile_views
      FROM livechat.history_monthly
), cohorts AS (
    SELECT source, program, date_trunc('month', created_at)::date AS month,
           count(*)                           AS licenses_created,
           count(*) FILTER (WHERE is_paid)    AS licenses_paid_now
      FROM bi.licenses
     WHERE created_at IS NOT NULL
     GROUP BY 1, 2, 3
)
SELECT coalesce(h.source, c.source)                         AS source,
       coalesce(h.program, c.program)                       AS program,
       coalesce(h.month, c.month)                           AS month,
       h.trials,
       h.paid,
       round(h.paid::numeric / nullif(h.trials, 0), 4)      AS conversion_rate,
       h.commission,
       h.leads,
       h.profile_views,
       coalesce(c.licenses_created, 0)                      AS licenses_created,
       coalesce(c.licenses_paid_now, 0)                     AS licenses_paid_now,
       round(c.licenses_paid_now::numeric / nullif(c.licenses_created, 0), 4)
                                                            AS cohort_conversion_rate
  FROM history h
  FULL JOIN cohorts c ON c.source = h.source AND c.program = h.program AND c.month = h.month;

COMMENT ON VIEW bi.conversions_monthly IS
    'One row per source, program and month. trials, paid, conversion_rate, commission, leads and profile_views come from the upstream monthly history (livechat.history_monthly, kept beyond upstream''s 12 months); licenses_created, licenses_paid_now and cohort_conversion_rate are computed from bi.licenses created in the month (session time zone). A month present in only one of the two has NULLs (history) or zeros (licenses) for the other.';
COMMENT ON COLUMN bi.conversions_monthly.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.conversions_monthly.program IS 'livechat (affiliate), partner_program, solution (Solution Partner) or expert.';
COMMENT ON COLUMN bi.conversions_monthly.month IS 'First day of the month.';
COMMENT ON COLUMN bi.conversions_monthly.trials IS 'Trials in the month, as the upstream monthly history reports them.';
COMMENT ON COLUMN bi.conversions_monthly.paid IS 'Paid conversions in the month, as the upstream monthly history reports them.';
COMMENT ON COLUMN bi.conversions_monthly.conversion_rate IS 'paid / trials of the monthly history (0.25 = 25%), rounded to 4 decimals; NULL when there were no trials.';
COMMENT ON COLUMN bi.conversions_monthly.commission IS 'Commission of the month from the monthly history.';
COMMENT ON COLUMN bi.conversions_monthly.leads IS 'Partner Program leads of the month (partner_program only).';
COMMENT ON COLUMN bi.conversions_monthly.profile_views IS 'Expert profile views of the month (expert only).';
COMMENT ON COLUMN bi.conversions_monthly.licenses_created IS 'Licenses in bi.licenses created in the month (0 when none synced).';
COMMENT ON COLUMN bi.conversions_monthly.licenses_paid_now IS 'Of licenses_created, how many are paid as last synced.';
COMMENT ON COLUMN bi.conversions_monthly.cohort_conversion_rate IS 'licenses_paid_now / licenses_created, rounded to 4 decimals: the share of the month''s new licenses that are paid today; NULL when none were created.';

-- ---- bi.earnings_daily --------------------------------------------------------------------------

CREATE VIEW bi.earnings_daily AS
WITH snapshot_days AS (
    SELECT d::date AS day, e.*
      FROM livechat.earnings_snapshots e
     CROSS JOIN LATERAL generate_series(e.taken_at::date, e.last_seen_at::date, interval '1 day') d
), latest AS (
    SELECT DISTINCT ON (source, day) *
      FROM snapshot_days
     ORDER BY source, day, taken_at DESC
)
SELECT source,
       day,
       balance,
       blocked,
       pending,
       withdrawals,
       commission_total,
       commission_total - lag(commission_total) OVER (PARTITION BY source ORDER BY day)
                                                   AS commission_total_change,
       commission_last_30_days,
       affiliate_commission_total,
       affiliate_commission_last_30_days,
       affiliate_livechat_commission_total,
       affiliate_livechat_commission_last_30_days,
       affiliate_livechat_partner_program_commission_total,
       affiliate_livechat_partner_program_commission_last_30_days,
       reseller_commission_total,
       reseller_commission_last_30_days,
       reseller_livechat_commission_total,
       reseller_livechat_commission_last_30_days,
       reseller_discount,
       taken_at                                    AS snapshot_taken_at,
       last_seen_at                                AS snapshot_last_seen_at
  FROM latest;

COMMENT ON VIEW bi.earnings_daily IS
    'Earnings per source and day, from livechat.earnings_snapshots: a snapshot is valid on every day from taken_at to last_seen_at, and each day shows the latest snapshot valid that day. Days on which no read confirmed any figures have no row.';
COMMENT ON COLUMN bi.earnings_daily.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.earnings_daily.day IS 'The calendar day (session time zone).';
COMMENT ON COLUMN bi.earnings_daily.balance IS 'Amount available to withdraw.';
COMMENT ON COLUMN bi.earnings_daily.blocked IS 'Commission not yet released.';
COMMENT ON COLUMN bi.earnings_daily.pending IS 'Withdrawals requested and not yet paid.';
COMMENT ON COLUMN bi.earnings_daily.withdrawals IS 'Total withdrawn so far.';
COMMENT ON COLUMN bi.earnings_daily.commission_total IS 'Total commission earned so far, all programs.';
COMMENT ON COLUMN bi.earnings_daily.commission_total_change IS 'commission_total minus that of the previous row of the source (the previous day with figures); NULL on the first row.';
COMMENT ON COLUMN bi.earnings_daily.commission_last_30_days IS 'Commission earned in the 30 days before the snapshot, all programs.';
COMMENT ON COLUMN bi.earnings_daily.affiliate_commission_total IS 'Affiliate commission earned so far (both affiliate programs).';
COMMENT ON COLUMN bi.earnings_daily.affiliate_commission_last_30_days IS 'Affiliate commission of the last 30 days.';
COMMENT ON COLUMN bi.earnings_daily.affiliate_livechat_commission_total IS 'LiveChat affiliate program commission earned so far.';
COMMENT ON COLUMN bi.earnings_daily.affiliate_livechat_commission_last_30_days IS 'LiveChat affiliate program commission of the last 30 days.';
COMMENT ON COLUMN bi.earnings_daily.affiliate_livechat_partner_program_commission_total IS 'Partner Program commission earned so far.';
COMMENT ON COLUMN bi.earnings_daily.affiliate_livechat_partner_program_commission_last_30_days IS 'Partner Program commission of the last 30 days.';
COMMENT ON COLUMN bi.earnings_daily.reseller_commission_total IS 'Solution Partner commission earned so far.';
COMMENT ON COLUMN bi.earnings_daily.reseller_commission_last_30_days IS 'Solution Partner commission of the last 30 days.';
COMMENT ON COLUMN bi.earnings_daily.reseller_livechat_commission_total IS 'Solution Partner LiveChat commission earned so far.';
COMMENT ON COLUMN bi.earnings_daily.reseller_livechat_commission_last_30_days IS 'Solution Partner LiveChat commission of the last 30 days.';
COMMENT ON COLUMN bi.earnings_daily.reseller_discount IS 'Total Solution Partner discount so far.';
COMMENT ON COLUMN bi.earnings_daily.snapshot_taken_at IS 'When the figures shown were first read.';
COMMENT ON COLUMN bi.earnings_daily.snapshot_last_seen_at IS 'Last time a read confirmed the figures shown.';

-- ---- bi.campaign_performance --------------------------------------------------------------------

CREATE VIEW bi.campaign_performance AS
SELECT p.source,
       p.program,
       p.day,
       p.campaign,
       p.medium,
       p.content,
       p.term,
       p.clicks,
       p.leads,
       p.trials,
       p.trial_percent,
       p.paid,
       p.paid_percent,
       p.commission,
       p.chat_installations,
       p.aha,
       c.slug           AS campaign_slug,
       c.name           AS campaign_name,
       c.status         AS campaign_status,
       c.trial_duration AS campaign_trial_days,
       c.discount       AS campaign_discount,
       c.url            AS campaign_url,
       c.created_at     AS campaign_created_at,
       c.disabled_at    AS campaign_disabled_at
  FROM livechat.performance_daily p
  LEFT JOIN LATERAL (
        SELECT *
          FROM livechat.campaigns c
         WHERE c.source = p.source AND c.program = p.program AND p.campaign <> ''
           AND (c.slug = p.campaign OR c.name = p.campaign)
         ORDER BY c.slug = p.campaign DESC, c.slug
         LIMIT 1) c ON true;

COMMENT ON VIEW bi.campaign_performance IS
    'Affiliate performance per source, program, day and campaign/medium/content/term (livechat.performance_daily), with the campaign''s details from livechat.campaigns matched on slug or name within the same program. Recent days change as conversions are attributed to the day of the click.';
COMMENT ON COLUMN bi.campaign_performance.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.campaign_performance.program IS 'livechat (affiliate) or partner_program.';
COMMENT ON COLUMN bi.campaign_performance.day IS 'The report day.';
COMMENT ON COLUMN bi.campaign_performance.campaign IS 'Campaign as the performance report names it; empty when none.';
COMMENT ON COLUMN bi.campaign_performance.medium IS 'utm_medium; empty when none.';
COMMENT ON COLUMN bi.campaign_performance.content IS 'utm_content; empty when none.';
COMMENT ON COLUMN bi.campaign_performance.term IS 'utm_term; empty when none.';
COMMENT ON COLUMN bi.campaign_performance.clicks IS 'Clicks on the referral links.';
COMMENT ON COLUMN bi.campaign_performance.leads IS 'Leads (Partner Program only).';
COMMENT ON COLUMN bi.campaign_performance.trials IS 'Trials started.';
COMMENT ON COLUMN bi.campaign_performance.trial_percent IS 'Trials per click in percent, as upstream computes it.';
COMMENT ON COLUMN bi.campaign_performance.paid IS 'Paid conversions attributed to the day.';
COMMENT ON COLUMN bi.campaign_performance.paid_percent IS 'Paid conversions per trial in percent, as upstream computes it.';
COMMENT ON COLUMN bi.campaign_performance.commission IS 'Commission attributed to the day.';
COMMENT ON COLUMN bi.campaign_performance.chat_installations IS 'Qualified leads: trials with the chat code installed (LiveChat program only).';
COMMENT ON COLUMN bi.campaign_performance.aha IS 'Qualified leads with at least 10 chats, the "AHA moment" (LiveChat program only).';
COMMENT ON COLUMN bi.campaign_performance.campaign_slug IS 'The matched campaign''s slug (pp_...; utm_campaign of its links); NULL when no synced campaign matches.';
COMMENT ON COLUMN bi.campaign_performance.campaign_name IS 'The matched campaign''s name.';
COMMENT ON COLUMN bi.campaign_performance.campaign_status IS 'active or disabled, as last synced.';
COMMENT ON COLUMN bi.campaign_performance.campaign_trial_days IS 'Trial days the campaign gives (LiveChat program only).';
COMMENT ON COLUMN bi.campaign_performance.campaign_discount IS 'Label of the coupon the campaign applies (LiveChat program only).';
COMMENT ON COLUMN bi.campaign_performance.campaign_url IS 'The campaign''s referral link.';
COMMENT ON COLUMN bi.campaign_performance.campaign_created_at IS 'When the campaign was created.';
COMMENT ON COLUMN bi.campaign_performance.campaign_disabled_at IS 'When the campaign was disabled; NULL while active.';

-- ---- bi.liveagent_accounts ----------------------------------------------------------------------

CREATE VIEW bi.liveagent_accounts AS
SELECT a.source,
       a.account_id,
       a.domain,
       a.customer_name,
       a.customer_email,
       a.company,
       a.created_at,
       a.status                                                   AS status_code,
       coalesce(a.status_label, 'Unknown (' || a.status || ')')  AS status,
       a.status = 'a'                                             AS is_active,
       a.variation_id,
       v.name                                                     AS variation_name,
       a.version,
       a.last_login_at,
       a.max_agents,
       coalesce(u.users, 0)                                       AS users,
       CASE WHEN a.max_agents > 0 THEN round(coalesce(u.users, 0)::numeric / a.max_agents, 4) END
                                                                  AS seat_usage,
       coalesce(ad.addons, 0)                                     AS addons,
       coalesce(ad.active_addons, 0)                              AS active_addons,
       coalesce(ad.refunded_addons, 0)                            AS refunded_addons,
       coalesce(ad.active_addons_price, 0)                        AS active_addons_price,
       a.first_seen_at,
       a.last_changed_at
  FROM liveagent.accounts a
  LEFT JOIN liveagent.variations v ON v.source = a.source AND v.variation_id = a.variation_id
  LEFT JOIN (
        SELECT source, account_id, count(*) AS users
          FROM liveagent.account_users
         GROUP BY source, account_id) u ON u.source = a.source AND u.account_id = a.account_id
  LEFT JOIN (
        SELECT source, account_id,
               count(*) AS addons,
               count(*) FILTER (WHERE status = 'A' AND coalesce(valid_from_at <= now(), true)
                                  AND coalesce(valid_to_at > now(), true)) AS active_addons,
               count(*) FILTER (WHERE status = 'R') AS refunded_addons,
               sum(price) FILTER (WHERE status = 'A' AND coalesce(valid_from_at <= now(), true)
                                  AND coalesce(valid_to_at > now(), true)) AS active_addons_price
          FROM liveagent.account_addons
         GROUP BY source, account_id) ad ON ad.source = a.source AND ad.account_id = a.account_id;

COMMENT ON VIEW bi.liveagent_accounts IS
    'LiveAgent accounts of every reseller source, one row per account: status with its documented label, plan (variation), max_agents, and counts of its users and add-ons as last synced.';
COMMENT ON COLUMN bi.liveagent_accounts.source IS 'The reseller (source name in the partnersync config).';
COMMENT ON COLUMN bi.liveagent_accounts.account_id IS 'LiveAgent account identifier.';
COMMENT ON COLUMN bi.liveagent_accounts.domain IS 'The account''s domain, e.g. mysupport.ladesk.com.';
COMMENT ON COLUMN bi.liveagent_accounts.customer_name IS 'The customer''s name.';
COMMENT ON COLUMN bi.liveagent_accounts.customer_email IS 'The customer''s e-mail.';
COMMENT ON COLUMN bi.liveagent_accounts.company IS 'The customer''s company.';
COMMENT ON COLUMN bi.liveagent_accounts.created_at IS 'When the account was created.';
COMMENT ON COLUMN bi.liveagent_accounts.status_code IS 'One-letter status code as upstream sends it (a, s, t, n, b, c, ...).';
COMMENT ON COLUMN bi.liveagent_accounts.status IS 'The status''s documented meaning (Active, Suspended, Terminated, New, Broken, Waiting for create, ...); "Unknown (x)" for an undocumented code x.';
COMMENT ON COLUMN bi.liveagent_accounts.is_active IS 'The account is Active (status a).';
COMMENT ON COLUMN bi.liveagent_accounts.variation_id IS 'The variation (plan) assigned to the account.';
COMMENT ON COLUMN bi.liveagent_accounts.variation_name IS 'The variation''s name; NULL when the variation is not synced.';
COMMENT ON COLUMN bi.liveagent_accounts.version IS 'LiveAgent version the account runs.';
COMMENT ON COLUMN bi.liveagent_accounts.last_login_at IS 'The customer''s last login; NULL when never.';
COMMENT ON COLUMN bi.liveagent_accounts.max_agents IS 'The account''s max_agents attribute (agent seats); NULL until read.';
COMMENT ON COLUMN bi.liveagent_accounts.users IS 'Users (agents) of the account, as last synced.';
COMMENT ON COLUMN bi.liveagent_accounts.seat_usage IS 'users / max_agents (1 = every seat used), rounded to 4 decimals; NULL without max_agents.';
COMMENT ON COLUMN bi.liveagent_accounts.addons IS 'Add-on licenses ever bought for the account (any status).';
COMMENT ON COLUMN bi.liveagent_accounts.active_addons IS 'Approved add-on licenses valid now (valid_from passed, valid_to open or in the future).';
COMMENT ON COLUMN bi.liveagent_accounts.refunded_addons IS 'Refunded add-on licenses.';
COMMENT ON COLUMN bi.liveagent_accounts.active_addons_price IS 'Sum of the prices of the active add-ons (0 when none).';
COMMENT ON COLUMN bi.liveagent_accounts.first_seen_at IS 'When partnersync first synced the account.';
COMMENT ON COLUMN bi.liveagent_accounts.last_changed_at IS 'When a sync last saw a value of the account change.';

-- ---- bi.sync_health -----------------------------------------------------------------------------

CREATE VIEW bi.sync_health AS
WITH streams AS (
    SELECT source, stream FROM sync.state
    UNION
    SELECT source, stream FROM sync.runs
    UNION
    SELECT source, stream FROM sync.windows
), coverage AS (
    SELECT source, stream,
           min(window_from)                           AS coverage_from,
           max(window_to)                             AS coverage_to,
           sum(window_to - window_from + 1)::integer  AS covered_days,
           count(*)::integer                          AS coverage_intervals,
           sum(rows)                                  AS synced_rows,
           min(synced_at)                             AS oldest_confirmation_at
      FROM sync.windows
     GROUP BY source, stream
)
SELECT t.source,
       t.stream,
       s.last_success_at,
       s.last_attempt_at,
       round((extract(epoch FROM now() - s.last_success_at) / 3600)::numeric, 2)
                                                            AS hours_since_success,
       s.last_error,
       f.finished_at                                        AS last_failure_at,
       f.error                                              AS last_failure_error,
       coalesce(s.not_applicable, false)                    AS not_applicable,
       s.not_applicable_since,
       s.next_run_at,
       s.last_full_refresh_at,
       s.next_full_refresh_at,
       c.coverage_from,
       c.coverage_to,
       c.covered_days,
       c.coverage_intervals,
       (c.coverage_to - c.coverage_from + 1) - c.covered_days AS coverage_gap_days,
       c.synced_rows,
       c.oldest_confirmation_at,
       r.run_id                                             AS last_run_id,
       r.mode                                               AS last_run_mode,
       r.status                                             AS last_run_status,
       r.window_from                                        AS last_run_window_from,
       r.window_to                                          AS last_run_window_to,
       r.started_at                                         AS last_run_started_at,
       r.finished_at                                        AS last_run_finished_at,
       round(extract(epoch FROM r.finished_at - r.started_at)::numeric, 3)
                                                            AS last_run_seconds,
       r.http_requests                                      AS last_run_http_requests,
       r.rows_received                                      AS last_run_rows_received,
       r.rows_inserted                                      AS last_run_rows_inserted,
       r.rows_updated                                       AS last_run_rows_updated,
       r.rows_unchanged                                     AS last_run_rows_unchanged,
       r.bytes_received                                     AS last_run_bytes_received,
       r.invalid_values                                     AS last_run_invalid_values,
       r.error                                              AS last_run_error,
       (SELECT count(*) FROM sync.quarantine q
         WHERE q.source = t.source AND q.stream = t.stream AND q.resolved_at IS NULL)
                                                            AS open_quarantine
  FROM streams t
  LEFT JOIN sync.state s ON s.source = t.source AND s.stream = t.stream
  LEFT JOIN coverage c ON c.source = t.source AND c.stream = t.stream
  LEFT JOIN LATERAL (
        SELECT * FROM sync.runs r
         WHERE r.source = t.source AND r.stream = t.stream
         ORDER BY r.started_at DESC, r.run_id DESC
         LIMIT 1) r ON true
  LEFT JOIN LATERAL (
        SELECT finished_at, error FROM sync.runs r
         WHERE r.source = t.source AND r.stream = t.stream AND r.status = 'failed'
         ORDER BY r.started_at DESC, r.run_id DESC
         LIMIT 1) f ON true;

COMMENT ON VIEW bi.sync_health IS
    'One row per source and stream that partnersync has run or recorded: last success and error, staleness, the synced coverage (sync.windows) and the latest run''s figures (sync.runs). Errors are stored with secrets redacted; no URL or body is shown.';
COMMENT ON COLUMN bi.sync_health.source IS 'The upstream account (source name in the partnersync config).';
COMMENT ON COLUMN bi.sync_health.stream IS 'The stream (e.g. affiliate_licenses, earnings, accounts).';
COMMENT ON COLUMN bi.sync_health.last_success_at IS 'End of the last successful (or not-applicable) run.';
COMMENT ON COLUMN bi.sync_health.last_attempt_at IS 'Start of the last run.';
COMMENT ON COLUMN bi.sync_health.hours_since_success IS 'Staleness: hours since last_success_at (2 decimals); NULL when the stream never succeeded.';
COMMENT ON COLUMN bi.sync_health.last_error IS 'Error of the latest run; NULL once a run succeeded.';
COMMENT ON COLUMN bi.sync_health.last_failure_at IS 'When the latest failed run ended, even if later runs succeeded.';
COMMENT ON COLUMN bi.sync_health.last_failure_error IS 'Error text of the latest failed run.';
COMMENT ON COLUMN bi.sync_health.not_applicable IS 'Upstream answered 403 (not an Expert, not managed): not a failure, retried only rarely.';
COMMENT ON COLUMN bi.sync_health.not_applicable_since IS 'Since when the stream has been not applicable.';
COMMENT ON COLUMN bi.sync_health.next_run_at IS 'When the scheduler plans the next run.';
COMMENT ON COLUMN bi.sync_health.last_full_refresh_at IS 'When everything was last re-read.';
COMMENT ON COLUMN bi.sync_health.next_full_refresh_at IS 'When everything will next be re-read.';
COMMENT ON COLUMN bi.sync_health.coverage_from IS 'First day of the synced windows (windowed streams only).';
COMMENT ON COLUMN bi.sync_health.coverage_to IS 'Last day of the synced windows.';
COMMENT ON COLUMN bi.sync_health.covered_days IS 'Days covered by synced windows.';
COMMENT ON COLUMN bi.sync_health.coverage_intervals IS 'Disjoint synced intervals: more than 1 means there are gaps.';
COMMENT ON COLUMN bi.sync_health.coverage_gap_days IS 'Days between coverage_from and coverage_to not yet synced.';
COMMENT ON COLUMN bi.sync_health.synced_rows IS 'Rows received for the synced windows.';
COMMENT ON COLUMN bi.sync_health.oldest_confirmation_at IS 'The oldest synced_at of the windows: the part of the coverage confirmed longest ago was confirmed then.';
COMMENT ON COLUMN bi.sync_health.last_run_id IS 'Id of the latest run (sync.runs).';
COMMENT ON COLUMN bi.sync_health.last_run_mode IS 'incremental, full_refresh or backfill.';
COMMENT ON COLUMN bi.sync_health.last_run_status IS 'running, succeeded, failed, not_applicable or cancelled.';
COMMENT ON COLUMN bi.sync_health.last_run_window_from IS 'First day the latest run covered (windowed streams).';
COMMENT ON COLUMN bi.sync_health.last_run_window_to IS 'Last day the latest run covered (windowed streams).';
COMMENT ON COLUMN bi.sync_health.last_run_started_at IS 'When the latest run started.';
COMMENT ON COLUMN bi.sync_health.last_run_finished_at IS 'When the latest run ended; NULL while running.';
COMMENT ON COLUMN bi.sync_health.last_run_seconds IS 'Duration of the latest run in seconds.';
COMMENT ON COLUMN bi.sync_health.last_run_http_requests IS 'HTTP requests the latest run made.';
COMMENT ON COLUMN bi.sync_health.last_run_rows_received IS 'Records the latest run received.';
COMMENT ON COLUMN bi.sync_health.last_run_rows_inserted IS 'Rows the latest run inserted.';
COMMENT ON COLUMN bi.sync_health.last_run_rows_updated IS 'Rows the latest run changed.';
COMMENT ON COLUMN bi.sync_health.last_run_rows_unchanged IS 'Rows the latest run re-read unchanged.';
COMMENT ON COLUMN bi.sync_health.last_run_bytes_received IS 'Response bytes the latest run received.';
COMMENT ON COLUMN bi.sync_health.last_run_invalid_values IS 'Values the latest run could not convert (stored as NULL, kept in raw).';
COMMENT ON COLUMN bi.sync_health.last_run_error IS 'Error text of the latest run, if any.';
COMMENT ON COLUMN bi.sync_health.open_quarantine IS 'Received bodies that could not be applied and were not resolved by a later run.';

-- ---- The role -----------------------------------------------------------------------------------
-- Roles are cluster-wide: a second database on the same cluster finds the role already there,
-- and two databases migrating at once may race to create it (the migrator's advisory lock is
-- per database). Creating it needs CREATEROLE; without that, an administrator creates it first.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'partnersync_bi') THEN
        CREATE ROLE partnersync_bi NOLOGIN;
        COMMENT ON ROLE partnersync_bi IS 'Reads the partnersync bi views and nothing else; grant it to dashboard users.';
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    -- Another database's migration created it since the check: it exists, which is the goal.
    NULL;
END $$;

GRANT USAGE ON SCHEMA bi TO partnersync_bi;
GRANT SELECT ON ALL TABLES IN SCHEMA bi TO partnersync_bi;
-- Views added to bi by later migrations (run by the same role) are readable without a grant.
ALTER DEFAULT PRIVILEGES IN SCHEMA bi GRANT SELECT ON TABLES TO partnersync_bi;
