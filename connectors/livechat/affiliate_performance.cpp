// Stream affiliate_performance: the LiveChat affiliate performance report, one request per day,
// into livechat.performance_daily with program = 'livechat'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

model::StreamSpec affiliate_performance_stream() {
  return performance_daily_table(
      "affiliate_performance", "livechat",
      {"/v2/partners/affiliates/livechat/performance", "/v2/partners/affiliates/performance"});
}

}  // namespace partnersync::connectors::livechat
