// Redaction: no token, apikey or DSN password survives redact(), and so none reaches a sink.
#include "daemon/obs/redact.hpp"

#include <gtest/gtest.h>

namespace partnersync::obs {
namespace {

TEST(Redact, MasksBearerToken) {
  const auto out = redact("Authorization: Bearer eyJhbGciOi.secret-part");
  EXPECT_EQ(out, "Authorization: Bearer ***");
}

TEST(Redact, MasksApikeyQueryParameterAndKeepsTheRestOfTheUrl) {
  const auto out = redact(
      "GET https://acme.ladesk.com/api/resellers/r/accounts?apikey=abc123XYZ&created_from=x");
  EXPECT_EQ(out, "GET https://acme.ladesk.com/api/resellers/r/accounts?apikey=***&created_from=x");
}

TEST(Redact, MasksApikeyAsLastParameter) {
  EXPECT_EQ(redact("url /accounts?limit=5&apikey=k3y-value failed"),
            "url /accounts?limit=5&apikey=*** failed");
}

TEST(Redact, MasksPasswordInPostgresUri) {
  EXPECT_EQ(redact("cannot connect to postgresql://sync:s3cr%40t@db.example:5432/warehouse"),
            "cannot connect to postgresql://sync:***@db.example:5432/warehouse");
}

TEST(Redact, MasksPasswordInKeyValueDsn) {
  EXPECT_EQ(redact("host=db user=sync password=hunter22 dbname=w"),
            "host=db user=sync password=*** dbname=w");
  EXPECT_EQ(redact("host=db password='with space' dbname=w"), "host=db password='***' dbname=w");
}

TEST(Redact, MasksTokenFieldsInJson) {
  EXPECT_EQ(redact(R"({"token":"abcdef","name":"x"})"), R"({"token":"***","name":"x"})");
}

TEST(Redact, LeavesConfigKeyPathsReadable) {
  EXPECT_EQ(redact("cfg.yaml: sources[0].token: environment variable LIVECHAT_TOKEN is not set"),
            "cfg.yaml: sources[0].token: environment variable LIVECHAT_TOKEN is not set");
}

TEST(Redact, LeavesUriWithoutPasswordAlone) {
  EXPECT_EQ(redact("postgresql://sync@db/w and https://api.livechatinc.com/v2/partners/stats"),
            "postgresql://sync@db/w and https://api.livechatinc.com/v2/partners/stats");
}

TEST(Redact, MasksRegisteredSecretWherePatternsCannotSeeIt) {
  register_secret("plainly-visible-secret-42");
  EXPECT_EQ(redact("upstream said: plainly-visible-secret-42 is invalid"),
            "upstream said: *** is invalid");
}

TEST(Redact, IgnoresTooShortRegisteredSecrets) {
  register_secret("ab");
  EXPECT_EQ(redact("a tab b"), "a tab b");
}

}  // namespace
}  // namespace partnersync::obs
