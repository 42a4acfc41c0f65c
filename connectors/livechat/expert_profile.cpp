// Stream expert_profile: the partner's Expert Marketplace profile, a new
// livechat.expert_profile_snapshots row when it changed; 403 = not an Expert.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec expert_profile_stream() {
  model::StreamSpec s;
  s.name = "expert_profile";
  s.mode = model::SyncMode::snapshot;
  s.endpoints = {endpoint({"/v2/partners/experts/profile"}, model::Envelope::object)};
  s.table = "livechat.expert_profile_snapshots";
  s.key = {"source", "taken_at"};
  s.columns = {};
  // Every documented scalar as text: rates are strings upstream ("50") and free-form ("5+"
  // for agents), so a numeric type would turn an Expert's own wording into invalid values.
  for (const char* name : {"expert_id", "status", "company", "phone", "logo", "description",
                           "short_description", "agents", "hour_rate", "project_rate", "country",
                           "website", "facebook", "twitter", "linkedin", "googleplus"})
    s.columns.push_back(json_column(name, ValueType::text, name));
  for (const char* name : {"categories", "languages", "projects"})
    s.columns.push_back(json_column(name, ValueType::jsonb, name));
  // 001 "Get Expert Profile": 403 when the partner is not an Expert.
  s.forbidden_is_not_applicable = true;
  return s;
}

}  // namespace partnersync::connectors::livechat
