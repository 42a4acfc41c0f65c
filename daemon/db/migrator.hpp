// Applies schema migrations in order, one transaction per file, under an advisory lock so
// that two processes starting at once do not collide; refuses a changed applied file.
#pragma once

#include <pqxx/connection>
#include <span>
#include <stdexcept>
#include <string>

#include "daemon/db/migration.hpp"

namespace partnersync::db {

// A migration problem that needs a human: a changed applied file, an unknown applied version.
class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MigrationReport {
  int applied = 0;          // migrations applied by this call
  int already_applied = 0;  // migrations found applied
};

MigrationReport migrate(pqxx::connection& connection, std::span<const Migration> migrations);

}  // namespace partnersync::db
