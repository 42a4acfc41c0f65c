// simdjson ondemand over a whole body: one pass per record, fields matched against a path tree
// built once per stream, values converted to the column's type and written as COPY text.
#include "daemon/sync/record_parser.hpp"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

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
    children.emplace_back().name = std::string(segment);
    return children.back();
  }
  // Records of one response list their fields in the same order, so the search starts
  // where the previous match ended and usually succeeds at once.
  const PathNode* find(std::string_view segment) const {
    const std::size_t n = children.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = hint + k < n ? hint + k : hint + k - n;
      const std::string& name = children[i].name;
      if (name.size() == segment.size() &&
          std::memcmp(name.data(), segment.data(), segment.size()) == 0) {
        hint = i + 1 < n ? i + 1 : 0;
        return &children[i];
      }
    }
    return nullptr;
  }
  // The same on a key as it stands in the JSON text (`raw` points after the opening quote),
  // as simdjson's own find_field compares: no unescaping, so no copy. Names are plain
  // identifiers; a key written with escapes is matched by find() after unescaping.
  const PathNode* find_raw(const char* raw) const {
    const std::size_t n = children.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = hint + k < n ? hint + k : hint + k - n;
      if (children[i].is_key(raw)) {
        hint = i + 1 < n ? i + 1 : 0;
        return &children[i];
      }
    }
    return nullptr;
  }

  // `name` and its closing quote as 8-byte words, so that a key compares in two or three
  // loads. The body has simdjson's 64 bytes of padding, so reading a word past a shorter key
  // stays inside the buffer.
  static constexpr std::size_t kWords = 4;
  std::array<std::uint64_t, kWords> words{};
  std::uint64_t last_mask = 0;
  std::size_t word_count = 0;  // 0: name too long, compared byte by byte

  void prepare() {
    const std::size_t length = name.size() + 1;  // with the quote
    if (length <= kWords * 8) {
      std::array<char, kWords * 8> text{};
      std::memcpy(text.data(), name.data(), name.size());
      text[name.size()] = '"';
      word_count = (length + 7) / 8;
      std::memcpy(words.data(), text.data(), word_count * 8);
      std::array<unsigned char, 8> mask{};  // the bytes of the last word that are the name's
      std::fill_n(mask.begin(), length - (word_count - 1) * 8, 0xff);
      std::memcpy(&last_mask, mask.data(), 8);
    }
    for (auto& c : children) c.prepare();
  }

  bool is_key(const char* raw) const {
    if (word_count == 0) {
      std::size_t j = 0;
      while (j < name.size() && raw[j] == name[j]) ++j;
      return j == name.size() && raw[j] == '"';
    }
    std::uint64_t v;
    for (std::size_t w = 0; w + 1 < word_count; ++w) {
      std::memcpy(&v, raw + 8 * w, 8);
      if (v != words[w]) return false;
    }
    std::memcpy(&v, raw + 8 * (word_count - 1), 8);
    return (v & last_mask) == words[word_count - 1];
  }
  mutable std::size_t hint = 0;
};

// How often each key has been seen in one response: open addressing over an arena of the
// keys, reused from parse to parse, so counting a key allocates nothing. A slot is 8 bytes
// (hash tag, entry index); the entries are only read when a tag matches.
class KeyCounts {
 public:
  void clear() {
    std::fill(slots_.begin(), slots_.end(), 0);
    entries_.clear();
    arena_.clear();
  }

  // The number of times `key` was seen before, counting this time.
  int next(std::string_view key) {
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t hash = std::hash<std::string_view>{}(key);
    const std::uint64_t tag = (hash >> 32) | 1;  // never 0: a 0 slot is empty
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const std::uint64_t slot = slots_[i];
      if (slot == 0) {
        slots_[i] = (tag << 32) | entries_.size();
        entries_.push_back(Entry{arena_.size(), key.size(), 1});
        arena_.append(key);
        return 0;
      }
      if ((slot >> 32) == tag) {
        Entry& e = entries_[slot & 0xffffffffu];
        if (std::string_view(arena_).substr(e.offset, e.length) == key) return e.count++;
      }
    }
  }

 private:
  struct Entry {
    std::size_t offset, length;
    int count;
  };

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 4096 : old.size() * 2, 0);
    const std::size_t mask = slots_.size() - 1;
    for (const std::uint64_t slot : old) {
      if (slot == 0) continue;
      const Entry& e = entries_[slot & 0xffffffffu];
      std::size_t i =
          std::hash<std::string_view>{}(std::string_view(arena_).substr(e.offset, e.length)) & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::vector<std::uint64_t> slots_;
  std::vector<Entry> entries_;
  std::string arena_;
};

// The n of affiliate license keys: how often a (creation time, e-mail) pair has been seen in
// one response. Responses list licenses in creation order (newest first in the documents'
// examples), so while the times keep one direction, a pair's earlier occurrences all lie in
// the current run of equal times, and counting looks at that run only: a few bytes that are
// in cache, where a hash table over the whole response costs a cache miss per record. A time
// that turns back, or a run longer than kRunLimit, moves every key seen so far into
// KeyCounts, which counts the rest of the response. The counts are exact in any order; only
// the cost depends on it.
class OrdinalCounter {
 public:
  void clear() {
    hashed_ = false;
    started_ = false;
    direction_ = 0;
    time_.clear();
    run_.clear();
    seen_.clear();
    seen_ends_.clear();
    table_.clear();
  }

  // `key` is `time` + "|" + the e-mail: what the table counts once hashed.
  int next(std::string_view time, std::string_view key) {
    if (!hashed_) {
      const int order = started_ ? time.compare(time_) : 1;
      if (order != 0) {
        if (started_) {
          const int direction = order < 0 ? -1 : 1;
          if (direction_ == 0) direction_ = direction;
          if (direction != direction_) return hash_all(key);
        }
        started_ = true;
        time_.assign(time);
        run_.clear();
      }
      for (auto& [offset, length, count] : run_) {
        if (std::string_view(seen_).substr(offset, length) == key) {
          remember(key);
          return count++;
        }
      }
      if (run_.size() == kRunLimit) return hash_all(key);
      run_.push_back(RunEntry{seen_.size(), key.size(), 1});
      remember(key);
      return 0;
    }
    return table_.next(key);
  }

 private:
  static constexpr std::size_t kRunLimit = 16;
  struct RunEntry {
    std::size_t offset, length;
    int count;
  };

  void remember(std::string_view key) {
    seen_.append(key);
    seen_ends_.push_back(seen_.size());
  }

  int hash_all(std::string_view key) {
    hashed_ = true;
    std::size_t begin = 0;
    for (const std::size_t end : seen_ends_) {
      table_.next(std::string_view(seen_).substr(begin, end - begin));
      begin = end;
    }
    seen_.clear();
    seen_ends_.clear();
    return table_.next(key);
  }

  bool hashed_ = false;
  bool started_ = false;
  int direction_ = 0;  // of the times: -1 newest first (as the documents' examples), 1 oldest
  std::string time_;
  std::vector<RunEntry> run_;
  std::string seen_;                    // every key counted while not hashed, in order
  std::vector<std::size_t> seen_ends_;  // where each ends in seen_
  KeyCounts table_;
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

// Two ASCII digits at `p` as a number, or -1.
int two_digits(const char* p) {
  const unsigned a = static_cast<unsigned char>(p[0]) - '0';
  const unsigned b = static_cast<unsigned char>(p[1]) - '0';
  return a < 10 && b < 10 ? static_cast<int>(a * 10 + b) : -1;
}

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int century = two_digits(s.data()), year2 = two_digits(s.data() + 2);
  const int month = two_digits(s.data() + 5), day = two_digits(s.data() + 8);
  if (century < 0 || year2 < 0 || month < 1 || month > 12 || day < 1) return false;
  const int year = century * 100 + year2;
  if (year < 1) return false;
  if (day <= 28) return true;
  const std::chrono::year_month_day ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  return ymd.ok();
}

// "YYYY-MM-DD HH:MM:SS" (or with 'T') with every field in range. LiveAgent's documents carry
// "2008-12-11 08:95:41" (../shared/api-docs/003): such values must not reach PostgreSQL.
bool valid_datetime(std::string_view s) {
  if (s.size() != 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
    return false;
  if (!valid_date(s.substr(0, 10))) return false;
  const int hh = two_digits(s.data() + 11), mm = two_digits(s.data() + 14),
            ss = two_digits(s.data() + 17);
  return hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && ss >= 0 && ss < 60;
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
  OrdinalCounter ordinals;
  const char* body_end = nullptr;  // of the body being parsed
  std::string key_buffer;
  std::string row;             // one row's typed columns, escaped, before they join `out`
  std::vector<char> verbatim;  // per column: its values never need COPY escaping
  std::vector<int> completed;  // columns write() sets: not from the record, or empty if missing

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
    root.prepare();
    cells.resize(columns.size());
    for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
      const auto& c = columns[i];
      if ((c.origin != Origin::json && c.origin != Origin::derived) || c.missing_is_empty)
        completed.push_back(i);
    }
    for (const auto& c : columns) {
      // convert() lets only digits, signs, '.', 'e', '-', ':', ' ', 'T', "t"/"f" through for
      // these types: nothing COPY would have to escape.
      // An endpoint constant can set any column: those are escaped like text.
      bool constant = false;
      for (const auto& e : spec.endpoints)
        for (const auto& [name, value] : e.constants) constant = constant || name == c.name;
      const bool checked = c.type != ValueType::text && c.type != ValueType::jsonb;
      verbatim.push_back(!constant &&
                         ((c.origin == Origin::json && checked) || c.origin == Origin::tier ||
                          c.origin == Origin::window_from));
    }
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
      const char* const raw_key = field.key().raw();
      const PathNode* child = node.find_raw(raw_key);
      if (child == nullptr) {
        const char* end = raw_key;
        while (*end != '"' && *end != '\\') ++end;
        if (*end == '"') continue;  // unknown fields are ignored here and kept in raw
        const std::string_view key = field.unescaped_key();
        child = node.find(key);
        if (child == nullptr) continue;
      }
      const std::string_view key = child->name;
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
    fill(object, record, outcome);
    write(raw, tier_group, context, outcome, out, collect);
  }

  // Reads the record's fields into `cells`.
  void fill(sj::object object, std::size_t record, ParseOutcome& outcome) {
    for (auto& c : cells) {
      c.null = true;
      c.priority = INT_MAX;
    }
    walk(object, root, record, outcome);
  }

  // Completes `cells` (constants, context, derived key) and appends the row.
  void write(std::string_view raw, int tier_group, const ParseContext& context,
             ParseOutcome& outcome, std::string& out, int collect) {
    for (const int i : completed) {
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
    for (const auto& [i, value] : endpoint_constants) set_view(cells[i], value);
    if (derived >= 0 && spec.key_derivation == KeyDerivation::affiliate_license_key) {
      key_buffer.clear();
      if (ts_column >= 0 && !cells[ts_column].null) key_buffer.append(cells[ts_column].text);
      const std::size_t time_length = key_buffer.size();
      key_buffer.push_back('|');
      if (email_column >= 0 && !cells[email_column].null)
        key_buffer.append(cells[email_column].text);
      const int n = ordinals.next(std::string_view(key_buffer).substr(0, time_length), key_buffer);
      char digits[16];
      const auto written = std::to_chars(digits, digits + sizeof digits, n).ptr;
      key_buffer.push_back('|');
      key_buffer.append(digits, written);
      set_view(cells[derived], key_buffer);
    }
    for (const auto& [column, name] : key_columns) {
      if (cells[column].null) {
        outcome.rejected.push_back(
            {std::string(raw), "key column \"" + name + "\" is missing or invalid"});
        return;
      }
    }
    // The typed columns are short: escaped into `row` with plain stores, then one append.
    std::size_t worst = 2 * context.source.size();
    for (const auto& cell : cells)
      worst += 1 + (cell.null ? kCopyNull.size() : 2 * cell.text.size());
    if (row.size() < worst) row.resize(std::max(worst, 2 * row.size()));
    char* const begin = row.data();
    char* to = copy_escape_to(begin, context.source);
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const Cell& cell = cells[i];
      *to++ = '\t';
      if (cell.null) {
        to = copy_short(to, kCopyNull);
      } else if (verbatim[i]) {
        to = copy_short(to, cell.text);
      } else {
        to = copy_escape_to(to, cell.text);
      }
    }
    out.append(begin, static_cast<std::size_t>(to - begin));
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
      // Built by appending: GCC 12 at -O3 reports a false -Wrestrict on `"\"" + string&&`.
      std::string text;
      const bool quoted = s.type == sj::json_type::string;
      if (quoted) text.push_back('"');
      text.append(s.text);
      if (quoted) text.push_back('"');
      outcome.rejected.push_back({std::move(text), "record " + std::to_string(index) + " is " +
                                                       describe(s) + ", not an object"});
      return;
    }
    // The record's text is what lies between its '{' and the token after its '}', taken
    // once the fields have been read: object.raw_json() would walk the record twice.
    const char* start = value.current_location();
    sj::object object = value.get_object();
    fill(object, index, outcome);
    const char* end = nullptr;
    if (value.current_location().get(end) != simdjson::SUCCESS) end = body_end;
    write(trim(std::string_view(start, static_cast<std::size_t>(end - start))), tier_group, context,
          outcome, out, collect);
  }

  void array(sj::array records, int tier_group, const ParseContext& context, ParseOutcome& outcome,
             std::string& out, int collect, std::size_t& index) {
    for (auto element : records) {
      record(element.value(), tier_group, context, index++, outcome, out, collect);
    }
  }

  std::vector<std::pair<int, std::string>> endpoint_constants;  // (column, value) of this parse
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
  // Rows are the records' raw JSON plus typed columns: about 1.3x the body. Reserving once
  // saves the string's doubling copies.
  out.reserve(out.size() + body.size() + body.size() / 2);
  ParseOutcome outcome;
  m.ordinals.clear();
  m.endpoint_constants.clear();
  for (const auto& [name, value] : endpoint.constants)
    for (std::size_t i = 0; i < m.columns.size(); ++i)
      if (m.columns[i].name == name) m.endpoint_constants.emplace_back(static_cast<int>(i), value);
  int collect_index = -1;
  for (std::size_t i = 0; i < m.columns.size(); ++i)
    if (!collect.empty() && m.columns[i].name == collect) collect_index = static_cast<int>(i);

  try {
    sj::document doc;
    if (body.capacity() >= body.size() + simdjson::SIMDJSON_PADDING) {
      doc =
          m.parser.iterate(simdjson::padded_string_view(body.data(), body.size(), body.capacity()));
      m.body_end = body.data() + body.size();
    } else {
      m.copy = simdjson::padded_string(body);
      doc = m.parser.iterate(m.copy);
      m.body_end = m.copy.data() + m.copy.size();
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
