// The stream declarations of every source kind, in run order: what the engine and the config
// validation look streams up in (sync::stream_specs / sync::find_stream_spec).
#include "connectors/liveagent/liveagent_streams.hpp"
#include "connectors/livechat/livechat_streams.hpp"
#include "daemon/sync/stream_spec.hpp"

namespace partnersync::connectors::livechat {

std::vector<sync::StreamSpec> livechat_stream_specs() {
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
          leads_stream()};
}

}  // namespace partnersync::connectors::livechat

namespace partnersync::sync {

const std::vector<StreamSpec>& stream_specs(SourceKind kind) {
  static const std::vector<StreamSpec> livechat = connectors::livechat::livechat_stream_specs();
  static const std::vector<StreamSpec> liveagent = connectors::liveagent::liveagent_stream_specs();
  return kind == SourceKind::livechat_partner ? livechat : liveagent;
}

const StreamSpec* find_stream_spec(SourceKind kind, std::string_view name) {
  for (const auto& spec : stream_specs(kind))
    if (spec.name == name) return &spec;
  return nullptr;
}

}  // namespace partnersync::sync
