// What the dashboard tests read from the shipped files: the Grafana dashboards' panels, targets
// and variables, Grafana's PostgreSQL macro expansion for a fixed range, the Metabase guide's SQL.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace partnersync::bi_testing {

struct Target {
  std::string ref_id, raw_sql, format, datasource_uid;
};

struct Panel {
  std::int64_t id = -1;  // -1 when absent
  std::string type, title, datasource_uid;
  bool has_grid_pos = false;
  std::int64_t x = -1, y = -1, w = -1, h = -1;
  std::vector<Target> targets;
  // Fields the panel names by column: fieldConfig overrides matched byName and the fields
  // transformations read. Table sortBy names a display name (a column or an override's one).
  std::set<std::string> named_fields;
  std::set<std::string> sort_by_display_names;
  std::map<std::string, std::string> display_names;  // column -> its override's displayName
};

struct Variable {
  std::string name, type, query, datasource_uid;
  bool multi = false, include_all = false;
};

struct Dashboard {
  std::string file, uid, title, text;  // text: the file as read
  std::int64_t schema_version = 0;
  std::vector<Panel> panels;
  std::vector<Variable> variables;
  std::vector<std::string> link_urls;
  std::vector<std::string> strings;  // every string value and key in the document
};

// Every deploy/grafana/dashboards/*.json of the source tree, sorted by file name; throws with
// the file name when one is not valid JSON.
std::vector<Dashboard> load_dashboards();
const Dashboard& dashboard_titled(const std::vector<Dashboard>& all, const std::string& title);
const Panel& panel_titled(const Dashboard& dashboard, const std::string& title);

// A variable's current selection. `quoted` is how Grafana's SQL data sources interpolate a
// multi-value or include-all variable by default: each value single-quoted, joined by ','.
struct VariableValue {
  std::vector<std::string> values;
  bool multi = true;
};
using VariableValues = std::map<std::string, VariableValue>;

struct TimeRange {
  std::int64_t from = 0, to = 0;  // unix seconds
};

// Expands what Grafana's PostgreSQL data source expands before sending a panel's rawSql:
// $__timeFilter(col), $__timeFrom(), $__timeTo(), $__time(col), $__timeEpoch(col),
// $__timeGroup(col, interval[, fill]), $__timeGroupAlias(...), $__unixEpochFilter(col),
// $__unixEpochFrom(), $__unixEpochTo(), $__unixEpochGroup[Alias](col, interval), $__interval,
// and template variables as $name, ${name}, ${name:format} (sqlstring, singlequote,
// doublequote, csv, raw, pipe) and [[name]]. Throws std::invalid_argument on anything it does
// not know (an unknown macro or variable, a bad interval), so a typo fails the test.
std::string expand_grafana_sql(const std::string& sql, const TimeRange& range,
                               const VariableValues& variables);

// Grafana's RFC 3339 rendering of an instant: 2024-03-01T00:00:00Z.
std::string rfc3339(std::int64_t unix_seconds);

struct MetabaseQuestion {
  std::string heading;  // the nearest heading above the block
  std::string sql;
};
// The ```sql blocks of deploy/metabase.md.
std::vector<MetabaseQuestion> metabase_questions();
std::vector<MetabaseQuestion> sql_blocks(const std::string& markdown);

std::string read_source_file(const std::string& relative_path);

}  // namespace partnersync::bi_testing
