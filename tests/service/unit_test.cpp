// deploy/partnersync.service as systemd reads it (systemd-analyze verify and security, where
// systemd-analyze exists) and the offline --validate its ExecStartPre= runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "tests/support/process.hpp"

namespace partnersync {
namespace {

using testing::partnersync_binary;
using testing::run_process;
using testing::source_dir;
using testing::write_temp_file;

constexpr const char* kSystemdAnalyze = "/usr/bin/systemd-analyze";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The unit with /usr/bin/partnersync replaced by the binary under test: verify checks that
// every Exec*= command exists, and the package is not installed here.
std::string unit_for_test() {
  const auto unit = std::regex_replace(read(source_dir() + "/deploy/partnersync.service"),
                                       std::regex("/usr/bin/partnersync"), partnersync_binary());
  return write_temp_file("partnersync.service", unit);
}

TEST(Unit, SystemdAnalyzeVerifyAcceptsIt) {
  if (access(kSystemdAnalyze, X_OK) != 0) GTEST_SKIP() << kSystemdAnalyze << " not installed";
  const auto r = run_process({kSystemdAnalyze, "verify", "--man=no", unit_for_test()}, {}, 60);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST(Unit, SecurityExposureIsUnderTwo) {
  if (access(kSystemdAnalyze, X_OK) != 0) GTEST_SKIP() << kSystemdAnalyze << " not installed";
  const auto r = run_process(
      {kSystemdAnalyze, "security", "--offline=yes", "--no-pager", unit_for_test()}, {}, 60);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.out, m, std::regex("Overall exposure level for [^:]+: ([0-9.]+)")))
      << r.out << r.err;
  std::cout << "systemd-analyze security: exposure " << m[1] << "\n";
  EXPECT_LT(std::stod(m[1]), 2.0) << r.out;
}

TEST(Unit, NotifiesReloadsAndValidatesBeforeStart) {
  const auto unit = read(source_dir() + "/deploy/partnersync.service");
  const std::string start = "/usr/bin/partnersync --config /etc/partnersync/partnersync.yaml";
  for (const std::string& line : std::vector<std::string>{
           "\nType=notify\n", "\nNotifyAccess=main\n", "\nWatchdogSec=", "\nDynamicUser=yes\n",
           "\nExecReload=/bin/kill -HUP $MAINPID\n", "\nExecStartPre=" + start + " --validate\n",
           "\nExecStart=" + start + "\n"})
    EXPECT_NE(unit.find(line), std::string::npos) << line;
}

std::string config_with(const std::string& extra) {
  // Nothing listens on port 1: --validate must not try to reach either.
  return "database:\n  url: postgresql://u:pw@127.0.0.1:1/db\nsources:\n  - name: acme\n"
         "    kind: livechat_partner\n    base_url: http://127.0.0.1:1\n    token: t0k3n-value\n"
         "    start_date: 2024-01-01\n" +
         extra;
}

TEST(Validate, AcceptsAGoodConfigWithoutReachingDatabaseOrUpstream) {
  const auto path =
      write_temp_file("good.yaml", config_with("server:\n  listen: 127.0.0.1:9187\n"));
  const auto r = run_process({partnersync_binary(), "--config", path, "--validate"}, {}, 30);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "config " + path + ": ok, 1 source(s)\n");
  EXPECT_EQ(r.err, "");
}

TEST(Validate, RejectsABadConfigWithExitCode78NamingFileAndKey) {
  const auto path = write_temp_file("bad.yaml", config_with("sync:\n  intervall: 5m\n"));
  const auto r = run_process({partnersync_binary(), "--config", path, "--validate"}, {}, 30);
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, "partnersync: " + path + ": sync.intervall: unknown key\n");
}

}  // namespace
}  // namespace partnersync
