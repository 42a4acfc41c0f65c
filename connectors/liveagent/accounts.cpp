// Stream accounts: the reseller's LiveAgent accounts in created-datetime windows, into
// liveagent.accounts (status_label is computed there; max_agents comes from account_attributes).
#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

using model::ValueType;

model::StreamSpec accounts_stream() {
  model::StreamSpec s;
  s.name = "accounts";
  s.kind = model::SourceKind::liveagent_reseller;
  s.mode = model::SyncMode::created_windows;
  // created_from/created_to are datetimes, not dates (003 "Get accounts info for reseller").
  s.from_param = "created_from";
  s.to_param = "created_to";
  s.param_format = model::StreamSpec::ParamFormat::datetime;
  s.endpoints = {liveagent_endpoint("/api/resellers/{reseller}/accounts", "accounts")};
  s.table = "liveagent.accounts";
  s.key = {"source", "account_id"};
  s.columns = {
      json_column("account_id", ValueType::text, "account_id"),
      json_column("customer_email", ValueType::text, "customer_email"),
      json_column("domain", ValueType::text, "domain"),
      json_column("customer_name", ValueType::text, "customer_name"),
      json_column("company", ValueType::text, "company"),
      json_column("created_at", ValueType::timestamp, "date_created"),
      json_column("variation_id", ValueType::text, "variation_id"),
      json_column("status", ValueType::text, "status"),
      json_column("version", ValueType::text, "version"),
      json_column("last_login_at", ValueType::timestamp, "last_login_date"),
  };
  return s;
}

}  // namespace partnersync::connectors::liveagent
