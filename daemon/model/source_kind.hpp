// The kinds of upstream source: what a configured source is, and which declarations apply to it.
// Part of ps_model, which depends on nothing.
#pragma once

#include <string_view>

namespace partnersync::model {

enum class SourceKind { livechat_partner, liveagent_reseller };

constexpr std::string_view to_string(SourceKind kind) {
  return kind == SourceKind::livechat_partner ? "livechat_partner" : "liveagent_reseller";
}

}  // namespace partnersync::model
