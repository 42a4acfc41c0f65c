// simdjson ondemand over a whole body: one pass per record, fields matched against a path tree
// built once per stream, values converted to the column's type and written as COPY text.
#include "daemon/sync/record_parser.hpp"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "daemon/sync/copy_text.hpp"

namespace partnersync::sync {
namespace {

namespace sj = simdjson::ondemand;

constexpr std::size_t kMaxProblems = 5;

// A field path segment and the columns that read it. '|' alternatives in a ColumnSpec path
// ("commission_total|commission") become several leaves of one column; the lowest priority
// number present wins.
struct PathNode {
  std::string name;
  std::vector<std::pair<int, int>> leaves;  // (column index, priority)
  std::vector<PathNode> children;

  PathNode& child(std::string_view segment) {
    for (auto& c : children)
      if (c.name == segment) return c;
    children.push_back(PathNode{std::string(segment), {}, {}, 0});
    return children.back();
  }
  // Records of one response list their fields in the same order, so the search starts
  // where the previous match ended and usually succeeds at once.
  const PathNode* find(std::string_view segment) const {
    const std::size_t n = children.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = hint + k < n ? hint + k : hint + k - n;
      if (children[i].name == segment) {
        hint = i + 1 < n ? i + 1 : 0;
        return &children[i];
      }
    }
    return nullptr;
  }
  mutable std::size_t hint = 0;
};

struct Cell {
  bool null = true;
  int priority = INT_MAX;
  std::string_view text;  // points into the body, the parser's string buffer or `scratch`
  std::array<char, 40> scratch{};
};

// A JSON value reduced to what conversions need; consumed from the document exactly once.
struct Scalar {
  sj::json_type type = sj::json_type::null;
  std::string_view text;  // string: unescaped; number: token; object/array: raw JSON
  bool boolean = false;
};

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_integer_text(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return is_digits(s);
}

// JSON-style decimal: -?digits(.digits)?([eE][+-]?digits)?
bool is_numeric_text(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!(i < s.size() && s[i] >= '0' && s[i] <= '9')) return false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  return i == s.size();
}

int to_int(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!is_digits(s.substr(0, 4)) || !is_digits(s.substr(5, 2)) || !is_digits(s.substr(8, 2)))
    return false;
  const std::chrono::year_month_day ymd{
      std::chrono::year(to_int(s.substr(0, 4))),
      std::chrono::month(static_cast<unsigned>(to_int(s.substr(5, 2)))),
      std::chrono::day(static_cast<unsigned>(to_int(s.substr(8, 2))))};
  return ymd.ok() && to_int(s.substr(0, 4)) >= 1;
}

// "YYYY-MM-DD HH:MM:SS" (or with 'T') with every field in range. LiveAgent's documents carry
// "2008-12-11 08:95:41" (../shared/api-docs/003): such values must not reach PostgreSQL.
bool valid_datetime(std::string_view s) {
  if (s.size() != 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
    return false;
  if (!valid_date(s.substr(0, 10))) return false;
  const auto hh = s.substr(11, 2), mm = s.substr(14, 2), ss = s.substr(17, 2);
  if (!is_digits(hh) || !is_digits(mm) || !is_digits(ss)) return false;
  return to_int(hh) < 24 && to_int(mm) < 60 && to_int(ss) < 60;
}

std::string_view type_name(ValueType t) {
  switch (t) {
    case ValueType::text:
      return "a string";
    case ValueType::boolean:
      return "a boolean";
    case ValueType::integer:
      return "an integer";
    case ValueType::numeric:
      return "a number";
    case ValueType::date:
      return "a date (YYYY-MM-DD)";
    case ValueType::month:
      return "a month (YYYY-MM)";
    case ValueType::timestamp:
      return "a datetime (YYYY-MM-DD HH:MM:SS)";
    case ValueType::jsonb:
      return "JSON";
  }
  return "a value";
}

std::string describe(const Scalar& v) {
  switch (v.type) {
    case sj::json_type::string: {
      std::string shown(v.text.substr(0, 40));
      return "\"" + shown + (v.text.size() > 40 ? "...\"" : "\"");
    }
    case sj::json_type::number:
      return std::string(v.text.substr(0, 40));
    case sj::json_type::boolean:
      return v.boolean ? "true" : "false";
    case sj::json_type::object:
      return "an object";
    case sj::json_type::array:
      return "an array";
    case sj::json_type::null:
      return "null";
  }
  return "a value";
}

void set_view(Cell& cell, std::string_view text) {
  cell.null = false;
  cell.text = text;
}

void set_scratch(Cell& cell, std::string_view text) {
  const auto n = std::min(text.size(), cell.scratch.size());
  std::copy_n(text.data(), n, cell.scratch.data());
  cell.null = false;
  cell.text = std::string_view(cell.scratch.data(), n);
}

// Converts `v` for a column of type `type`. Returns false when the value is invalid (the cell
// then stays NULL and the caller counts it).
bool convert(const Scalar& v, ValueType type, Cell& cell) {
  cell.null = true;
  if (v.type == sj::json_type::null) return true;
  const bool is_string = v.type == sj::json_type::string;
  switch (type) {
    case ValueType::text:
      if (v.type == sj::json_type::boolean) {
        set_view(cell, v.boolean ? "true" : "false");
      } else {
        set_view(cell, v.text);
      }
      return true;
    case ValueType::jsonb:
      set_view(cell, v.text);
      return true;
    case ValueType::boolean:
      if (v.type == sj::json_type::boolean) {
        set_view(cell, v.boolean ? "t" : "f");
        return true;
      }
      if (v.type == sj::json_type::number || is_string) {
        if (is_string && v.text.empty()) return true;
        if (v.text == "1" || v.text == "true") return set_view(cell, "t"), true;
        if (v.text == "0" || v.text == "false") return set_view(cell, "f"), true;
      }
      return false;
    case ValueType::integer:
      if (is_string && v.text.empty()) return true;
      if (v.type == sj::json_type::number || is_string) {
        if (is_integer_text(v.text)) return set_view(cell, v.text), true;
        if (is_numeric_text(v.text)) {
          // 10.0 or 1e3 as an integer column: accepted when integral.
          const double d = std::strtod(std::string(v.text).c_str(), nullptr);
          if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
            char buf[32];
            const int n = std::snprintf(buf, sizeof buf, "%.0f", d);
            set_scratch(cell, std::string_view(buf, static_cast<size_t>(n)));
            return true;
          }
        }
      }
      return false;
    case ValueType::numeric:
      if (is_string && v.text.empty()) return true;
      if ((v.type == sj::json_type::number || is_string) && is_numeric_text(v.text)) {
        set_view(cell, v.text);
        return true;
      }
      return false;
    case ValueType::date:
      if (!is_string) return false;
      if (v.text.empty() || v.text == "0000-00-00") return true;
      if (valid_date(v.text)) return set_view(cell, v.text), true;
      return false;
    case ValueType::month:
      if (!is_string) return false;
      if (v.text.empty()) return true;
      if (v.text.size() >= 7 && valid_date(std::string(v.text.substr(0, 7)) + "-01") &&
          (v.text.size() == 7 || valid_date(v.text))) {
        char buf[11];
        std::copy_n(v.text.data(), 7, buf);
        std::copy_n("-01", 3, buf + 7);
        set_scratch(cell, std::string_view(buf, 10));
        return true;
      }
      return false;
    case ValueType::timestamp:
      if (!is_string) return false;
      if (v.text.empty() || v.text == "0000-00-00 00:00:00") return true;
      if (valid_datetime(v.text)) return set_view(cell, v.text), true;
      return false;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

struct RecordParser::Impl {
  StreamSpec spec;
  std::vector<ColumnSpec> columns;
  std::vector<std::string> names;
  PathNode root;
  std::vector<std::pair<int, std::string>> key_columns;  // (column index, name)
  int derived = -1, tier = -1, ts_column = -1, email_column = -1;
  sj::parser parser;
  simdjson::padded_string copy;  // used when a body lacks padding
  std::vector<Cell> cells;
  std::unordered_map<std::string, int> ordinals;
  std::string key_buffer;

  explicit Impl(const StreamSpec& s) : spec(s) {
    columns = spec.columns;
    for (const auto& d : spec.details)
      for (const auto& c : d.columns) columns.push_back(c);
    names.push_back("source");
    for (const auto& c : columns) names.push_back(c.name);
    if (!spec.partial_update) names.push_back("raw");
    for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
      const auto& c = columns[i];
      if (c.origin == Origin::json) {
        int priority = 0;
        std::string_view alternatives = c.path;
        while (!alternatives.empty()) {
          const auto bar = alternatives.find('|');
          std::string_view path = alternatives.substr(0, bar);
          PathNode* node = &root;
          while (!path.empty()) {
            const auto slash = path.find('/');
            node = &node->child(path.substr(0, slash));
            path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
          }
          node->leaves.emplace_back(i, priority++);
          alternatives =
              bar == std::string_view::npos ? std::string_view{} : alternatives.substr(bar + 1);
        }
        if (c.path == "creation_timestamp") ts_column = i;
        if (c.path == "client_email") email_column = i;
      }
      if (c.origin == Origin::derived) derived = i;
      if (c.origin == Origin::tier) tier = i;
      for (const auto& k : spec.key)
        if (k == c.name && !c.missing_is_empty) key_columns.emplace_back(i, c.name);
    }
    cells.resize(columns.size());
  }

  Scalar read_scalar(sj::value value) {
    Scalar s;
    s.type = value.type();
    switch (s.type) {
      case sj::json_type::string:
        s.text = value.get_string();
        break;
      case sj::json_type::number:
        s.text = trim(value.raw_json_token());
        break;
      case sj::json_type::boolean:
        s.boolean = value.get_bool();
        break;
      case sj::json_type::null:
        (void)value.is_null();
        break;
      case sj::json_type::object: {
        sj::object o = value.get_object();
        s.text = o.raw_json();
        break;
      }
      case sj::json_type::array: {
        sj::array a = value.get_array();
        s.text = a.raw_json();
        break;
      }
    }
    return s;
  }

  void walk(sj::object object, const PathNode& node, std::size_t record, ParseOutcome& outcome) {
    for (auto field : object) {
      const std::string_view key = field.unescaped_key();
      const PathNode* child = node.find(key);
      if (child == nullptr) continue;  // unknown fields are ignored here and kept in raw
      sj::value value = field.value();
      if (!child->children.empty() && value.type() == sj::json_type::object) {
        walk(value.get_object(), *child, record, outcome);
        continue;
      }
      if (child->leaves.empty()) continue;
      const Scalar scalar = read_scalar(value);
      for (const auto& [column, priority] : child->leaves) {
        Cell& cell = cells[column];
        if (priority > cell.priority) continue;
        cell.priority = priority;
        if (!convert(scalar, columns[column].type, cell)) {
          ++outcome.invalid_values;
          if (outcome.problems.size() < kMaxProblems) {
            outcome.problems.push_back(
                "record " + std::to_string(record) + ": \"" + std::string(key) + "\": expected " +
                std::string(type_name(columns[column].type)) + ", got " + describe(scalar));
          }
        }
      }
    }
  }

  void emit(sj::object object, std::string_view raw, int tier_group, const ParseContext& context,
            std::size_t record, ParseOutcome& outcome, std::string& out, int collect) {
    for (auto& c : cells) {
      c.null = true;
      c.priority = INT_MAX;
    }
    walk(object, root, record, outcome);
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto& c = columns[i];
      Cell& cell = cells[i];
      switch (c.origin) {
        case Origin::constant:
          set_view(cell, c.path);
          break;
        case Origin::window_from:
          if (!context.window_from.empty()) set_view(cell, context.window_from);
          break;
        case Origin::parent_key:
          if (!context.parent_key.empty()) set_view(cell, context.parent_key);
          break;
        case Origin::tier:
          if (tier_group > 0) set_scratch(cell, std::to_string(tier_group));
          break;
        default:
          break;
      }
      if (cell.null && c.missing_is_empty) set_view(cell, "");
    }
    for (const auto& constant : current_constants) {
      for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == constant.first) set_view(cells[i], constant.second);
    }
    if (derived >= 0 && spec.key_derivation == KeyDerivation::affiliate_license_key) {
      key_buffer.clear();
      if (ts_column >= 0 && !cells[ts_column].null) key_buffer.append(cells[ts_column].text);
      key_buffer.push_back('|');
      if (email_column >= 0 && !cells[email_column].null)
        key_buffer.append(cells[email_column].text);
      const int n = ordinals[key_buffer]++;
      key_buffer.push_back('|');
      key_buffer.append(std::to_string(n));
      set_view(cells[derived], key_buffer);
    }
    for (const auto& [column, name] : key_columns) {
      if (cells[column].null) {
        outcome.rejected.push_back(
            {std::string(raw), "key column \"" + name + "\" is missing or invalid"});
        return;
      }
    }
    append_copy_escaped(out, context.source);
    for (const auto& cell : cells) {
      out.push_back('\t');
      if (cell.null) {
        out.append(kCopyNull);
      } else {
        append_copy_escaped(out, cell.text);
      }
    }
    if (!spec.partial_update) {
      out.push_back('\t');
      append_copy_escaped(out, raw);
    }
    out.push_back('\n');
    ++outcome.rows;
    if (collect >= 0) {
      outcome.collected.emplace_back(cells[collect].null ? std::string_view{}
                                                         : cells[collect].text);
    }
  }

  void record(sj::value value, int tier_group, const ParseContext& context, std::size_t index,
              ParseOutcome& outcome, std::string& out, int collect) {
    if (value.type() != sj::json_type::object) {
      const Scalar s = read_scalar(value);
      outcome.rejected.push_back(
          {std::string(s.type == sj::json_type::string ? "\"" + std::string(s.text) + "\""
                                                       : std::string(s.text)),
           "record " + std::to_string(index) + " is " + describe(s) + ", not an object"});
      return;
    }
    sj::object object = value.get_object();
    const std::string_view raw = object.raw_json();
    object.reset();
    emit(object, raw, tier_group, context, index, outcome, out, collect);
  }

  void array(sj::array records, int tier_group, const ParseContext& context, ParseOutcome& outcome,
             std::string& out, int collect, std::size_t& index) {
    for (auto element : records) {
      record(element.value(), tier_group, context, index++, outcome, out, collect);
    }
  }

  std::vector<std::pair<std::string, std::string>> current_constants;
};

RecordParser::RecordParser(const StreamSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
RecordParser::~RecordParser() = default;
RecordParser::RecordParser(RecordParser&&) noexcept = default;
RecordParser& RecordParser::operator=(RecordParser&&) noexcept = default;

const std::vector<std::string>& RecordParser::column_names() const { return impl_->names; }

ParseOutcome RecordParser::parse(const std::string& body, const EndpointSpec& endpoint,
                                 const ParseContext& context, std::string& out,
                                 std::string_view collect) {
  Impl& m = *impl_;
  const std::size_t rollback = out.size();
  ParseOutcome outcome;
  m.ordinals.clear();
  m.current_constants = endpoint.constants;
  int collect_index = -1;
  for (std::size_t i = 0; i < m.columns.size(); ++i)
    if (!collect.empty() && m.columns[i].name == collect) collect_index = static_cast<int>(i);

  try {
    sj::document doc;
    if (body.capacity() >= body.size() + simdjson::SIMDJSON_PADDING) {
      doc =
          m.parser.iterate(simdjson::padded_string_view(body.data(), body.size(), body.capacity()));
    } else {
      m.copy = simdjson::padded_string(body);
      doc = m.parser.iterate(m.copy);
    }
    std::size_t index = 0;
    switch (endpoint.envelope) {
      case Envelope::result_array:
      case Envelope::tier_groups: {
        // Current and old shapes are told apart by the body, not by the path that answered:
        // {"result":[...]} (001) or {"tier1":[...],"tier2":[...]} (000, "Get Licenses List").
        bool found = false;
        for (auto field : doc.get_object()) {
          const std::string_view key = field.unescaped_key();
          int tier_group = -1;
          if (key == std::string_view("result")) {
            tier_group = 0;
          } else if (key.size() >= 5 && key.substr(0, 4) == "tier" && is_digits(key.substr(4))) {
            tier_group = to_int(key.substr(4));
          } else {
            continue;
          }
          sj::value value = field.value();
          if (value.type() != sj::json_type::array)
            throw BodyError("\"" + std::string(key) + "\" is not an array");
          found = true;
          m.array(value.get_array(), tier_group, context, outcome, out, collect_index, index);
        }
        if (!found)
          throw BodyError("the response has no \"result\" array (nor tier1, tier2, ... groups)");
        break;
      }
      case Envelope::object: {
        if (doc.type() != sj::json_type::object) throw BodyError("the response is not an object");
        sj::object object = doc.get_object();
        const std::string_view raw = object.raw_json();
        object.reset();
        m.emit(object, raw, 0, context, 0, outcome, out, collect_index);
        break;
      }
      case Envelope::liveagent_list:
      case Envelope::liveagent_object: {
        bool found = false;
        for (auto field : doc.get_object()) {
          const std::string_view name = field.unescaped_key();
          if (name != std::string_view("response")) continue;
          sj::object response = field.value().get_object();
          const std::string_view response_raw = response.raw_json();
          response.reset();
          // An error envelope can come with HTTP 200 (../shared/api-docs/003, "Error response").
          std::string_view status, message;
          int64_t code = 0;
          for (auto f : response) {
            const std::string_view k = f.unescaped_key();
            sj::value v = f.value();
            if (k == "status" && v.type() == sj::json_type::string)
              status = v.get_string();
            else if (k == "errormessage" && v.type() == sj::json_type::string)
              message = v.get_string();
            else if (k == "statuscode" && v.type() == sj::json_type::number)
              code = v.get_int64();
          }
          if (status == "ERROR")
            throw UpstreamErrorEnvelope(static_cast<int>(code), std::string(message));
          response.reset();
          found = true;
          if (endpoint.envelope == Envelope::liveagent_object) {
            m.emit(response, response_raw, 0, context, 0, outcome, out, collect_index);
            continue;  // read on to the end of the document (trailing content is an error)
          }
          bool listed = false;
          for (auto f : response) {
            const std::string_view list_name = f.unescaped_key();
            if (list_name != endpoint.list_key) continue;
            sj::value v = f.value();
            if (v.type() == sj::json_type::null) {
              listed = true;  // an empty list is sent as null
              continue;
            }
            if (v.type() != sj::json_type::array)
              throw BodyError("\"" + endpoint.list_key + "\" is not an array");
            listed = true;
            m.array(v.get_array(), 0, context, outcome, out, collect_index, index);
          }
          if (!listed) throw BodyError("the response has no \"" + endpoint.list_key + "\" list");
        }
        if (!found) throw BodyError("the body has no \"response\" object");
        break;
      }
    }
    const char* location = nullptr;
    if (doc.current_location().get(location) != simdjson::OUT_OF_BOUNDS)
      throw BodyError("trailing content after the JSON document");
  } catch (const simdjson::simdjson_error& e) {
    out.resize(rollback);
    throw BodyError(std::string("invalid JSON: ") + e.what());
  } catch (...) {
    out.resize(rollback);
    throw;
  }
  return outcome;
}

}  // namespace partnersync::sync
