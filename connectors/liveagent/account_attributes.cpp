// Stream account_attributes: each synced account's max_agents attribute, written into its
// liveagent.accounts row (an UPDATE of that one column; no row of its own).
#include <simdjson.h>

#include <stdexcept>

#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

using model::ValueType;

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
  s.columns = {
      parent_key_column("account_id"),
      json_column("max_agents", ValueType::integer, "value"),
  };
  return s;
}

}  // namespace partnersync::connectors::liveagent
