// Backoff and Retry-After arithmetic for the HTTP client, kept free of I/O so that the
// numbers can be tested directly.
#include "daemon/http/retry_policy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <string>

namespace partnersync::http {

RetryPolicy::RetryPolicy(int retries, Milliseconds backoff_base, Milliseconds backoff_cap,
                         Milliseconds retry_after_cap)
    : retries_(std::max(0, retries)),
      backoff_base_(std::max(Milliseconds{0}, backoff_base)),
      backoff_cap_(std::max(Milliseconds{0}, backoff_cap)),
      retry_after_cap_(std::max(Milliseconds{0}, retry_after_cap)) {}

bool RetryPolicy::retryable_status(unsigned status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

RetryPolicy::Milliseconds RetryPolicy::backoff(int retry, double random) const {
  // Doubling stops once the cap is reached, so large retry counts cannot overflow.
  std::int64_t ceiling = backoff_base_.count();
  for (int i = 1; i < retry && ceiling < backoff_cap_.count(); ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, backoff_cap_.count());
  random = std::clamp(random, 0.0, 1.0);
  return Milliseconds{static_cast<std::int64_t>(static_cast<double>(ceiling) * random)};
}

std::optional<RetryPolicy::Milliseconds> RetryPolicy::retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) const {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;

  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    std::uint64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    const auto cap_seconds = static_cast<std::uint64_t>(retry_after_cap_.count() / 1000 + 1);
    // Out of range means "very long": cap it like any other long value.
    if (ec == std::errc::result_out_of_range || seconds > cap_seconds) return retry_after_cap_;
    if (ec != std::errc{}) return std::nullopt;
    return std::min(Milliseconds{static_cast<std::int64_t>(seconds) * 1000}, retry_after_cap_);
  }

  const std::string text(value);
  static constexpr const char* kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate, the one servers should send
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
      "%a %b %d %H:%M:%S %Y",       // asctime
  };
  for (const char* format : kFormats) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    const std::time_t when = timegm(&tm);
    if (when == static_cast<std::time_t>(-1)) continue;
    // Compared in seconds before any conversion: system_clock counts nanoseconds, so a date
    // more than 292 years away (year 9999, year 1600) overflows it (found by the fuzzer).
    const auto now_seconds =
        std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    if (when < now_seconds) return Milliseconds{0};
    if (when - now_seconds > retry_after_cap_.count() / 1000 + 1) return retry_after_cap_;
    const auto at = std::chrono::system_clock::from_time_t(when);
    if (at <= now) return Milliseconds{0};
    // Round up: waiting a little longer than asked is fine, shorter is not.
    auto wait = std::chrono::ceil<Milliseconds>(at - now);
    return std::min(wait, retry_after_cap_);
  }
  return std::nullopt;
}

RetryPolicy::Milliseconds RetryPolicy::wait(int retry, std::optional<Milliseconds> retry_after,
                                            double random) const {
  if (retry_after) return *retry_after;
  return backoff(retry, random);
}

}  // namespace partnersync::http
