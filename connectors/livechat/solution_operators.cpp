// Stream solution_operators: the owner, administrators and agents of each Solution Partner
// license synced in the same run, into livechat.solution_operators; operators no longer listed
// get removed_at.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec solution_operators_stream() {
  model::StreamSpec s;
  s.name = "solution_operators";
  s.mode = model::SyncMode::per_parent;
  s.parent = "solution_licenses";
  s.parent_key = "license";
  // 001 "Get License Operators" (a /solutions path, not /resellers).
  s.endpoints = {endpoint({"/v2/partners/solutions/licenses/{parent}/operators"},
                          model::Envelope::result_array)};
  s.table = "livechat.solution_operators";
  s.key = {"source", "license", "login"};
  s.columns = {
      column("license", ValueType::text, model::Origin::parent_key),
      json_column("login", ValueType::text, "login"),
      json_column("name", ValueType::text, "name"),
      json_column("permission", ValueType::text, "permission"),
  };
  // 403: "subscription is not managed by the Partner", for that license only.
  s.forbidden_skips_parent = true;
  // Each license that answered is one set: its operators no longer listed get removed_at.
  s.removed_column = "removed_at";
  s.set_scope = "license";
  return s;
}

}  // namespace partnersync::connectors::livechat
