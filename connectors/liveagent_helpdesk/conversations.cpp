// Streams application and conversations: the application/status snapshot, and conversations
// in changed-datetime windows, one request per configured department (helpdesk.md "Sync
// semantics"), with the info call completing each new or changed one (conversation_info).
#include "connectors/liveagent_helpdesk/helpdesk_streams.hpp"

namespace partnersync::connectors::liveagent_helpdesk {

using model::ValueType;

model::StreamSpec application_stream() {
  auto s = helpdesk_stream("application", model::SyncMode::snapshot);
  s.endpoints = {endpoint(Paths::application, "")};
  s.table = "liveagent.application_snapshots";
  s.key = {"source", "taken_at"};
  s.columns = {
      text("liveagentversion"),
      text("gpfversion"),
      column("installed_at", ValueType::timestamp, "dateinstalled"),
      column("latest_update_at", ValueType::timestamp, "datelatestupdate"),
  };
  return s;
}

model::StreamSpec conversations_stream() {
  auto s = helpdesk_stream("conversations", model::SyncMode::created_windows);
  // 004 "Retrieves all conversations": datechanged is an opdatetime; "btw:" with both ends.
  // Whether btw includes its ends is undocumented: windows overlap by one second.
  // datefrom/dateto are not used (004 describes them backwards).
  s.from_param = "datechanged";
  s.range_operator = "btw:";
  s.param_format = model::StreamSpec::ParamFormat::datetime;
  s.window_pad_seconds = 1;
  s.fan_out_param = "department";
  s.fan_out_key = "departments";
  s.endpoints = {endpoint(Paths::conversations, "conversations")};
  s.table = "liveagent.conversations";
  s.key = {"source", "conversationid"};
  s.columns = {
      text("conversationid"),
      text("code"),
      column("created_at", ValueType::timestamp, "datecreated"),
      column("changed_at", ValueType::timestamp, "datechanged"),
      text("departmentid"),
      text("departmentname"),
      text("status"),
      text("ownername"),
      text("owneremail"),
      text("subject"),
      text("preview"),
      text("publicurlcode"),
  };
  s.children_of_changed_only = true;
  return s;
}

model::StreamSpec conversation_info_stream() {
  auto s = helpdesk_stream(std::string(kConversationInfoStream), model::SyncMode::per_parent);
  s.parent = "conversations";
  s.parent_key = "conversationid";
  s.endpoints = {endpoint(Paths::conversation, "")};
  s.table = "liveagent.conversations";
  s.key = {"source", "conversationid"};
  s.partial_update = true;  // the list row has the rest; raw stays the list record
  s.columns = {parent_key("conversationid"), text("ownernote"), text("assignedto")};
  s.not_found_column = "deleted_upstream_at";
  return s;
}

}  // namespace partnersync::connectors::liveagent_helpdesk
