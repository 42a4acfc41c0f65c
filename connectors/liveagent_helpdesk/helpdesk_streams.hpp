// The LiveAgent helpdesk streams (kind liveagent_helpdesk, ../shared/design/helpdesk.md) as
// declarations, one file per group of streams beside this header. Every path is in kPaths.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/model/stream_spec.hpp"

namespace partnersync::connectors::liveagent_helpdesk {

// helpdesk.md "Paths": 004 shows none, so they are decided there; one table, so a correction is
// a one-line change. The engine adds the apikey query parameter; "{parent}" is the key.
struct Paths {
  static constexpr std::string_view application = "/api/application/status";
  static constexpr std::string_view conversations = "/api/conversations";
  static constexpr std::string_view conversation = "/api/conversations/{parent}";
  static constexpr std::string_view messages = "/api/conversations/{parent}/messages";
  static constexpr std::string_view tags = "/api/conversations/{parent}/tags";
  static constexpr std::string_view customers = "/api/customers";
  static constexpr std::string_view customer_groups = "/api/customers/groups";
  static constexpr std::string_view agent = "/api/agents/{parent}";
};

model::StreamSpec application_stream();
model::StreamSpec conversations_stream();
// Internal (not configurable, run with conversations): the info call's ownernote and
// assignedto, completing liveagent.conversations; a 404 sets deleted_upstream_at.
inline constexpr std::string_view kConversationInfoStream = "conversation_info";
model::StreamSpec conversation_info_stream();
model::StreamSpec conversation_custom_fields_stream();
model::StreamSpec conversation_messages_stream();
// The message groups of the messages call: a StreamSpec::same_body table of
// conversation_messages (one request fills both tables), not a stream that runs on its own.
inline constexpr std::string_view kMessageGroupsStream = "conversation_message_groups";
model::StreamSpec conversation_message_groups_stream();
model::StreamSpec conversation_tags_stream();
model::StreamSpec customers_stream();
model::StreamSpec customer_groups_stream();
model::StreamSpec agents_stream();

// Every stream in run order: conversations before its children, agents (which reads the
// conversations' assignedto) last.
std::vector<model::StreamSpec> helpdesk_stream_specs();

// A messages body ({"response":{"groups":[{"messagegroupid":..., "messages":[...]}, ...]}})
// as one record per message, with "messagegroupid" (the group's token as received, null when
// absent) inserted as its first member. Throws std::invalid_argument on another shape and on
// an error envelope.
std::vector<std::string> split_messages(std::string_view body);

// ---- builders ----

inline model::ColumnSpec column(std::string name, model::ValueType type, std::string path) {
  model::ColumnSpec c;
  c.name = std::move(name);
  c.type = type;
  c.origin = model::Origin::json;
  c.path = std::move(path);
  return c;
}

inline model::ColumnSpec text(std::string name) {
  std::string path = name;
  return column(std::move(name), model::ValueType::text, std::move(path));
}

inline model::ColumnSpec parent_key(std::string name) {
  model::ColumnSpec c;
  c.name = std::move(name);
  c.type = model::ValueType::text;
  c.origin = model::Origin::parent_key;
  return c;
}

inline model::EndpointSpec endpoint(std::string_view path, std::string list_key) {
  model::EndpointSpec e;
  e.paths = {std::string(path)};
  e.envelope =
      list_key.empty() ? model::Envelope::liveagent_object : model::Envelope::liveagent_list;
  e.list_key = std::move(list_key);
  return e;
}

// What every helpdesk stream shares: its kind and blank text as NULL (helpdesk.md "Source").
inline model::StreamSpec helpdesk_stream(std::string name, model::SyncMode mode) {
  model::StreamSpec s;
  s.name = std::move(name);
  s.kind = model::SourceKind::liveagent_helpdesk;
  s.mode = mode;
  s.blank_is_null = true;
  return s;
}

}  // namespace partnersync::connectors::liveagent_helpdesk
