// Stream coupons: the partner's active coupons (/v2/partners/coupons), re-read whole every run
// into livechat.coupons; a coupon no longer listed keeps its row and gets removed_at.
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec coupons_stream() {
  model::StreamSpec s;
  s.name = "coupons";
  s.mode = model::SyncMode::full_list;
  // 001 and 000 "Get Active Coupons": the list is of *active* coupons, so one that is gone
  // was withdrawn: removed_at, not a deleted row.
  s.endpoints = {endpoint({"/v2/partners/coupons"}, model::Envelope::result_array)};
  s.table = "livechat.coupons";
  s.key = {"source", "coupon_id"};
  s.columns = {
      json_column("coupon_id", ValueType::text, "id"),  // a JSON number upstream, kept as text
      json_column("label", ValueType::text, "label"),
  };
  s.removed_column = "removed_at";  // a coupon no longer listed (the whole list is the set)
  return s;
}

}  // namespace partnersync::connectors::livechat
