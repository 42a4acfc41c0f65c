// Stream affiliate_history: the last 12 months of LiveChat affiliate activity, into
// livechat.history_monthly with program = 'livechat'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

model::StreamSpec affiliate_history_stream() {
  return history_monthly_table(
      "affiliate_history", "livechat",
      {"/v2/partners/affiliates/livechat/history", "/v2/partners/affiliates/history"});
}

}  // namespace partnersync::connectors::livechat
