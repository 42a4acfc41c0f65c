// The declarations against the migrated warehouse (real PostgreSQL): every declared column
// exists with a compatible type, primary keys equal the declared keys, and the licenses'
// history triggers keep changed versions and nothing else.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>

#include "daemon/db/database.hpp"
#include "daemon/db/migration.hpp"
#include "daemon/db/migrator.hpp"
#include "daemon/sync/stream_spec.hpp"
#include "tests/connectors/schema_catalog.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::connectors {
namespace {

using sync::StreamSpec;
using sync::ValueType;

const std::vector<StreamSpec>& specs() { return sync::stream_specs(SourceKind::livechat_partner); }

const StreamSpec& spec(std::string_view name) {
  return *sync::find_stream_spec(SourceKind::livechat_partner, name);
}

class LivechatSchema : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = std::make_unique<partnersync::testing::TestDatabase>("livechat_schema");
    db::migrate(*db::connect(db_->url()), db::embedded_migrations());
  }
  static void TearDownTestSuite() { db_.reset(); }

  static std::unique_ptr<pqxx::connection> connect() { return db::connect(db_->url()); }

  static std::map<std::string, schema_catalog::Column> columns(const std::string& table) {
    return schema_catalog::columns(*connect(), table);
  }
  static std::vector<std::pair<std::string, bool>> ordered_columns(const std::string& table) {
    return schema_catalog::ordered_columns(*connect(), table);
  }
  static std::vector<std::string> primary_key(const std::string& table) {
    return schema_catalog::primary_key(*connect(), table);
  }

  static std::unique_ptr<partnersync::testing::TestDatabase> db_;
};

std::unique_ptr<partnersync::testing::TestDatabase> LivechatSchema::db_;

using schema_catalog::compatible_types;

TEST_F(LivechatSchema, EveryDeclaredColumnExistsWithACompatibleType) {
  for (const auto& s : specs()) {
    const auto table = columns(s.table);
    ASSERT_FALSE(table.empty()) << s.table << " does not exist";
    std::vector<sync::ColumnSpec> all = s.columns;
    for (const auto& d : s.details) all.insert(all.end(), d.columns.begin(), d.columns.end());
    for (const auto& c : all) {
      const auto it = table.find(c.name);
      ASSERT_NE(it, table.end()) << s.table << "." << c.name << " missing";
      EXPECT_EQ(compatible_types(c.type).count(it->second.type), 1u)
          << s.table << "." << c.name << " is " << it->second.type;
    }
  }
}

TEST_F(LivechatSchema, EveryTableHasTheBookkeepingColumns) {
  for (const auto& s : specs()) {
    const auto table = columns(s.table);
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
    if (s.mode == sync::SyncMode::snapshot) {
      expect("taken_at", "timestamp with time zone", true);
      expect("last_seen_at", "timestamp with time zone", true);
    }
  }
}

TEST_F(LivechatSchema, PrimaryKeysEqualTheDeclaredKeys) {
  for (const auto& s : specs()) EXPECT_EQ(primary_key(s.table), s.key) << s.table;
}

TEST_F(LivechatSchema, EveryLivechatTableBelongsToAStreamAndIsDocumented) {
  std::set<std::string> declared;
  for (const auto& s : specs()) {
    declared.insert(s.table);
    declared.insert(s.table + "_history");
  }
  auto c = connect();
  pqxx::read_transaction tx(*c);
  const auto rows = tx.exec(
      "SELECT 'livechat.' || c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 'livechat' AND c.relkind = 'r'");
  EXPECT_GE(rows.size(), 12u);
  for (const auto& row : rows) {
    EXPECT_EQ(declared.count(row[0].as<std::string>()), 1u) << row[0].as<std::string>();
    EXPECT_TRUE(row[1].as<bool>()) << row[0].as<std::string>() << " has no COMMENT";
  }
}

// sync.keep_history inserts the old row positionally, then valid_from and valid_to.
TEST_F(LivechatSchema, HistoryTablesAreTheDataColumnsThenTheirValidity) {
  for (const char* table : {"livechat.affiliate_licenses", "livechat.solution_licenses"}) {
    auto expected = ordered_columns(table);
    expected.emplace_back("valid_from", false);
    expected.emplace_back("valid_to", false);
    EXPECT_EQ(ordered_columns(std::string(table) + "_history"), expected) << table;
  }
}

// ---- history triggers, through the statement shape the engine uses ----

// A literal of the column's type that every CHECK accepts, and a different one.
std::string sample(const sync::ColumnSpec& c, bool changed) {
  if (c.origin == sync::Origin::constant) return c.path;  // e.g. program = 'livechat'
  switch (c.type) {
    case ValueType::boolean:
      return changed ? "false" : "true";
    case ValueType::smallint:
    case ValueType::integer:
    case ValueType::bigint:
      return changed ? "2" : "1";
    case ValueType::numeric:
      return changed ? "20.5" : "10.25";
    case ValueType::date:
    case ValueType::month:
      return "2024-01-01";
    case ValueType::timestamp:
      return changed ? "2024-02-01 10:00:00+00" : "2024-01-01 10:00:00+00";
    case ValueType::jsonb:
      return "{}";
    case ValueType::text:
      return changed ? "changed" : "k1";
  }
  return {};
}

// Stages one row like the engine (COPY into a temp table shaped like the target) and upserts
// it: INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE (t.cols) IS DISTINCT FROM (excluded.cols).
void upsert(pqxx::connection& conn, const StreamSpec& s, bool changed) {
  std::vector<std::string> cols = {"source"}, values = {"acme"};
  std::vector<sync::ColumnSpec> all = s.columns;
  for (const auto& d : s.details) all.insert(all.end(), d.columns.begin(), d.columns.end());
  for (const auto& c : all) {
    cols.push_back(c.name);
    const bool is_key = std::find(s.key.begin(), s.key.end(), c.name) != s.key.end();
    values.push_back(sample(c, changed && !is_key));
  }
  cols.push_back("raw");
  values.push_back(changed ? R"({"v":2})" : R"({"v":1})");

  pqxx::work tx(conn);
  std::string list, literals, excluded, target, set;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const std::string q = tx.quote_name(cols[i]);
    list += (i ? ", " : "") + q;
    literals += (i ? ", " : "") + tx.quote(values[i]);
    if (std::find(s.key.begin(), s.key.end(), cols[i]) != s.key.end()) continue;
    set += (set.empty() ? "" : ", ") + q + " = excluded." + q;
    target += (target.empty() ? "t." : ", t.") + q;
    excluded += (excluded.empty() ? "excluded." : ", excluded.") + q;
  }
  std::string key;
  for (const auto& k : s.key) key += (key.empty() ? "" : ", ") + tx.quote_name(k);
  tx.exec("CREATE TEMP TABLE staged ON COMMIT DROP AS SELECT " + list + " FROM " + s.table +
          " WITH NO DATA");
  tx.exec("INSERT INTO staged (" + list + ") VALUES (" + literals + ")");
  tx.exec("INSERT INTO " + s.table + " AS t (" + list + ") SELECT " + list +
          " FROM staged ON CONFLICT (" + key + ") DO UPDATE SET " + set +
          ", last_changed_at = now() WHERE (" + target + ") IS DISTINCT FROM (" + excluded + ")");
  tx.commit();
}

class LicenseHistory : public LivechatSchema, public ::testing::WithParamInterface<const char*> {};

TEST_P(LicenseHistory, AChangedValueKeepsThePreviousVersion) {
  const StreamSpec& s = spec(GetParam());
  auto c = connect();
  {
    pqxx::work tx(*c);
    tx.exec("TRUNCATE " + s.table + ", " + s.table + "_history");
    tx.commit();
  }
  upsert(*c, s, false);
  std::string first_changed;
  {
    pqxx::read_transaction tx(*c);
    first_changed = tx.exec1("SELECT last_changed_at::text FROM " + s.table)[0].as<std::string>();
  }
  upsert(*c, s, true);
  pqxx::read_transaction tx(*c);
  const auto history = tx.exec(
      "SELECT paid, raw->>'v', valid_from::text, valid_to > valid_from "
      "FROM " +
      s.table + "_history");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history[0][0].as<bool>());            // the old paid = true
  EXPECT_EQ(history[0][1].as<std::string>(), "1");  // the old raw
  EXPECT_EQ(history[0][2].as<std::string>(), first_changed);
  EXPECT_TRUE(history[0][3].as<bool>());
  const auto current =
      tx.exec1("SELECT paid, raw->>'v', first_seen_at < last_changed_at FROM " + s.table);
  EXPECT_FALSE(current[0].as<bool>());
  EXPECT_EQ(current[1].as<std::string>(), "2");
  EXPECT_TRUE(current[2].as<bool>());
}

TEST_P(LicenseHistory, AnUnchangedReReadWritesNoVersionAndNoNewTuple) {
  const StreamSpec& s = spec(GetParam());
  auto c = connect();
  {
    pqxx::work tx(*c);
    tx.exec("TRUNCATE " + s.table + ", " + s.table + "_history");
    tx.commit();
  }
  upsert(*c, s, false);
  auto snapshot = [&] {
    pqxx::read_transaction tx(*c);
    return tx.exec1("SELECT xmin::text || ctid::text || last_changed_at::text FROM " + s.table)[0]
        .as<std::string>();
  };
  const std::string before = snapshot();
  upsert(*c, s, false);
  EXPECT_EQ(snapshot(), before);  // same tuple: no UPDATE happened
  pqxx::read_transaction tx(*c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM " + s.table + "_history")[0].as<int>(), 0);
}

INSTANTIATE_TEST_SUITE_P(Licenses, LicenseHistory,
                         ::testing::Values("affiliate_licenses", "solution_licenses"));

}  // namespace
}  // namespace partnersync::connectors
