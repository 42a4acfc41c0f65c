// The LiveAgent declarations against the migrated warehouse (real PostgreSQL): declared columns
// and keys exist, status labels follow 003, and documented examples parsed by RecordParser and
// merged by db::write_rows land correctly, with accounts_history keeping changed versions only.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <string>

#include "connectors/liveagent/liveagent_streams.hpp"
#include "daemon/db/database.hpp"
#include "daemon/db/migration.hpp"
#include "daemon/db/migrator.hpp"
#include "daemon/db/staging_writer.hpp"
#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/stream_spec.hpp"
#include "tests/connectors/schema_catalog.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::connectors {
namespace {

using sync::StreamSpec;
using sync::ValueType;

const std::vector<StreamSpec>& specs() {
  return sync::stream_specs(SourceKind::liveagent_reseller);
}

const StreamSpec& spec(std::string_view name) {
  const StreamSpec* s = sync::find_stream_spec(SourceKind::liveagent_reseller, name);
  if (s == nullptr) throw std::runtime_error("no spec " + std::string(name));
  return *s;
}

std::string example(const std::string& name) {
  std::ifstream in(std::string(PARTNERSYNC_CORPUS_DIR) + "/liveagent_" + name + ".json");
  if (!in) throw std::runtime_error("no corpus file liveagent_" + name + ".json");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no " + from + " in the example");
  return text.replace(at, from.size(), to);
}

constexpr const char* kJohn = "9900a49c321c871cd1a572a1dc21a33c";
constexpr const char* kMarcus = "f7u4g79c321cf77td1a572a1dcg7uyf4";

using schema_catalog::columns;
using schema_catalog::compatible_types;
using schema_catalog::ordered_columns;
using schema_catalog::primary_key;

class LiveagentSchema : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = std::make_unique<partnersync::testing::TestDatabase>("liveagent_schema");
    db::migrate(*db::connect(db_->url()), db::embedded_migrations());
  }
  static void TearDownTestSuite() { db_.reset(); }

  void SetUp() override {
    conn_ = db::connect(db_->url());
    pqxx::work tx(*conn_);
    tx.exec(
        "TRUNCATE liveagent.accounts, liveagent.accounts_history, liveagent.account_addons, "
        "liveagent.account_users, liveagent.licenses, liveagent.variations, "
        "liveagent.variation_addons");
    tx.commit();
  }

  // Parses `body` as the engine does (split_body records wrapped as a result array) and merges
  // the rows as SyncStore::commit does: in the source's timezone, through db::write_rows.
  db::WriteCounts write(std::string_view stream, const std::string& body,
                        std::string_view parent = {}, std::size_t* invalid = nullptr) {
    const StreamSpec& s = spec(stream);
    sync::RecordParser parser(s);
    std::string rows;
    const sync::ParseContext context{"acme", "", parent};
    sync::ParseOutcome outcome;
    if (s.split_body != nullptr) {
      std::string wrapped = "{\"result\":[";
      const auto records = s.split_body(body);
      for (std::size_t i = 0; i < records.size(); ++i) wrapped += (i ? "," : "") + records[i];
      wrapped += "]}";
      sync::EndpointSpec split = s.endpoints.front();
      split.envelope = sync::Envelope::result_array;
      outcome = parser.parse(wrapped, split, context, rows);
    } else {
      outcome = parser.parse(body, s.endpoints.front(), context, rows);
    }
    if (invalid != nullptr) *invalid = outcome.invalid_values;
    db::TableLayout layout;
    layout.table = s.table;
    layout.columns = parser.column_names();
    layout.key = s.key;
    layout.partial_update = s.partial_update;
    pqxx::work tx(*conn_);
    tx.exec_params("SELECT set_config('TimeZone', $1, true)", "America/Los_Angeles");
    const auto counts =
        db::write_rows(tx, layout, rows, static_cast<std::int64_t>(outcome.rows), "acme");
    tx.commit();
    return counts;
  }

  std::string text(const std::string& sql) {
    pqxx::read_transaction tx(*conn_);
    tx.exec("SET LOCAL TimeZone = 'UTC'");
    const auto r = tx.exec1(sql);
    return r[0].is_null() ? "NULL" : r[0].as<std::string>();
  }

  static std::unique_ptr<partnersync::testing::TestDatabase> db_;
  std::unique_ptr<pqxx::connection> conn_;
};

std::unique_ptr<partnersync::testing::TestDatabase> LiveagentSchema::db_;

TEST_F(LiveagentSchema, EveryDeclaredColumnExistsWithACompatibleType) {
  for (const auto& s : specs()) {
    const auto table = columns(*conn_, s.table);
    ASSERT_FALSE(table.empty()) << s.table << " does not exist";
    for (const auto& c : s.columns) {
      const auto it = table.find(c.name);
      ASSERT_NE(it, table.end()) << s.table << "." << c.name << " missing";
      EXPECT_EQ(compatible_types(c.type).count(it->second.type), 1u)
          << s.table << "." << c.name << " is " << it->second.type;
    }
  }
}

TEST_F(LiveagentSchema, EveryTableHasTheBookkeepingColumns) {
  for (const auto& s : specs()) {
    const auto table = columns(*conn_, s.table);
    auto expect = [&](const char* name, const char* type, bool needs_default) {
      const auto it = table.find(name);
      ASSERT_NE(it, table.end()) << s.table << "." << name;
      EXPECT_EQ(it->second.type, type) << s.table << "." << name;
      EXPECT_TRUE(it->second.not_null) << s.table << "." << name;
      EXPECT_EQ(it->second.has_default, needs_default) << s.table << "." << name;
    };
    expect("source", "text", false);
    expect("raw", "jsonb", false);
    expect("first_seen_at", "timestamp with time zone", true);
    expect("last_changed_at", "timestamp with time zone", true);
  }
}

TEST_F(LiveagentSchema, PrimaryKeysEqualTheDeclaredKeys) {
  for (const auto& s : specs()) EXPECT_EQ(primary_key(*conn_, s.table), s.key) << s.name;
}

TEST_F(LiveagentSchema, EveryLiveagentTableBelongsToAStreamAndIsDocumented) {
  std::set<std::string> declared = {"liveagent.accounts_history"};
  for (const auto& s : specs()) declared.insert(s.table);
  // The helpdesk's tables share the schema (tests/connectors/helpdesk_schema_test.cpp).
  declared.insert("liveagent.conversations_history");
  for (const auto& s : sync::stream_specs(SourceKind::liveagent_helpdesk)) {
    declared.insert(s.table);
    for (const auto& other : s.same_body) declared.insert(other.table);
  }
  pqxx::read_transaction tx(*conn_);
  const auto rows = tx.exec(
      "SELECT 'liveagent.' || c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 'liveagent' AND c.relkind = 'r'");
  std::set<std::string> found;
  for (const auto& row : rows) {
    found.insert(row[0].as<std::string>());
    EXPECT_TRUE(row[1].as<bool>()) << row[0].as<std::string>() << " has no COMMENT";
  }
  EXPECT_EQ(found, declared);
}

// 003 "Get account status" (the list endpoint documents only a..c).
TEST_F(LiveagentSchema, StatusLabelIsTheDocumentedMeaningOfEveryCodeAndNullOtherwise) {
  const std::map<std::string, std::string> documented = {{"a", "Active"},
                                                         {"s", "Suspended"},
                                                         {"t", "Terminated"},
                                                         {"n", "New"},
                                                         {"b", "Broken"},
                                                         {"c", "Waiting for create"},
                                                         {"r", "Crashed"},
                                                         {"m", "Wait for manual unsuspend"},
                                                         {"p", "Wait for suspend"},
                                                         {"d", "Wait for termination"},
                                                         {"u", "Wait for unsuspend"},
                                                         {"v", "Wait for update"}};
  {
    pqxx::work tx(*conn_);
    int n = 0;
    for (const auto& code :
         {"a", "s", "t", "n", "b", "c", "r", "m", "p", "d", "u", "v", "x", "A", ""})
      tx.exec_params(
          "INSERT INTO liveagent.accounts (source, account_id, status, raw) "
          "VALUES ('acme', $1, $2, '{}')",
          "acc" + std::to_string(n++), code);
    tx.exec("INSERT INTO liveagent.accounts (source, account_id, raw) VALUES ('acme', 'n', '{}')");
    tx.commit();
  }
  pqxx::read_transaction tx(*conn_);
  std::size_t labelled = 0;
  for (const auto& row :
       tx.exec("SELECT coalesce(status, '<null>'), status_label FROM liveagent.accounts")) {
    const std::string code = row[0].as<std::string>();
    const auto it = documented.find(code);
    if (it == documented.end()) {
      EXPECT_TRUE(row[1].is_null()) << "code '" << code << "' got " << row[1].c_str();
    } else {
      ++labelled;
      EXPECT_EQ(row[1].as<std::string>(), it->second) << code;
    }
  }
  EXPECT_EQ(labelled, documented.size());
}

TEST_F(LiveagentSchema, AddonAndLicenseStatusLabelsAreApprovedOrRefunded) {
  {
    pqxx::work tx(*conn_);
    for (const auto& code : {"A", "R", "a", "X"}) {
      tx.exec_params(
          "INSERT INTO liveagent.account_addons (source, account_id, addon_id, license_code, "
          "status, raw) VALUES ('acme', 'acc', 'addon', $1, $1, '{}')",
          code);
      tx.exec_params(
          "INSERT INTO liveagent.licenses (source, license_code, license_status, raw) "
          "VALUES ('acme', $1, $1, '{}')",
          code);
    }
    tx.commit();
  }
  for (const char* sql :
       {"SELECT string_agg(status || '=' || coalesce(status_label, 'NULL'), ',' ORDER BY status "
        "COLLATE \"C\") FROM liveagent.account_addons",
        "SELECT string_agg(license_status || '=' || coalesce(license_status_label, 'NULL'), ',' "
        "ORDER BY license_status COLLATE \"C\") FROM liveagent.licenses"})
    EXPECT_EQ(text(sql), "A=Approved,R=Refunded,X=NULL,a=NULL") << sql;
}

// sync.keep_history inserts the old row positionally, then valid_from and valid_to; LIKE makes
// the generated status_label a plain column there.
TEST_F(LiveagentSchema, AccountsHistoryIsTheAccountColumnsPlainThenTheirValidity) {
  auto expected = ordered_columns(*conn_, "liveagent.accounts");
  EXPECT_EQ(std::count(expected.begin(), expected.end(),
                       std::pair<std::string, bool>{"status_label", true}),
            1);
  for (auto& [name, generated] : expected) generated = false;
  expected.emplace_back("valid_from", false);
  expected.emplace_back("valid_to", false);
  EXPECT_EQ(ordered_columns(*conn_, "liveagent.accounts_history"), expected);
}

// 003: datetimes are America/Los_Angeles wall time; 2013-03-10 is the day PST became PDT.
TEST_F(LiveagentSchema, DocumentedAccountsLandWithTheSourceTimezoneAndDstApplied) {
  const auto counts = write("accounts", example("accounts"));
  EXPECT_EQ(counts.inserted, 2);
  const std::string john =
      std::string("FROM liveagent.accounts WHERE account_id = '") + kJohn + "'";
  EXPECT_EQ(text("SELECT created_at::text " + john), "2012-11-10 15:12:51+00");
  EXPECT_EQ(text("SELECT last_login_at::text " + john), "2013-01-10 15:12:51+00");
  EXPECT_EQ(text("SELECT status_label " + john), "Active");
  EXPECT_EQ(text("SELECT max_agents::text " + john), "NULL");
  const std::string marcus =
      std::string("FROM liveagent.accounts WHERE account_id = '") + kMarcus + "'";
  EXPECT_EQ(text("SELECT last_login_at::text " + marcus), "2013-03-10 14:12:51+00");  // PDT
  EXPECT_EQ(text("SELECT status_label " + marcus), "Suspended");
  EXPECT_EQ(text("SELECT raw->>'version' " + marcus), "4.0.4.1");
}

TEST_F(LiveagentSchema, AChangedAccountKeepsThePreviousVersionWithItsLabel) {
  write("accounts", example("accounts"));
  const std::string first_changed = text(
      std::string("SELECT last_changed_at::text FROM liveagent.accounts WHERE account_id = '") +
      kJohn + "'");
  const auto counts =
      write("accounts", replaced(example("accounts"), R"("status":"a")", R"("status":"t")"));
  EXPECT_EQ(counts.updated, 1);
  EXPECT_EQ(counts.unchanged, 1);
  pqxx::read_transaction tx(*conn_);
  tx.exec("SET LOCAL TimeZone = 'UTC'");
  const auto history = tx.exec(
      "SELECT account_id, status, status_label, raw->>'status', valid_from::text, "
      "valid_to > valid_from FROM liveagent.accounts_history");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0][0].as<std::string>(), kJohn);
  EXPECT_EQ(history[0][1].as<std::string>(), "a");
  EXPECT_EQ(history[0][2].as<std::string>(), "Active");
  EXPECT_EQ(history[0][3].as<std::string>(), "a");
  EXPECT_EQ(history[0][4].as<std::string>(), first_changed);
  EXPECT_TRUE(history[0][5].as<bool>());
  const auto current = tx.exec1(
      std::string("SELECT status_label, first_seen_at < last_changed_at FROM liveagent.accounts "
                  "WHERE account_id = '") +
      kJohn + "'");
  EXPECT_EQ(current[0].as<std::string>(), "Terminated");
  EXPECT_TRUE(current[1].as<bool>());
}

TEST_F(LiveagentSchema, AnUnchangedReReadWritesNoVersionAndNoNewTuple) {
  write("accounts", example("accounts"));
  write("account_attributes", example("account_attributes"), kJohn);
  const std::string tuples =
      "SELECT string_agg(xmin::text || ctid::text || last_changed_at::text, ',' ORDER BY "
      "account_id) FROM liveagent.accounts";
  const std::string before = text(tuples);
  const auto counts = write("accounts", example("accounts"));
  EXPECT_EQ(counts.inserted + counts.updated, 0);
  EXPECT_EQ(counts.unchanged, 2);
  const auto attribute = write("account_attributes", example("account_attributes"), kJohn);
  EXPECT_EQ(attribute.updated, 0);
  EXPECT_EQ(text(tuples), before);
  EXPECT_EQ(text("SELECT count(*) FROM liveagent.accounts_history"), "0");
}

TEST_F(LiveagentSchema, MaxAgentsCompletesItsAccountOnlyAndSurvivesAccountReReads) {
  write("accounts", example("accounts"));
  const std::string raw_before = text(
      std::string("SELECT raw::text FROM liveagent.accounts WHERE account_id = '") + kJohn + "'");
  EXPECT_EQ(write("account_attributes", example("account_attributes"), kJohn).updated, 1);
  // An account accounts has not written gets no row from its attribute.
  EXPECT_EQ(write("account_attributes", example("account_attributes"), "unknown").updated, 0);
  EXPECT_EQ(text("SELECT string_agg(account_id || '=' || coalesce(max_agents::text, 'NULL'), ',' "
                 "ORDER BY account_id) FROM liveagent.accounts"),
            std::string(kJohn) + "=99," + kMarcus + "=NULL");
  EXPECT_EQ(text(std::string("SELECT raw::text FROM liveagent.accounts WHERE account_id = '") +
                 kJohn + "'"),
            raw_before);
  // The first fill is not a change of the account; a re-read of accounts keeps max_agents.
  EXPECT_EQ(text("SELECT count(*) FROM liveagent.accounts_history"), "0");
  write("accounts", replaced(example("accounts"), R"("status":"a")", R"("status":"s")"));
  EXPECT_EQ(
      text(std::string("SELECT max_agents::text FROM liveagent.accounts WHERE account_id = '") +
           kJohn + "'"),
      "99");
  EXPECT_EQ(text("SELECT max_agents::text || status FROM liveagent.accounts_history"), "99a");
}

TEST_F(LiveagentSchema, AChangedMaxAgentsKeepsThePreviousVersion) {
  write("accounts", example("accounts"));
  write("account_attributes", example("account_attributes"), kJohn);
  write("account_attributes", R"({"response":{"value":"120"}})", kJohn);
  EXPECT_EQ(text("SELECT string_agg(max_agents::text, ',') FROM liveagent.accounts_history"), "99");
  EXPECT_EQ(text(std::string("SELECT max_agents FROM liveagent.accounts WHERE account_id = '") +
                 kJohn + "'"),
            "120");
}

TEST_F(LiveagentSchema, ImpossibleLicenseDatetimeIsStoredAsNullAndCounted) {
  std::size_t invalid = 0;
  EXPECT_EQ(write("licenses", example("licenses"), {}, &invalid).inserted, 1);
  EXPECT_EQ(invalid, 1u);
  EXPECT_EQ(text("SELECT coalesce(valid_from_at::text, 'NULL') || ' ' || "
                 "coalesce(valid_to_at::text, 'NULL') || ' ' || license_status_label || ' ' || "
                 "(raw->>'valid_from') FROM liveagent.licenses WHERE license_code = 'lat47ts4'"),
            "NULL NULL Approved 2008-12-11 08:95:41");
}

TEST_F(LiveagentSchema, AddonsKeepStringPricesExactlyAndTheirParentAccount) {
  EXPECT_EQ(write("account_addons", example("account_addons"), kJohn).inserted, 2);
  EXPECT_EQ(text("SELECT string_agg(account_id || '/' || addon_id || '/' || license_code || '=' "
                 "|| price::text || ' ' || coalesce(valid_to_at::text, 'open') || ' ' || "
                 "status_label, ';' ORDER BY addon_id) FROM liveagent.account_addons"),
            std::string(kJohn) + "/abg7y8e4/ss5l5sa6=99.90 open Approved;" + kJohn +
                "/t7f7y4gt/g7s86aa8=19.40 2010-10-08 19:15:48+00 Approved");
  EXPECT_EQ(write("account_users", example("account_users"), kJohn).inserted, 1);
  EXPECT_EQ(text("SELECT account_id || '/' || userid || ' ' || created_at::text "
                 "FROM liveagent.account_users"),
            std::string(kJohn) + "/user456 2013-05-04 19:22:11+00");
}

TEST_F(LiveagentSchema, VariationsAndTheirNestedAddonsLandInTheirTables) {
  EXPECT_EQ(write("variations", example("variations")).inserted, 1);
  EXPECT_EQ(write(liveagent::kVariationAddonsStream, example("variations")).inserted, 2);
  EXPECT_EQ(text("SELECT variation_id || ' ' || name || ' ' || created_at::text "
                 "FROM liveagent.variations"),
            "r7g4y7ya Free 2012-05-04 18:15:14+00");
  // raw is the add-on as served: its own id, no variation_id injected (issue 12).
  EXPECT_EQ(text("SELECT string_agg(variation_id || '/' || addon_id || '=' || price::text || "
                 "' ' || (raw->>'id') || ' ' || (raw ? 'variation_id')::text, ';' "
                 "ORDER BY addon_id) FROM liveagent.variation_addons"),
            "r7g4y7ya/p4g7y4ft7=99.90 p4g7y4ft7 false;r7g4y7ya/p9t5s4s5=19.40 p9t5s4s5 false");
  // A re-read writes nothing.
  const auto again = write(liveagent::kVariationAddonsStream, example("variations"));
  EXPECT_EQ(again.unchanged, 2);
}

}  // namespace
}  // namespace partnersync::connectors
