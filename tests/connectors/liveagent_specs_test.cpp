// The LiveAgent declarations as a whole: one per catalog stream in run order (plus the internal
// variation_addons right after variations), paths and envelopes as 003 documents them, parents
// first, and account_attributes as an update of liveagent.accounts.max_agents.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "connectors/liveagent/liveagent_streams.hpp"
#include "connectors/stream_catalog.hpp"
#include "daemon/sync/stream_spec.hpp"

namespace partnersync::connectors {
namespace {

using sync::Envelope;
using sync::Origin;
using sync::StreamSpec;
using sync::SyncMode;
using sync::ValueType;

const std::vector<StreamSpec>& specs() {
  return sync::stream_specs(SourceKind::liveagent_reseller);
}

const StreamSpec& spec(std::string_view name) {
  const StreamSpec* s = sync::find_stream_spec(SourceKind::liveagent_reseller, name);
  if (s == nullptr) throw std::runtime_error("no spec " + std::string(name));
  return *s;
}

std::set<std::string> written_columns(const StreamSpec& s) {
  std::set<std::string> names = {"source"};
  for (const auto& c : s.columns) names.insert(c.name);
  return names;
}

const sync::ColumnSpec* column(const StreamSpec& s, std::string_view name) {
  for (const auto& c : s.columns)
    if (c.name == name) return &c;
  return nullptr;
}

TEST(LiveagentSpecs, EveryCatalogStreamHasASpecInCatalogOrderThenTheInternalOne) {
  std::vector<std::string> expected(kLiveagentStreams.begin(), kLiveagentStreams.end());
  expected.insert(std::find(expected.begin(), expected.end(), "variations") + 1,
                  std::string(liveagent::kVariationAddonsStream));
  std::vector<std::string> names;
  for (const auto& s : specs()) {
    names.push_back(s.name);
    EXPECT_EQ(s.kind, SourceKind::liveagent_reseller) << s.name;
  }
  EXPECT_EQ(names, expected);
}

TEST(LiveagentSpecs, FindStreamSpecFindsEveryCatalogStreamOnlyUnderItsKind) {
  for (auto name : kLiveagentStreams) {
    const StreamSpec* s = sync::find_stream_spec(SourceKind::liveagent_reseller, name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(s->name, name);
    EXPECT_EQ(sync::find_stream_spec(SourceKind::livechat_partner, name), nullptr) << name;
  }
}

// The config cannot name variation_addons: it must not pass as a configurable stream.
TEST(LiveagentSpecs, TheOnlyStreamOutsideTheCatalogIsVariationAddonsRunWithVariations) {
  for (const auto& s : specs()) {
    if (is_known_stream(SourceKind::liveagent_reseller, s.name)) continue;
    EXPECT_EQ(s.name, liveagent::kVariationAddonsStream);
    EXPECT_EQ(s.parent, "variations");
    EXPECT_EQ(s.mode, SyncMode::full_list);
    ASSERT_NE(s.split_body, nullptr);
    // Collected from the parent, so the engine knows variations ran with a child selected.
    EXPECT_EQ(written_columns(spec("variations")).count(s.parent_key), 1u);
    ASSERT_EQ(s.endpoints.size(), 1u);
    EXPECT_EQ(s.endpoints[0].paths, spec("variations").endpoints[0].paths);
  }
}

TEST(LiveagentSpecs, PathsAreResellerScopedAndCarryNoApiKey) {
  for (const auto& s : specs()) {
    ASSERT_FALSE(s.endpoints.empty()) << s.name;
    for (const auto& e : s.endpoints) {
      ASSERT_EQ(e.paths.size(), 1u) << s.name;  // 003 has no deprecated paths
      const std::string& p = e.paths.front();
      EXPECT_EQ(p.rfind("/api/resellers/{reseller}/", 0), 0u) << p;
      EXPECT_EQ(p.find("apikey"), std::string::npos) << p;  // the engine adds it
      EXPECT_EQ(p.find('?'), std::string::npos) << p;
    }
  }
}

// 003's list names: {"response": {"accounts"|"addons"|"users"|"licenses"|"variations": [...]}}.
TEST(LiveagentSpecs, EnvelopesNameTheDocumentedLists) {
  const std::vector<std::pair<std::string, std::string>> lists = {{"accounts", "accounts"},
                                                                  {"account_addons", "addons"},
                                                                  {"account_users", "users"},
                                                                  {"licenses", "licenses"},
                                                                  {"variations", "variations"}};
  for (const auto& [stream, list] : lists) {
    const auto& e = spec(stream).endpoints.at(0);
    EXPECT_EQ(e.envelope, Envelope::liveagent_list) << stream;
    EXPECT_EQ(e.list_key, list) << stream;
  }
  EXPECT_EQ(spec("account_attributes").endpoints.at(0).envelope, Envelope::liveagent_object);
}

TEST(LiveagentSpecs, AccountsAreReadInCreatedDatetimeWindows) {
  const auto& s = spec("accounts");
  EXPECT_EQ(s.mode, SyncMode::created_windows);
  EXPECT_EQ(s.from_param, "created_from");
  EXPECT_EQ(s.to_param, "created_to");
  EXPECT_EQ(s.param_format, StreamSpec::ParamFormat::datetime);
  EXPECT_EQ(s.endpoints.at(0).paths.at(0), "/api/resellers/{reseller}/accounts");
  EXPECT_EQ(s.table, "liveagent.accounts");
  EXPECT_EQ(s.key, (std::vector<std::string>{"source", "account_id"}));
}

TEST(LiveagentSpecs, ListsWithoutWindowsAreFullLists) {
  for (const char* name : {"licenses", "variations"}) {
    EXPECT_EQ(spec(name).mode, SyncMode::full_list) << name;
    EXPECT_EQ(spec(name).param_format, StreamSpec::ParamFormat::date) << name;  // unused
  }
}

TEST(LiveagentSpecs, AccountChildrenAreRequestedPerSyncedAccount) {
  const std::vector<std::pair<std::string, std::string>> children = {
      {"account_addons", "/api/resellers/{reseller}/accounts/{parent}/addons"},
      {"account_users", "/api/resellers/{reseller}/accounts/{parent}/users"},
      {"account_attributes", "/api/resellers/{reseller}/accounts/{parent}/attributes/max_agents"}};
  for (const auto& [name, path] : children) {
    const auto& s = spec(name);
    EXPECT_EQ(s.mode, SyncMode::per_parent) << name;
    EXPECT_EQ(s.parent, "accounts") << name;
    EXPECT_EQ(s.parent_key, "account_id") << name;
    EXPECT_EQ(s.endpoints.at(0).paths.at(0), path) << name;
    const auto* account = column(s, "account_id");
    ASSERT_NE(account, nullptr) << name;
    EXPECT_EQ(account->origin, Origin::parent_key) << name;
    EXPECT_EQ(s.key.at(1), "account_id") << name;
  }
}

TEST(LiveagentSpecs, AccountAttributesOnlyUpdateMaxAgentsOfAccounts) {
  const auto& s = spec("account_attributes");
  EXPECT_TRUE(s.partial_update);
  EXPECT_EQ(s.table, spec("accounts").table);
  EXPECT_EQ(s.key, spec("accounts").key);
  ASSERT_EQ(s.columns.size(), 3u);
  const auto* max_agents = column(s, "max_agents");
  ASSERT_NE(max_agents, nullptr);
  EXPECT_EQ(max_agents->origin, Origin::json);
  EXPECT_EQ(max_agents->path, "value");  // 003 "Get account attribute"
  EXPECT_EQ(max_agents->type, ValueType::integer);
  // Issue 12: what is not an integer is kept as served beside it.
  const auto* max_agents_raw = column(s, "max_agents_raw");
  ASSERT_NE(max_agents_raw, nullptr);
  EXPECT_EQ(max_agents_raw->path, "value");
  EXPECT_EQ(max_agents_raw->type, ValueType::text);
  // The rows it completes come from accounts, which must not overwrite max_agents.
  EXPECT_EQ(column(spec("accounts"), "max_agents"), nullptr);
  for (const auto& other : specs()) {
    if (&other != &s && other.name != "license_attributes") {
      EXPECT_FALSE(other.partial_update) << other.name;
    }
  }
}

TEST(LiveagentSpecs, LicenseAttributesOnlyUpdateMaxAgentsOfLicenses) {
  const auto& s = spec("license_attributes");
  EXPECT_TRUE(s.partial_update);
  EXPECT_EQ(s.mode, SyncMode::per_parent);
  EXPECT_EQ(s.parent, "licenses");
  EXPECT_EQ(s.table, spec("licenses").table);
  EXPECT_EQ(s.key, spec("licenses").key);
  EXPECT_EQ(s.endpoints.at(0).paths.at(0),
            "/api/resellers/{reseller}/licenses/{parent}/attributes/max_agents");
  for (const char* name : {"max_agents", "max_agents_raw"}) {
    ASSERT_NE(column(s, name), nullptr) << name;
    EXPECT_EQ(column(spec("licenses"), name), nullptr) << name;  // licenses never writes it
  }
  EXPECT_EQ(spec("license_addons").endpoints.at(0).paths.at(0),
            "/api/resellers/{reseller}/licenses/{parent}/addons");
  EXPECT_EQ(spec("license_addons").parent, "licenses");
}

TEST(LiveagentSpecs, KeysStartWithSourceAndNameOnlyWrittenColumns) {
  for (const auto& s : specs()) {
    ASSERT_FALSE(s.key.empty()) << s.name;
    EXPECT_EQ(s.key.front(), "source") << s.name;
    const auto written = written_columns(s);
    for (const auto& k : s.key) EXPECT_EQ(written.count(k), 1u) << s.name << " key " << k;
  }
  EXPECT_EQ(spec("account_addons").key,
            (std::vector<std::string>{"source", "account_id", "addon_id", "license_code"}));
  EXPECT_EQ(spec("account_users").key,
            (std::vector<std::string>{"source", "account_id", "userid"}));
  EXPECT_EQ(spec("licenses").key, (std::vector<std::string>{"source", "license_code"}));
  EXPECT_EQ(spec("variations").key, (std::vector<std::string>{"source", "variation_id"}));
  EXPECT_EQ(spec(liveagent::kVariationAddonsStream).key,
            (std::vector<std::string>{"source", "variation_id", "addon_id"}));
}

TEST(LiveagentSpecs, ColumnNamesAreUniqueAndNotBookkeeping) {
  for (const auto& s : specs()) {
    std::set<std::string> seen;
    for (const auto& c : s.columns) {
      EXPECT_TRUE(seen.insert(c.name).second) << s.name << " repeats " << c.name;
      for (const char* reserved :
           {"source", "raw", "first_seen_at", "last_changed_at", "last_seen_at", "taken_at",
            "valid_from", "valid_to", "status_label", "license_status_label"})
        EXPECT_NE(c.name, reserved) << s.name;  // labels are generated by PostgreSQL
    }
  }
}

// 003 "Datafield formats": datetimes are timestamps; prices (float, sent as "99.90") numeric;
// one-letter codes text.
TEST(LiveagentSpecs, DocumentedTypesMapToTimestampNumericAndText) {
  const std::vector<std::tuple<std::string, std::string, ValueType>> expected = {
      {"accounts", "created_at", ValueType::timestamp},
      {"accounts", "last_login_at", ValueType::timestamp},
      {"accounts", "status", ValueType::text},
      {"account_addons", "price", ValueType::numeric},
      {"account_addons", "valid_from_at", ValueType::timestamp},
      {"account_addons", "valid_to_at", ValueType::timestamp},
      {"account_addons", "license_code", ValueType::text},
      {"account_addons", "status", ValueType::text},
      {"account_users", "created_at", ValueType::timestamp},
      {"licenses", "valid_from_at", ValueType::timestamp},
      {"licenses", "valid_to_at", ValueType::timestamp},
      {"licenses", "license_status", ValueType::text},
      {"variations", "created_at", ValueType::timestamp},
      {"variation_addons", "price", ValueType::numeric}};
  for (const auto& [stream, name, type] : expected) {
    const auto* c = column(spec(stream), name);
    ASSERT_NE(c, nullptr) << stream << "." << name;
    EXPECT_EQ(c->type, type) << stream << "." << name;
  }
}

TEST(LiveagentSpecs, ParentsRunBeforeTheStreamsThatNeedThem) {
  for (std::size_t i = 0; i < specs().size(); ++i) {
    const auto& s = specs()[i];
    if (s.parent.empty()) continue;
    const auto parent = std::find_if(specs().begin(), specs().end(),
                                     [&](const auto& p) { return p.name == s.parent; });
    ASSERT_NE(parent, specs().end()) << s.name;
    EXPECT_LT(static_cast<std::size_t>(parent - specs().begin()), i) << s.name;
    EXPECT_EQ(written_columns(*parent).count(s.parent_key), 1u) << s.name;
    if (s.mode == SyncMode::per_parent) {
      EXPECT_NE(s.endpoints.at(0).paths.at(0).find("{parent}"), std::string::npos) << s.name;
    }
  }
}

TEST(LiveagentSpecs, NoStreamTreatsForbiddenAsNotApplicable) {
  // 003 documents 401 for a wrong key and no "not applicable" 403.
  for (const auto& s : specs()) EXPECT_FALSE(s.forbidden_is_not_applicable) << s.name;
}

}  // namespace
}  // namespace partnersync::connectors
