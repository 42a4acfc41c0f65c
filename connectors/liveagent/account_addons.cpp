// Stream account_addons: the add-ons of each account synced in the same run, with their
// validity, into liveagent.account_addons.
#include "connectors/liveagent/liveagent_streams.hpp"

#include <utility>

namespace partnersync::connectors::liveagent {

using model::ValueType;

model::StreamSpec account_addons_stream() {
  model::StreamSpec s;
  s.name = "account_addons";
  s.kind = model::SourceKind::liveagent_reseller;
  s.mode = model::SyncMode::per_parent;
  s.parent = "accounts";
  s.parent_key = "account_id";
  s.endpoints = {
      liveagent_endpoint("/api/resellers/{reseller}/accounts/{parent}/addons", "addons")};
  s.table = "liveagent.account_addons";
  // One add-on can be bought more than once: each purchase has its own license_code.
  s.key = {"source", "account_id", "addon_id", "license_code"};
  s.columns = addon_columns("account_id", "license_code");
  return s;
}

std::vector<model::ColumnSpec> addon_columns(std::string parent_key,
                                             std::string license_code_column) {
  return {
      parent_key_column(std::move(parent_key)),
      json_column("addon_id", ValueType::text, "id"),
      // 003 types license_code "datetime"; the examples show codes such as "ss5l5sa6".
      json_column(std::move(license_code_column), ValueType::text, "license_code"),
      json_column("name", ValueType::text, "name"),
      json_column("description", ValueType::text, "description"),
      json_column("price", ValueType::numeric, "price"),
      json_column("valid_from_at", ValueType::timestamp, "valid_from"),
      json_column("valid_to_at", ValueType::timestamp, "valid_to"),
      json_column("status", ValueType::text, "status"),
  };
}

}  // namespace partnersync::connectors::liveagent
