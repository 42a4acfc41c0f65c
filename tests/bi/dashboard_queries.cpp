// Reads the shipped dashboards and the Metabase guide for the dashboard tests, and expands
// Grafana's PostgreSQL macros the way the data source does before it sends a query.
#include "tests/bi/dashboard_queries.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "tests/support/process.hpp"

namespace partnersync::bi_testing {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::string string_at(element e, std::string_view key) {
  std::string_view v;
  if (e[key].get(v) != simdjson::SUCCESS) return "";
  return std::string(v);
}

std::int64_t int_at(element e, std::string_view key) {
  std::int64_t v = -1;
  if (e[key].get(v) == simdjson::SUCCESS) return v;
  double d = 0;
  if (e[key].get(d) == simdjson::SUCCESS) return static_cast<std::int64_t>(d);
  return -1;
}

bool bool_at(element e, std::string_view key) {
  bool v = false;
  return e[key].get(v) == simdjson::SUCCESS && v;
}

std::string uid_of(element e) {
  element ds;
  if (e["datasource"].get(ds) != simdjson::SUCCESS) return "";
  return string_at(ds, "uid");
}

void collect_strings(element e, std::vector<std::string>& out) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      out.emplace_back(std::string_view(e));
      break;
    case simdjson::dom::element_type::ARRAY:
      for (element child : array(e)) collect_strings(child, out);
      break;
    case simdjson::dom::element_type::OBJECT:
      for (auto field : object(e)) {
        out.emplace_back(field.key);
        collect_strings(field.value, out);
      }
      break;
    default:
      break;
  }
}

void add_strings_of(element e, std::string_view key, std::set<std::string>& out) {
  array a;
  if (e[key].get(a) != simdjson::SUCCESS) return;
  for (element v : a) {
    std::string_view s;
    if (v.get(s) == simdjson::SUCCESS) out.emplace(s);
  }
}

void add_keys_of(element e, std::string_view key, std::set<std::string>& out) {
  object o;
  if (e[key].get(o) != simdjson::SUCCESS) return;
  for (auto field : o) out.emplace(field.key);
}

// The fields a transformation reads by name (the ones the shipped dashboards use, and the
// common others, so a new transformation is checked too).
void transformation_fields(element t, std::set<std::string>& out) {
  element options;
  if (t["options"].get(options) != simdjson::SUCCESS) return;
  const std::string id = string_at(t, "id");
  if (id == "groupingToMatrix") {
    for (const char* key : {"columnField", "rowField", "valueField"}) {
      const auto v = string_at(options, key);
      if (!v.empty()) out.insert(v);
    }
  } else if (id == "organize") {
    add_keys_of(options, "renameByName", out);
    add_keys_of(options, "indexByName", out);
    add_keys_of(options, "excludeByName", out);
  } else if (id == "sortBy") {
    array sorts;
    if (options["sort"].get(sorts) == simdjson::SUCCESS) {
      for (element s : sorts) out.insert(string_at(s, "field"));
    }
  } else if (id == "partitionByValues") {
    add_strings_of(options, "fields", out);
  } else if (id == "filterFieldsByName") {
    element include;
    if (options["include"].get(include) == simdjson::SUCCESS) add_strings_of(include, "names", out);
  } else if (id == "groupBy") {
    add_keys_of(options, "fields", out);
  }
}

Panel read_panel(element p) {
  Panel panel;
  panel.id = int_at(p, "id");
  panel.type = string_at(p, "type");
  panel.title = string_at(p, "title");
  panel.datasource_uid = uid_of(p);
  element grid;
  if (p["gridPos"].get(grid) == simdjson::SUCCESS) {
    panel.x = int_at(grid, "x");
    panel.y = int_at(grid, "y");
    panel.w = int_at(grid, "w");
    panel.h = int_at(grid, "h");
    panel.has_grid_pos = panel.x >= 0 && panel.y >= 0 && panel.w > 0 && panel.h > 0;
  }
  array targets;
  if (p["targets"].get(targets) == simdjson::SUCCESS) {
    for (element t : targets) {
      Target target;
      target.ref_id = string_at(t, "refId");
      target.raw_sql = string_at(t, "rawSql");
      target.format = string_at(t, "format");
      target.datasource_uid = uid_of(t);
      panel.targets.push_back(std::move(target));
    }
  }
  array overrides;
  if (p["fieldConfig"]["overrides"].get(overrides) == simdjson::SUCCESS) {
    for (element o : overrides) {
      element matcher;
      if (o["matcher"].get(matcher) != simdjson::SUCCESS || string_at(matcher, "id") != "byName")
        continue;
      const auto name = string_at(matcher, "options");
      panel.named_fields.insert(name);
      array properties;
      if (o["properties"].get(properties) != simdjson::SUCCESS) continue;
      for (element property : properties) {
        if (string_at(property, "id") == "displayName")
          panel.display_names[name] = string_at(property, "value");
      }
    }
  }
  array transformations;
  if (p["transformations"].get(transformations) == simdjson::SUCCESS) {
    for (element t : transformations) transformation_fields(t, panel.named_fields);
  }
  array sort_by;
  if (p["options"]["sortBy"].get(sort_by) == simdjson::SUCCESS) {
    for (element s : sort_by) panel.sort_by_display_names.insert(string_at(s, "displayName"));
  }
  return panel;
}

Dashboard read_dashboard(const std::filesystem::path& path) {
  Dashboard d;
  d.file = path.filename().string();
  d.text = read_source_file("deploy/grafana/dashboards/" + d.file);
  // The parser and its document live only while the dashboard is read: everything is copied.
  simdjson::dom::parser parser;
  element root;
  if (const auto error = parser.parse(simdjson::padded_string(d.text)).get(root); error) {
    throw std::runtime_error(d.file + ": not valid JSON: " + simdjson::error_message(error));
  }
  d.uid = string_at(root, "uid");
  d.title = string_at(root, "title");
  d.schema_version = int_at(root, "schemaVersion");
  collect_strings(root, d.strings);
  array panels;
  if (root["panels"].get(panels) == simdjson::SUCCESS) {
    for (element p : panels) {
      d.panels.push_back(read_panel(p));
      // Panels nested in collapsed rows are panels too.
      array nested;
      if (p["panels"].get(nested) == simdjson::SUCCESS) {
        for (element n : nested) d.panels.push_back(read_panel(n));
      }
    }
  }
  array variables;
  if (root["templating"]["list"].get(variables) == simdjson::SUCCESS) {
    for (element v : variables) {
      Variable var;
      var.name = string_at(v, "name");
      var.type = string_at(v, "type");
      var.query = string_at(v, "query");
      element query;
      if (var.query.empty() && v["query"].get(query) == simdjson::SUCCESS) {
        var.query = string_at(query, "query");  // the object form of newer Grafana versions
      }
      var.datasource_uid = uid_of(v);
      var.multi = bool_at(v, "multi");
      var.include_all = bool_at(v, "includeAll");
      d.variables.push_back(std::move(var));
    }
  }
  array links;
  if (root["links"].get(links) == simdjson::SUCCESS) {
    for (element l : links) d.link_urls.push_back(string_at(l, "url"));
  }
  return d;
}

// ---- macro expansion ----------------------------------------------------------------------

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Splits "a, f(b, c), 'x,y'" at top-level commas.
std::vector<std::string> split_arguments(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '\'') quoted = !quoted;
    if (!quoted && c == '(') ++depth;
    if (!quoted && c == ')') --depth;
    if (!quoted && depth == 0 && c == ',') {
      out.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!trim(current).empty() || !out.empty()) out.push_back(trim(current));
  return out;
}

// "1d", "'1h'", "30m", "10s", "1w" -> seconds.
std::int64_t interval_seconds(std::string text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'')
    text = text.substr(1, text.size() - 2);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0)
    ++digits;
  if (digits == 0 || digits == text.size()) throw std::invalid_argument("bad interval " + text);
  const std::int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  if (unit == "w") return n * 7 * 86400;
  throw std::invalid_argument("bad interval unit in " + text);
}

std::string quote_each(const std::vector<std::string>& values, char quote) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += quote;
    for (char c : values[i]) {
      if (c == quote) out += quote;
      out += c;
    }
    out += quote;
  }
  return out;
}

std::string join(const std::vector<std::string>& values, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? separator : "") + values[i];
  return out;
}

std::string format_variable(const std::string& name, const std::string& format,
                            const VariableValues& variables) {
  const auto it = variables.find(name);
  if (it == variables.end()) throw std::invalid_argument("unknown variable $" + name);
  const auto& v = it->second;
  if (format.empty()) return v.multi ? quote_each(v.values, '\'') : join(v.values, ",");
  if (format == "sqlstring" || format == "singlequote") return quote_each(v.values, '\'');
  if (format == "doublequote") return quote_each(v.values, '"');
  if (format == "csv" || format == "raw") return join(v.values, ",");
  if (format == "pipe") return join(v.values, "|");
  throw std::invalid_argument("unknown variable format ${" + name + ":" + format + "}");
}

std::string expand_variables(const std::string& sql, const VariableValues& variables) {
  std::string out;
  for (std::size_t i = 0; i < sql.size();) {
    if (sql.compare(i, 2, "[[") == 0) {
      const auto end = sql.find("]]", i);
      if (end == std::string::npos) throw std::invalid_argument("unclosed [[ in " + sql);
      out += format_variable(sql.substr(i + 2, end - i - 2), "", variables);
      i = end + 2;
    } else if (sql[i] == '$' && i + 1 < sql.size() && sql[i + 1] == '{') {
      const auto end = sql.find('}', i);
      if (end == std::string::npos) throw std::invalid_argument("unclosed ${ in " + sql);
      const std::string inner = sql.substr(i + 2, end - i - 2);
      const auto colon = inner.find(':');
      out += colon == std::string::npos
                 ? format_variable(inner, "", variables)
                 : format_variable(inner.substr(0, colon), inner.substr(colon + 1), variables);
      i = end + 1;
    } else if (sql[i] == '$' && i + 1 < sql.size() && is_identifier_char(sql[i + 1]) &&
               sql.compare(i, 3, "$__") != 0) {
      std::size_t end = i + 1;
      while (end < sql.size() && is_identifier_char(sql[end])) ++end;
      out += format_variable(sql.substr(i + 1, end - i - 1), "", variables);
      i = end;
    } else {
      out += sql[i++];
    }
  }
  return out;
}

std::string expand_macro(const std::string& name, const std::vector<std::string>& args,
                         const TimeRange& range) {
  const std::string from = "'" + rfc3339(range.from) + "'", to = "'" + rfc3339(range.to) + "'";
  const auto need = [&](std::size_t min, std::size_t max) {
    if (args.size() < min || args.size() > max)
      throw std::invalid_argument("$__" + name + " takes " + std::to_string(min) + ".." +
                                  std::to_string(max) + " arguments");
  };
  if (name == "timeFilter") {
    need(1, 1);
    return args[0] + " BETWEEN " + from + " AND " + to;
  }
  if (name == "timeFrom" || name == "timeTo") {
    need(0, 0);
    return name == "timeFrom" ? from : to;
  }
  if (name == "time") {
    need(1, 1);
    return args[0] + " AS \"time\"";
  }
  if (name == "timeEpoch") {
    need(1, 1);
    return "extract(epoch from " + args[0] + ") AS \"time\"";
  }
  if (name == "timeGroup" || name == "timeGroupAlias") {
    need(2, 3);
    const auto n = std::to_string(interval_seconds(args[1]));
    return "floor(extract(epoch from " + args[0] + ")/" + n + ")*" + n +
           (name == "timeGroupAlias" ? " AS \"time\"" : "");
  }
  if (name == "unixEpochFilter") {
    need(1, 1);
    return args[0] + " >= " + std::to_string(range.from) + " AND " + args[0] +
           " <= " + std::to_string(range.to);
  }
  if (name == "unixEpochFrom" || name == "unixEpochTo") {
    need(0, 0);
    return std::to_string(name == "unixEpochFrom" ? range.from : range.to);
  }
  if (name == "unixEpochGroup" || name == "unixEpochGroupAlias") {
    need(2, 3);
    const auto n = std::to_string(interval_seconds(args[1]));
    return "floor(" + args[0] + "/" + n + ")*" + n +
           (name == "unixEpochGroupAlias" ? " AS \"time\"" : "");
  }
  throw std::invalid_argument("unknown macro $__" + name);
}

std::string expand_macros(const std::string& sql, const TimeRange& range) {
  std::string out;
  for (std::size_t i = 0; i < sql.size();) {
    if (sql.compare(i, 3, "$__") != 0) {
      out += sql[i++];
      continue;
    }
    std::size_t end = i + 3;
    while (end < sql.size() && is_identifier_char(sql[end])) ++end;
    const std::string name = sql.substr(i + 3, end - i - 3);
    if (end >= sql.size() || sql[end] != '(') {
      // $__interval without parentheses: a fixed day here, as the range is months long.
      if (name == "interval") {
        out += "1d";
        i = end;
        continue;
      }
      throw std::invalid_argument("macro $__" + name + " without arguments");
    }
    int depth = 0;
    std::size_t close = end;
    for (; close < sql.size(); ++close) {
      if (sql[close] == '(') ++depth;
      if (sql[close] == ')' && --depth == 0) break;
    }
    if (close >= sql.size()) throw std::invalid_argument("unclosed $__" + name + "(");
    // Arguments may hold macros themselves ($__timeGroup(col, $__interval)).
    const std::string inner = expand_macros(sql.substr(end + 1, close - end - 1), range);
    out += expand_macro(name, split_arguments(inner), range);
    i = close + 1;
  }
  return out;
}

}  // namespace

std::string read_source_file(const std::string& relative_path) {
  const auto path = std::filesystem::path(testing::source_dir()) / relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Dashboard> load_dashboards() {
  const auto dir = std::filesystem::path(testing::source_dir()) / "deploy/grafana/dashboards";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Dashboard> out;
  out.reserve(files.size());
  for (const auto& file : files) out.push_back(read_dashboard(file));
  return out;
}

const Dashboard& dashboard_titled(const std::vector<Dashboard>& all, const std::string& title) {
  for (const auto& d : all) {
    if (d.title == title) return d;
  }
  throw std::runtime_error("no dashboard titled " + title);
}

const Panel& panel_titled(const Dashboard& dashboard, const std::string& title) {
  for (const auto& p : dashboard.panels) {
    if (p.title == title) return p;
  }
  throw std::runtime_error(dashboard.title + ": no panel titled " + title);
}

std::string rfc3339(std::int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string expand_grafana_sql(const std::string& sql, const TimeRange& range,
                               const VariableValues& variables) {
  // Grafana interpolates template variables first, then the data source its macros.
  return expand_macros(expand_variables(sql, variables), range);
}

std::vector<MetabaseQuestion> sql_blocks(const std::string& markdown) {
  std::vector<MetabaseQuestion> out;
  std::istringstream in(markdown);
  std::string line, heading;
  bool in_sql = false, in_other = false;
  MetabaseQuestion current;
  while (std::getline(in, line)) {
    if (in_sql) {
      if (line.rfind("```", 0) == 0) {
        out.push_back(current);
        in_sql = false;
      } else {
        current.sql += line + "\n";
      }
    } else if (in_other) {
      if (line.rfind("```", 0) == 0) in_other = false;
    } else if (line.rfind("```sql", 0) == 0) {
      in_sql = true;
      current = MetabaseQuestion{heading, ""};
    } else if (line.rfind("```", 0) == 0) {
      in_other = true;
    } else if (line.rfind('#', 0) == 0) {
      heading = trim(line.substr(line.find_first_not_of('#')));
    }
  }
  if (in_sql) throw std::runtime_error("unclosed ```sql block under " + current.heading);
  return out;
}

std::vector<MetabaseQuestion> metabase_questions() {
  return sql_blocks(read_source_file("deploy/metabase.md"));
}

}  // namespace partnersync::bi_testing
