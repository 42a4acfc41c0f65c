// Stream leads: the Partner Program's referred partners (leads) and their totals, re-read whole
// every run, into livechat.leads.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec leads_stream() {
  model::StreamSpec s;
  s.name = "leads";
  s.mode = model::SyncMode::full_list;
  s.endpoints = {endpoint({"/v2/partners/affiliates/livechat-partner-program/leads"},
                          model::Envelope::result_array)};
  s.table = "livechat.leads";
  s.key = {"source", "partner_id"};
  s.columns = {
      json_column("partner_id", ValueType::text, "partner_id"),
      json_column("created_at", ValueType::timestamp, "creation_timestamp"),
      json_column("campaign", ValueType::text, "campaign"),
      json_column("medium", ValueType::text, "medium"),
      json_column("content", ValueType::text, "content"),
      json_column("term", ValueType::text, "term"),
      json_column("active_trials", ValueType::integer, "active_trials"),
      json_column("active_trials_cc_added", ValueType::integer, "active_trials_cc_added"),
      json_column("total_trials", ValueType::integer, "total_trials"),
      json_column("active_paid", ValueType::integer, "active_paid"),
      json_column("total_paid", ValueType::integer, "total_paid"),
      json_column("commission", ValueType::numeric, "commission"),
  };
  return s;
}

}  // namespace partnersync::connectors::livechat
