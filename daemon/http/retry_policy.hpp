// When the HTTP client retries and how long it waits: retryable statuses, full-jitter
// exponential backoff and Retry-After (delta seconds or HTTP date), all capped.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace partnersync::http {

class RetryPolicy {
 public:
  using Milliseconds = std::chrono::milliseconds;

  RetryPolicy(int retries, Milliseconds backoff_base, Milliseconds backoff_cap,
              Milliseconds retry_after_cap);

  // Attempts allowed in total: the first one plus `retries`.
  int max_attempts() const { return retries_ + 1; }

  // 429 and the 5xx answers that mean "try again later"; other statuses are final.
  static bool retryable_status(unsigned status);

  // Full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): uniform in
  // [0, min(cap, base * 2^(retry-1))], `retry` counting from 1. `random` is uniform in [0, 1).
  Milliseconds backoff(int retry, double random) const;

  // Retry-After as a wait from `now`: delta-seconds or an HTTP date (IMF-fixdate, RFC 850 or
  // asctime, RFC 9110 section 10.2.3), capped at retry_after_cap; a date in the past is 0;
  // nullopt for a value that is neither.
  std::optional<Milliseconds> retry_after(std::string_view value,
                                          std::chrono::system_clock::time_point now) const;

  // The wait before retry number `retry`: the server's Retry-After when it sent one,
  // otherwise the jittered backoff.
  Milliseconds wait(int retry, std::optional<Milliseconds> retry_after, double random) const;

 private:
  int retries_;
  Milliseconds backoff_base_;
  Milliseconds backoff_cap_;
  Milliseconds retry_after_cap_;
};

}  // namespace partnersync::http
