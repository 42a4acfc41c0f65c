// Migration runner. The advisory lock is session-level and held for the whole run, so a
// second process waits, then finds everything applied and does nothing.
#include "daemon/db/migrator.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <pqxx/pqxx>

namespace partnersync::db {
namespace {

// pg_advisory_lock key: "partnersync" in 8 ASCII bytes would not fit a bigint sign-safely;
// any fixed number unique to the product does.
constexpr long long kMigrationLockKey = 0x7073796e630001LL;

constexpr const char* kBootstrapSql = R"sql(
CREATE SCHEMA IF NOT EXISTS sync;
CREATE TABLE IF NOT EXISTS sync.schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
)sql";

class AdvisoryLock {
 public:
  explicit AdvisoryLock(pqxx::connection& c) : c_(c) {
    pqxx::nontransaction tx(c_);
    tx.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
  }
  ~AdvisoryLock() {
    try {
      pqxx::nontransaction tx(c_);
      tx.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
    } catch (const std::exception&) {
      // The lock goes with the session if the connection is broken.
    }
  }
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;

 private:
  pqxx::connection& c_;
};

// A migration may rewrite or index a large table, and a second process waits on the lock for
// the first one's migrations: neither is bounded by the engine's statement_timeout (dsn.hpp),
// which is for the sync's statements. The session's own setting is put back afterwards.
class NoStatementTimeout {
 public:
  explicit NoStatementTimeout(pqxx::connection& c) : c_(c) {
    pqxx::nontransaction tx(c_);
    saved_ = tx.exec("SELECT current_setting('statement_timeout')")[0][0].as<std::string>();
    tx.exec("SET statement_timeout = 0");
  }
  ~NoStatementTimeout() {
    try {
      pqxx::nontransaction tx(c_);
      tx.exec("SELECT set_config('statement_timeout', " + tx.quote(saved_) + ", false)");
    } catch (const std::exception&) {
      // A broken connection takes the setting with it.
    }
  }
  NoStatementTimeout(const NoStatementTimeout&) = delete;
  NoStatementTimeout& operator=(const NoStatementTimeout&) = delete;

 private:
  pqxx::connection& c_;
  std::string saved_;
};

}  // namespace

MigrationReport migrate(pqxx::connection& connection, std::span<const Migration> migrations) {
  const NoStatementTimeout untimed(connection);
  AdvisoryLock lock(connection);
  {
    pqxx::work tx(connection);
    tx.exec(kBootstrapSql);
    tx.commit();
  }

  std::map<int, std::pair<std::string, std::string>> applied;  // version -> (name, checksum)
  {
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec("SELECT version, name, checksum FROM sync.schema_migrations")) {
      applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
    }
  }

  MigrationReport report;
  for (const auto& [version, entry] : applied) {
    bool known = false;
    for (const auto& m : migrations) known = known || m.version == version;
    if (!known) {
      throw MigrationError("database has migration " + std::to_string(version) + " (" +
                           entry.first +
                           ") that this partnersync does not know: run a newer partnersync");
    }
  }
  for (const auto& m : migrations) {
    const std::string checksum(m.checksum);
    if (auto it = applied.find(m.version); it != applied.end()) {
      if (it->second.second != checksum) {
        throw MigrationError(
            "schema/" + std::string(m.name) + " was changed after it was applied (checksum " +
            it->second.second.substr(0, 12) + " in the database, " + checksum.substr(0, 12) +
            " now): add a new migration instead of editing an applied one");
      }
      ++report.already_applied;
      continue;
    }
    pqxx::work tx(connection);
    tx.exec(std::string(m.sql));
    tx.exec_params(
        "INSERT INTO sync.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        m.version, std::string(m.name), checksum);
    tx.commit();
    spdlog::info("applied migration {}", m.name);
    ++report.applied;
  }
  return report;
}

}  // namespace partnersync::db
