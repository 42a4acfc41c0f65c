// A fresh PostgreSQL database per test, created on the throwaway cluster that tests/run
// starts (PARTNERSYNC_TEST_DATABASE_URL) and dropped afterwards.
#pragma once

#include <string>

namespace partnersync::testing {

// The cluster's maintenance URL; fails the test (never skips it) when tests/run did not set it.
std::string cluster_url();

class TestDatabase {
 public:
  // Creates database "pst_<name>_<pid>_<n>"; any previous one of that name is dropped first.
  explicit TestDatabase(const std::string& name);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

}  // namespace partnersync::testing
