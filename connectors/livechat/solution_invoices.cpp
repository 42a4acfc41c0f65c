// Stream solution_invoices: the invoices of each Solution Partner license synced in the same
// run, into livechat.solution_invoices.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec solution_invoices_stream() {
  model::StreamSpec s;
  s.name = "solution_invoices";
  s.mode = model::SyncMode::per_parent;
  s.parent = "solution_licenses";
  s.parent_key = "license";
  s.endpoints = {endpoint({"/v2/partners/resellers/licenses/{parent}/invoices"},
                          model::Envelope::result_array)};
  s.table = "livechat.solution_invoices";
  s.key = {"source", "license", "invoice_no"};
  s.columns = {
      // The invoice records do not name their license (001 "Get Licenses Invoice List").
      column("license", ValueType::text, model::Origin::parent_key),
      json_column("invoice_no", ValueType::bigint, "invoice_no"),
      json_column("issued_at", ValueType::timestamp, "date"),
      json_column("plan", ValueType::text, "plan"),
      json_column("seats", ValueType::integer, "seats"),
      json_column("billing_cycle", ValueType::text, "billing_cycle"),
      json_column("amount", ValueType::numeric, "amount"),
      json_column("status", ValueType::text, "status"),
  };
  return s;
}

}  // namespace partnersync::connectors::livechat
