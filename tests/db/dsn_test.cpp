// Connection strings through libpq's own parser: what a message may show of a DSN (server,
// database, user) in both syntaxes, and every spelling of its password registered as a secret.
#include "daemon/db/dsn.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <map>

#include "daemon/obs/redact.hpp"

namespace partnersync::db {
namespace {

// What libpq reads from `dsn`: keyword -> value, set keywords only.
std::map<std::string, std::string> read_by_libpq(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  std::map<std::string, std::string> out;
  if (options == nullptr) {
    ADD_FAILURE() << "libpq cannot parse " << dsn << ": " << (error ? error : "?");
    PQfreemem(error);
    return out;
  }
  for (const auto* o = options; o->keyword != nullptr; ++o)
    if (o->val != nullptr) out[o->keyword] = o->val;
  PQconninfoFree(options);
  return out;
}

EnvLookup no_env() {
  return [](const std::string&) { return std::optional<std::string>(); };
}

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

TEST(EngineDsn, AddsEveryBoundToAUriAndAKeyValueString) {
  for (const std::string given :
       {"postgresql://sync:pw-Bounds1@db:5433/w", "postgresql://sync@db/w?sslmode=require",
        "host=db user=sync password='pw Bounds2' dbname=w"}) {
    const auto read = read_by_libpq(engine_dsn(given, ConnectionBounds{}, no_env()));
    EXPECT_EQ(read.at("connect_timeout"), "30") << given;
    EXPECT_EQ(read.at("keepalives"), "1") << given;
    EXPECT_EQ(read.at("keepalives_idle"), "60") << given;
    EXPECT_EQ(read.at("keepalives_interval"), "10") << given;
    EXPECT_EQ(read.at("keepalives_count"), "6") << given;
    EXPECT_EQ(read.at("tcp_user_timeout"), "120000") << given;
    EXPECT_EQ(read.at("options"), "-c statement_timeout=600s") << given;
    // The given keywords read back unchanged.
    for (const auto& [keyword, value] : read_by_libpq(given)) EXPECT_EQ(read.at(keyword), value);
  }
}

TEST(EngineDsn, WhatTheDsnSetsItselfWins) {
  const std::string given =
      "postgresql://db/w?connect_timeout=5&keepalives=0&keepalives_idle=1&keepalives_interval=2"
      "&keepalives_count=3&tcp_user_timeout=4000&options=-c%20statement_timeout%3D0";
  EXPECT_EQ(engine_dsn(given, ConnectionBounds{}, no_env()), given);
  const std::string key_value = "host=db options='-c statement_timeout=5min' keepalives_idle=7";
  const auto read = read_by_libpq(engine_dsn(key_value, ConnectionBounds{}, no_env()));
  EXPECT_EQ(read.at("options"), "-c statement_timeout=5min");
  EXPECT_EQ(read.at("keepalives_idle"), "7");
  EXPECT_EQ(read.at("keepalives_interval"), "10");
}

TEST(EngineDsn, OtherOptionsAreKeptAndTheTimeoutAdded) {
  ConnectionBounds bounds;
  bounds.statement_timeout = std::chrono::seconds(90);
  const auto read = read_by_libpq(
      engine_dsn("postgresql://db/w?options=-c%20search_path%3Dbi", bounds, no_env()));
  EXPECT_EQ(read.at("options"), "-c search_path=bi -c statement_timeout=90s");
  // PGOPTIONS is what libpq would send when the DSN has no options: it is kept as well.
  const auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "PGOPTIONS") return "-c work_mem=64MB";
    if (name == "PGCONNECT_TIMEOUT") return "3";
    return std::nullopt;
  };
  const auto from_env = read_by_libpq(engine_dsn("host=db", bounds, env));
  EXPECT_EQ(from_env.at("options"), "-c work_mem=64MB -c statement_timeout=90s");
  EXPECT_EQ(from_env.count("connect_timeout"), 0u) << "PGCONNECT_TIMEOUT is the user's";
  const auto env_timeout = [](const std::string& name) -> std::optional<std::string> {
    if (name == "PGOPTIONS") return "-c statement_timeout=0";
    return std::nullopt;
  };
  EXPECT_EQ(read_by_libpq(engine_dsn("host=db", bounds, env_timeout)).count("options"), 0u);
}

TEST(EngineDsn, NoStatementTimeoutWhenTurnedOff) {
  ConnectionBounds bounds;
  bounds.statement_timeout = std::chrono::seconds(0);
  const auto read = read_by_libpq(engine_dsn("postgresql://db/w", bounds, no_env()));
  EXPECT_EQ(read.count("options"), 0u);
  EXPECT_EQ(read.at("keepalives"), "1");
}

TEST(EngineDsn, AQuestionMarkInThePasswordDoesNotStartTheQuery) {
  const std::string given = "postgresql://sync:pw%3F?x@db/w";
  const auto before = read_by_libpq(given);
  ASSERT_EQ(before.at("password"), "pw??x");
  const std::string engine = engine_dsn(given, ConnectionBounds{}, no_env());
  EXPECT_TRUE(engine.starts_with(given)) << "the given text, and so its secrets, is kept";
  const auto read = read_by_libpq(engine);
  EXPECT_EQ(read.at("password"), "pw??x");
  EXPECT_EQ(read.at("dbname"), "w");
  EXPECT_EQ(read.at("keepalives"), "1");
}

TEST(EngineDsn, AStringLibpqCannotParseIsLeftAsGiven) {
  EXPECT_EQ(engine_dsn("host='unterminated", ConnectionBounds{}, no_env()), "host='unterminated");
}

}  // namespace
}  // namespace partnersync::db
