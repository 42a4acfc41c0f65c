// Stream expert_comments: the comments on the partner's Expert profile, re-read whole every
// run into livechat.expert_comments; 403 = not an Expert.
#include "connectors/livechat/affiliate_license_key.hpp"
#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::livechat {

using model::ValueType;

model::StreamSpec expert_comments_stream() {
  model::StreamSpec s;
  s.name = "expert_comments";
  s.mode = model::SyncMode::full_list;
  s.endpoints = {endpoint({"/v2/partners/experts/comments"}, model::Envelope::result_array)};
  s.table = "livechat.expert_comments";
  s.key = {"source", "comment_key"};
  // Comments have no id (001 "Get Comments"): the key is derived like an affiliate license's.
  s.key_derivation = expert_comment_key();
  s.columns = {
      column("comment_key", ValueType::text, model::Origin::derived),
      json_column("author", ValueType::text, "author"),
      json_column("comment", ValueType::text, "comment"),
      json_column("website", ValueType::text, "website"),
      json_column("created_at", ValueType::timestamp, "creation_timestamp"),
  };
  // 001 "Get Comments": 403 when the partner is not an Expert.
  s.forbidden_is_not_applicable = true;
  return s;
}

}  // namespace partnersync::connectors::livechat
