// The bi layer's promises to dashboard users and operators: every view and column documented,
// partnersync_bi reads bi and nothing else, no secret reachable, and a shared cluster is fine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "tests/bi/bi_fixture.hpp"

namespace partnersync {
namespace {

using bi_testing::MigratedDatabase;

const std::vector<std::string> kRequiredViews = {"licenses",           "conversions_monthly",
                                                 "earnings_daily",     "campaign_performance",
                                                 "liveagent_accounts", "sync_health"};

std::vector<std::string> strings(const pqxx::result& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row[0].as<std::string>());
  return out;
}

std::vector<std::string> bi_views(MigratedDatabase& db) {
  return strings(
      db.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
               "WHERE n.nspname = 'bi' ORDER BY 1"));
}

// The same database as `db`, connected as `user` (the test cluster trusts loopback).
std::string url_as(const std::string& url, const std::string& user) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "user=" + user;
}

// A cluster-wide role created for one test and dropped when the test ends, even when an
// assertion failed; a role that owns a database must be declared before that database.
class ClusterRole {
 public:
  ClusterRole(std::string name, const std::string& options) : name_(std::move(name)) {
    admin("CREATE ROLE " + name_ + " " + options);
  }
  ~ClusterRole() {
    try {
      admin("DROP ROLE IF EXISTS " + name_);
    } catch (const std::exception&) {
      // Only a leftover role on the throwaway cluster.
    }
  }
  ClusterRole(const ClusterRole&) = delete;
  ClusterRole& operator=(const ClusterRole&) = delete;
  const std::string& name() const { return name_; }

  static void admin(const std::string& sql) {
    pqxx::connection c(testing::cluster_url());
    pqxx::nontransaction tx(c);
    tx.exec(sql);
  }

 private:
  std::string name_;
};

// A LOGIN role granted partnersync_bi, as an administrator sets one up for a dashboard user.
// Roles are cluster-wide: the name is unique per test database.
ClusterRole bi_user(const MigratedDatabase& db) {
  return ClusterRole(db.name() + "_reader", "LOGIN IN ROLE partnersync_bi");
}

// The error text of running `sql` as the connection's user, or "" when it succeeded.
std::string error_of(pqxx::connection& c, const std::string& sql) {
  try {
    pqxx::read_transaction tx(c);
    tx.exec(sql);
    return "";
  } catch (const pqxx::sql_error& e) {
    return e.what();
  }
}

TEST(BiSchema, HasTheContractViewsAndOnlyViews) {
  MigratedDatabase db("bi_views_exist");
  const auto views = bi_views(db);
  for (const auto& name : kRequiredViews) {
    EXPECT_NE(std::find(views.begin(), views.end(), name), views.end()) << "bi." << name;
  }
  EXPECT_EQ(db.query1("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                      "ON n.oid = c.relnamespace WHERE n.nspname = 'bi' AND c.relkind <> 'v'")[0]
                .as<int>(),
            0);
}

TEST(BiSchema, EveryViewAndEveryColumnHasAComment) {
  MigratedDatabase db("bi_comments");
  const auto undocumented_views = strings(db.query(R"sql(
    SELECT c.relname FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_description d
        ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
     WHERE n.nspname = 'bi' AND coalesce(d.description, '') = '')sql"));
  EXPECT_TRUE(undocumented_views.empty()) << "first: bi." << undocumented_views.front();
  const auto undocumented_columns = strings(db.query(R"sql(
    SELECT c.relname || '.' || a.attname FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_description d
        ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
     WHERE n.nspname = 'bi' AND coalesce(d.description, '') = '' ORDER BY 1)sql"));
  std::string list;
  for (const auto& column : undocumented_columns) list += " bi." + column;
  EXPECT_TRUE(undocumented_columns.empty()) << "columns without a comment:" << list;
  EXPECT_GE(db.query1("SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                      "JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE n.nspname = 'bi' AND a.attnum > 0")[0]
                .as<int>(),
            60)
      << "the query above must see the views' columns";
}

TEST(BiRole, IsNologinAndAGrantedUserReadsEveryBiView) {
  MigratedDatabase db("bi_role_reads");
  EXPECT_FALSE(
      db.query1("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'partnersync_bi'")[0].as<bool>());
  const auto user = bi_user(db);
  auto c = db::connect(url_as(db.url(), user.name()));
  {
    pqxx::read_transaction tx(*c);
    EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), user.name());
  }
  for (const auto& view : bi_views(db)) {
    EXPECT_EQ(error_of(*c, "SELECT * FROM bi." + view + " LIMIT 1"), "") << "bi." << view;
  }
}

TEST(BiRole, GetsPermissionDeniedOnEveryTableOfLivechatLiveagentAndSync) {
  MigratedDatabase db("bi_role_denied");
  const auto user = bi_user(db);
  auto c = db::connect(url_as(db.url(), user.name()));
  for (const std::string schema : {"livechat", "liveagent", "sync"}) {
    const auto tables = strings(
        db.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname = '" +
                 schema + "' AND c.relkind IN ('r', 'v', 'p') ORDER BY 1"));
    EXPECT_FALSE(tables.empty()) << "no tables in " << schema;
    for (const auto& table : tables) {
      const auto error = error_of(*c, "SELECT * FROM " + schema + "." + table + " LIMIT 1");
      EXPECT_NE(error.find("permission denied"), std::string::npos)
          << schema << "." << table << ": " << (error.empty() ? "readable" : error);
    }
  }
  const auto call = error_of(*c,
                             "SELECT sync.record_window('x', 'y', '2024-01-01', "
                             "'2024-01-01', 0)");
  EXPECT_NE(call.find("permission denied"), std::string::npos) << call;
}

TEST(BiViews, ShowNoRawBodyQuarantinedBodyOrUrlSecret) {
  MigratedDatabase db("bi_no_secrets");
  // A secret that reached the warehouse only where the views must not look: raw and quarantine.
  db.exec(R"sql(
    INSERT INTO livechat.affiliate_licenses (source, program, license_key, paid, raw)
    VALUES ('acme', 'livechat', 'k|0', true, '{"note": "S3CRET-VALUE"}');
    INSERT INTO livechat.earnings_snapshots (source, balance, raw)
    VALUES ('acme', 1, '{"token": "S3CRET-VALUE"}');
    INSERT INTO livechat.history_monthly (source, program, month, trials, raw)
    VALUES ('acme', 'livechat', '2024-03-01', 1, '{"x": "S3CRET-VALUE"}');
    INSERT INTO livechat.performance_daily (source, program, day, campaign, medium, content, term, raw)
    VALUES ('acme', 'livechat', '2024-03-01', '', '', '', '', '{"x": "S3CRET-VALUE"}');
    INSERT INTO sync.runs (source, stream, mode, status) VALUES ('acme', 'earnings', 'incremental', 'failed');
    INSERT INTO sync.quarantine (source, stream, url, reason, body)
    VALUES ('acme', 'earnings', 'https://x.example/?apikey=S3CRET-VALUE', 'bad', 'S3CRET-VALUE');
  )sql");
  for (const auto& view : bi_views(db)) {
    const auto row = db.query1(
        "SELECT count(*), coalesce(string_agg(row_to_json(v)::text, ''), '') "
        "FROM bi." +
        view + " v");
    EXPECT_EQ(row[1].as<std::string>().find("S3CRET-VALUE"), std::string::npos) << "bi." << view;
  }
  EXPECT_EQ(db.query1("SELECT count(*) FROM bi.sync_health")[0].as<int>(), 1);
}

TEST(BiRole, ASecondDatabaseOnTheSameClusterMigratesWithTheRoleAlreadyPresent) {
  MigratedDatabase first("bi_cluster_first");
  ASSERT_EQ(
      first.query1("SELECT count(*) FROM pg_roles WHERE rolname = 'partnersync_bi'")[0].as<int>(),
      1);
  MigratedDatabase second("bi_cluster_second");  // throws if the migration failed
  EXPECT_EQ(
      second.query1("SELECT count(*) FROM sync.schema_migrations WHERE name = '004_bi.sql'")[0]
          .as<int>(),
      1);
  EXPECT_TRUE(second
                  .query1("SELECT has_table_privilege('partnersync_bi', 'bi.licenses', "
                          "'SELECT') AND has_schema_privilege('partnersync_bi', 'bi', 'USAGE')")[0]
                  .as<bool>());
  const auto user = bi_user(second);
  auto c = db::connect(url_as(second.url(), user.name()));
  EXPECT_EQ(error_of(*c, "SELECT * FROM bi.sync_health"), "");
}

TEST(BiRole, ViewsOwnedByANonSuperuserDaemonRoleServeTheBiRoleAndLaterViews) {
  static int n = 0;
  const std::string prefix = "pst_bi_owner_" + std::to_string(getpid()) + "_" + std::to_string(n++);
  // An administrator created partnersync_bi beforehand, so the daemon needs no CREATEROLE.
  ClusterRole::admin(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'partnersync_bi') THEN "
      "CREATE ROLE partnersync_bi NOLOGIN; END IF; "
      "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
  ClusterRole daemon(prefix + "_daemon", "LOGIN NOSUPERUSER NOCREATEROLE");
  ClusterRole reader(prefix + "_reader", "LOGIN IN ROLE partnersync_bi");
  testing::TestDatabase db("bi_owner");
  ClusterRole::admin("ALTER DATABASE " + db.name() + " OWNER TO " + daemon.name());

  auto as_daemon = db::connect(url_as(db.url(), daemon.name()));
  db::migrate(*as_daemon, db::embedded_migrations());
  {
    pqxx::work tx(*as_daemon);
    EXPECT_EQ(tx.exec1("SELECT viewowner FROM pg_views WHERE schemaname = 'bi' "
                       "AND viewname = 'licenses'")[0]
                  .as<std::string>(),
              daemon.name());
    tx.exec(
        "INSERT INTO livechat.affiliate_licenses (source, program, license_key, paid, raw) "
        "VALUES ('acme', 'livechat', 'k|0', true, '{}')");
    tx.exec("CREATE VIEW bi.added_later AS SELECT 1 AS one");
    tx.commit();
  }

  auto as_reader = db::connect(url_as(db.url(), reader.name()));
  for (const auto& view : kRequiredViews) {
    EXPECT_EQ(error_of(*as_reader, "SELECT * FROM bi." + view), "") << "bi." << view;
  }
  {
    pqxx::read_transaction tx(*as_reader);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM bi.licenses WHERE is_paid")[0].as<int>(), 1);
  }
  EXPECT_EQ(error_of(*as_reader, "SELECT * FROM bi.added_later"), "")
      << "views a later migration adds to bi are readable by default";
  const auto denied = error_of(*as_reader, "SELECT * FROM livechat.affiliate_licenses");
  EXPECT_NE(denied.find("permission denied"), std::string::npos) << denied;
}

}  // namespace
}  // namespace partnersync
