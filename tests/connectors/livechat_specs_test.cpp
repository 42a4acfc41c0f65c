// The LiveChat declarations as a whole: one per catalog stream in run order, keys made of
// written columns, constants supplied, parents first, current paths before deprecated ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "connectors/livechat/livechat_streams.hpp"
#include "connectors/stream_catalog.hpp"
#include "daemon/sync/stream_spec.hpp"

namespace partnersync::connectors {
namespace {

using sync::Origin;
using sync::SourceKind;
using sync::StreamSpec;

const std::vector<StreamSpec>& specs() { return sync::stream_specs(SourceKind::livechat_partner); }

std::set<std::string> written_columns(const StreamSpec& s) {
  std::set<std::string> names = {"source"};
  for (const auto& c : s.columns) names.insert(c.name);
  for (const auto& d : s.details)
    for (const auto& c : d.columns) names.insert(c.name);
  return names;
}

TEST(LivechatSpecs, EveryCatalogStreamHasASpecInCatalogOrder) {
  ASSERT_EQ(specs().size(), kLivechatStreams.size());
  for (std::size_t i = 0; i < kLivechatStreams.size(); ++i) {
    EXPECT_EQ(specs()[i].name, kLivechatStreams[i]);
    EXPECT_EQ(specs()[i].kind, SourceKind::livechat_partner) << specs()[i].name;
  }
}

TEST(LivechatSpecs, FindStreamSpecFindsEveryStreamByNameAndNothingElse) {
  for (auto name : kLivechatStreams) {
    const StreamSpec* spec = sync::find_stream_spec(SourceKind::livechat_partner, name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->name, name);
  }
  EXPECT_EQ(sync::find_stream_spec(SourceKind::livechat_partner, "tokens"), nullptr);
  EXPECT_EQ(sync::find_stream_spec(SourceKind::liveagent_reseller, "affiliate_licenses"), nullptr);
}

TEST(LivechatSpecs, KeysStartWithSourceAndNameOnlyWrittenColumns) {
  for (const auto& s : specs()) {
    ASSERT_FALSE(s.key.empty()) << s.name;
    EXPECT_EQ(s.key.front(), "source") << s.name;
    const auto written = written_columns(s);
    for (const auto& k : s.key) {
      // Snapshot tables' taken_at is filled by the engine, never declared.
      if (k == "taken_at") {
        EXPECT_EQ(s.mode, sync::SyncMode::snapshot) << s.name;
        EXPECT_EQ(written.count(k), 0u) << s.name;
        continue;
      }
      EXPECT_EQ(written.count(k), 1u) << s.name << " key column " << k;
    }
    if (s.mode == sync::SyncMode::snapshot) {
      EXPECT_NE(std::find(s.key.begin(), s.key.end(), "taken_at"), s.key.end()) << s.name;
    }
  }
}

TEST(LivechatSpecs, ColumnNamesAreUniqueAndNotBookkeeping) {
  for (const auto& s : specs()) {
    std::set<std::string> seen;
    for (const auto& c : s.columns) {
      EXPECT_TRUE(seen.insert(c.name).second) << s.name << " repeats " << c.name;
      for (const char* reserved : {"source", "raw", "first_seen_at", "last_changed_at",
                                   "last_seen_at", "taken_at", "valid_from", "valid_to"})
        EXPECT_NE(c.name, reserved) << s.name;
    }
    for (const auto& d : s.details)
      for (const auto& c : d.columns)
        EXPECT_TRUE(seen.insert(c.name).second) << s.name << " detail repeats " << c.name;
  }
}

TEST(LivechatSpecs, EveryEndpointSuppliesTheConstantsItsColumnsLeaveOpen) {
  for (const auto& s : specs()) {
    std::set<std::string> names;
    for (const auto& c : s.columns) names.insert(c.name);
    for (const auto& e : s.endpoints) {
      for (const auto& [name, value] : e.constants) {
        EXPECT_EQ(names.count(name), 1u) << s.name << ": endpoint constant " << name;
        EXPECT_FALSE(value.empty()) << s.name << ": " << name;
      }
      for (const auto& c : s.columns) {
        if (c.origin != Origin::constant || !c.path.empty()) continue;
        const bool supplied = std::any_of(e.constants.begin(), e.constants.end(),
                                          [&](const auto& kv) { return kv.first == c.name; });
        EXPECT_TRUE(supplied) << s.name << " " << e.paths.front() << " lacks " << c.name;
      }
    }
  }
}

TEST(LivechatSpecs, CampaignsCoverBothProgramsAndBothListsWithActiveReadLast) {
  const StreamSpec* s = sync::find_stream_spec(SourceKind::livechat_partner, "campaigns");
  ASSERT_NE(s, nullptr);
  std::set<std::pair<std::string, std::string>> seen;
  std::set<std::string> active_read;
  for (const auto& e : s->endpoints) {
    std::string program, status;
    for (const auto& [k, v] : e.constants) (k == "program" ? program : status) = v;
    seen.insert({program, status});
    // A slug in both lists must end 'active': its disabled list is read before its active one.
    if (status == "active") active_read.insert(program);
    if (status == "disabled") {
      EXPECT_EQ(active_read.count(program), 0u) << program;
    }
  }
  EXPECT_EQ(seen, (std::set<std::pair<std::string, std::string>>{{"livechat", "active"},
                                                                 {"livechat", "disabled"},
                                                                 {"partner_program", "active"},
                                                                 {"partner_program", "disabled"}}));
}

TEST(LivechatSpecs, ParentsRunBeforeChildrenAndTheirKeysAreColumns) {
  for (std::size_t i = 0; i < specs().size(); ++i) {
    const auto& s = specs()[i];
    if (s.mode != sync::SyncMode::per_parent) continue;
    const auto parent = std::find_if(specs().begin(), specs().end(),
                                     [&](const auto& p) { return p.name == s.parent; });
    ASSERT_NE(parent, specs().end()) << s.name;
    EXPECT_LT(static_cast<std::size_t>(parent - specs().begin()), i) << s.name;
    EXPECT_EQ(written_columns(*parent).count(s.parent_key), 1u) << s.name;
    for (const auto& e : s.endpoints)
      for (const auto& p : e.paths) EXPECT_NE(p.find("{parent}"), std::string::npos) << p;
    const bool has_parent_column =
        std::any_of(s.columns.begin(), s.columns.end(),
                    [](const auto& c) { return c.origin == Origin::parent_key; });
    EXPECT_TRUE(has_parent_column) << s.name;
  }
}

TEST(LivechatSpecs, DetailsAreKeyedByAColumnAndSubstituteIt) {
  for (const auto& s : specs()) {
    for (const auto& d : s.details) {
      EXPECT_EQ(written_columns(s).count(d.key_column), 1u) << s.name;
      EXPECT_NE(d.path.find("{key}"), std::string::npos) << s.name;
    }
  }
}

// 001 marks these DEPRECATED; they may only be fallbacks after the current path.
TEST(LivechatSpecs, DeprecatedPathsAreOnlyFallbacks) {
  const std::set<std::string> deprecated = {
      "/v2/partners/affiliates/licenses",         "/v2/partners/affiliates/performance",
      "/v2/partners/affiliates/history",          "/v2/partners/active-licenses",
      "/v2/partners/affiliates/campaigns/active", "/v2/partners/affiliates/campaigns/disabled"};
  std::set<std::string> used;
  for (const auto& s : specs()) {
    for (const auto& e : s.endpoints) {
      ASSERT_FALSE(e.paths.empty()) << s.name;
      EXPECT_EQ(deprecated.count(e.paths.front()), 0u) << s.name << " " << e.paths.front();
      for (const auto& p : e.paths) {
        EXPECT_TRUE(p == "/v2/partners" || p.rfind("/v2/partners/", 0) == 0) << p;
        if (deprecated.count(p)) used.insert(p);
      }
    }
  }
  EXPECT_EQ(used, deprecated);  // every documented old path is still tried
}

TEST(LivechatSpecs, NoStreamReadsTokensOrBillingSecrets) {
  for (const auto& s : specs()) {
    for (const auto& e : s.endpoints)
      for (const auto& p : e.paths) {
        EXPECT_EQ(p.find("/tokens"), std::string::npos) << p;
        EXPECT_EQ(p.find("/billing"), std::string::npos) << p;
      }
    for (const auto& c : s.columns) {
      EXPECT_EQ(c.name.find("token"), std::string::npos) << s.name;
      EXPECT_EQ(c.name.find("paypal"), std::string::npos) << s.name;
    }
  }
}

TEST(LivechatSpecs, OnlyExpertStreamsTreatForbiddenAsNotApplicable) {
  for (const auto& s : specs())
    EXPECT_EQ(s.forbidden_is_not_applicable, s.name.rfind("expert_", 0) == 0) << s.name;
}

// 001 "Get License Operators": 403 = that license's subscription is not the partner's.
TEST(LivechatSpecs, OnlySolutionOperatorsSkipAForbiddenParent) {
  for (const auto& s : specs())
    EXPECT_EQ(s.forbidden_skips_parent, s.name == "solution_operators") << s.name;
  for (const auto& s : sync::stream_specs(SourceKind::liveagent_reseller))
    EXPECT_FALSE(s.forbidden_skips_parent) << s.name;
}

TEST(LivechatSpecs, OnlyCouponsAndOperatorsAreSetsThatShrink) {
  for (const auto& s : specs())
    EXPECT_EQ(!s.removed_column.empty(), s.name == "coupons" || s.name == "solution_operators")
        << s.name;
}

// Issue 12: API tokens (/v2/partners/tokens), billing and the Recurly token are never synced:
// no declaration of either kind names such a path, a detail path included.
TEST(StreamDeclarations, NoneNamesTokensBillingOrRecurlyPaths) {
  for (const auto kind : {SourceKind::livechat_partner, SourceKind::liveagent_reseller}) {
    for (const auto& s : sync::stream_specs(kind)) {
      std::vector<std::string> paths;
      for (const auto& e : s.endpoints) paths.insert(paths.end(), e.paths.begin(), e.paths.end());
      for (const auto& d : s.details) paths.push_back(d.path);
      for (const auto& p : paths) {
        std::string lower = p;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (const char* banned : {"/tokens", "/token", "billing", "recurly", "/password"})
          EXPECT_EQ(lower.find(banned), std::string::npos) << s.name << ": " << p;
      }
      for (const auto& c : s.columns)
        for (const char* banned : {"token", "password", "billing_info", "card"})
          EXPECT_EQ(c.name.find(banned), std::string::npos) << s.name << "." << c.name;
    }
  }
}

}  // namespace
}  // namespace partnersync::connectors

namespace partnersync::connectors {
namespace {

// The config and the command line refuse a child stream without its parent using
// kStreamParents; it must say what the declarations say.
TEST(StreamParents, CatalogParentsMatchTheDeclarationsOfBothKinds) {
  for (const auto kind : {SourceKind::livechat_partner, SourceKind::liveagent_reseller,
                          SourceKind::liveagent_helpdesk}) {
    for (const auto& spec : sync::stream_specs(kind)) {
      if (!is_known_stream(kind, spec.name)) continue;  // internal streams are not configured
      EXPECT_EQ(parent_of(spec.name), spec.parent) << spec.name;
    }
  }
  for (const auto& [child, parent] : kStreamParents) {
    const bool declared = sync::find_stream_spec(SourceKind::livechat_partner, child) != nullptr ||
                          sync::find_stream_spec(SourceKind::liveagent_reseller, child) != nullptr ||
                          sync::find_stream_spec(SourceKind::liveagent_helpdesk, child) != nullptr;
    EXPECT_TRUE(declared) << child;
  }
}

}  // namespace
}  // namespace partnersync::connectors
