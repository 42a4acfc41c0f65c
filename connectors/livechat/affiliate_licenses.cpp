// Stream affiliate_licenses: LiveChat affiliate licenses in created-date windows, into
// livechat.affiliate_licenses with program = 'livechat'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

model::StreamSpec affiliate_licenses_stream() {
  // The deprecated path answers the old shape {"tier1": [...], "tier2": [...]} (000 "Get
  // License List"). One EndpointSpec has one envelope for all its paths, so tier_groups here
  // stands for "tier groups, or the current {"result": [...]}".
  return affiliate_licenses_table(
      "affiliate_licenses", "livechat",
      {"/v2/partners/affiliates/livechat/licenses", "/v2/partners/affiliates/licenses"},
      model::Envelope::tier_groups);
}

}  // namespace partnersync::connectors::livechat
