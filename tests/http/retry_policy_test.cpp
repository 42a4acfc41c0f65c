// Backoff and Retry-After arithmetic: which statuses retry, the full-jitter envelope, and
// both Retry-After forms with their cap.
#include "daemon/http/retry_policy.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace partnersync::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

RetryPolicy policy() {
  return RetryPolicy(5, milliseconds{500}, milliseconds{30'000}, seconds{300});
}

TEST(RetryPolicy, RetriesOnlyTooManyRequestsAndTransientServerErrors) {
  for (unsigned s : {429u, 500u, 502u, 503u, 504u}) EXPECT_TRUE(RetryPolicy::retryable_status(s));
  for (unsigned s : {200u, 400u, 401u, 403u, 404u, 408u, 501u, 505u})
    EXPECT_FALSE(RetryPolicy::retryable_status(s)) << s;
  EXPECT_EQ(policy().max_attempts(), 6);
}

TEST(RetryPolicy, FullJitterStaysWithinDoublingEnvelope) {
  auto p = policy();
  EXPECT_EQ(p.backoff(1, 0.0), milliseconds{0});
  EXPECT_EQ(p.backoff(1, 0.5), milliseconds{250});
  EXPECT_EQ(p.backoff(3, 0.5), milliseconds{1000});
  EXPECT_LE(p.backoff(1, 0.999), milliseconds{500});
  EXPECT_LE(p.backoff(100, 0.999), milliseconds{30'000});
  EXPECT_GT(p.backoff(100, 0.999), milliseconds{29'000});
}

TEST(RetryPolicy, RetryAfterSecondsIsUsedAsTheWait) {
  auto p = policy();
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(p.retry_after("7", now), milliseconds{7000});
  EXPECT_EQ(p.retry_after(" 0 ", now), milliseconds{0});
  EXPECT_EQ(p.wait(1, p.retry_after("7", now), 0.0), milliseconds{7000});
  EXPECT_EQ(p.wait(1, std::nullopt, 0.5), milliseconds{250});
}

TEST(RetryPolicy, LongRetryAfterIsCapped) {
  auto p = policy();
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(p.retry_after("86400", now), seconds{300});
  EXPECT_EQ(p.retry_after("99999999999999999999999", now), seconds{300});
}

TEST(RetryPolicy, RetryAfterHttpDateIsMeasuredFromNow) {
  auto p = policy();
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14 22:13:20
  EXPECT_EQ(p.retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now), seconds{30});
  EXPECT_EQ(p.retry_after("Tuesday, 14-Nov-23 22:13:50 GMT", now), seconds{30});
  EXPECT_EQ(p.retry_after("Tue Nov 14 22:13:50 2023", now), seconds{30});
  EXPECT_EQ(p.retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), milliseconds{0});
  EXPECT_EQ(p.retry_after("Wed, 15 Nov 2023 22:13:20 GMT", now), seconds{300});
}

TEST(RetryPolicy, RetryAfterDatesCenturiesAwayAreCappedOrPastNotOverflowed) {
  // system_clock counts nanoseconds (about 292 years each way): these dates overflowed it.
  const auto p = policy();
  const auto now = std::chrono::system_clock::from_time_t(1700000000);
  EXPECT_EQ(p.retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), seconds{300});
  EXPECT_EQ(p.retry_after("Mon, 01 Jan 1600 00:00:00 GMT", now), milliseconds{0});
  EXPECT_EQ(p.retry_after("Tue, 14 Nov 2023 22:18:20 GMT", now), seconds{300});
}

TEST(RetryPolicy, UnparsableRetryAfterFallsBackToBackoff) {
  auto p = policy();
  const auto now = std::chrono::system_clock::now();
  EXPECT_FALSE(p.retry_after("soon", now));
  EXPECT_FALSE(p.retry_after("-5", now));
  EXPECT_FALSE(p.retry_after("", now));
  EXPECT_FALSE(p.retry_after("1.5", now));
}

}  // namespace
}  // namespace partnersync::http
