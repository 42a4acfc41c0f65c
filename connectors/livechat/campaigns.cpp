// Stream campaigns: the active and disabled campaigns of both affiliate programs, re-read whole
// every run, into livechat.campaigns.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

namespace {

model::EndpointSpec campaign_list(std::vector<std::string> paths, std::string program,
                                  std::string status) {
  return endpoint(std::move(paths), model::Envelope::result_array,
                  {{"program", std::move(program)}, {"status", std::move(status)}});
}

}  // namespace

model::StreamSpec campaigns_stream() {
  model::StreamSpec s;
  s.name = "campaigns";
  s.mode = model::SyncMode::full_list;
  // Disabled lists first: a slug can be in both lists (001's examples show pp_another-campaign
  // disabled and active again), and the later endpoint's row must win, i.e. 'active'.
  s.endpoints = {
      campaign_list({"/v2/partners/affiliates/livechat/campaigns/disabled",
                     "/v2/partners/affiliates/campaigns/disabled"},
                    "livechat", "disabled"),
      campaign_list({"/v2/partners/affiliates/livechat/campaigns/active",
                     "/v2/partners/affiliates/campaigns/active"},
                    "livechat", "active"),
      campaign_list({"/v2/partners/affiliates/livechat-partner-program/campaigns/disabled"},
                    "partner_program", "disabled"),
      campaign_list({"/v2/partners/affiliates/livechat-partner-program/campaigns/active"},
                    "partner_program", "active"),
  };
  s.table = "livechat.campaigns";
  s.key = {"source", "program", "slug"};
  s.columns = {
      endpoint_constant_column("program"),
      json_column("slug", ValueType::text, "slug"),
      endpoint_constant_column("status"),
      json_column("name", ValueType::text, "name"),
      json_column("trial_duration", ValueType::integer, "trial_duration"),
      json_column("discount", ValueType::text, "discount"),
      json_column("url", ValueType::text, "url"),
      json_column("short_url", ValueType::text, "short_url"),
      json_column("created_at", ValueType::timestamp, "creation_timestamp"),
      json_column("disabled_at", ValueType::timestamp, "disabled_timestamp"),
  };
  return s;
}

}  // namespace partnersync::connectors::livechat
