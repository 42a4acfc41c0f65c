// Stream profile: the partner's account profile (/v2/partners), a new
// livechat.profile_snapshots row when it changed: commission and discount rates with their end
// dates, Expert status and marketplace position.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec profile_stream() {
  model::StreamSpec s;
  s.name = "profile";
  s.mode = model::SyncMode::snapshot;
  // 001 "Get Profile"; the same path answers the old shape of 000 (full_name, websites, one
  // affiliate program with its current_commission), read by the '|' alternatives.
  s.endpoints = {endpoint({"/v2/partners"}, model::Envelope::object)};
  s.table = "livechat.profile_snapshots";
  s.key = {"source", "taken_at"};
  auto text = [](std::string name, std::string path) {
    return json_column(std::move(name), ValueType::text, std::move(path));
  };
  auto flag = [](std::string name) {
    std::string path = name;
    return json_column(std::move(name), ValueType::boolean, std::move(path));
  };
  // "" end timestamps (no end) are NULL: ValueType::timestamp reads "" so.
  s.columns = {
      text("partner_id", "partner_id"),
      text("login", "login"),
      text("first_name", "first_name"),
      text("last_name", "last_name"),
      text("full_name", "full_name"),  // 000 only
      text("contact_name", "contact_name"),
      text("contact_email", "contact_email"),
      json_column("websites", ValueType::jsonb, "websites"),  // 000 only
      flag("send_monthly_summary"),
      flag("send_newsletter"),
      flag("send_notifications"),
      flag("send_reseller_weekly_summary"),
      text("affiliate_livechat_url", "affiliate/livechat/url|affiliate/url"),
      text("affiliate_livechat_short_url", "affiliate/livechat/short_url|affiliate/short_url"),
      json_column("affiliate_livechat_commission_percent", ValueType::numeric,
                  "affiliate/livechat/current_commission/percent|"
                  "affiliate/current_commission/percent"),
      json_column("affiliate_livechat_commission_end_at", ValueType::timestamp,
                  "affiliate/livechat/current_commission/end_timestamp|"
                  "affiliate/current_commission/end_timestamp"),
      text("affiliate_partner_program_url", "affiliate/livechat_partner_program/url"),
      text("affiliate_partner_program_short_url", "affiliate/livechat_partner_program/short_url"),
      json_column("affiliate_partner_program_commission_percent", ValueType::numeric,
                  "affiliate/livechat_partner_program/current_commission/percent"),
      json_column("affiliate_partner_program_commission_end_at", ValueType::timestamp,
                  "affiliate/livechat_partner_program/current_commission/end_timestamp"),
      json_column("reseller_discount_percent", ValueType::numeric,
                  "reseller/current_discount/percent"),
      json_column("reseller_discount_end_at", ValueType::timestamp,
                  "reseller/current_discount/end_timestamp"),
      text("expert_status", "expert/status"),
      json_column("expert_marketplace_position", ValueType::integer, "expert/marketplace_position"),
      json_column("properties", ValueType::jsonb, "properties"),
  };
  return s;
}

}  // namespace partnersync::connectors::livechat
