// Stream partner_program_history: the last 12 months of Partner Program lead activity, into
// livechat.history_monthly with program = 'partner_program'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

model::StreamSpec partner_program_history_stream() {
  return history_monthly_table("partner_program_history", "partner_program",
                               {"/v2/partners/affiliates/livechat-partner-program/history"});
}

}  // namespace partnersync::connectors::livechat
