// Stream partner_program_licenses: licenses of Partner Program leads in created-date windows,
// into livechat.affiliate_licenses with program = 'partner_program'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

model::StreamSpec partner_program_licenses_stream() {
  // 001 "Get Leads Licenses": no e-mail and no utm fields; those columns stay NULL.
  return affiliate_licenses_table("partner_program_licenses", "partner_program",
                                  {"/v2/partners/affiliates/livechat-partner-program/licenses"},
                                  model::Envelope::result_array);
}

}  // namespace partnersync::connectors::livechat
