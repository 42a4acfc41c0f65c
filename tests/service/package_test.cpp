// `cpack -G DEB` on the built binary, the .deb unpacked with dpkg -x into a scratch root: the
// layout README "Install it" documents, dependencies from dpkg-shlibdeps, lintian clean.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/process.hpp"

namespace partnersync {
namespace {

namespace fs = std::filesystem;
using testing::run_process;

class Package : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/ps-package.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    scratch_ = dir;
    const std::string config = std::string(PARTNERSYNC_TEST_BUILD_DIR) + "/CPackConfig.cmake";
    const auto r = run_process(
        {"/usr/bin/cpack", "-G", "DEB", "-B", scratch_ + "/out", "--config", config}, {}, 300);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const auto& entry : fs::directory_iterator(scratch_ + "/out"))
      if (entry.path().extension() == ".deb") deb_ = entry.path();
    ASSERT_FALSE(deb_.empty()) << r.out;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }
  static std::string field(const std::string& name) {
    const auto r = run_process({"/usr/bin/dpkg-deb", "-f", deb_, name}, {}, 30);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  static inline std::string scratch_;
  static inline std::string deb_;
};

TEST_F(Package, IsNamedAfterVersionAndArchitecture) {
  const auto arch = run_process({"/usr/bin/dpkg", "--print-architecture"}, {}, 30).out;
  EXPECT_EQ(fs::path(deb_).filename().string(),
            "partnersync_" PARTNERSYNC_VERSION "_" + arch.substr(0, arch.size() - 1) + ".deb");
  EXPECT_EQ(field("Package"), "partnersync\n");
}

TEST_F(Package, UnpacksToTheDocumentedLayout) {
  const auto root = scratch_ + "/root";
  const auto r = run_process({"/usr/bin/dpkg", "-x", deb_, root}, {}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat binary {};
  ASSERT_EQ(stat((root + "/usr/bin/partnersync").c_str(), &binary), 0);
  EXPECT_TRUE(binary.st_mode & S_IXOTH);
  for (const char* path :
       {"/usr/lib/systemd/system/partnersync.service",
        "/usr/share/partnersync/partnersync.example.yaml", "/usr/share/doc/partnersync/copyright",
        "/usr/share/doc/partnersync/changelog.gz", "/usr/share/doc/partnersync/README.md"})
    EXPECT_TRUE(fs::is_regular_file(root + path)) << path;
  // The unpacked binary runs, and a DynamicUser unit needs no account made by a script.
  const auto version = run_process({root + "/usr/bin/partnersync", "--version"}, {}, 30);
  EXPECT_EQ(version.out, "partnersync " PARTNERSYNC_VERSION "\n");
  const auto unit = run_process({"/usr/bin/grep", "-c", "^DynamicUser=yes$",
                                 root + "/usr/lib/systemd/system/partnersync.service"},
                                {}, 30);
  EXPECT_EQ(unit.out, "1\n");
}

TEST_F(Package, DependsComeFromTheLinkedLibraries) {
  const auto depends = field("Depends");
  // dpkg-shlibdeps' names of what the binary links, and what it reads but does not link.
  for (const char* package :
       {"libc6", "libpqxx-6.4", "libpq5", "libssl3", "libyaml-cpp0.7", "ca-certificates", "tzdata"})
    EXPECT_NE(depends.find(package), std::string::npos) << package << " in " << depends;
}

TEST_F(Package, LintianFindsNothing) {
  if (access("/usr/bin/lintian", X_OK) != 0) GTEST_SKIP() << "lintian not installed";
  const auto r = run_process({"/usr/bin/lintian", "--pedantic", "--info", deb_}, {}, 300);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace partnersync
