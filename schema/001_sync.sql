-- Sync bookkeeping (design/streams.md "Sync bookkeeping"): what is synced, how runs went, and
-- what was received but could not be applied. sync.schema_migrations is created by the
-- migrator itself before this file runs.

CREATE SCHEMA IF NOT EXISTS sync;

-- Completed windows, inclusive on both ends. Written in the same transaction as the rows they
-- cover; adjacent and overlapping windows of a stream are merged, so a stream's coverage is a
-- handful of disjoint intervals and a restart plans only the gaps.
CREATE TABLE sync.windows (
    source      text        NOT NULL,
    stream      text        NOT NULL,
    window_from date        NOT NULL,
    window_to   date        NOT NULL,
    synced_at   timestamptz NOT NULL DEFAULT now(),
    rows        bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (source, stream, window_from),
    CHECK (window_from <= window_to)
);
COMMENT ON TABLE sync.windows IS 'Completed sync windows per source and stream (inclusive dates), merged when adjacent.';
COMMENT ON COLUMN sync.windows.synced_at IS 'When the oldest data in this merged interval was last confirmed.';
COMMENT ON COLUMN sync.windows.rows IS 'Rows received for the windows merged into this interval.';

-- One row per stream: the summary --status and bi.sync_health read.
CREATE TABLE sync.state (
    source               text        NOT NULL,
    stream               text        NOT NULL,
    last_success_at      timestamptz,
    last_attempt_at      timestamptz,
    last_error           text,
    last_full_refresh_at timestamptz,
    next_full_refresh_at timestamptz,
    next_run_at          timestamptz,
    not_applicable       boolean     NOT NULL DEFAULT false,
    not_applicable_since timestamptz,
    PRIMARY KEY (source, stream)
);
COMMENT ON COLUMN sync.state.not_applicable IS 'Upstream answered 403 (not an Expert, not managed): retried only rarely.';

-- Windows a backfill has committed, so a killed backfill re-run with the same range continues
-- where it stopped. Written in the same transaction as the window's rows; removed when the
-- backfill of the stream completes.
CREATE TABLE sync.backfill_progress (
    source        text NOT NULL,
    stream        text NOT NULL,
    backfill_from date NOT NULL,
    backfill_to   date NOT NULL,
    window_from   date NOT NULL,
    window_to     date NOT NULL,
    PRIMARY KEY (source, stream, window_from)
);
COMMENT ON TABLE sync.backfill_progress IS 'Windows committed by an unfinished backfill of [backfill_from, backfill_to].';

-- One row per stream run.
CREATE TABLE sync.runs (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          text        NOT NULL,
    stream          text        NOT NULL,
    mode            text        NOT NULL CHECK (mode IN ('incremental', 'full_refresh', 'backfill')),
    window_from     date,
    window_to       date,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    status          text        NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'succeeded', 'failed', 'not_applicable', 'cancelled')),
    http_requests   integer     NOT NULL DEFAULT 0,
    rows_received   bigint      NOT NULL DEFAULT 0,
    rows_inserted   bigint      NOT NULL DEFAULT 0,
    rows_updated    bigint      NOT NULL DEFAULT 0,
    rows_unchanged  bigint      NOT NULL DEFAULT 0,
    bytes_received  bigint      NOT NULL DEFAULT 0,
    invalid_values  integer     NOT NULL DEFAULT 0,
    error           text
);
CREATE INDEX runs_source_stream_started ON sync.runs (source, stream, started_at DESC);
COMMENT ON COLUMN sync.runs.invalid_values IS 'Values that could not be converted (e.g. impossible datetimes) and were stored as NULL; they stay in raw.';

-- Bodies that could not be parsed or applied. Nothing received is silently dropped.
CREATE TABLE sync.quarantine (
    quarantine_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    source        text        NOT NULL,
    stream        text        NOT NULL,
    run_id        bigint      REFERENCES sync.runs ON DELETE SET NULL,
    url           text        NOT NULL,
    http_status   integer,
    reason        text        NOT NULL,
    body          bytea       NOT NULL,
    resolved_at   timestamptz
);
CREATE INDEX quarantine_source_stream ON sync.quarantine (source, stream, received_at DESC);
COMMENT ON COLUMN sync.quarantine.url IS 'Request URL with secrets (apikey) removed.';
COMMENT ON COLUMN sync.quarantine.body IS 'The body exactly as received (bytes; may be truncated or not UTF-8).';
COMMENT ON COLUMN sync.quarantine.resolved_at IS 'Set when a later run synced the same window successfully.';

-- Records a committed window and merges it with the stream's overlapping or adjacent windows,
-- in the caller's transaction (the one that wrote the window's rows). `rows` of a merged
-- interval counts the rows of the commits that extended it; a re-read of covered days keeps it.
CREATE FUNCTION sync.record_window(p_source text, p_stream text, p_from date, p_to date,
                                   p_rows bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m_from date;
    m_to   date;
    m_rows bigint;
    covered boolean;
BEGIN
    -- Concurrent windows of one stream commit one at a time here.
    PERFORM pg_advisory_xact_lock(hashtext('sync.windows'), hashtext(p_source || '/' || p_stream));
    SELECT bool_or(window_from <= p_from AND window_to >= p_to),
           least(min(window_from), p_from), greatest(max(window_to), p_to), coalesce(sum(rows), 0)
      INTO covered, m_from, m_to, m_rows
      FROM sync.windows
     WHERE source = p_source AND stream = p_stream
       AND window_from <= p_to + 1 AND window_to >= p_from - 1;
    IF covered THEN
        UPDATE sync.windows SET synced_at = now()
         WHERE source = p_source AND stream = p_stream
           AND window_from <= p_from AND window_to >= p_to;
        RETURN;
    END IF;
    DELETE FROM sync.windows
     WHERE source = p_source AND stream = p_stream
       AND window_from <= p_to + 1 AND window_to >= p_from - 1;
    INSERT INTO sync.windows (source, stream, window_from, window_to, synced_at, rows)
    VALUES (p_source, p_stream, coalesce(m_from, p_from), coalesce(m_to, p_to), now(),
            coalesce(m_rows, 0) + p_rows);
END $$;

-- Trigger function for *_history tables: keeps the version a re-read replaced. The history
-- table is the data table's columns followed by valid_from and valid_to; TG_ARGV[0] names it.
-- The sync's upsert updates a row only when a value changed, so an unchanged re-read leaves
-- no version (and no dead tuple) behind.
CREATE FUNCTION sync.keep_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %s SELECT ($1).*, $2, $3', TG_ARGV[0])
      USING OLD, OLD.last_changed_at, now();
    RETURN NEW;
END $$;
