// The kinds of upstream source: what a configured source is, and which declarations apply to it.
// Part of ps_model, which depends on nothing.
#pragma once

#include <string_view>

namespace partnersync::model {

enum class SourceKind { livechat_partner, liveagent_reseller, liveagent_helpdesk };

constexpr std::string_view to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::livechat_partner:
      return "livechat_partner";
    case SourceKind::liveagent_reseller:
      return "liveagent_reseller";
    case SourceKind::liveagent_helpdesk:
      return "liveagent_helpdesk";
  }
  return "livechat_partner";
}

}  // namespace partnersync::model
