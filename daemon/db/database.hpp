// Opening PostgreSQL connections with errors that are safe to show: a refused or failed
// connection becomes DatabaseUnavailable with the DSN's password masked.
#pragma once

#include <memory>
#include <pqxx/connection>
#include <stdexcept>
#include <string>

#include "daemon/db/dsn.hpp"  // describe_dsn, for the messages of connect()

namespace partnersync::db {

class DatabaseUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Connects to `url` (libpq URI or key=value string). Throws DatabaseUnavailable with a
// one-line, redacted message naming the server on failure.
std::unique_ptr<pqxx::connection> connect(const std::string& url);

}  // namespace partnersync::db
