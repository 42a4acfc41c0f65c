// The /readyz rule: 3 intervals past the last success, never-run streams from the start,
// not_applicable streams ignored, the database first.
#include "daemon/service/readiness.hpp"

#include <gtest/gtest.h>

namespace partnersync {
namespace {

using namespace std::chrono;
using service::readiness_answer;
using service::ReadinessInput;
using service::StreamReadiness;

ReadinessInput at(sys_seconds now) {
  ReadinessInput input;
  input.now = now;
  input.daemon_started = now - hours(2);
  return input;
}

TEST(Readiness, ReadyWhenEveryStreamSucceededWithinThreeIntervals) {
  const sys_seconds now{seconds(1764620000)};
  auto input = at(now);
  input.streams = {{"acme", "earnings", minutes(15), now - minutes(45), false},
                   {"acme", "licenses", hours(1), now - minutes(5), false}};
  const auto answer = readiness_answer(input);
  EXPECT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body, "ready\n");
}

TEST(Readiness, StreamMoreThanThreeIntervalsBehindIs503NamingIt) {
  const sys_seconds now{seconds(1764620000)};
  auto input = at(now);
  input.streams = {{"acme", "earnings", minutes(15), now - minutes(46), false},
                   {"acme", "licenses", hours(1), now - minutes(5), false}};
  const auto answer = readiness_answer(input);
  EXPECT_EQ(answer.status, 503u);
  EXPECT_EQ(answer.body, "acme/earnings: last success 46m ago, over 3 intervals of 15m\n");
}

TEST(Readiness, NeverRunStreamsCountFromTheStartAndNotApplicableOnesNotAtAll) {
  const sys_seconds now{seconds(1764620000)};
  auto input = at(now);  // started 2 h ago
  input.streams = {{"acme", "hourly", hours(1), std::nullopt, false},
                   {"acme", "quick", minutes(30), std::nullopt, false},
                   {"acme", "expert", minutes(1), now - days(30), true}};
  const auto answer = readiness_answer(input);
  EXPECT_EQ(answer.status, 503u);
  EXPECT_EQ(answer.body,
            "acme/quick: no success since the start 2h ago, over 3 intervals of 30m\n");
}

TEST(Readiness, UnreachableDatabaseIs503FirstOfAll) {
  auto input = at(sys_seconds{seconds(1764620000)});
  input.database_reachable = false;
  input.database_error = "connection to 127.0.0.1:5432 refused";
  const auto answer = readiness_answer(input);
  EXPECT_EQ(answer.status, 503u);
  EXPECT_EQ(answer.body, "database unreachable: connection to 127.0.0.1:5432 refused\n");
}

}  // namespace
}  // namespace partnersync
