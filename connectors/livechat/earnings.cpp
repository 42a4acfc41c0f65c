// Stream earnings: point-in-time earnings figures, a new livechat.earnings_snapshots row when
// they changed; nested figures flattened by joining the JSON path with '_'.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec earnings_stream() {
  model::StreamSpec s;
  s.name = "earnings";
  s.mode = model::SyncMode::snapshot;
  // The same path answers the old flat shape (000, 002: balance, commission, blocked,
  // withdrawals, pending, discount); the '|' alternatives read it into the same columns.
  s.endpoints = {endpoint({"/v2/partners/earnings"}, model::Envelope::object)};
  s.table = "livechat.earnings_snapshots";
  s.key = {"source", "taken_at"};  // taken_at is filled by the engine, not a declared column
  auto money = [](std::string name, std::string path) {
    return json_column(std::move(name), ValueType::numeric, std::move(path));
  };
  s.columns = {
      money("balance", "balance"),
      money("blocked", "blocked"),
      money("pending", "pending"),
      money("withdrawals", "withdrawals"),
      money("commission_total", "commission_total|commission"),
      money("commission_last_30_days", "commission_last_30_days"),
      money("affiliate_commission_total", "affiliate/commission_total"),
      money("affiliate_commission_last_30_days", "affiliate/commission_last_30_days"),
      money("affiliate_livechat_commission_total", "affiliate/livechat/commission_total"),
      money("affiliate_livechat_commission_last_30_days",
            "affiliate/livechat/commission_last_30_days"),
      money("affiliate_livechat_partner_program_commission_total",
            "affiliate/livechat_partner_program/commission_total"),
      money("affiliate_livechat_partner_program_commission_last_30_days",
            "affiliate/livechat_partner_program/commission_last_30_days"),
      money("reseller_commission_total", "reseller/commission_total"),
      money("reseller_commission_last_30_days", "reseller/commission_last_30_days"),
      money("reseller_livechat_commission_total", "reseller/livechat/commission_total"),
      money("reseller_livechat_commission_last_30_days",
            "reseller/livechat/commission_last_30_days"),
      money("reseller_discount", "reseller/livechat/discount|discount"),
  };
  return s;
}

}  // namespace partnersync::connectors::livechat
