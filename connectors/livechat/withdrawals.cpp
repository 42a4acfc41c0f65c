// Stream withdrawals: affiliate withdrawal requests in request-date windows, into
// livechat.withdrawals.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec withdrawals_stream() {
  model::StreamSpec s;
  s.name = "withdrawals";
  // date_from/date_to filter on the request date (001 "Get Withdrawal List").
  s.mode = model::SyncMode::created_windows;
  s.endpoints = {endpoint({"/v2/partners/affiliates/withdrawals"}, model::Envelope::result_array)};
  s.table = "livechat.withdrawals";
  s.key = {"source", "withdrawal_key"};
  s.columns = {
      // withdrawal_id as text. The old list (000) has no withdrawal_id: its request
      // timestamp, to the second, identifies the request instead.
      json_column("withdrawal_key", ValueType::text, "withdrawal_id|request_timestamp"),
      json_column("withdrawal_id", ValueType::bigint, "withdrawal_id"),
      json_column("requested_at", ValueType::timestamp, "request_timestamp"),
      json_column("action_at", ValueType::timestamp, "action_timestamp"),
      json_column("status", ValueType::text, "status"),
      json_column("amount", ValueType::numeric, "amount"),
      json_column("invoice_id", ValueType::text, "invoice_id"),
  };
  return s;
}

}  // namespace partnersync::connectors::livechat
