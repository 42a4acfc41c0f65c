// Stream stats: active trial/paid license counts, a new livechat.license_stats_snapshots row
// set when they changed; one row per (program, channel), split from one object by
// split_license_stats, the named escape hatch for a fan-out the declarations cannot express.
#include <simdjson.h>

#include <stdexcept>

#include "connectors/livechat/livechat_streams.hpp"
#include "daemon/obs/json_text.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec stats_stream() {
  model::StreamSpec s;
  s.name = "stats";
  s.mode = model::SyncMode::snapshot;
  // The old path answers a flat object (000 "Get the Number of Active Licenses").
  s.endpoints = {
      endpoint({"/v2/partners/stats", "/v2/partners/active-licenses"}, model::Envelope::object)};
  s.table = "livechat.license_stats_snapshots";
  s.key = {"source", "taken_at", "program", "channel"};
  // Paths are those of split_license_stats' records, not of the body.
  s.columns = {
      json_column("program", ValueType::text, "program"),
      json_column("channel", ValueType::text, "channel"),
      json_column("trials", ValueType::integer, "trials"),
      json_column("trials_cc", ValueType::integer, "trials_cc"),
      json_column("paid", ValueType::integer, "paid"),
      json_column("leads", ValueType::integer, "leads"),
  };
  s.split_body = split_license_stats;
  s.split_raw_member = "served";  // raw: the group object as served, not the split record
  return s;
}

namespace {

void append_quoted(std::string& out, std::string_view text) { out += obs::json_quoted(text); }

struct Record {
  std::string program;
  std::string channel;
  std::string members;  // ,"name":value,... with each value exactly as received
  std::string served;   // the group object the counts came from, as received
};

std::string_view trimmed(std::string_view json) {
  while (!json.empty() && (json.front() == ' ' || json.front() == '\n' || json.front() == '\r' ||
                           json.front() == '\t'))
    json.remove_prefix(1);
  while (!json.empty() &&
         (json.back() == ' ' || json.back() == '\n' || json.back() == '\r' || json.back() == '\t'))
    json.remove_suffix(1);
  return json;
}

// The value's JSON text as received (numbers keep their spelling, e.g. 1.50).
std::string_view raw_text(simdjson::ondemand::value value) {
  switch (value.type()) {
    case simdjson::ondemand::json_type::object:
      return value.get_object().value().raw_json().value();
    case simdjson::ondemand::json_type::array:
      return value.get_array().value().raw_json().value();
    default: {
      std::string_view token = value.raw_json_token();
      while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                token.back() == '\r' || token.back() == '\t'))
        token.remove_suffix(1);
      return token;
    }
  }
}

void add_member(Record& r, std::string_view name, simdjson::ondemand::value value) {
  r.members += ',';
  append_quoted(r.members, name);
  r.members += ':';
  r.members += raw_text(value);
}

Record& record_for(std::vector<Record>& records, std::string_view program,
                   std::string_view channel) {
  for (auto& r : records)
    if (r.program == program && r.channel == channel) return r;
  return records.emplace_back(Record{std::string(program), std::string(channel), {}, {}});
}

}  // namespace

// Current shape (001): {"<program>": {"<channel>": {counts}, ...} or {counts}}, e.g.
// affiliate.livechat, affiliate.livechat_partner_program, reseller. Old flat shape (000):
// {"<program>_<count>": n}, e.g. affiliate_trials, reseller_paid. A program's own counts (the
// reseller's, or the old flat ones) get channel ''. Unknown programs and channels are kept the
// same way, so a new product upstream becomes new rows rather than lost figures.
std::vector<std::string> split_license_stats(std::string_view body) {
  namespace od = simdjson::ondemand;
  std::vector<Record> records;
  try {
    od::parser parser;
    const simdjson::padded_string padded(body);
    od::document doc = parser.iterate(padded);
    if (doc.type() != od::json_type::object)
      throw std::invalid_argument("stats body is not a JSON object");
    for (auto field : doc.get_object()) {
      const std::string key(field.unescaped_key().value());
      od::value value = field.value();
      if (value.type() == od::json_type::object) {
        od::object program = value.get_object();
        const std::string_view program_text = trimmed(program.raw_json().value());
        program.reset();
        for (auto member : program) {
          const std::string name(member.unescaped_key().value());
          od::value inner = member.value();
          if (inner.type() == od::json_type::object) {
            Record& r = record_for(records, key, name);
            od::object channel = inner.get_object();
            r.served = std::string(trimmed(channel.raw_json().value()));
            channel.reset();
            for (auto count : channel) {
              const std::string count_name(count.unescaped_key().value());
              add_member(r, count_name, count.value());
            }
          } else {
            Record& r = record_for(records, key, "");
            r.served = std::string(program_text);
            add_member(r, name, inner);
          }
        }
        continue;
      }
      const auto underscore = key.find('_');
      if (underscore == std::string::npos || underscore == 0) continue;  // not a count
      Record& r = record_for(records, std::string_view(key).substr(0, underscore), "");
      if (r.served.empty()) r.served = std::string(trimmed(body));  // flat: the body is the group
      add_member(r, std::string_view(key).substr(underscore + 1), value);
    }
    const char* location = nullptr;
    if (doc.current_location().get(location) != simdjson::OUT_OF_BOUNDS)
      throw std::invalid_argument("trailing content after the stats object");
  } catch (const simdjson::simdjson_error& e) {
    throw std::invalid_argument(std::string("stats body is not valid JSON: ") + e.what());
  }
  std::vector<std::string> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    std::string text = "{\"program\":";
    append_quoted(text, r.program);
    text += ",\"channel\":";
    append_quoted(text, r.channel);
    text += r.members;
    text += ",\"served\":";
    text += r.served;
    text += '}';
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace partnersync::connectors::livechat
