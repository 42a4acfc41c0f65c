// Stream license_attributes: each synced license's max_agents attribute, written into its
// liveagent.licenses row (an UPDATE of max_agents and max_agents_raw; no row of its own).
#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

model::StreamSpec license_attributes_stream() {
  model::StreamSpec s;
  s.name = "license_attributes";
  s.kind = model::SourceKind::liveagent_reseller;
  s.mode = model::SyncMode::per_parent;
  s.parent = "licenses";
  s.parent_key = "license_code";
  // 003 "Get license attribute": {"response":{"value":"99"}}, max_agents the only attribute.
  s.endpoints = {
      liveagent_endpoint("/api/resellers/{reseller}/licenses/{parent}/attributes/max_agents", "")};
  s.table = "liveagent.licenses";
  s.key = {"source", "license_code"};
  s.partial_update = true;
  s.columns = {parent_key_column("license_code")};
  for (auto& c : max_agents_columns()) s.columns.push_back(std::move(c));
  return s;
}

}  // namespace partnersync::connectors::liveagent
