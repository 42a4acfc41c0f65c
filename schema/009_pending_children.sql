-- Issue 15 (found by tests/soak): a child stream (invoices, users, add-ons, ...) reads the
-- children of the parents its parent stream read in the same pass. When a child request
-- failed, the parent's window was already synced, so the next pass (reading only the lookback)
-- did not ask for those children again: they were missing until the next full refresh. A run
-- of a child stream now records its parents here before it reads them and removes each batch
-- once its children are committed; the next run reads what is left here too. A run killed
-- half way leaves its unread parents here as well.
CREATE TABLE sync.pending_children (
    source     text        NOT NULL,
    stream     text        NOT NULL,
    parent_key text        NOT NULL,
    since      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, stream, parent_key)
);
COMMENT ON TABLE sync.pending_children IS
    'Parents whose children the child stream has not committed yet; read again by its next run.';
