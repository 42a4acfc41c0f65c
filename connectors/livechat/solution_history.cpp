// Stream solution_history: the last 12 months of Solution Partner (reseller) activity, into
// livechat.history_monthly with program = 'solution'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

model::StreamSpec solution_history_stream() {
  // 000's version of this endpoint has no `commission` (left NULL).
  return history_monthly_table("solution_history", "solution", {"/v2/partners/resellers/history"});
}

}  // namespace partnersync::connectors::livechat
