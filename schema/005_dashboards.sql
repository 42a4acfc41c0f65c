-- Views the shipped dashboards (deploy/grafana/dashboards, deploy/metabase.md) read where a panel
-- would otherwise need SQL a user could not maintain: conversions, account status over time.
--
-- Same rules as 004_bi.sql: plain views owned by the daemon's role, no raw bodies, no URLs, no
-- quarantined bodies. 004's ALTER DEFAULT PRIVILEGES already makes views this migration (run by
-- the same role) creates readable by partnersync_bi; the explicit GRANT below also covers a
-- database whose 004 ran as another role. Day and month boundaries follow the session TimeZone.
--
-- Not available from this warehouse: the partner's own commission rate (/v2/partners profile)
-- is not synced by any stream yet, so bi.commission_rates reads the rate on the licenses.

-- ---- bi.license_conversions ---------------------------------------------------------------------

CREATE VIEW bi.license_conversions AS
WITH unpaid_versions AS (
    SELECT source, program, license_key, max(valid_to) AS converted_at
      FROM livechat.affiliate_licenses_history
     WHERE paid IS NOT TRUE
     GROUP BY source, program, license_key
    UNION ALL
    SELECT source, 'solution', license, max(valid_to)
      FROM livechat.solution_licenses_history
     WHERE paid IS NOT TRUE
     GROUP BY source, license
)
SELECT l.source,
       l.program,
       l.license_key,
       l.created_at,
       date_trunc('month', l.created_at)::date                                  AS created_month,
       u.converted_at,
       date_trunc('month', u.converted_at)::date                                AS converted_month,
       u.converted_at IS NOT NULL                                               AS conversion_observed,
       l.paid_detected_at,
       round((extract(epoch FROM u.converted_at - l.created_at) / 86400)::numeric, 2)
                                                                                AS days_to_convert,
       ((extract(year FROM u.converted_at) - extract(year FROM l.created_at)) * 12
        + extract(month FROM u.converted_at) - extract(month FROM l.created_at))::integer
                                                                                AS months_to_convert,
       l.plan,
       l.seats,
       l.billing_cycle,
       l.campaign,
       l.utm_medium,
       l.total_commission,
       l.commission_percent
  FROM bi.licenses l
  LEFT JOIN unpaid_versions u
    ON u.source = l.source AND u.program = l.program AND u.license_key = l.license_key
 WHERE l.is_paid;

COMMENT ON VIEW bi.license_conversions IS
    'One row per paid license of every program, with when it converted: the end (valid_to) of its last unpaid version in livechat.affiliate_licenses_history or livechat.solution_licenses_history. A license that was already paid when partnersync first synced it has no observed conversion (converted_at NULL): its conversion happened before the warehouse existed.';
COMMENT ON COLUMN bi.license_conversions.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.license_conversions.program IS 'livechat (affiliate), partner_program or solution.';
COMMENT ON COLUMN bi.license_conversions.license_key IS 'The license, as bi.licenses.license_key.';
COMMENT ON COLUMN bi.license_conversions.created_at IS 'When the license was created (the trial started).';
COMMENT ON COLUMN bi.license_conversions.created_month IS 'First day of the creation month (the cohort).';
COMMENT ON COLUMN bi.license_conversions.converted_at IS 'When a sync first saw the license paid after having stored it unpaid (valid_to of the last unpaid version); NULL when it was paid when first synced. Precise to the sync interval.';
COMMENT ON COLUMN bi.license_conversions.converted_month IS 'First day of the month of converted_at; NULL when not observed.';
COMMENT ON COLUMN bi.license_conversions.conversion_observed IS 'partnersync stored the license unpaid before it became paid (converted_at is known).';
COMMENT ON COLUMN bi.license_conversions.paid_detected_at IS 'converted_at, or when the license was first synced if it was already paid then (as bi.licenses.paid_detected_at).';
COMMENT ON COLUMN bi.license_conversions.days_to_convert IS 'Days from created_at to converted_at, 2 decimals; NULL when not observed.';
COMMENT ON COLUMN bi.license_conversions.months_to_convert IS 'Calendar months from the creation month to the conversion month (0 = converted in the month it was created); NULL when not observed.';
COMMENT ON COLUMN bi.license_conversions.plan IS 'LiveChat plan, as last synced.';
COMMENT ON COLUMN bi.license_conversions.seats IS 'Agent seats, as last synced.';
COMMENT ON COLUMN bi.license_conversions.billing_cycle IS 'Billing cycle as upstream sends it.';
COMMENT ON COLUMN bi.license_conversions.campaign IS 'Affiliate campaign the license came through; NULL for solution licenses.';
COMMENT ON COLUMN bi.license_conversions.utm_medium IS 'utm_medium of the referral link (affiliate licenses only).';
COMMENT ON COLUMN bi.license_conversions.total_commission IS 'Commission earned on the license so far.';
COMMENT ON COLUMN bi.license_conversions.commission_percent IS 'Commission rate of the license in percent.';

-- ---- bi.conversion_cohorts ----------------------------------------------------------------------

CREATE VIEW bi.conversion_cohorts AS
WITH l AS (
    SELECT b.source, b.program,
           date_trunc('month', b.created_at)::date AS created_month,
           CASE WHEN NOT b.is_paid THEN 'not paid'
                WHEN NOT c.conversion_observed THEN 'paid when first synced'
                WHEN c.months_to_convert = 1 THEN 'after 1 month'
                ELSE 'after ' || c.months_to_convert || ' months'
           END AS conversion_lag,
           c.months_to_convert
      FROM bi.licenses b
      LEFT JOIN bi.license_conversions c
        ON c.source = b.source AND c.program = b.program AND c.license_key = b.license_key
     WHERE b.created_at IS NOT NULL
)
SELECT source,
       program,
       created_month,
       conversion_lag,
       months_to_convert,
       count(*)::integer                                                     AS licenses,
       (sum(count(*)) OVER (PARTITION BY source, program, created_month))::integer
                                                                             AS cohort_licenses,
       round(count(*) / sum(count(*)) OVER (PARTITION BY source, program, created_month), 4)
                                                                             AS share_of_cohort
  FROM l
 GROUP BY source, program, created_month, conversion_lag, months_to_convert;

COMMENT ON VIEW bi.conversion_cohorts IS
    'Licenses per creation month (cohort), program and conversion lag: how many of a month''s new licenses converted in the same month, after 1, 2, ... months, were already paid when first synced, or are not paid. One row per source, program, created_month and conversion_lag; pivot conversion_lag into columns for a cohort table.';
COMMENT ON COLUMN bi.conversion_cohorts.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.conversion_cohorts.program IS 'livechat (affiliate), partner_program or solution.';
COMMENT ON COLUMN bi.conversion_cohorts.created_month IS 'First day of the month the licenses were created in.';
COMMENT ON COLUMN bi.conversion_cohorts.conversion_lag IS '"after N months" (N = months_to_convert; "after 0 months" = converted in the creation month), "paid when first synced" (converted before partnersync saw it) or "not paid".';
COMMENT ON COLUMN bi.conversion_cohorts.months_to_convert IS 'Months from creation month to conversion month; NULL for "paid when first synced" and "not paid".';
COMMENT ON COLUMN bi.conversion_cohorts.licenses IS 'Licenses of the cohort with this conversion lag.';
COMMENT ON COLUMN bi.conversion_cohorts.cohort_licenses IS 'All licenses created in the month (the cohort size).';
COMMENT ON COLUMN bi.conversion_cohorts.share_of_cohort IS 'licenses / cohort_licenses (0.25 = 25%), 4 decimals.';

-- ---- bi.commission_rates ------------------------------------------------------------------------

CREATE VIEW bi.commission_rates AS
WITH rates AS (
    SELECT source, program, commission_percent,
           count(*)::integer AS licenses,
           min(created_at)   AS first_license_at,
           max(created_at)   AS last_license_at
      FROM bi.licenses
     WHERE commission_percent IS NOT NULL
     GROUP BY source, program, commission_percent
)
SELECT source,
       program,
       commission_percent,
       licenses,
       first_license_at,
       last_license_at,
       last_license_at = max(last_license_at) OVER (PARTITION BY source, program) AS is_current
  FROM rates;

COMMENT ON VIEW bi.commission_rates IS
    'Commission rates seen on the licenses, one row per source, program and rate; is_current marks the rate of the most recently created license of the program. The partner profile (/v2/partners, the account''s own rate and its end date) is not synced by partnersync yet, so this is the best "current rate" the warehouse holds; tier-2 affiliate licenses carry a lower rate than tier 1.';
COMMENT ON COLUMN bi.commission_rates.source IS 'The partner account (source name in the partnersync config).';
COMMENT ON COLUMN bi.commission_rates.program IS 'livechat (affiliate), partner_program or solution.';
COMMENT ON COLUMN bi.commission_rates.commission_percent IS 'Commission rate in percent.';
COMMENT ON COLUMN bi.commission_rates.licenses IS 'Licenses of the program with this rate.';
COMMENT ON COLUMN bi.commission_rates.first_license_at IS 'Creation time of the first license with this rate.';
COMMENT ON COLUMN bi.commission_rates.last_license_at IS 'Creation time of the newest license with this rate.';
COMMENT ON COLUMN bi.commission_rates.is_current IS 'The newest license of the program has this rate.';

-- ---- bi.account_versions ------------------------------------------------------------------------

CREATE VIEW bi.account_versions AS
WITH versions AS (
    SELECT source, account_id, status, status_label, variation_id, max_agents, created_at,
           first_seen_at, valid_to
      FROM liveagent.accounts_history
    UNION ALL
    SELECT source, account_id, status, status_label, variation_id, max_agents, created_at,
           first_seen_at, NULL::timestamptz
      FROM liveagent.accounts
), chained AS (
    SELECT v.*,
           lag(valid_to) OVER w       AS previous_valid_to,
           lag(status) OVER w         AS previous_status,
           lag(status_label) OVER w   AS previous_status_label,
           row_number() OVER w        AS version
      FROM versions v
    WINDOW w AS (PARTITION BY source, account_id ORDER BY valid_to ASC NULLS LAST)
)
SELECT source,
       account_id,
       version::integer                                                  AS version,
       coalesce(previous_valid_to, least(created_at, first_seen_at), first_seen_at)
                                                                         AS valid_from,
       valid_to,
       valid_to IS NULL                                                  AS is_current,
       status                                                            AS status_code,
       coalesce(status_label, 'Unknown (' || coalesce(status, '') || ')') AS status,
       CASE WHEN version > 1 THEN previous_status END                    AS previous_status_code,
       CASE WHEN version > 1 THEN
           coalesce(previous_status_label, 'Unknown (' || coalesce(previous_status, '') || ')')
       END                                                               AS previous_status,
       variation_id,
       max_agents
  FROM chained;

COMMENT ON VIEW bi.account_versions IS
    'Every version of every LiveAgent account, from liveagent.accounts_history and liveagent.accounts, chained: each version is valid from the end of the previous one until valid_to. The first version is taken to hold since the account was created (partnersync cannot know what happened before it first synced the account).';
COMMENT ON COLUMN bi.account_versions.source IS 'The reseller (source name in the partnersync config).';
COMMENT ON COLUMN bi.account_versions.account_id IS 'LiveAgent account identifier.';
COMMENT ON COLUMN bi.account_versions.version IS '1 for the oldest version kept, counting up; the highest is the current one.';
COMMENT ON COLUMN bi.account_versions.valid_from IS 'When this version became current: the end of the previous version, or the account''s creation (first sync when unknown) for the first.';
COMMENT ON COLUMN bi.account_versions.valid_to IS 'When a re-read replaced this version; NULL for the current one.';
COMMENT ON COLUMN bi.account_versions.is_current IS 'This is the account as last synced.';
COMMENT ON COLUMN bi.account_versions.status_code IS 'One-letter status code of this version (a, s, t, n, b, c, ...).';
COMMENT ON COLUMN bi.account_versions.status IS 'The status''s documented meaning (Active, Suspended, ...); "Unknown (x)" for an undocumented code.';
COMMENT ON COLUMN bi.account_versions.previous_status_code IS 'Status code of the previous version; NULL for the first.';
COMMENT ON COLUMN bi.account_versions.previous_status IS 'Status meaning of the previous version; NULL for the first.';
COMMENT ON COLUMN bi.account_versions.variation_id IS 'The variation (plan) of this version.';
COMMENT ON COLUMN bi.account_versions.max_agents IS 'max_agents of this version.';

-- ---- bi.account_status_changes ------------------------------------------------------------------

CREATE VIEW bi.account_status_changes AS
SELECT v.source,
       v.account_id,
       a.domain,
       v.valid_from          AS changed_at,
       v.previous_status_code AS from_status_code,
       v.previous_status      AS from_status,
       v.status_code          AS to_status_code,
       v.status               AS to_status
  FROM bi.account_versions v
  LEFT JOIN liveagent.accounts a ON a.source = v.source AND a.account_id = v.account_id
 WHERE v.version > 1 AND v.previous_status_code IS DISTINCT FROM v.status_code;

COMMENT ON VIEW bi.account_status_changes IS
    'One row per observed status change of a LiveAgent account (e.g. Active -> Suspended), from the account''s versions: changed_at is when the sync that saw the new status ran.';
COMMENT ON COLUMN bi.account_status_changes.source IS 'The reseller (source name in the partnersync config).';
COMMENT ON COLUMN bi.account_status_changes.account_id IS 'LiveAgent account identifier.';
COMMENT ON COLUMN bi.account_status_changes.domain IS 'The account''s domain, as last synced.';
COMMENT ON COLUMN bi.account_status_changes.changed_at IS 'When a sync saw the new status (the end of the previous version); precise to the sync interval.';
COMMENT ON COLUMN bi.account_status_changes.from_status_code IS 'Status code before the change.';
COMMENT ON COLUMN bi.account_status_changes.from_status IS 'Status meaning before the change.';
COMMENT ON COLUMN bi.account_status_changes.to_status_code IS 'Status code after the change.';
COMMENT ON COLUMN bi.account_status_changes.to_status IS 'Status meaning after the change.';

-- ---- bi.account_status_daily --------------------------------------------------------------------
-- Counted from +1/-1 steps at each version's start and end day and a running sum, so the cost
-- grows with versions plus days times (status, variation) pairs, not accounts times days.

CREATE VIEW bi.account_status_daily AS
WITH steps AS (
    SELECT source, status_code, status, variation_id, valid_from::date AS day, 1 AS step
      FROM bi.account_versions
    UNION ALL
    SELECT source, status_code, status, variation_id, valid_to::date, -1
      FROM bi.account_versions
     WHERE valid_to IS NOT NULL
), daily_steps AS (
    SELECT source, coalesce(status_code, '') AS status_code, status,
           coalesce(variation_id, '') AS variation_id, day, sum(step) AS step
      FROM steps
     GROUP BY 1, 2, 3, 4, 5
), bounds AS (
    SELECT source, min(day) AS first_day, greatest(max(day), current_date) AS last_day
      FROM daily_steps
     GROUP BY source
), grid AS (
    SELECT s.source, s.status_code, s.status, s.variation_id, d::date AS day
      FROM (SELECT DISTINCT source, status_code, status, variation_id FROM daily_steps) s
      JOIN bounds b ON b.source = s.source
     CROSS JOIN LATERAL generate_series(b.first_day, b.last_day, interval '1 day') d
)
SELECT g.source,
       g.day,
       nullif(g.status_code, '')  AS status_code,
       g.status,
       nullif(g.variation_id, '') AS variation_id,
       v.name                     AS variation_name,
       (sum(coalesce(ds.step, 0)) OVER (PARTITION BY g.source, g.status_code, g.status,
                                                     g.variation_id ORDER BY g.day))::integer
                                  AS accounts
  FROM grid g
  LEFT JOIN daily_steps ds
    ON ds.source = g.source AND ds.status_code = g.status_code AND ds.status = g.status
   AND ds.variation_id = g.variation_id AND ds.day = g.day
  LEFT JOIN liveagent.variations v
    ON v.source = g.source AND v.variation_id = nullif(g.variation_id, '');

COMMENT ON VIEW bi.account_status_daily IS
    'LiveAgent accounts per source, day, status and variation (plan): the number of accounts whose version valid at the end of the day (today: now) had that status and variation, from bi.account_versions. One row per day from the first account''s creation to today for every status and variation pair the source ever had (0 when none that day); sum over variations for accounts per status, over statuses for accounts per plan. Before partnersync first synced an account, its first known version is assumed.';
COMMENT ON COLUMN bi.account_status_daily.source IS 'The reseller (source name in the partnersync config).';
COMMENT ON COLUMN bi.account_status_daily.day IS 'The calendar day (session time zone).';
COMMENT ON COLUMN bi.account_status_daily.status_code IS 'One-letter status code (a, s, t, n, b, c, ...).';
COMMENT ON COLUMN bi.account_status_daily.status IS 'The status''s documented meaning (Active, Suspended, ...).';
COMMENT ON COLUMN bi.account_status_daily.variation_id IS 'The variation (plan) of the accounts; NULL when they had none.';
COMMENT ON COLUMN bi.account_status_daily.variation_name IS 'The variation''s name; NULL when the variation is not synced.';
COMMENT ON COLUMN bi.account_status_daily.accounts IS 'Accounts with this status and variation at the end of the day.';

-- ---- bi.liveagent_addons ------------------------------------------------------------------------

CREATE VIEW bi.liveagent_addons AS
SELECT ad.source,
       ad.account_id,
       a.domain,
       ad.addon_id,
       ad.license_code,
       ad.name,
       ad.price,
       ad.valid_from_at,
       ad.valid_to_at,
       date_trunc('month', ad.valid_from_at)::date                             AS started_month,
       ad.status                                                               AS status_code,
       coalesce(ad.status_label, 'Unknown (' || coalesce(ad.status, '') || ')') AS status,
       ad.status = 'A' AND coalesce(ad.valid_from_at <= now(), true)
           AND coalesce(ad.valid_to_at > now(), true)                          AS is_active,
       coalesce(a.status_label, 'Unknown (' || coalesce(a.status, '') || ')')  AS account_status,
       a.variation_id,
       v.name                                                                  AS variation_name
  FROM liveagent.account_addons ad
  LEFT JOIN liveagent.accounts a ON a.source = ad.source AND a.account_id = ad.account_id
  LEFT JOIN liveagent.variations v ON v.source = a.source AND v.variation_id = a.variation_id;

COMMENT ON VIEW bi.liveagent_addons IS
    'Add-on licenses bought for the reseller''s LiveAgent accounts, one row per add-on license, with the account''s status and plan: add-on revenue is sum(price) of the Approved ones by started_month.';
COMMENT ON COLUMN bi.liveagent_addons.source IS 'The reseller (source name in the partnersync config).';
COMMENT ON COLUMN bi.liveagent_addons.account_id IS 'The account the add-on was bought for.';
COMMENT ON COLUMN bi.liveagent_addons.domain IS 'The account''s domain.';
COMMENT ON COLUMN bi.liveagent_addons.addon_id IS 'The add-on (as in the variation''s add-on list).';
COMMENT ON COLUMN bi.liveagent_addons.license_code IS 'The add-on license.';
COMMENT ON COLUMN bi.liveagent_addons.name IS 'The add-on''s name.';
COMMENT ON COLUMN bi.liveagent_addons.price IS 'The add-on''s price as LiveAgent states it (exact numeric).';
COMMENT ON COLUMN bi.liveagent_addons.valid_from_at IS 'Start of the add-on''s validity.';
COMMENT ON COLUMN bi.liveagent_addons.valid_to_at IS 'End of the add-on''s validity; NULL when open-ended.';
COMMENT ON COLUMN bi.liveagent_addons.started_month IS 'First day of the month of valid_from_at.';
COMMENT ON COLUMN bi.liveagent_addons.status_code IS 'A (Approved) or R (Refunded), as sent.';
COMMENT ON COLUMN bi.liveagent_addons.status IS 'Approved or Refunded; "Unknown (x)" for an undocumented code.';
COMMENT ON COLUMN bi.liveagent_addons.is_active IS 'Approved and valid now (valid_from passed, valid_to open or in the future).';
COMMENT ON COLUMN bi.liveagent_addons.account_status IS 'The account''s status meaning, as last synced.';
COMMENT ON COLUMN bi.liveagent_addons.variation_id IS 'The account''s variation (plan).';
COMMENT ON COLUMN bi.liveagent_addons.variation_name IS 'The variation''s name; NULL when the variation is not synced.';

-- ---- bi.sync_runs -------------------------------------------------------------------------------

CREATE VIEW bi.sync_runs AS
SELECT run_id,
       source,
       stream,
       mode,
       status,
       window_from,
       window_to,
       started_at,
       finished_at,
       round(extract(epoch FROM finished_at - started_at)::numeric, 3) AS seconds,
       http_requests,
       rows_received,
       rows_inserted,
       rows_updated,
       rows_unchanged,
       bytes_received,
       invalid_values,
       error,
       (SELECT count(*) FROM sync.quarantine q WHERE q.run_id = r.run_id)::integer
                                                                       AS quarantined
  FROM sync.runs r;

COMMENT ON VIEW bi.sync_runs IS
    'Every stream run partnersync recorded (sync.runs): when, how it ended, and its request, row and byte counts; errors are stored with secrets redacted.';
COMMENT ON COLUMN bi.sync_runs.run_id IS 'Id of the run.';
COMMENT ON COLUMN bi.sync_runs.source IS 'The upstream account (source name in the partnersync config).';
COMMENT ON COLUMN bi.sync_runs.stream IS 'The stream (e.g. affiliate_licenses, earnings, accounts).';
COMMENT ON COLUMN bi.sync_runs.mode IS 'incremental, full_refresh or backfill.';
COMMENT ON COLUMN bi.sync_runs.status IS 'running, succeeded, failed, not_applicable or cancelled.';
COMMENT ON COLUMN bi.sync_runs.window_from IS 'First day the run covered (windowed streams).';
COMMENT ON COLUMN bi.sync_runs.window_to IS 'Last day the run covered (windowed streams).';
COMMENT ON COLUMN bi.sync_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN bi.sync_runs.finished_at IS 'When the run ended; NULL while running.';
COMMENT ON COLUMN bi.sync_runs.seconds IS 'Duration in seconds; NULL while running.';
COMMENT ON COLUMN bi.sync_runs.http_requests IS 'HTTP requests the run made.';
COMMENT ON COLUMN bi.sync_runs.rows_received IS 'Records the run received.';
COMMENT ON COLUMN bi.sync_runs.rows_inserted IS 'Rows the run inserted.';
COMMENT ON COLUMN bi.sync_runs.rows_updated IS 'Rows the run changed.';
COMMENT ON COLUMN bi.sync_runs.rows_unchanged IS 'Rows the run re-read unchanged.';
COMMENT ON COLUMN bi.sync_runs.bytes_received IS 'Response bytes the run received.';
COMMENT ON COLUMN bi.sync_runs.invalid_values IS 'Values the run could not convert (stored as NULL, kept in raw).';
COMMENT ON COLUMN bi.sync_runs.error IS 'Error text of a failed run (secrets redacted).';
COMMENT ON COLUMN bi.sync_runs.quarantined IS 'Bodies the run could not apply and kept in quarantine.';

GRANT SELECT ON bi.license_conversions, bi.conversion_cohorts, bi.commission_rates,
    bi.account_versions, bi.account_status_changes, bi.account_status_daily,
    bi.liveagent_addons, bi.sync_runs TO partnersync_bi;
