// Migrations against the real cluster: fresh apply, idempotent re-apply, two processes at once,
// a changed applied file refused.
#include "daemon/db/migrator.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pqxx/pqxx>
#include <vector>

#include "daemon/db/database.hpp"
#include "daemon/db/migration.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::db {
namespace {

using testing::TestDatabase;

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned i = 0; i < length; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

int count(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::read_transaction tx(c);
  return tx.exec1(sql)[0].as<int>();
}

TEST(Migrator, FreshDatabaseGetsEveryMigrationAndTheSyncTables) {
  TestDatabase db("migrate_fresh");
  auto c = connect(db.url());
  const auto report = migrate(*c, embedded_migrations());
  EXPECT_EQ(report.applied, static_cast<int>(embedded_migrations().size()));
  EXPECT_EQ(report.already_applied, 0);
  EXPECT_EQ(count(db.url(), "SELECT count(*) FROM sync.schema_migrations"),
            static_cast<int>(embedded_migrations().size()));
  for (const char* table : {"windows", "state", "runs", "quarantine", "schema_migrations"}) {
    EXPECT_EQ(count(db.url(), std::string("SELECT count(*) FROM information_schema.tables WHERE "
                                          "table_schema = 'sync' AND table_name = '") +
                                  table + "'"),
              1)
        << table;
  }
}

TEST(Migrator, ReapplyIsANoOp) {
  TestDatabase db("migrate_twice");
  auto c = connect(db.url());
  migrate(*c, embedded_migrations());
  const auto second = migrate(*c, embedded_migrations());
  EXPECT_EQ(second.applied, 0);
  EXPECT_EQ(second.already_applied, static_cast<int>(embedded_migrations().size()));
}

TEST(Migrator, RecordsTheChecksumOfEachFile) {
  TestDatabase db("migrate_checksum");
  auto c = connect(db.url());
  migrate(*c, embedded_migrations());
  pqxx::read_transaction tx(*c);
  const auto first = embedded_migrations().front();
  const auto row = tx.exec_params1(
      "SELECT name, checksum FROM sync.schema_migrations WHERE version = $1", first.version);
  EXPECT_EQ(row[0].as<std::string>(), std::string(first.name));
  EXPECT_EQ(row[1].as<std::string>().size(), 64u);
  EXPECT_EQ(row[1].as<std::string>(), sha256_hex(first.sql));
}

TEST(Migrator, EmbeddedChecksumsAreTheSha256OfTheEmbeddedText) {
  // The build computes them from the files (schema/embed_migrations.cmake); the text is
  // embedded separately, so the two must agree byte for byte.
  for (const auto& m : embedded_migrations())
    EXPECT_EQ(std::string(m.checksum), sha256_hex(m.sql)) << m.name;
}

TEST(Migrator, TwoProcessesMigratingAtOnceBothSucceedAndApplyOnce) {
  TestDatabase db("migrate_concurrent");
  const int total = static_cast<int>(embedded_migrations().size());
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        auto c = connect(db.url());
        const auto report = migrate(*c, embedded_migrations());
        _exit(100 + report.applied);
      } catch (...) {
        _exit(1);
      }
    }
    children.push_back(pid);
  }
  int applied_sum = 0;
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_GE(WEXITSTATUS(status), 100) << "a migrating process failed";
    applied_sum += WEXITSTATUS(status) - 100;
  }
  EXPECT_EQ(applied_sum, total) << "each migration must be applied exactly once in all";
  EXPECT_EQ(count(db.url(), "SELECT count(*) FROM sync.schema_migrations"), total);
}

TEST(Migrator, ChangedAppliedFileIsRefused) {
  TestDatabase db("migrate_tampered");
  auto c = connect(db.url());
  migrate(*c, embedded_migrations());
  std::vector<Migration> tampered(embedded_migrations().begin(), embedded_migrations().end());
  const std::string edited = std::string(tampered.front().sql) + "\n-- edited\n";
  const std::string edited_checksum = sha256_hex(edited);
  tampered.front().sql = edited;
  tampered.front().checksum = edited_checksum;
  try {
    migrate(*c, tampered);
    FAIL() << "a changed applied migration was accepted";
  } catch (const MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("schema/" + std::string(tampered.front().name) +
                                         " was changed after it was applied"),
              std::string::npos)
        << e.what();
  }
}

TEST(Migrator, UnknownAppliedVersionIsRefused) {
  TestDatabase db("migrate_newer");
  auto c = connect(db.url());
  migrate(*c, embedded_migrations());
  {
    pqxx::work tx(*c);
    tx.exec(
        "INSERT INTO sync.schema_migrations (version, name, checksum) "
        "VALUES (999, '999_future.sql', 'x')");
    tx.commit();
  }
  EXPECT_THROW(migrate(*c, embedded_migrations()), MigrationError);
}

TEST(Database, UnreachableServerIsReportedWithoutThePassword) {
  try {
    connect("postgresql://someone:TopSecretPw@127.0.0.1:1/none?connect_timeout=2");
    FAIL() << "connected to a closed port";
  } catch (const DatabaseUnavailable& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find("TopSecretPw"), std::string::npos) << message;
    EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
  }
}

TEST(Migrator, AMigrationIsNotCutByTheEnginesStatementTimeout) {
  TestDatabase db("migrate_untimed");
  // The engine's connections carry a statement_timeout (db::engine_dsn); a migration that
  // rewrites a large table takes longer than any sync statement should.
  auto c = connect(db.url() + "?options=-c%20statement_timeout%3D100ms");
  const std::string sql = "SELECT pg_sleep(0.5); CREATE TABLE slow_done (x int);";
  const std::string checksum = sha256_hex(sql);
  const std::vector<Migration> slow{{1, "001_slow.sql", sql, checksum}};
  EXPECT_EQ(migrate(*c, slow).applied, 1);
  EXPECT_EQ(count(db.url(), "SELECT count(*) FROM pg_tables WHERE tablename = 'slow_done'"), 1);
  // The session's own timeout is back for the sync's statements.
  pqxx::nontransaction tx(*c);
  EXPECT_EQ(tx.exec1("SHOW statement_timeout")[0].as<std::string>(), "100ms");
}

}  // namespace
}  // namespace partnersync::db
