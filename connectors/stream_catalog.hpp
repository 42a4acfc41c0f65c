// The names of every stream per source kind: the configuration validates `streams:` against
// these, and the sync engine looks each name up in the connector declarations.
#pragma once

#include <array>
#include <string_view>
#include <utility>

#include "daemon/model/source_kind.hpp"

namespace partnersync::connectors {

using model::SourceKind;
using model::to_string;

// From ../shared/design/streams.md, in the order a pass runs them.
inline constexpr std::array<std::string_view, 21> kLivechatStreams = {"affiliate_licenses",
                                                                      "partner_program_licenses",
                                                                      "solution_licenses",
                                                                      "solution_invoices",
                                                                      "affiliate_performance",
                                                                      "partner_program_performance",
                                                                      "affiliate_history",
                                                                      "partner_program_history",
                                                                      "solution_history",
                                                                      "expert_history",
                                                                      "earnings",
                                                                      "stats",
                                                                      "withdrawals",
                                                                      "campaigns",
                                                                      "leads",
                                                                      "profile",
                                                                      "coupons",
                                                                      "solution_operators",
                                                                      "expert_profile",
                                                                      "expert_stats",
                                                                      "expert_comments"};

inline constexpr std::array<std::string_view, 8> kLiveagentStreams = {
    "accounts", "account_addons", "account_users",  "account_attributes",
    "licenses", "variations",     "license_addons", "license_attributes"};

// LiveAgent helpdesk (kind liveagent_helpdesk, ../shared/design/helpdesk.md "Streams").
inline constexpr std::array<std::string_view, 8> kHelpdeskStreams = {
    "application",          "conversations", "conversation_custom_fields",
    "conversation_messages", "conversation_tags", "customers",
    "customer_groups",       "agents"};

// Child streams read the keys of their parent's records synced in the same pass, so a child
// without its parent would sync nothing. (connectors_test checks this against the
// declarations' StreamSpec::parent.)
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kStreamParents = {{
    {"solution_invoices", "solution_licenses"},
    {"solution_operators", "solution_licenses"},
    {"license_addons", "licenses"},
    {"license_attributes", "licenses"},
    {"account_addons", "accounts"},
    {"account_users", "accounts"},
    {"account_attributes", "accounts"},
    {"conversation_custom_fields", "conversations"},
    {"conversation_messages", "conversations"},
    {"conversation_tags", "conversations"},
}};

// The parent `name` needs, or "" for a stream that stands alone.
constexpr std::string_view parent_of(std::string_view name) {
  for (const auto& [child, parent] : kStreamParents)
    if (child == name) return parent;
  return {};
}

constexpr bool is_known_stream(SourceKind kind, std::string_view name) {
  if (kind == model::SourceKind::livechat_partner) {
    for (auto s : kLivechatStreams)
      if (s == name) return true;
  } else if (kind == model::SourceKind::liveagent_helpdesk) {
    for (auto s : kHelpdeskStreams)
      if (s == name) return true;
  } else {
    for (auto s : kLiveagentStreams)
      if (s == name) return true;
  }
  return false;
}

}  // namespace partnersync::connectors
