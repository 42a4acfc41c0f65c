// Stream account_attributes: each synced account's max_agents attribute, written into its
// liveagent.accounts row (an UPDATE of that one column; no row of its own).
#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

std::vector<model::ColumnSpec> max_agents_columns() {
  return {json_column("max_agents", model::ValueType::integer, "value"),
          json_column("max_agents_raw", model::ValueType::text, "value")};
}

model::StreamSpec account_attributes_stream() {
  model::StreamSpec s;
  s.name = "account_attributes";
  s.kind = model::SourceKind::liveagent_reseller;
  s.mode = model::SyncMode::per_parent;
  s.parent = "accounts";
  s.parent_key = "account_id";
  // max_agents is the only attribute 003 documents ("Get account attribute"); the answer is
  // {"response":{"value":"99"}}, one object, the number as a string.
  s.endpoints = {
      liveagent_endpoint("/api/resellers/{reseller}/accounts/{parent}/attributes/max_agents", "")};
  s.table = "liveagent.accounts";
  s.key = {"source", "account_id"};
  s.partial_update = true;
  s.columns = {parent_key_column("account_id")};
  for (auto& c : max_agents_columns()) s.columns.push_back(std::move(c));
  return s;
}

}  // namespace partnersync::connectors::liveagent
