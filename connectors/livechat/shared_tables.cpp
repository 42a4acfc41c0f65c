// The column mappings of the three tables several LiveChat streams share (affiliate_licenses,
// performance_daily, history_monthly): one per table, so the programs cannot drift apart.
#include "connectors/livechat/affiliate_license_key.hpp"
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ColumnSpec;
using model::Envelope;
using model::Origin;
using model::StreamSpec;
using model::SyncMode;
using model::ValueType;

StreamSpec affiliate_licenses_table(std::string stream, std::string program,
                                    std::vector<std::string> paths, Envelope envelope) {
  StreamSpec s;
  s.name = std::move(stream);
  s.mode = SyncMode::created_windows;
  s.endpoints = {endpoint(std::move(paths), envelope)};
  s.table = "livechat.affiliate_licenses";
  s.key = {"source", "program", "license_key"};
  s.window_column = "created_at";  // index affiliate_licenses_created (schema/008)
  // Affiliate licenses have no id and a masked e-mail (001 "Get Licenses List"); Partner
  // Program lead licenses have no e-mail at all (001 "Get Leads Licenses").
  s.key_derivation = affiliate_license_key();
  s.columns = {
      constant_column("program", std::move(program)),
      column("license_key", ValueType::text, Origin::derived),
      column("tier", ValueType::smallint, Origin::tier),
      json_column("client_email", ValueType::text, "client_email"),
      json_column("created_at", ValueType::timestamp, "creation_timestamp"),
      json_column("end_at", ValueType::timestamp, "end_timestamp"),
      json_column("cc_added", ValueType::boolean, "cc_added"),
      json_column("paid", ValueType::boolean, "paid"),
      json_column("seats", ValueType::integer, "seats"),
      json_column("plan", ValueType::text, "plan"),
      json_column("billing_cycle", ValueType::text, "billing_cycle"),
      json_column("chat_installed", ValueType::boolean, "chat_installed"),
      json_column("conversations", ValueType::integer, "conversations"),
      json_column("total_commission", ValueType::numeric, "total_commission"),
      json_column("commission_percent", ValueType::numeric, "commission_percent"),
      // utm_source exists only in the old shape (000); the campaign was "utm_campaign" there.
      json_column("utm_source", ValueType::text, "utm_source"),
      json_column("utm_medium", ValueType::text, "utm_medium"),
      json_column("utm_content", ValueType::text, "utm_content"),
      json_column("utm_term", ValueType::text, "utm_term"),
      json_column("campaign", ValueType::text, "campaign_name|utm_campaign"),
      json_column("blocked", ValueType::boolean, "blocked"),
  };
  return s;
}

StreamSpec performance_daily_table(std::string stream, std::string program,
                                   std::vector<std::string> paths) {
  StreamSpec s;
  s.name = std::move(stream);
  // The report counts the licenses created on the day (001 "Get Performance Report": date_from
  // and date_to select licenses created in the range); they keep converting, so recent days
  // keep changing and are re-read.
  s.mode = SyncMode::daily_report;
  s.endpoints = {endpoint(std::move(paths), Envelope::result_array)};
  s.table = "livechat.performance_daily";
  s.key = {"source", "program", "day", "campaign", "medium", "content", "term"};
  auto key_text = [](std::string name) {
    return column(name, ValueType::text, Origin::json, name, /*missing_is_empty=*/true);
  };
  s.columns = {
      constant_column("program", std::move(program)),
      column("day", ValueType::date, Origin::window_from),
      key_text("campaign"),
      key_text("medium"),
      key_text("content"),
      key_text("term"),
      json_column("clicks", ValueType::integer, "clicks"),
      json_column("leads", ValueType::integer, "leads"),
      json_column("trials", ValueType::integer, "trials"),
      json_column("trial_percent", ValueType::numeric, "trial_percent"),
      json_column("paid", ValueType::integer, "paid"),
      json_column("paid_percent", ValueType::numeric, "paid_percent"),
      json_column("commission", ValueType::numeric, "commission"),
      json_column("chat_installations", ValueType::integer, "chat_installations"),
      json_column("aha", ValueType::integer, "aha"),
  };
  return s;
}

StreamSpec history_monthly_table(std::string stream, std::string program,
                                 std::vector<std::string> paths) {
  StreamSpec s;
  s.name = std::move(stream);
  // The last 12 months, re-read whole every run; months that fall off upstream are kept.
  s.mode = SyncMode::full_list;
  s.endpoints = {endpoint(std::move(paths), Envelope::result_array)};
  s.table = "livechat.history_monthly";
  s.key = {"source", "program", "month"};
  s.columns = {
      constant_column("program", std::move(program)),
      json_column("month", ValueType::month, "date"),
      json_column("trials", ValueType::integer, "trials"),
      json_column("paid", ValueType::integer, "paid"),
      json_column("commission", ValueType::numeric, "commission"),
      json_column("leads", ValueType::integer, "leads"),
      json_column("profile_views", ValueType::integer, "profile_views"),
  };
  return s;
}

}  // namespace partnersync::connectors::livechat
