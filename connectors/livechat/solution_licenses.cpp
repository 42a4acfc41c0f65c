// Stream solution_licenses: Solution Partner (reseller) licenses in created-date windows, each
// completed by its details request, into livechat.solution_licenses.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec solution_licenses_stream() {
  model::StreamSpec s;
  s.name = "solution_licenses";
  s.mode = model::SyncMode::created_windows;
  s.endpoints = {endpoint({"/v2/partners/resellers/licenses"}, model::Envelope::result_array)};
  s.table = "livechat.solution_licenses";
  s.key = {"source", "license"};
  s.columns = {
      json_column("license", ValueType::text, "license"),
      json_column("client_name", ValueType::text, "client_name"),
      json_column("client_email", ValueType::text, "client_email"),
      json_column("purchase_order", ValueType::text, "purchase_order"),
      json_column("created_at", ValueType::timestamp, "creation_timestamp"),
      json_column("end_at", ValueType::timestamp, "end_timestamp"),
      json_column("cc_added", ValueType::boolean, "cc_added"),
      json_column("paid", ValueType::boolean, "paid"),
      json_column("seats", ValueType::integer, "seats"),
      json_column("plan", ValueType::text, "plan"),
      json_column("billing_cycle", ValueType::text, "billing_cycle"),
      json_column("total_discount", ValueType::numeric, "total_discount"),
      json_column("discount_percent", ValueType::numeric, "discount_percent"),
      json_column("expired", ValueType::boolean, "expired"),
      json_column("blocked", ValueType::boolean, "blocked"),
      json_column("payment_origin", ValueType::text, "payment_origin"),
      json_column("conversations", ValueType::integer, "conversations"),
      json_column("conversations_last_30_days", ValueType::integer, "conversations_last_30_days"),
      json_column("total_commission", ValueType::numeric, "total_commission"),
      json_column("commission_percent", ValueType::numeric, "commission_percent"),
      json_column("data_center", ValueType::text, "data_center"),
  };
  // Only the details (001 "Get License Details") carry the `recurly` object; they hold every
  // list field too, so the detail record replaces the list record and its raw.
  model::DetailSpec details;
  details.path = "/v2/partners/resellers/licenses/{key}";
  details.key_column = "license";
  details.envelope = model::Envelope::object;
  details.columns = {json_column("recurly_subscriber", ValueType::boolean, "recurly/subscriber"),
                     json_column("recurly_in_trial", ValueType::boolean, "recurly/in_trial"),
                     json_column("recurly_recurrent", ValueType::boolean, "recurly/recurrent")};
  s.details = {std::move(details)};
  return s;
}

}  // namespace partnersync::connectors::livechat
