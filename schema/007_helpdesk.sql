-- The LiveAgent helpdesk warehouse (kind liveagent_helpdesk, ../shared/design/helpdesk.md):
-- tables keyed as connectors/liveagent_helpdesk/*.cpp declare, the conversations' history, and
-- the bi views over them. Depends only on 001 (sync.keep_history) and 003 (schema liveagent)
-- and 004 (schema bi), not on 005 or 006.
--
-- Conventions as in 003: `source` first in every key, nullable data columns (an absent field,
-- an invalid value, an empty or whitespace-only text is NULL; raw keeps what was sent), raw,
-- first_seen_at, last_changed_at. Upstream datetimes ("YYYY-MM-DD HH:MM:SS", 004 "Datafield
-- formats") are read in the source's timezone (default America/Los_Angeles). authtoken (a
-- credential, 004 Agents and Customers) is removed before storage: it is in no column and no raw.

CREATE SCHEMA IF NOT EXISTS liveagent;

CREATE TABLE liveagent.application_snapshots (
    source           text        NOT NULL,
    taken_at         timestamptz NOT NULL,
    liveagentversion text,
    gpfversion       text,
    installed_at     timestamptz,
    latest_update_at timestamptz,
    raw              jsonb       NOT NULL,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_changed_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, taken_at)
);
COMMENT ON TABLE liveagent.application_snapshots IS
    'The helpdesk''s application/status (004 "Return application installation date and latest version"): a new snapshot only when a value changed; last_seen_at moves on every read.';
COMMENT ON COLUMN liveagent.application_snapshots.liveagentversion IS 'Latest application version, e.g. 5.40.0.1; calls older versions lack are not applicable.';
COMMENT ON COLUMN liveagent.application_snapshots.installed_at IS 'dateinstalled.';
COMMENT ON COLUMN liveagent.application_snapshots.latest_update_at IS 'datelatestupdate.';

CREATE TABLE liveagent.conversations (
    source              text        NOT NULL,
    conversationid      text        NOT NULL,
    code                text,
    created_at          timestamptz,
    changed_at          timestamptz,
    departmentid        text,
    departmentname      text,
    status              text,
    status_label        text GENERATED ALWAYS AS (
                            CASE status
                                WHEN 'A' THEN 'Answered'
                                WHEN 'P' THEN 'Calling'
                                WHEN 'T' THEN 'Chatting'
                                WHEN 'X' THEN 'Deleted'
                                WHEN 'B' THEN 'Spam'
                                WHEN 'I' THEN 'Init'
                                WHEN 'C' THEN 'Open'
                                WHEN 'R' THEN 'Resolved'
                                WHEN 'N' THEN 'New'
                                WHEN 'W' THEN 'Postponed'
                            END) STORED,
    ownername           text,
    owneremail          text,
    subject             text,
    preview             text,
    publicurlcode       text,
    ownernote           text,
    assignedto          text,
    deleted_upstream_at timestamptz,
    raw                 jsonb       NOT NULL,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    last_changed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, conversationid)
);
COMMENT ON TABLE liveagent.conversations IS
    'Helpdesk conversations (tickets, chats, calls) from the conversations list, read in windows over datechanged per department; ownernote and assignedto from the info call, made for each new or changed conversation.';
COMMENT ON COLUMN liveagent.conversations.code IS 'Conversation code, e.g. AX4-B4T-FD8.';
COMMENT ON COLUMN liveagent.conversations.created_at IS 'datecreated.';
COMMENT ON COLUMN liveagent.conversations.changed_at IS 'datechanged: the datetime the windows (datechanged=btw:) filter on.';
COMMENT ON COLUMN liveagent.conversations.status IS 'One-letter status code as sent; see status_label.';
COMMENT ON COLUMN liveagent.conversations.status_label IS 'The meaning 004 gives status (Answered, Calling, Chatting, Deleted, Spam, Init, Open, Resolved, New, Postponed); NULL for an undocumented code.';
COMMENT ON COLUMN liveagent.conversations.ownername IS 'Name of the conversation''s owner (the customer): personal data.';
COMMENT ON COLUMN liveagent.conversations.owneremail IS 'E-mail of the conversation''s owner: personal data.';
COMMENT ON COLUMN liveagent.conversations.preview IS 'The start of the conversation''s text: may hold personal data.';
COMMENT ON COLUMN liveagent.conversations.ownernote IS 'From the info call; NULL until read and when blank.';
COMMENT ON COLUMN liveagent.conversations.assignedto IS 'From the info call: the agent (liveagent.agents.userid) the conversation is assigned to; NULL when unassigned.';
COMMENT ON COLUMN liveagent.conversations.deleted_upstream_at IS 'When the info call first answered 404 (the conversation was deleted upstream); the row is kept.';
COMMENT ON COLUMN liveagent.conversations.raw IS 'The conversations list record as received.';

-- History: the version a re-read of the list replaced (the pattern of liveagent.accounts).
-- Only a change of the list record (raw) keeps a version: the info call filling ownernote and
-- assignedto, or deleted_upstream_at being set, completes the current version instead.
CREATE TABLE liveagent.conversations_history (LIKE liveagent.conversations);
ALTER TABLE liveagent.conversations_history
    ADD COLUMN valid_from timestamptz NOT NULL,
    ADD COLUMN valid_to   timestamptz NOT NULL;
CREATE INDEX conversations_history_key
    ON liveagent.conversations_history (source, conversationid, valid_to);
COMMENT ON TABLE liveagent.conversations_history IS
    'Previous versions of liveagent.conversations rows: the row as it was from valid_from until a re-read of the list changed it at valid_to.';
COMMENT ON COLUMN liveagent.conversations_history.status_label IS 'status_label as it was (a plain copy here, not computed).';
COMMENT ON COLUMN liveagent.conversations_history.valid_from IS 'When this version became current (its last_changed_at).';
COMMENT ON COLUMN liveagent.conversations_history.valid_to IS 'When a re-read replaced this version.';
CREATE TRIGGER conversations_keep_history
    BEFORE UPDATE ON liveagent.conversations
    FOR EACH ROW
    WHEN (OLD.raw IS DISTINCT FROM NEW.raw)
    EXECUTE FUNCTION sync.keep_history('liveagent.conversations_history');

CREATE TABLE liveagent.conversation_custom_fields (
    source          text        NOT NULL,
    conversationid  text        NOT NULL,
    code            text        NOT NULL,
    ordinal         integer     NOT NULL,
    value           text,
    removed_at      timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, conversationid, code, ordinal)
);
COMMENT ON TABLE liveagent.conversation_custom_fields IS
    'Custom field values of each conversation (the info call''s customfields), re-read with every new or changed conversation; each read replaces the conversation''s set.';
COMMENT ON COLUMN liveagent.conversation_custom_fields.ordinal IS 'Position (1, 2, ...) among the values of the same code in this conversation: 004 "Same field can be added multiple times".';
COMMENT ON COLUMN liveagent.conversation_custom_fields.value IS 'The value as sent; NULL when blank. May hold personal data.';
COMMENT ON COLUMN liveagent.conversation_custom_fields.removed_at IS 'When a read of the conversation no longer listed this value; NULL while listed.';

CREATE TABLE liveagent.conversation_message_groups (
    source          text        NOT NULL,
    conversationid  text        NOT NULL,
    messagegroupid  text        NOT NULL,
    userid          text,
    rtype           text,
    rtype_label     text GENERATED ALWAYS AS (
                        CASE rtype
                            WHEN 'P' THEN 'Call' WHEN 'V' THEN 'Outgoing call'
                            WHEN '1' THEN 'Internal call' WHEN 'C' THEN 'Chat'
                            WHEN 'X' THEN 'Delete' WHEN 'F' THEN 'Facebook'
                            WHEN 'I' THEN 'Internal' WHEN 'Z' THEN 'Internal (collapsed by default)'
                            WHEN 'K' THEN 'Knowledgebase' WHEN 'A' THEN 'Knowledgebase start'
                            WHEN 'M' THEN 'Offline' WHEN 'R' THEN 'Resolve'
                            WHEN 'Y' THEN 'Retweet' WHEN 'S' THEN 'Startinfo'
                            WHEN 'G' THEN 'Tag' WHEN 'T' THEN 'Transfer'
                            WHEN 'W' THEN 'Twitter'
                        END) STORED,
    rstatus         text,
    rstatus_label   text GENERATED ALWAYS AS (
                        CASE rstatus
                            WHEN 'D' THEN 'Deleted' WHEN 'P' THEN 'Promoted'
                            WHEN 'V' THEN 'Visible' WHEN 'S' THEN 'Splitted'
                        END) STORED,
    created_at      timestamptz,
    finished_at     timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, conversationid, messagegroupid)
);
COMMENT ON TABLE liveagent.conversation_message_groups IS
    'Message groups of each conversation (conversations/<id>/messages), re-read with every new or changed conversation; groups no longer returned are kept (deletions show as rstatus D).';
COMMENT ON COLUMN liveagent.conversation_message_groups.userid IS 'The user who created the group.';
COMMENT ON COLUMN liveagent.conversation_message_groups.rtype IS 'Group type code as sent; see rtype_label (004).';
COMMENT ON COLUMN liveagent.conversation_message_groups.rstatus IS 'Group status code as sent; see rstatus_label (004).';
COMMENT ON COLUMN liveagent.conversation_message_groups.created_at IS 'datecreated.';
COMMENT ON COLUMN liveagent.conversation_message_groups.finished_at IS 'datefinished: the datetime of the group''s latest message.';
COMMENT ON COLUMN liveagent.conversation_message_groups.raw IS 'The group record as received, its messages included (personal data).';

CREATE TABLE liveagent.conversation_messages (
    source          text        NOT NULL,
    conversationid  text        NOT NULL,
    messageid       text        NOT NULL,
    messagegroupid  text,
    userid          text,
    rtype           text,
    rtype_label     text GENERATED ALWAYS AS (
                        CASE rtype
                            WHEN 'D' THEN 'Call' WHEN 'E' THEN 'End' WHEN 'F' THEN 'File'
                            WHEN 'Z' THEN 'Formfield' WHEN 'H' THEN 'Header' WHEN 'I' THEN 'Internal'
                            WHEN 'M' THEN 'Message' WHEN 'B' THEN 'Splitted'
                            WHEN 'X' THEN 'Mixed message' WHEN 'N' THEN 'Note'
                            WHEN 'L' THEN 'Note file' WHEN 'Q' THEN 'Quoted text'
                            WHEN 'C' THEN 'Ranking comment' WHEN 'P' THEN 'Ranking rebuke'
                            WHEN 'W' THEN 'Ranking reward' WHEN 'J' THEN 'Statis'
                            WHEN 'S' THEN 'System' WHEN 'G' THEN 'Tag' WHEN 'O' THEN 'Footer'
                            WHEN 'A' THEN 'Header' WHEN 'T' THEN 'Title' WHEN 'R' THEN 'Transfer'
                            WHEN 'U' THEN 'Useragent' WHEN 'V' THEN 'Voice'
                        END) STORED,
    created_at      timestamptz,
    message         text,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, conversationid, messageid)
);
COMMENT ON TABLE liveagent.conversation_messages IS
    'Messages of each conversation (conversations/<id>/messages, one row per message of every group), re-read with every new or changed conversation; messages no longer returned are kept.';
COMMENT ON COLUMN liveagent.conversation_messages.messagegroupid IS 'The group the message was listed in: liveagent.conversation_message_groups.';
COMMENT ON COLUMN liveagent.conversation_messages.userid IS 'The user who wrote the message.';
COMMENT ON COLUMN liveagent.conversation_messages.rtype IS 'Message type code as sent; see rtype_label (004).';
COMMENT ON COLUMN liveagent.conversation_messages.message IS 'The message body: PERSONAL DATA (customers'' and agents'' words, often names, addresses, order numbers); restrict access and honour deletion requests.';
COMMENT ON COLUMN liveagent.conversation_messages.raw IS 'The message record as received with "messagegroupid" added first: personal data.';

CREATE TABLE liveagent.conversation_tags (
    source          text        NOT NULL,
    conversationid  text        NOT NULL,
    tag_id          text        NOT NULL,
    name            text,
    removed_at      timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, conversationid, tag_id)
);
COMMENT ON TABLE liveagent.conversation_tags IS
    'Tags assigned to each conversation (conversations/<id>/tags), re-read with every new or changed conversation; each read replaces the conversation''s set.';
COMMENT ON COLUMN liveagent.conversation_tags.tag_id IS 'id: the tag.';
COMMENT ON COLUMN liveagent.conversation_tags.removed_at IS 'When a read of the conversation no longer listed this tag (unassigned); NULL while assigned.';

CREATE TABLE liveagent.customers (
    source          text        NOT NULL,
    contactid       text        NOT NULL,
    email           text,
    firstname       text,
    lastname        text,
    systemname      text,
    userid          text,
    created_at      timestamptz,
    role            text,
    role_label      text GENERATED ALWAYS AS (
                        CASE role WHEN 'V' THEN 'Visitor' WHEN 'R' THEN 'Registered visitor' END)
                        STORED,
    gender          text,
    gender_label    text GENERATED ALWAYS AS (
                        CASE gender WHEN 'M' THEN 'Male' WHEN 'F' THEN 'Female' END) STORED,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, contactid)
);
COMMENT ON TABLE liveagent.customers IS
    'Helpdesk customers (contacts) from the customers list, read in windows over their creation datetime in pages of 1000; changes are found by the lookback re-read and full_refresh (004 has no changed date). Personal data.';
COMMENT ON COLUMN liveagent.customers.email IS 'Customer e-mail: personal data.';
COMMENT ON COLUMN liveagent.customers.created_at IS 'datecreated: the datetime the windows (datecreatedfrom/datecreatedto) filter on.';
COMMENT ON COLUMN liveagent.customers.role IS 'V (Visitor) or R (Registered visitor); see role_label.';
COMMENT ON COLUMN liveagent.customers.raw IS 'The record as received without authtoken (a credential, removed before storage).';

CREATE TABLE liveagent.customer_groups (
    source          text        NOT NULL,
    groupid         text        NOT NULL,
    name            text,
    removed_at      timestamptz,
    raw             jsonb       NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, groupid)
);
COMMENT ON TABLE liveagent.customer_groups IS
    'Customer groups of the helpdesk (customers/groups, "Retrieve all groups of all customers"), re-read whole each run; a group no longer listed gets removed_at.';
COMMENT ON COLUMN liveagent.customer_groups.groupid IS 'id.';
COMMENT ON COLUMN liveagent.customer_groups.removed_at IS 'When a read no longer listed the group; NULL while listed.';

CREATE TABLE liveagent.agents (
    source              text        NOT NULL,
    userid              text        NOT NULL,
    contactid           text,
    email               text,
    firstname           text,
    lastname            text,
    systemname          text,
    browsercookiename   text,
    gender              text,
    role                text,
    role_label          text GENERATED ALWAYS AS (
                            CASE role WHEN 'D' THEN 'Administrator' WHEN 'A' THEN 'Agent'
                                      WHEN 'O' THEN 'Owner' END) STORED,
    deleted_upstream_at timestamptz,
    raw                 jsonb       NOT NULL,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    last_changed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, userid)
);
COMMENT ON TABLE liveagent.agents IS
    'Agents of the helpdesk (agents/<userid>), read for every agent id the conversations are assigned to (004 has no call listing agents).';
COMMENT ON COLUMN liveagent.agents.userid IS 'The agent id asked for (liveagent.conversations.assignedto).';
COMMENT ON COLUMN liveagent.agents.role IS 'D (Administrator), A (Agent) or O (Owner); see role_label.';
COMMENT ON COLUMN liveagent.agents.deleted_upstream_at IS 'When agents/<userid> first answered 404; such an id is not asked again (raw is {} when the agent was never read).';
COMMENT ON COLUMN liveagent.agents.raw IS 'The record as received without authtoken (the agent''s auth token, a credential removed before storage).';

-- ---- bi views (readable by partnersync_bi; no raw, no message bodies, no personal data) ------
-- As in 004: plain views owned by the daemon's role; day and month boundaries follow the
-- session's TimeZone. Deleted-upstream conversations are left out of every count.

CREATE VIEW bi.helpdesk_conversations_daily AS
SELECT c.source,
       c.created_at::date                      AS day,
       c.departmentid,
       c.departmentname,
       c.status,
       c.status_label,
       count(*)                                AS conversations
  FROM liveagent.conversations c
 WHERE c.deleted_upstream_at IS NULL AND c.created_at IS NOT NULL
 GROUP BY c.source, c.created_at::date, c.departmentid, c.departmentname, c.status, c.status_label;
COMMENT ON VIEW bi.helpdesk_conversations_daily IS
    'Helpdesk conversations created per day, department and current status (one row per combination). A conversation counts under its status now, not the one it had that day (see liveagent.conversations_history for that).';

CREATE VIEW bi.helpdesk_conversation_activity AS
SELECT c.source,
       c.conversationid,
       c.code,
       c.created_at,
       c.changed_at,
       c.departmentname,
       c.status,
       c.status_label,
       c.assignedto                                                   AS agent_userid,
       coalesce(m.messages, 0)                                        AS messages,
       coalesce(g.message_groups, 0)                                  AS message_groups,
       m.first_message_at,
       m.last_message_at,
       m.last_message_at - m.first_message_at                         AS span
  FROM liveagent.conversations c
  LEFT JOIN (SELECT source, conversationid, count(*) AS messages,
                    min(created_at) AS first_message_at, max(created_at) AS last_message_at
               FROM liveagent.conversation_messages GROUP BY source, conversationid) m
         ON m.source = c.source AND m.conversationid = c.conversationid
  LEFT JOIN (SELECT source, conversationid, count(*) AS message_groups
               FROM liveagent.conversation_message_groups WHERE rstatus IS DISTINCT FROM 'D'
              GROUP BY source, conversationid) g
         ON g.source = c.source AND g.conversationid = c.conversationid
 WHERE c.deleted_upstream_at IS NULL;
COMMENT ON VIEW bi.helpdesk_conversation_activity IS
    'One row per helpdesk conversation with its message count (every message stored, deleted groups'' included), live message groups (rstatus not D), first and last message datetimes and the span between them; no message bodies.';

CREATE VIEW bi.helpdesk_agent_conversations AS
SELECT c.source,
       c.assignedto                                                   AS agent_userid,
       nullif(concat_ws(' ', a.firstname, a.lastname), '')           AS agent_name,
       a.role_label                                                   AS agent_role,
       a.deleted_upstream_at IS NOT NULL                              AS agent_deleted,
       count(*)                                                       AS conversations,
       count(*) FILTER (WHERE c.status = 'R')                         AS resolved,
       count(*) FILTER (WHERE c.status NOT IN ('R', 'X', 'B'))        AS open
  FROM liveagent.conversations c
  LEFT JOIN liveagent.agents a ON a.source = c.source AND a.userid = c.assignedto
 WHERE c.deleted_upstream_at IS NULL AND c.assignedto IS NOT NULL
 GROUP BY c.source, c.assignedto, a.firstname, a.lastname, a.role_label, a.deleted_upstream_at;
COMMENT ON VIEW bi.helpdesk_agent_conversations IS
    'Conversations per assigned agent: all, resolved (status R) and open (any status but Resolved, Deleted, Spam). Unassigned conversations are left out.';

CREATE VIEW bi.helpdesk_open_backlog AS
SELECT c.source,
       c.conversationid,
       c.code,
       c.departmentname,
       c.status,
       c.status_label,
       c.assignedto                                                   AS agent_userid,
       c.created_at,
       c.changed_at,
       now() - c.created_at                                           AS age,
       now() - c.changed_at                                           AS idle
  FROM liveagent.conversations c
 WHERE c.deleted_upstream_at IS NULL AND c.status NOT IN ('R', 'X', 'B');
COMMENT ON VIEW bi.helpdesk_open_backlog IS
    'Helpdesk conversations still open: any status but R (Resolved), X (Deleted) and B (Spam), i.e. New, Open, Answered, Postponed, Init, Chatting and Calling; age since creation and idle time since the last change.';

CREATE VIEW bi.helpdesk_customers_monthly AS
SELECT c.source,
       date_trunc('month', c.created_at)::date                        AS month,
       count(*)                                                       AS customers,
       count(*) FILTER (WHERE c.role = 'R')                           AS registered,
       count(*) FILTER (WHERE c.role = 'V')                           AS visitors
  FROM liveagent.customers c
 WHERE c.created_at IS NOT NULL
 GROUP BY c.source, date_trunc('month', c.created_at)::date;
COMMENT ON VIEW bi.helpdesk_customers_monthly IS
    'Helpdesk customers created per month: all, registered visitors (role R) and visitors (role V).';

COMMENT ON COLUMN bi.helpdesk_conversations_daily.source IS 'The configured source name (sources[].name).';
COMMENT ON COLUMN bi.helpdesk_conversations_daily.day IS 'Creation day of the conversations (in the session TimeZone).';
COMMENT ON COLUMN bi.helpdesk_conversations_daily.departmentid IS 'Department id (one of the source''s departments).';
COMMENT ON COLUMN bi.helpdesk_conversations_daily.departmentname IS 'Department name as upstream calls it.';
COMMENT ON COLUMN bi.helpdesk_conversations_daily.status IS 'Current one-letter status code.';
COMMENT ON COLUMN bi.helpdesk_conversations_daily.status_label IS 'The meaning 004 gives status (Answered, Open, Resolved, ...).';
COMMENT ON COLUMN bi.helpdesk_conversations_daily.conversations IS 'Conversations created that day in that department with that current status.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.source IS 'The configured source name.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.conversationid IS 'Conversation id.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.code IS 'Conversation code, e.g. AX4-B4T-FD8.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.created_at IS 'When the conversation was created.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.changed_at IS 'When it last changed upstream.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.departmentname IS 'Department name.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.status IS 'Current one-letter status code.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.status_label IS 'The meaning of status.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.agent_userid IS 'The agent it is assigned to (bi.helpdesk_agent_conversations.agent_userid); NULL when unassigned.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.messages IS 'Messages stored for the conversation.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.message_groups IS 'Message groups not deleted (rstatus other than D).';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.first_message_at IS 'Datetime of the first message.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.last_message_at IS 'Datetime of the latest message.';
COMMENT ON COLUMN bi.helpdesk_conversation_activity.span IS 'Time from the first to the latest message.';
COMMENT ON COLUMN bi.helpdesk_agent_conversations.source IS 'The configured source name.';
COMMENT ON COLUMN bi.helpdesk_agent_conversations.agent_userid IS 'The agent id conversations are assigned to.';
COMMENT ON COLUMN bi.helpdesk_agent_conversations.agent_name IS 'First and last name of the agent; NULL when the agent was not read or is gone.';
COMMENT ON COLUMN bi.helpdesk_agent_conversations.agent_role IS 'Administrator, Agent or Owner.';
COMMENT ON COLUMN bi.helpdesk_agent_conversations.agent_deleted IS 'True when agents/<userid> answered 404 (the agent is gone upstream).';
COMMENT ON COLUMN bi.helpdesk_agent_conversations.conversations IS 'Conversations assigned to the agent.';
COMMENT ON COLUMN bi.helpdesk_agent_conversations.resolved IS 'Of those, resolved (status R).';
COMMENT ON COLUMN bi.helpdesk_agent_conversations.open IS 'Of those, still open (any status but Resolved, Deleted, Spam).';
COMMENT ON COLUMN bi.helpdesk_open_backlog.source IS 'The configured source name.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.conversationid IS 'Conversation id.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.code IS 'Conversation code.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.departmentname IS 'Department name.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.status IS 'One-letter status code (not R, X or B).';
COMMENT ON COLUMN bi.helpdesk_open_backlog.status_label IS 'The meaning of status.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.agent_userid IS 'The agent it is assigned to; NULL when unassigned.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.created_at IS 'When the conversation was created.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.changed_at IS 'When it last changed upstream.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.age IS 'Time since creation.';
COMMENT ON COLUMN bi.helpdesk_open_backlog.idle IS 'Time since the last change.';
COMMENT ON COLUMN bi.helpdesk_customers_monthly.source IS 'The configured source name.';
COMMENT ON COLUMN bi.helpdesk_customers_monthly.month IS 'First day of the month the customers were created in.';
COMMENT ON COLUMN bi.helpdesk_customers_monthly.customers IS 'Customers created that month.';
COMMENT ON COLUMN bi.helpdesk_customers_monthly.registered IS 'Of those, registered visitors (role R).';
COMMENT ON COLUMN bi.helpdesk_customers_monthly.visitors IS 'Of those, visitors (role V).';

GRANT SELECT ON bi.helpdesk_conversations_daily, bi.helpdesk_conversation_activity,
    bi.helpdesk_agent_conversations, bi.helpdesk_open_backlog, bi.helpdesk_customers_monthly
    TO partnersync_bi;
