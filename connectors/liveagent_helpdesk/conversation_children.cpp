// Streams conversation_custom_fields, conversation_messages (+ conversation_message_groups
// from the same bodies) and conversation_tags: read for the conversations that are new
// or changed in the run (conversations declares children_of_changed_only).
#include <simdjson.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "connectors/liveagent_helpdesk/helpdesk_streams.hpp"

namespace partnersync::connectors::liveagent_helpdesk {

using model::ValueType;

namespace {

// 004 "Add custom field value": "Same field can be added multiple times": a code's position
// among the equal codes of one conversation (1, 2, ...) completes the key.
class CodeOrdinal final : public model::KeyDeriver {
 public:
  void start() override { seen_.clear(); }
  std::string_view derive(std::span<const std::string_view> inputs) override {
    const std::string code(inputs.empty() ? std::string_view{} : inputs[0]);
    text_ = std::to_string(++seen_[code]);
    return text_;
  }

 private:
  std::map<std::string, int> seen_;
  std::string text_;
};

std::unique_ptr<model::KeyDeriver> make_code_ordinal() { return std::make_unique<CodeOrdinal>(); }

model::StreamSpec child(std::string name, std::string_view path, std::string list_key) {
  auto s = helpdesk_stream(std::move(name), model::SyncMode::per_parent);
  s.parent = "conversations";
  s.parent_key = "conversationid";
  s.endpoints = {endpoint(path, std::move(list_key))};
  return s;
}

}  // namespace

model::StreamSpec conversation_custom_fields_stream() {
  auto s = child("conversation_custom_fields", Paths::conversation, "customfields");
  s.table = "liveagent.conversation_custom_fields";
  s.key = {"source", "conversationid", "code", "ordinal"};
  model::ColumnSpec ordinal;
  ordinal.name = "ordinal";
  ordinal.type = ValueType::integer;
  ordinal.origin = model::Origin::derived;
  s.columns = {parent_key("conversationid"), text("code"), ordinal, text("value")};
  s.key_derivation = {"custom_field_ordinal", {"code"}, make_code_ordinal};
  s.removed_column = "removed_at";
  s.set_scope = "conversationid";
  return s;
}

model::StreamSpec conversation_messages_stream() {
  auto s = child("conversation_messages", Paths::messages, "");
  s.table = "liveagent.conversation_messages";
  s.key = {"source", "conversationid", "messageid"};
  s.columns = {parent_key("conversationid"),
               text("messageid"),
               text("messagegroupid"),
               text("userid"),
               text("rtype"),
               column("created_at", ValueType::timestamp, "datecreated"),
               text("message")};
  s.split_body = split_messages;
  // One request per conversation for both tables: the groups come from the same body.
  s.same_body = {conversation_message_groups_stream()};
  return s;
}

model::StreamSpec conversation_message_groups_stream() {
  auto s = child(std::string(kMessageGroupsStream), Paths::messages, "groups");
  s.table = "liveagent.conversation_message_groups";
  s.key = {"source", "conversationid", "messagegroupid"};
  s.columns = {parent_key("conversationid"),
               text("messagegroupid"),
               text("userid"),
               text("rtype"),
               text("rstatus"),
               column("created_at", ValueType::timestamp, "datecreated"),
               column("finished_at", ValueType::timestamp, "datefinished")};
  return s;
}

model::StreamSpec conversation_tags_stream() {
  auto s = child("conversation_tags", Paths::tags, "tags");
  s.table = "liveagent.conversation_tags";
  s.key = {"source", "conversationid", "tag_id"};
  s.columns = {parent_key("conversationid"), column("tag_id", ValueType::text, "id"), text("name")};
  s.removed_column = "removed_at";
  s.set_scope = "conversationid";
  return s;
}

std::vector<std::string> split_messages(std::string_view body) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (const auto error = parser.parse(body.data(), body.size()).get(doc))
    throw std::invalid_argument(std::string("messages body is not valid JSON: ") +
                                simdjson::error_message(error));
  simdjson::dom::object response;
  if (doc["response"].get(response))
    throw std::invalid_argument("the body has no \"response\" object");
  std::string_view status;
  if (!response["status"].get(status) && status == "ERROR") {
    std::string_view message;
    std::int64_t code = 0;
    if (response["errormessage"].get(message)) message = "";
    if (response["statuscode"].get(code)) code = 0;
    throw std::invalid_argument("upstream error " + std::to_string(code) + ": " +
                                std::string(message));
  }
  simdjson::dom::element groups;
  if (response["groups"].get(groups))
    throw std::invalid_argument("the response has no \"groups\" list");
  if (groups.is_null()) return out;
  if (!groups.is_array()) throw std::invalid_argument("\"groups\" is not an array");
  for (simdjson::dom::element group : groups.get_array()) {
    if (!group.is_object()) continue;  // the groups stream quarantines it
    std::string id = "null";
    simdjson::dom::element id_value;
    if (!group["messagegroupid"].get(id_value)) id = simdjson::minify(id_value);
    simdjson::dom::element messages;
    if (group["messages"].get(messages) || !messages.is_array()) continue;
    for (simdjson::dom::element message : messages.get_array()) {
      std::string text = simdjson::minify(message);
      if (!message.is_object()) {
        out.push_back(std::move(text));  // the record parser quarantines it
        continue;
      }
      std::string record = "{\"messagegroupid\":" + id;
      if (text.size() > 2) record += ',';
      record.append(text, 1, std::string::npos);
      out.push_back(std::move(record));
    }
  }
  return out;
}

}  // namespace partnersync::connectors::liveagent_helpdesk
