#include "tests/support/test_database.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <pqxx/pqxx>
#include <stdexcept>

namespace partnersync::testing {
namespace {

// Replaces the database name of a libpq URI (postgresql://host:port/db?params).
std::string with_database(const std::string& url, const std::string& db) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const auto query = url.find('?');
  std::string base = url.substr(0, slash == std::string::npos ? query : slash);
  std::string params = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + db + params;
}

}  // namespace

std::string cluster_url() {
  const char* url = std::getenv("PARTNERSYNC_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "PARTNERSYNC_TEST_DATABASE_URL is not set: run the tests through tests/run";
    throw std::runtime_error("PARTNERSYNC_TEST_DATABASE_URL is not set");
  }
  return url;
}

TestDatabase::TestDatabase(const std::string& name) {
  static std::atomic<int> counter{0};
  name_ = "pst_" + name + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  pqxx::connection admin(cluster_url());
  pqxx::nontransaction tx(admin);
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  url_ = with_database(cluster_url(), name_);
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(cluster_url());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The cluster is removed with its data directory at the end of tests/run anyway.
  }
}

}  // namespace partnersync::testing
