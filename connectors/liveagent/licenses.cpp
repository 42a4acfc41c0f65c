// Stream licenses: every license of the reseller, re-read whole each run, into
// liveagent.licenses.
#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

using model::ValueType;

model::StreamSpec licenses_stream() {
  model::StreamSpec s;
  s.name = "licenses";
  s.kind = model::SourceKind::liveagent_reseller;
  // valid_from/valid_to only narrow the list (003 "Get all licenses info for reseller"):
  // without them the answer is every license.
  s.mode = model::SyncMode::full_list;
  s.endpoints = {liveagent_endpoint("/api/resellers/{reseller}/licenses", "licenses")};
  s.table = "liveagent.licenses";
  s.key = {"source", "license_code"};
  s.columns = {
      json_column("license_code", ValueType::text, "license_code"),
      json_column("customer_email", ValueType::text, "customer_email"),
      json_column("customer_name", ValueType::text, "customer_name"),
      // 003's example has valid_from "2008-12-11 08:95:41": NULL, counted, kept in raw.
      json_column("valid_from_at", ValueType::timestamp, "valid_from"),
      json_column("valid_to_at", ValueType::timestamp, "valid_to"),
      json_column("variation_id", ValueType::text, "variation_id"),
      json_column("license_status", ValueType::text, "license_status"),
  };
  return s;
}

}  // namespace partnersync::connectors::liveagent
