// Stream expert_stats: Experts Marketplace position and the numbers of comments and messages,
// a new livechat.expert_stats_snapshots row when they changed; 403 = not an Expert.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec expert_stats_stream() {
  model::StreamSpec s;
  s.name = "expert_stats";
  s.mode = model::SyncMode::snapshot;
  s.endpoints = {endpoint({"/v2/partners/experts/stats"}, model::Envelope::object)};
  s.table = "livechat.expert_stats_snapshots";
  s.key = {"source", "taken_at"};
  s.columns = {
      json_column("position", ValueType::integer, "position"),
      json_column("comments", ValueType::integer, "comments"),
      json_column("messages", ValueType::integer, "messages"),
  };
  // 001 "Get Stats": 403 when the partner is not an Expert.
  s.forbidden_is_not_applicable = true;
  return s;
}

}  // namespace partnersync::connectors::livechat
