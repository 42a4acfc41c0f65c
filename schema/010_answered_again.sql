-- Issue 13: an agent or conversation whose call answered 404 and answers again later (an
-- account restored upstream, asked again on full_refresh) is current again: the engine now
-- writes deleted_upstream_at NULL whenever it writes the row from an answer
-- (TableLayout::not_found_column). The comments say so.
COMMENT ON COLUMN liveagent.agents.deleted_upstream_at IS
    'When agents/<userid> answered 404 (NULL again once it answers); such an id is asked again only on full refresh (raw is {} when the agent was never read).';
COMMENT ON COLUMN liveagent.conversations.deleted_upstream_at IS
    'When the info call answered 404 (the conversation was deleted upstream; NULL again once it answers); the row is kept.';
