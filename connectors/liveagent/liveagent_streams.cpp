// The LiveAgent declarations in run order, for the registry (connectors/registry.cpp): parents
// (accounts, variations) before the streams that need their keys or their run.
#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

std::vector<model::StreamSpec> liveagent_stream_specs() {
  return {accounts_stream(),           account_addons_stream(), account_users_stream(),
          account_attributes_stream(), licenses_stream(),       variations_stream(),
          variation_addons_stream(),   license_addons_stream(), license_attributes_stream()};
}

}  // namespace partnersync::connectors::liveagent
