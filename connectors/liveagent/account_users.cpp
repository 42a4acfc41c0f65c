// Stream account_users: the agents (users) of each account synced in the same run, into
// liveagent.account_users.
#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

using model::ValueType;

model::StreamSpec account_users_stream() {
  model::StreamSpec s;
  s.name = "account_users";
  s.kind = model::SourceKind::liveagent_reseller;
  s.mode = model::SyncMode::per_parent;
  s.parent = "accounts";
  s.parent_key = "account_id";
  s.endpoints = {liveagent_endpoint("/api/resellers/{reseller}/accounts/{parent}/users", "users")};
  s.table = "liveagent.account_users";
  s.key = {"source", "account_id", "userid"};
  s.columns = {
      parent_key_column("account_id"),
      json_column("userid", ValueType::text, "userid"),
      json_column("email", ValueType::text, "email"),
      json_column("firstname", ValueType::text, "firstname"),
      json_column("lastname", ValueType::text, "lastname"),
      json_column("role", ValueType::text, "role"),
      json_column("status", ValueType::text, "status"),
      json_column("role_type", ValueType::text, "role_type"),
      json_column("created_at", ValueType::timestamp, "date_created"),
  };
  return s;
}

}  // namespace partnersync::connectors::liveagent
