// A PostgreSQL cluster of a test's own, for tests that stop, crash or freeze the server: never
// the shared cluster of tests/run (PARTNERSYNC_TEST_DATABASE_URL), whose other tests run beside.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace partnersync::testing {

class ThrowawayCluster {
 public:
  // initdb into a fresh /tmp/pg-<name>-XXXXXX and start on a free loopback port (as root the
  // server runs as the postgres user). Throws with the server's log when it cannot start.
  explicit ThrowawayCluster(const std::string& name);
  ~ThrowawayCluster();  // thaws, stops (immediate) and removes the directory
  ThrowawayCluster(const ThrowawayCluster&) = delete;
  ThrowawayCluster& operator=(const ThrowawayCluster&) = delete;

  std::string url(const std::string& database = "postgres") const;
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  // A directory the server may write (owned by postgres when running as root): for tablespaces.
  std::filesystem::path server_dir(const std::string& name) const;

  void create_database(const std::string& name) const;
  void start();                        // on the same port; waits until it accepts connections
  void stop(const std::string& mode);  // pg_ctl stop -m fast|immediate, waits
  // The postmaster and every process it forked (backends, checkpointer, ...).
  std::vector<pid_t> server_pids() const;
  void freeze();  // SIGSTOP to every server process: a server that hangs with its kernel alive
  void thaw();    // SIGCONT to the processes frozen
  std::string server_log() const;

 private:
  void run(const std::string& command, const std::string& what) const;

  std::filesystem::path dir_;
  std::string bindir_;
  int port_ = 0;
  bool running_ = false;
  std::vector<pid_t> frozen_;
};

}  // namespace partnersync::testing
