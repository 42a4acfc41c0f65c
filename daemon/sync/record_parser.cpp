// simdjson ondemand over a whole body: one pass per record, fields matched against the path
// tree (field_paths), values converted (value_conversion), rows written as COPY text.
// A little over 400 lines on purpose: the walk of a record and the writing of its row share
// the per-record state of Impl (cells, taint, text_bytes), and the hot path stays in one
// translation unit so GCC inlines simdjson's iterator into it (parse_bench, issue 10).
#include "daemon/sync/record_parser.hpp"

#include <simdjson.h>

#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

#include "daemon/sync/copy_text.hpp"
#include "daemon/sync/envelopes.hpp"
#include "daemon/sync/field_paths.hpp"
#include "daemon/sync/json_reader.hpp"
#include "daemon/sync/value_conversion.hpp"

namespace partnersync::sync {
namespace {

namespace sj = simdjson::ondemand;

constexpr std::size_t kMaxProblems = 5;

struct Cell {
  bool null = true;
  int priority = INT_MAX;  // of the '|' alternative that gave the value
  std::string_view text;   // points into the body, the parser's string buffer or `scratch`
  Scratch scratch{};
};


}  // namespace

struct RecordParser::Impl final : RecordSink {
  StreamSpec spec;
  std::vector<ColumnSpec> columns;
  std::vector<std::string> names;
  PathNode root;
  std::vector<std::pair<int, std::string>> key_columns;  // (column index, name)
  int derived = -1, tier = -1;
  std::unique_ptr<model::KeyDeriver> deriver;
  std::vector<int> derive_columns;              // KeyDerivation::inputs as column indexes
  std::vector<std::string_view> derive_inputs;  // their values for one row
  simdjson::padded_string copy;                 // used when a body lacks padding
  std::vector<Cell> cells;
  const char* body_end = nullptr;  // of the body being parsed
  std::string row;                 // one row's typed columns, escaped, before they join `out`
  std::vector<char> verbatim;      // per column: its values never need COPY escaping
  std::vector<int> completed;      // columns write() sets: not from the record, or empty if missing
  json::Taint taint;               // of the record being read
  std::size_t text_bytes = 0;      // of the values set in `cells` for the record (set_view)
  // StreamSpec::split_raw_member: the member holding the record as served, and its text in the
  // record being read (empty when absent: the record itself is then raw).
  std::string raw_member;
  std::string_view served;

  // The parse in progress.
  const ParseContext* context = nullptr;
  ParseOutcome* outcome = nullptr;
  std::string* out = nullptr;
  int collect = -1;
  std::size_t index = 0;                                        // of the next record
  std::vector<std::pair<int, std::string>> endpoint_constants;  // (column, value)

  explicit Impl(const StreamSpec& s) : spec(s) {
    if (spec.split_body != nullptr) raw_member = spec.split_raw_member;
    columns = spec.columns;
    for (const auto& d : spec.details)
      for (const auto& c : d.columns) columns.push_back(c);
    names.push_back("source");
    for (const auto& c : columns) names.push_back(c.name);
    if (!spec.partial_update) names.push_back("raw");
    root = build_paths(columns);
    for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
      const auto& c = columns[i];
      if (c.origin == Origin::derived) derived = i;
      if (c.origin == Origin::tier) tier = i;
      for (const auto& k : spec.key)
        if (k == c.name && !c.missing_is_empty) key_columns.emplace_back(i, c.name);
    }
    if (spec.key_derivation && derived >= 0) {
      deriver = spec.key_derivation.make();
      for (const auto& input : spec.key_derivation.inputs) {
        int found = -1;
        for (int i = 0; i < static_cast<int>(columns.size()); ++i)
          if (columns[i].name == input) found = i;
        if (found < 0)
          throw std::invalid_argument("stream " + spec.name + ": key derivation " +
                                      spec.key_derivation.name + " reads unknown column \"" +
                                      input + "\"");
        derive_columns.push_back(found);
      }
      derive_inputs.resize(derive_columns.size());
    }
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

  // Sets a cell; text_bytes bounds the row's escaped size for write() (a cell set twice counts
  // twice: only an upper bound), so write() needs no pass over the cells to size it.
  void set_view(Cell& cell, std::string_view text) {
    cell.null = false;
    cell.text = text;
    text_bytes += text.size();
  }

  void problem(std::string_view field, const Input& input, ValueType type, Problem p) {
    ++outcome->invalid_values;
    if (outcome->problems.size() < kMaxProblems) {
      outcome->problems.push_back("record " + std::to_string(index) + ": " +
                                  problem_text(field, input, type, p));
    }
  }

  // The served record's member of a split record: read like any field, and its text kept.
  bool is_raw_member(const PathNode& node, const char* raw_key) const {
    return !raw_member.empty() && &node == &root &&
           std::string_view(raw_key, raw_member.size()) == raw_member &&
           raw_key[raw_member.size()] == '"';
  }

  void read_served(sj::value value, const PathNode* child) {
    const char* start = value.current_location();
    if (child != nullptr && !child->children.empty() && value.type() == sj::json_type::object) {
      walk(value.get_object(), *child);
    } else {
      json::skip(value, taint);
    }
    const char* end = nullptr;
    if (value.current_location().get(end) != simdjson::SUCCESS) end = body_end;
    served = json::trim(std::string_view(start, static_cast<std::size_t>(end - start)));
  }

  void walk(sj::object object, const PathNode& node) {
    for (auto result : object) {
      // The field in place, not a copy: copying simdjson's value (written by narrow stores,
      // read back by one 16-byte load) stalled store forwarding on every field, a fifth of
      // the parser's time (perf annotate, issue 10).
      if (result.error() != simdjson::SUCCESS) throw simdjson::simdjson_error(result.error());
      sj::field& field = result.value_unsafe();
      const char* const raw_key = field.key().raw();
      const PathNode* child = node.find_raw(raw_key);
      if (is_raw_member(node, raw_key)) {
        read_served(field.value(), child);
        continue;
      }
      if (child == nullptr) {
        if (!json::key_has_escapes(raw_key)) {
          json::skip(field.value(), taint);  // unknown fields are kept in raw: checked
          continue;
        }
        child = node.find(field.unescaped_key());
        if (child == nullptr) {
          json::skip(field.value(), taint);
          continue;
        }
      }
      sj::value& value = field.value();
      if (!child->children.empty() && value.type() == sj::json_type::object) {
        walk(value.get_object(), *child);
        continue;
      }
      if (child->leaves.empty()) {
        json::skip(value, taint);
        continue;
      }
      const Input input = json::read(value, body_end, taint);
      // StreamSpec::blank_is_null: "" and "  " are NULL, not a value nor an invalid one.
      if (spec.blank_is_null && input.kind == InputKind::string &&
          input.text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        continue;
      for (const auto& [column, priority] : child->leaves) {
        Cell& cell = cells[column];
        // A lower priority number (an earlier alternative) wins; null or invalid gives way.
        if (priority > cell.priority) continue;
        const ValueType type = columns[column].type;
        const Conversion c = convert(input, type, cell.scratch);
        if (c.verdict == Verdict::value) {
          set_view(cell, c.text);
          cell.priority = priority;
        } else if (c.verdict == Verdict::invalid) {
          problem(child->name, input, type, c.problem);
        }
      }
    }
  }

  // Reads the record's fields into `cells`.
  void fill(sj::object object) {
    for (auto& c : cells) {
      c.null = true;
      c.priority = INT_MAX;
    }
    taint = {};
    served = {};
    text_bytes = 0;
    walk(object, root);
  }

  void reject(std::string_view raw, std::string reason) {
    outcome->rejected.push_back({std::string(raw), std::move(reason)});
  }

  // Completes `cells` (constants, context, derived key) and appends the row.
  void write(std::string_view raw, std::string_view tier_group) {
    for (const int i : completed) {
      const auto& c = columns[i];
      Cell& cell = cells[i];
      switch (c.origin) {
        case Origin::constant:
          set_view(cell, c.path);
          break;
        case Origin::window_from:
          if (!context->window_from.empty()) set_view(cell, context->window_from);
          break;
        case Origin::parent_key:
          if (!context->parent_key.empty()) set_view(cell, context->parent_key);
          break;
        case Origin::tier:
          if (!tier_group.empty()) {
            const Input group{InputKind::number, tier_group};
            const Conversion t = convert(group, c.type, cell.scratch);
            if (t.verdict == Verdict::value) {
              set_view(cell, t.text);
            } else {
              problem("tier" + std::string(tier_group), group, c.type, t.problem);
            }
          }
          break;
        default:
          break;
      }
      if (cell.null && c.missing_is_empty) set_view(cell, "");
    }
    for (const auto& [i, value] : endpoint_constants) set_view(cells[i], value);
    if (deriver) {
      for (std::size_t k = 0; k < derive_columns.size(); ++k) {
        const Cell& input = cells[derive_columns[k]];
        derive_inputs[k] = input.null ? std::string_view{} : input.text;
      }
      set_view(cells[derived], deriver->derive(derive_inputs));
    }
    for (const auto& [column, name] : key_columns) {
      if (cells[column].null) {
        reject(raw, "key column \"" + name + "\" is missing or invalid");
        return;
      }
    }
    if (!spec.partial_update && taint.overflow) {
      reject(raw,
             "the record holds a number beyond PostgreSQL numeric, which jsonb (raw) "
             "cannot store");
      return;
    }
    // The typed columns are short: escaped into `row` with plain stores, then one append.
    const std::size_t worst =
        2 * context->source.size() + cells.size() * (1 + kCopyNull.size()) + 2 * text_bytes;
    if (row.size() < worst) row.resize(std::max(worst, 2 * row.size()));
    char* const begin = row.data();
    char* to = copy_escape_to(begin, context->source);
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
    const std::size_t row_start = out->size();
    out->append(begin, static_cast<std::size_t>(to - begin));
    if (!spec.partial_update) {
      out->push_back('\t');
      if (!append_copy_escaped_json(*out, raw)) {
        out->resize(row_start);
        reject(raw, "the record holds \\u0000, which PostgreSQL jsonb (raw) cannot store");
        return;
      }
    }
    out->push_back('\n');
    ++outcome->rows;
    if (collect >= 0) {
      outcome->collected.emplace_back(cells[collect].null ? std::string_view{}
                                                          : cells[collect].text);
    }
  }

  void element(sj::value& value, std::string_view tier_group) {
    if (value.type() != sj::json_type::object) {
      json::Taint ignored;
      const Input s = json::read(value, body_end, ignored);
      // Built by appending: GCC 12 at -O3 reports a false -Wrestrict on `"\"" + string&&`.
      std::string text;
      const bool quoted = s.kind == InputKind::string;
      if (quoted) text.push_back('"');
      text.append(s.text);
      if (quoted) text.push_back('"');
      reject(text, "record " + std::to_string(index) + " is " + describe(s) + ", not an object");
      return;
    }
    // The record's text is what lies between its '{' and the token after its '}', taken
    // once the fields have been read: object.raw_json() would walk the record twice.
    const char* start = value.current_location();
    fill(value.get_object());
    const char* end = nullptr;
    if (value.current_location().get(end) != simdjson::SUCCESS) end = body_end;
    const std::string_view text =
        json::trim(std::string_view(start, static_cast<std::size_t>(end - start)));
    write(served.empty() ? text : served, tier_group);
  }

  void records(sj::array list, std::string_view tier_group) override {
    for (auto e : list) {
      if (e.error() != simdjson::SUCCESS) throw simdjson::simdjson_error(e.error());
      element(e.value_unsafe(), tier_group);  // in place, as in walk
      ++index;
    }
  }

  void record(sj::object object, std::string_view raw) override {
    fill(object);
    write(served.empty() ? raw : served, {});
    ++index;
  }
};

RecordParser::RecordParser(const StreamSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
RecordParser::~RecordParser() = default;
RecordParser::RecordParser(RecordParser&&) noexcept = default;
RecordParser& RecordParser::operator=(RecordParser&&) noexcept = default;

const std::vector<std::string>& RecordParser::column_names() const { return impl_->names; }

namespace {
// One simdjson parser (its buffers are a few times the largest body read) for every
// RecordParser of the thread: parse() never suspends, so no two parses share it at once, and
// many sources syncing at once hold one parser's buffers, not one each (issue 16).
thread_local std::unique_ptr<sj::parser> t_parser;
sj::parser& shared_parser() {
  if (!t_parser) t_parser = std::make_unique<sj::parser>();
  return *t_parser;
}
}  // namespace

void RecordParser::release_shared_buffers() { t_parser.reset(); }

ParseOutcome RecordParser::parse(const std::string& body, const EndpointSpec& endpoint,
                                 const ParseContext& context, std::string& out,
                                 std::string_view collect) {
  Impl& m = *impl_;
  const std::size_t rollback = out.size();
  // Rows are the records' raw JSON plus typed columns: about 1.3x the body. Reserving once
  // saves the string's doubling copies.
  out.reserve(out.size() + body.size() + body.size() / 2);
  ParseOutcome outcome;
  if (m.deriver) m.deriver->start();
  m.endpoint_constants.clear();
  for (const auto& [name, value] : endpoint.constants)
    for (std::size_t i = 0; i < m.columns.size(); ++i)
      if (m.columns[i].name == name) m.endpoint_constants.emplace_back(static_cast<int>(i), value);
  m.collect = -1;
  for (std::size_t i = 0; i < m.columns.size(); ++i)
    if (!collect.empty() && m.columns[i].name == collect) m.collect = static_cast<int>(i);
  m.context = &context;
  m.outcome = &outcome;
  m.out = &out;
  m.index = 0;

  try {
    sj::document doc;
    if (body.capacity() >= body.size() + simdjson::SIMDJSON_PADDING) {
      doc = shared_parser().iterate(
          simdjson::padded_string_view(body.data(), body.size(), body.capacity()));
      m.body_end = body.data() + body.size();
    } else {
      m.copy = simdjson::padded_string(body);
      doc = shared_parser().iterate(m.copy);
      m.body_end = m.copy.data() + m.copy.size();
    }
    read_envelope(doc, endpoint, m);
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
