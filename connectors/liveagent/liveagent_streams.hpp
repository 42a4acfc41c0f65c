// The LiveAgent reseller API streams as declarations (one file per stream beside this header),
// plus the builders they share and the split of variations' nested add-ons.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/model/stream_spec.hpp"

namespace partnersync::connectors::liveagent {

// Every path starts with the reseller identifier (../shared/api-docs/003, "Example call"); the
// engine substitutes "{reseller}" from the source and adds the apikey query parameter itself.

// One function per stream of kLiveagentStreams.
model::StreamSpec accounts_stream();
model::StreamSpec account_addons_stream();
model::StreamSpec account_users_stream();
model::StreamSpec account_attributes_stream();
model::StreamSpec licenses_stream();
model::StreamSpec variations_stream();
model::StreamSpec license_addons_stream();
model::StreamSpec license_attributes_stream();

// Internal stream, not in kLiveagentStreams and not configurable: the add-ons nested in each
// variation, into liveagent.variation_addons. Its parent is "variations": it runs whenever
// variations runs (see variation_addons.cpp for what the engine must do for that).
inline constexpr std::string_view kVariationAddonsStream = "variation_addons";
model::StreamSpec variation_addons_stream();

// Every stream above in run order: kLiveagentStreams, with variation_addons right after
// variations.
std::vector<model::StreamSpec> liveagent_stream_specs();

// Splits a /variations body ({"response":{"variations":[{"id":..., "addons":[...]}, ...]}})
// into one record per nested add-on: {"variation_id":<the variation's "id" token as received,
// null when absent>,"served":<the add-on exactly as received>}; "served" becomes the row's raw
// (StreamSpec::split_raw_member), so raw is the add-on as served, never an edited copy.
// Throws std::invalid_argument on a body that is not that shape and on an upstream error
// envelope ({"response":{"status":"ERROR",...}}, which can come with HTTP 200).
std::vector<std::string> split_variation_addons(std::string_view body);

// ---- builders shared by the per-stream files ----

inline model::ColumnSpec json_column(std::string name, model::ValueType type, std::string path) {
  model::ColumnSpec c;
  c.name = std::move(name);
  c.type = type;
  c.origin = model::Origin::json;
  c.path = std::move(path);
  return c;
}

// per_parent streams: the account the request was made for (child records do not name it).
inline model::ColumnSpec parent_key_column(std::string name) {
  model::ColumnSpec c;
  c.name = std::move(name);
  c.type = model::ValueType::text;
  c.origin = model::Origin::parent_key;
  return c;
}

// The max_agents attribute answer's columns (003 types the value as text, "99"): max_agents
// as an integer, NULL and counted when it is not one, and max_agents_raw, the value exactly as
// served, so a non-integer is kept. Defined in account_attributes.cpp.
std::vector<model::ColumnSpec> max_agents_columns();

// An add-on as accounts and licenses list it (003 "Get account addons", "Get license addons"):
// the parent's key column, then the add-on's fields; its own license_code (one per purchase)
// lands in `license_code_column`. Defined in account_addons.cpp.
std::vector<model::ColumnSpec> addon_columns(std::string parent_key,
                                             std::string license_code_column);

// {"response": {"<list_key>": [...]}}, or {"response": {...}} when list_key is empty.
inline model::EndpointSpec liveagent_endpoint(std::string path, std::string list_key) {
  model::EndpointSpec e;
  e.paths = {std::move(path)};
  e.envelope =
      list_key.empty() ? model::Envelope::liveagent_object : model::Envelope::liveagent_list;
  e.list_key = std::move(list_key);
  return e;
}

}  // namespace partnersync::connectors::liveagent
