// Stream expert_history: the last 12 months of Expert profile views, into
// livechat.history_monthly with program = 'expert'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

model::StreamSpec expert_history_stream() {
  auto s = history_monthly_table("expert_history", "expert", {"/v2/partners/experts/history"});
  // 001 "Get Expert History": 403 when the partner is not an Expert.
  s.forbidden_is_not_applicable = true;
  return s;
}

}  // namespace partnersync::connectors::livechat
