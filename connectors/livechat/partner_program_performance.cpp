// Stream partner_program_performance: the Partner Program performance report, one request per
// day, into livechat.performance_daily with program = 'partner_program'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

model::StreamSpec partner_program_performance_stream() {
  // 001: this report has `leads` but no percentages, chat_installations or aha (left NULL).
  return performance_daily_table("partner_program_performance", "partner_program",
                                 {"/v2/partners/affiliates/livechat-partner-program/performance"});
}

}  // namespace partnersync::connectors::livechat
