// Shared by the bi tests: a freshly migrated throwaway database and one UTC session, so the
// views' day and month boundaries (which follow the session time zone) are the same everywhere.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "daemon/db/database.hpp"
#include "daemon/db/migration.hpp"
#include "daemon/db/migrator.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::bi_testing {

class MigratedDatabase {
 public:
  explicit MigratedDatabase(const std::string& name)
      : db_(name), connection_(db::connect(db_.url())) {
    db::migrate(*connection_, db::embedded_migrations());
    pqxx::nontransaction tx(*connection_);
    tx.exec("SET TimeZone = 'UTC'");
  }

  // Runs statements in one committed transaction, as the engine writes a window.
  void exec(const std::string& sql) {
    pqxx::work tx(*connection_);
    tx.exec(sql);
    tx.commit();
  }

  pqxx::result query(const std::string& sql) {
    pqxx::read_transaction tx(*connection_);
    return tx.exec(sql);
  }

  pqxx::row query1(const std::string& sql) {
    pqxx::read_transaction tx(*connection_);
    return tx.exec1(sql);
  }

  const std::string& url() const { return db_.url(); }
  const std::string& name() const { return db_.name(); }

 private:
  testing::TestDatabase db_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace partnersync::bi_testing
