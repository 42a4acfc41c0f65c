// A stream as data (Airbyte's declarative connectors are the model): endpoint paths, sync mode,
// where the records are in the body, the table, its key and the column mapping. The engine
// does windows, requests, parsing, writing and state for every stream from this alone.
// Part of ps_model: standard library only, so connectors and the parser both depend on it and on
// nothing of each other.
#pragma once

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

  std::string table;                // "livechat.affiliate_licenses"
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
};

}  // namespace partnersync::model
