// Connection strings through libpq's own parser: what a message may show of a DSN (server,
// database, user) in both syntaxes, and every spelling of its password registered as a secret.
#include "daemon/db/dsn.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/obs/redact.hpp"

namespace partnersync::db {
namespace {

bool has(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

TEST(Dsn, UriIsDescribedWithoutItsPassword) {
  const std::string described =
      describe_dsn("postgresql://sync:pw-Uri%40Secret1@db.example:5433/warehouse?sslmode=require");
  EXPECT_EQ(described, "host=db.example port=5433 dbname=warehouse user=sync password=***");
  EXPECT_EQ(described.find("Secret1"), std::string::npos);
}

TEST(Dsn, PasswordInUriQueryIsNotShown) {
  const std::string described = describe_dsn("postgres://db/w?user=u&password=pw-Query2");
  EXPECT_EQ(described, "host=db dbname=w user=u password=***");
}

TEST(Dsn, KeyValueStringIsDescribedWithoutItsPassword) {
  const std::string described =
      describe_dsn("host=db port=5432 dbname=w user=sync password='kv pw-Kv3\\' x'");
  EXPECT_EQ(described, "host=db port=5432 dbname=w user=sync password=***");
  EXPECT_EQ(described.find("Kv3"), std::string::npos);
}

TEST(Dsn, ValuesThatNeedQuotesAreQuoted) {
  EXPECT_EQ(describe_dsn("host=/run/postgresql dbname='my db' user=''"),
            "host=/run/postgresql dbname='my db' user=''");
  EXPECT_EQ(describe_dsn(""), "(libpq defaults)");
}

TEST(Dsn, UnparsableStringIsDescribedByLibpqsReasonOnly) {
  const std::string described = describe_dsn("host=db password pw-Broken4");
  EXPECT_EQ(described.rfind("(invalid connection string: ", 0), 0u) << described;
  EXPECT_EQ(described.find("pw-Broken4 "), std::string::npos) << described;
  const std::string uri = describe_dsn("postgresql://u:pw-BadUri5@db/w?no_such_option=1");
  EXPECT_EQ(uri.find("pw-BadUri5"), std::string::npos) << uri;
}

TEST(Dsn, SecretsAreThePasswordDecodedAndAsWritten) {
  const auto uri = dsn_secrets("postgresql://sync:pw%40Enc9%2f@db/w");
  EXPECT_TRUE(has(uri, "pw@Enc9/"));
  EXPECT_TRUE(has(uri, "pw%40Enc9%2f"));
  EXPECT_EQ(uri.size(), 2u);

  const auto kv = dsn_secrets("host=db password='it\\'s pw-6' dbname=w");
  EXPECT_TRUE(has(kv, "it's pw-6"));
  EXPECT_TRUE(has(kv, "it\\'s pw-6"));

  // A literal '%' in key=value form is just a character.
  EXPECT_EQ(dsn_secrets("host=db password=pw%41x"), std::vector<std::string>{"pw%41x"});
  // The URI form decodes %25 to '%'.
  EXPECT_TRUE(has(dsn_secrets("postgresql://u:pw%25x1@db/w"), "pw%x1"));
  EXPECT_TRUE(has(dsn_secrets("postgresql://u:pw%25x1@db/w"), "pw%25x1"));
}

TEST(Dsn, LastPasswordWinsAsInLibpq) {
  const auto secrets = dsn_secrets("postgresql://u:pw-First7@db/w?password=pw-Second8");
  EXPECT_TRUE(has(secrets, "pw-Second8"));
}

TEST(Dsn, NoPasswordNoSecrets) {
  EXPECT_TRUE(dsn_secrets("postgresql://sync@db/w").empty());
  EXPECT_TRUE(dsn_secrets("host=db dbname=w").empty());
  EXPECT_TRUE(dsn_secrets("not a dsn").empty());
}

TEST(Dsn, RegisteredSpellingsAreMaskedByRedact) {
  for (const auto& secret : dsn_secrets("postgresql://sync:pw%3AReg10@db/w"))
    obs::register_secret(secret);
  EXPECT_EQ(obs::redact("saw pw:Reg10 and pw%3AReg10"), "saw *** and ***");
}

}  // namespace
}  // namespace partnersync::db
