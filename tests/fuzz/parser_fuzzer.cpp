// libFuzzer target: arbitrary bodies through every stream's parser (every endpoint envelope,
// detail envelopes and split functions). A body is either rejected with BodyError or becomes
// well-formed COPY rows: one line per row, one tab-separated cell per column, no NUL byte; and
// a body the parser takes is JSON as a whole (simdjson's DOM parser agrees, but for numbers
// beyond a double or 64-bit integer, which JSON allows and the DOM parser refuses).
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/sync/field_removal.hpp"
#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/stream_spec.hpp"

namespace {

using namespace partnersync::sync;

void check_rows(const std::string& out, std::size_t rows, std::size_t columns) {
  std::size_t lines = 0, tabs = 0;
  for (const char c : out) {
    if (c == '\t') ++tabs;
    if (c == '\n') {
      if (tabs + 1 != columns) std::abort();  // a row with a wrong number of cells
      tabs = 0;
      ++lines;
    }
  }
  if (lines != rows || tabs != 0) std::abort();  // rows must end with a newline, counts agree
}

void check_json(const std::string& body) {
  static simdjson::dom::parser dom;
  simdjson::dom::element root;
  const auto error = dom.parse(body.data(), body.size(), true).get(root);
  if (error != simdjson::SUCCESS && error != simdjson::NUMBER_ERROR)
    std::abort();  // the parser took a body that is not JSON
}

void parse_with(RecordParser& parser, const EndpointSpec& endpoint, const std::string& body) {
  std::string out;
  try {
    const auto outcome = parser.parse(body, endpoint, {"fuzz", "2024-01-01", "parent"}, out);
    check_rows(out, outcome.rows, parser.column_names().size());
    if (out.find('\0') != std::string::npos) std::abort();  // PostgreSQL text holds no NUL
    check_json(body);
  } catch (const BodyError&) {
    if (!out.empty()) std::abort();  // a rejected body must leave nothing behind
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  body.reserve(size + 64);  // padding, as the HTTP client provides it
  for (const auto kind : {SourceKind::livechat_partner, SourceKind::liveagent_reseller,
                          SourceKind::liveagent_helpdesk}) {
    for (const auto& spec : stream_specs(kind)) {
      if (!spec.removed_fields.empty()) {
        std::string scrubbed = body;
        partnersync::sync::remove_members(scrubbed, spec.removed_fields);
      }
      RecordParser parser(spec);
      for (const auto& endpoint : spec.endpoints) parse_with(parser, endpoint, body);
      for (const auto& detail : spec.details)
        parse_with(parser, EndpointSpec{{detail.path}, detail.envelope, "", {}}, body);
      if (spec.split_body != nullptr) {
        try {
          (void)spec.split_body(body);
        } catch (const std::exception&) {
        }
      }
    }
  }
  return 0;
}
