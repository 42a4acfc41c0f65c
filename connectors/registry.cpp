// The stream declarations of every source kind, in run order: what the engine and the config
// validation look streams up in.
#include "connectors/registry.hpp"

#include "connectors/liveagent/liveagent_streams.hpp"
#include "connectors/liveagent_helpdesk/helpdesk_streams.hpp"
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

std::vector<model::StreamSpec> livechat_stream_specs() {
  // Same order as kLivechatStreams: parents (solution_licenses) before children (invoices).
  return {affiliate_licenses_stream(),
          partner_program_licenses_stream(),
          solution_licenses_stream(),
          solution_invoices_stream(),
          affiliate_performance_stream(),
          partner_program_performance_stream(),
          affiliate_history_stream(),
          partner_program_history_stream(),
          solution_history_stream(),
          expert_history_stream(),
          earnings_stream(),
          stats_stream(),
          withdrawals_stream(),
          campaigns_stream(),
          leads_stream(),
          profile_stream(),
          coupons_stream(),
          solution_operators_stream(),
          expert_profile_stream(),
          expert_stats_stream(),
          expert_comments_stream()};
}

}  // namespace partnersync::connectors::livechat

namespace partnersync::connectors {

const std::vector<model::StreamSpec>& stream_specs(model::SourceKind kind) {
  static const std::vector<model::StreamSpec> livechat =
      connectors::livechat::livechat_stream_specs();
  static const std::vector<model::StreamSpec> liveagent =
      connectors::liveagent::liveagent_stream_specs();
  static const std::vector<model::StreamSpec> helpdesk =
      connectors::liveagent_helpdesk::helpdesk_stream_specs();
  if (kind == model::SourceKind::liveagent_helpdesk) return helpdesk;
  return kind == model::SourceKind::livechat_partner ? livechat : liveagent;
}

const model::StreamSpec* find_stream_spec(model::SourceKind kind, std::string_view name) {
  for (const auto& spec : stream_specs(kind))
    if (spec.name == name) return &spec;
  return nullptr;
}

}  // namespace partnersync::connectors
