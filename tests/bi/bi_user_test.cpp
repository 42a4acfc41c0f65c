// deploy/bi-user as an administrator runs it: a read-only LOGIN that has partnersync_bi only,
// its generated password in a 0600 file and nowhere in the output; a re-run rotates it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/bi/bi_fixture.hpp"
#include "tests/support/process.hpp"

namespace partnersync {
namespace {

using bi_testing::MigratedDatabase;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

testing::ProcessResult bi_user(const std::string& url, const std::string& role,
                               const std::filesystem::path& file) {
  return testing::run_process(
      {testing::source_dir() + "/deploy/bi-user", url, role, file.string()});
}

std::string verifier(MigratedDatabase& db, const std::string& role) {
  return db.query1("SELECT rolpassword FROM pg_authid WHERE rolname = '" + role + "'")[0]
      .as<std::string>();
}

void drop_role(const std::string& role) {
  pqxx::connection c(testing::cluster_url());
  pqxx::nontransaction tx(c);
  tx.exec("DROP ROLE IF EXISTS " + role);
}

TEST(BiUserScript, CreatesAReadOnlyLoginWithOnlyPartnersyncBiAndA0600PasswordFile) {
  MigratedDatabase db("bi_user_script");
  const std::string role = db.name() + "_bi";
  struct Cleanup {
    std::string role;
    std::filesystem::path dir;
    ~Cleanup() {
      try {
        drop_role(role);
      } catch (const std::exception&) {
        // Only a leftover role on the throwaway cluster.
      }
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{role,
            std::filesystem::path(testing::write_temp_file(role + ".keep", "")).parent_path() /
                (role + "-dir")};
  std::filesystem::create_directories(cleanup.dir);
  const auto file = cleanup.dir / "bi.password";

  const auto first = bi_user(db.url(), role, file);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string password = read_text(file);
  ASSERT_EQ(password.size(), 49u) << "48 hex digits and a newline";
  const std::string secret = password.substr(0, 48);
  EXPECT_EQ(secret.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(first.out.find(secret), std::string::npos);
  EXPECT_EQ(first.err.find(secret), std::string::npos);

  const auto r = db.query1(
      "SELECT a.rolcanlogin, a.rolsuper OR a.rolcreaterole OR a.rolcreatedb, "
      "       a.rolpassword LIKE 'SCRAM-SHA-256$%', "
      "       (SELECT string_agg(g.rolname, ',') FROM pg_auth_members m "
      "          JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = a.oid), "
      "       (SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting "
      "         WHERE setrole = a.oid AND setdatabase = 0) "
      "FROM pg_authid a WHERE a.rolname = '" +
      role + "'");
  EXPECT_TRUE(r[0].as<bool>());
  EXPECT_FALSE(r[1].as<bool>());
  EXPECT_TRUE(r[2].as<bool>()) << "the password is set, stored as a SCRAM verifier";
  EXPECT_EQ(r[3].as<std::string>(), "partnersync_bi") << "member of partnersync_bi only";
  EXPECT_EQ(r[4].as<std::string>(), "default_transaction_read_only=on");

  // The login reads the bi views and nothing else.
  pqxx::connection as_user(db.url() + (db.url().find('?') == std::string::npos ? "?" : "&") +
                           "user=" + role);
  {
    pqxx::read_transaction tx(as_user);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM bi.sync_health")[0].as<int>(), 0);
  }
  EXPECT_THROW(
      {
        pqxx::read_transaction tx(as_user);
        tx.exec("SELECT * FROM livechat.affiliate_licenses");
      },
      pqxx::insufficient_privilege);

  const std::string first_verifier = verifier(db, role);
  const auto second = bi_user(db.url(), role, file);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(read_text(file), password) << "a re-run rotates the password";
  EXPECT_EQ(second.err, "") << "nothing but the one line on stdout";
  EXPECT_NE(verifier(db, role), first_verifier) << "and the role's password with it";

  // A superuser is never turned into a dashboard login, and nothing is written for it.
  const auto refused = bi_user(db.url(), "postgres", cleanup.dir / "refused");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("refusing to change postgres"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(cleanup.dir / "refused"));
  const auto bad = bi_user(db.url(), "Robert'); DROP TABLE x;--", cleanup.dir / "bad");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(cleanup.dir / "bad"));
}

}  // namespace
}  // namespace partnersync
