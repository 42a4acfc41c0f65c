// A stream as data (Airbyte's declarative connectors are the model): endpoint paths, sync mode,
// where the records are in the body, the table, its key and the column mapping. The engine
// does windows, requests, parsing, writing and state for every stream from this alone.
// Part of ps_model: standard library only, so connectors and the parser both depend on it and on
// nothing of each other.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/model/source_kind.hpp"

namespace partnersync::model {

enum class SyncMode {
  created_windows,  // date windows over a creation/request date (date_from/date_to parameters)
  daily_report,     // one request per day (date_from = date_to = day), last `lookback` days re-read
  full_list,        // one request (per endpoint) returns everything: upsert all, delete nothing
  snapshot,         // point-in-time figures: a new snapshot only when the values changed
  per_parent,       // one request per key of a parent stream synced in the same run
};

// Where the records are in a response body.
enum class Envelope {
  result_array,      // {"result": [ {...}, ... ]}
  tier_groups,       // old shape {"tier1": [...], "tier2": [...]}; sets the `tier` column to 1/2
  object,            // the body is one record {...}
  liveagent_list,    // {"response": {"<list_key>": [ {...}, ... ]}}; error envelopes are errors
  liveagent_object,  // {"response": {...}}: one record
};

enum class ValueType {
  text,     // no NUL (PostgreSQL text cannot hold one)
  boolean,  // true/false; "true"/"false" and 0/1 accepted
  // Integers, one per PostgreSQL column type, so that a value out of the column's range is an
  // invalid value instead of a failed COPY. A JSON integer or a string holding one; 10.0 and
  // 1e3 are accepted when integral.
  smallint,   // -32768 .. 32767
  integer,    // -2147483648 .. 2147483647
  bigint,     // -9223372036854775808 .. 9223372036854775807
  numeric,    // JSON number or a string holding one ("99.90"); kept exactly as written, within
              // PostgreSQL's limits (131072 digits before the point, 16383 after)
  date,       // "YYYY-MM-DD"
  month,      // "YYYY-MM" -> the first day of that month
  timestamp,  // "YYYY-MM-DD HH:MM:SS" in the source's timezone -> timestamptz; "" -> NULL
  jsonb,      // any JSON value, as written (no \u0000, numbers within numeric's limits)
};

// Where a column's value comes from.
enum class Origin {
  json,         // the record's field at `path` ('/'-separated for nested objects)
  constant,     // `path` holds the literal value (e.g. program = 'livechat')
  window_from,  // the request's window start (daily reports: the day)
  parent_key,   // per_parent streams: the parent key the request was made for
  tier,         // tier_groups: 1 or 2 from the group; current shape: the record's `tier` or NULL
  derived,      // computed by the stream's KeyDerivation hook
};

struct ColumnSpec {
  std::string name;  // warehouse column
  ValueType type = ValueType::text;
  Origin origin = Origin::json;
  std::string path;  // json: field path; constant: the value
  // A missing or null field is NULL unless this is set: then it is ''. (performance_daily's
  // campaign/medium/content/term must be '' not NULL, as they are part of the key.)
  bool missing_is_empty = false;
};

// Escape hatch for keys a declaration cannot express: the connector computes the key from other
// columns of the row (affiliate licenses: connectors/livechat/affiliate_license_key.hpp). One
// deriver per parser; it sees the rows of each response in order, so it may count them.
class KeyDeriver {
 public:
  virtual ~KeyDeriver() = default;
  // A new response body begins.
  virtual void start() = 0;
  // The key of the next row from the values of KeyDerivation::inputs, in that order ("" for
  // NULL). The text stays valid until the next call.
  virtual std::string_view derive(std::span<const std::string_view> inputs) = 0;
};

struct KeyDerivation {
  std::string name;                 // for messages and tests, e.g. "affiliate_license_key"
  std::vector<std::string> inputs;  // column names whose converted values derive() receives
  std::unique_ptr<KeyDeriver> (*make)() = nullptr;  // nullptr: the stream derives nothing

  explicit operator bool() const { return make != nullptr; }
};

struct EndpointSpec {
  // Current path first; on 404 the engine tries the next (deprecated) one. "{parent}" is
  // replaced by the parent key for per_parent streams.
  std::vector<std::string> paths;
  Envelope envelope = Envelope::result_array;
  std::string list_key;  // liveagent_list: the array's name inside "response"
  // Constant columns this endpoint adds (e.g. campaigns: status = 'active' | 'disabled').
  std::vector<std::pair<std::string, std::string>> constants;
};

// An extra request per record whose answer replaces the list record (Solution licenses'
// details: the list lacks recurly_*). The detail record is parsed with the stream's columns
// plus `columns`; a list row keeps those NULL only when the detail answered 404.
struct DetailSpec {
  std::string path;        // with "{key}" replaced by the record's `key_column` value
  std::string key_column;  // a column of the stream
  Envelope envelope = Envelope::object;
  std::vector<ColumnSpec> columns;  // columns only the detail has (appended to the stream's)
};

struct StreamSpec {
  std::string name;  // as in the config and sync.* rows
  SourceKind kind = SourceKind::livechat_partner;
  SyncMode mode = SyncMode::created_windows;
  std::vector<EndpointSpec> endpoints;  // full_list may read several and union them
  std::string from_param = "date_from";
  std::string to_param = "date_to";
  enum class ParamFormat { date, datetime } param_format = ParamFormat::date;

  std::string table;  // "livechat.affiliate_licenses"
  // created_windows: the timestamptz column upstream's date_from/date_to filter on, when the
  // table has an index on (source, the stream's constant key columns, this column). Set, a
  // first read of days goes into the table by COPY without the upsert (issue 16).
  std::string window_column{};
  std::vector<std::string> key;     // conflict key, starting with "source"
  std::vector<ColumnSpec> columns;  // every column written except source and raw
  KeyDerivation key_derivation;     // fills the Origin::derived column
  std::vector<DetailSpec> details;  // at most one

  // The stream only completes rows another stream wrote (LiveAgent's max_agents attribute into
  // liveagent.accounts): staged columns are the key and `columns`, no raw, and rows are
  // UPDATEd, never inserted.
  bool partial_update = false;

  std::string parent;      // per_parent: the parent stream
  std::string parent_key;  // column of the parent whose values are the keys ("license")
  // Escape hatch for a body that is one object holding several records (stats: one row per
  // program and channel). Returns the records' JSON; they are parsed as a result array.
  // Throws std::exception for a body it cannot split.
  std::vector<std::string> (*split_body)(std::string_view body) = nullptr;

  // 403 means "not applicable" (not an Expert, not managed), not a failure.
  bool forbidden_is_not_applicable = false;
  // per_parent: 403 for one parent means that parent is not ours to read (a Solution license
  // whose subscription the partner does not manage, 001 "Get License Operators"): that parent
  // is skipped, its rows kept as they are, and the run goes on.
  bool forbidden_skips_parent = false;

  // split_body records that carry columns beside the record as served: the member of that
  // name holds the served record, which becomes `raw` (variation add-ons: the add-on object;
  // stats: the group object). Empty: the split record itself is `raw`.
  std::string split_raw_member;

  // ---- added for the LiveAgent helpdesk (design/helpdesk.md) ----

  // Datetime windows start this many seconds before their first day and end this many after
  // their last one, so consecutive windows overlap (an upstream filter whose ends may be
  // exclusive); the upsert absorbs the duplicates.
  int window_pad_seconds = 0;
  // Set: the window is one parameter, from_param = "<range_operator><from>,<to>" (004
  // "opdatetime": "btw:2009-11-12 05:02:01,2010-10-11 04:01:59"); to_param is unused.
  std::string range_operator;
  // Windowed streams: one request per value of the source's `fan_out_values` (helpdesk:
  // `departments`), with this parameter; all answers of a window are one commit, so a record
  // found in two answers is one row. Without values: one request without the parameter.
  std::string fan_out_param;
  // The source's config key holding the fan-out values ("departments"). A request sent without
  // fan_out_param whose upstream error message names it means upstream demands it: a
  // configuration error (FailureKind::configuration) that names this key.
  std::string fan_out_key;
  // Offset paging inside a window: count_param=page_size is sent on every request and
  // offset_param=0, page_size, ... until a page has fewer records. All pages of a window are
  // one commit with its sync.windows record.
  struct Paging {
    std::string count_param;
    std::string offset_param;
    std::size_t page_size = 0;
    explicit operator bool() const { return page_size > 0; }
  } paging;
  // Children (per_parent streams) get only the keys of rows this run inserted or changed,
  // not of every row read (helpdesk conversations: children are read for changed ones only).
  bool children_of_changed_only = false;
  // A set that each read replaces: rows of a scope that was read and no longer listed get
  // `removed_column` = now() (never deleted); a row listed again gets it NULL. The scope is
  // the parent key (per_parent: `set_scope` names the parent-key column) or, when set_scope
  // is empty, the whole source (full_list).
  std::string removed_column;
  std::string set_scope;
  // Fields removed from every body before it is parsed, logged or quarantined (credentials
  // upstream puts in records: helpdesk agents' and customers' `authtoken`).
  std::vector<std::string> removed_fields;
  // Text values that are empty or only whitespace are NULL in the typed columns (raw keeps them).
  bool blank_is_null = false;
  // per_parent: a 404 for a key sets this column to now() on that key's row (inserted, with
  // raw '{}', when the stream's table has none). The key column is the Origin::parent_key one.
  std::string not_found_column;
  // per_parent keys read from the database instead of a parent stream of the same run: the
  // distinct non-empty values of `column` in `table` for the source, except keys whose row of
  // this stream's table has not_found_column set.
  struct KeysFrom {
    std::string table;
    std::string column;
    explicit operator bool() const { return !table.empty(); }
  } keys_from;
  // full_list: 404 means the call does not exist in this upstream version: not applicable.
  bool not_found_is_not_applicable = false;
  // per_parent: further tables filled from this stream's bodies, so that one request feeds
  // several tables (helpdesk: a conversation's messages call holds its message groups and
  // their messages). Each is a declaration of its own (name for quarantine, table, key,
  // columns, endpoint envelope; not run on its own, so not in the stream list), parsed from
  // every body this stream receives and committed with the same batch of parents, before this
  // stream's own rows.
  std::vector<StreamSpec> same_body{};
};

}  // namespace partnersync::model
