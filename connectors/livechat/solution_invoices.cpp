// Stream solution_invoices: the invoices of each Solution Partner license synced in the same
// run, into livechat.solution_invoices.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using sync::ValueType;

sync::StreamSpec solution_invoices_stream() {
  sync::StreamSpec s;
  s.name = "solution_invoices";
  s.mode = sync::SyncMode::per_parent;
  s.parent = "solution_licenses";
  s.parent_key = "license";
  s.endpoints = {endpoint({"/v2/partners/resellers/licenses/{parent}/invoices"},
                          sync::Envelope::result_array)};
  s.table = "livechat.solution_invoices";
  s.key = {"source", "license", "invoice_no"};
  s.columns = {
      // The invoice records do not name their license (001 "Get Licenses Invoice List").
      column("license", ValueType::text, sync::Origin::parent_key),
      json_column("invoice_no", ValueType::integer, "invoice_no"),
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
