// Streams customers (created-datetime windows, offset paging), customer_groups (a replacing
// set) and agents (every assignedto id of the conversations); authtoken, a credential, is
// removed from every body before anything reads or stores it (helpdesk.md "Streams").
#include "connectors/liveagent_helpdesk/helpdesk_streams.hpp"

namespace partnersync::connectors::liveagent_helpdesk {

using model::ValueType;

model::StreamSpec customers_stream() {
  auto s = helpdesk_stream("customers", model::SyncMode::created_windows);
  // 004 "Retrieves all customers": "created after" / "created before" (exclusive by their
  // wording): windows overlap by one second.
  s.from_param = "datecreatedfrom";
  s.to_param = "datecreatedto";
  s.param_format = model::StreamSpec::ParamFormat::datetime;
  s.window_pad_seconds = 1;
  // limitcount must always be sent: without it the server answers 100 rows (004 "Max allowed
  // value is 1000, Default value is 100").
  s.paging.count_param = "limitcount";
  s.paging.offset_param = "limitfrom";
  s.paging.page_size = 1000;
  s.endpoints = {endpoint(Paths::customers, "customers")};
  s.table = "liveagent.customers";
  s.key = {"source", "contactid"};
  s.columns = {text("contactid"),  text("email"),  text("firstname"),
               text("lastname"),   text("systemname"), text("userid"),
               column("created_at", ValueType::timestamp, "datecreated"),
               text("role"),       text("gender")};
  s.removed_fields = {"authtoken"};
  return s;
}

model::StreamSpec customer_groups_stream() {
  auto s = helpdesk_stream("customer_groups", model::SyncMode::full_list);
  s.endpoints = {endpoint(Paths::customer_groups, "groups")};
  s.table = "liveagent.customer_groups";
  s.key = {"source", "groupid"};
  s.columns = {column("groupid", ValueType::text, "id"), text("name")};
  s.removed_column = "removed_at";  // scope: the whole source
  // 004: "Avaliable from application version: 4.0.19.1"; older versions do not know the call.
  s.not_found_is_not_applicable = true;
  return s;
}

model::StreamSpec agents_stream() {
  auto s = helpdesk_stream("agents", model::SyncMode::per_parent);
  // 004 has no call that lists agents: the ids are the conversations' assignedto values.
  s.keys_from = {"liveagent.conversations", "assignedto"};
  s.endpoints = {endpoint(Paths::agent, "")};
  s.table = "liveagent.agents";
  s.key = {"source", "userid"};
  s.columns = {parent_key("userid"),       text("contactid"), text("email"),
               text("firstname"),          text("lastname"),  text("systemname"),
               text("browsercookiename"),  text("gender"),    text("role")};
  s.removed_fields = {"authtoken"};
  s.not_found_column = "deleted_upstream_at";
  return s;
}

}  // namespace partnersync::connectors::liveagent_helpdesk
