// Stream variations: the reseller's variations (plans), re-read whole each run, into
// liveagent.variations; their nested add-ons are the internal stream variation_addons.
#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

using model::ValueType;

model::StreamSpec variations_stream() {
  model::StreamSpec s;
  s.name = "variations";
  s.kind = model::SourceKind::liveagent_reseller;
  s.mode = model::SyncMode::full_list;
  s.endpoints = {liveagent_endpoint("/api/resellers/{reseller}/variations", "variations")};
  s.table = "liveagent.variations";
  s.key = {"source", "variation_id"};
  s.columns = {
      json_column("variation_id", ValueType::text, "id"),
      json_column("name", ValueType::text, "name"),
      json_column("created_at", ValueType::timestamp, "created"),
      json_column("description", ValueType::text, "description"),
      json_column("product", ValueType::text, "product"),
  };
  return s;
}

}  // namespace partnersync::connectors::liveagent
