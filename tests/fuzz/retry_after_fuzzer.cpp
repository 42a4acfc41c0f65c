// libFuzzer target: Retry-After values (delta-seconds and the three HTTP date forms, RFC 9110
// section 10.2.3) and the backoff arithmetic of RetryPolicy. Whatever the value, the clock and
// the cap, a wait is never negative and never over its cap. The first 16 bytes choose the
// clock and the policy; the rest is the header value.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "daemon/http/retry_policy.hpp"

namespace {

using partnersync::http::RetryPolicy;
using Milliseconds = RetryPolicy::Milliseconds;

std::uint64_t take_u64(const std::uint8_t*& data, std::size_t& size) {
  std::uint64_t value = 0;
  const std::size_t n = size < sizeof value ? size : sizeof value;
  std::memcpy(&value, data, n);
  data += n;
  size -= n;
  return value;
}

void check_policy(const RetryPolicy& policy, Milliseconds cap, Milliseconds backoff_cap,
                  std::string_view value, std::chrono::system_clock::time_point now,
                  std::uint64_t knobs) {
  const auto wait = policy.retry_after(value, now);
  if (wait && (*wait < Milliseconds{0} || *wait > cap)) __builtin_trap();
  // A wait is the server's when it sent one, the jittered backoff otherwise.
  const int retry = static_cast<int>(knobs % 80);
  const double random = static_cast<double>((knobs >> 8) % 1001) / 1000.0;
  const auto chosen = policy.wait(retry, wait, random);
  if (wait && chosen != *wait) __builtin_trap();
  const auto backoff = policy.backoff(retry, random);
  if (backoff < Milliseconds{0} || backoff > backoff_cap) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::uint64_t clock = take_u64(data, size);
  const std::uint64_t knobs = take_u64(data, size);
  const std::string_view value(reinterpret_cast<const char*>(data), size);

  // A clock between 1970 and 2116 (2^62 ns): what a host's system_clock reads.
  const std::chrono::system_clock::time_point now{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds{
          static_cast<std::int64_t>(clock & ((std::uint64_t{1} << 62) - 1))})};

  // The client's defaults (http_client.hpp: backoff cap 30 s, Retry-After cap 5 min).
  const RetryPolicy defaults(5, Milliseconds{500}, Milliseconds{30'000}, Milliseconds{300'000});
  check_policy(defaults, Milliseconds{300'000}, Milliseconds{30'000}, value, now, knobs);

  // Caps from 0 to a day, base and retries from the input.
  const Milliseconds cap{static_cast<std::int64_t>((knobs >> 20) % 86'400'001)};
  const Milliseconds backoff_cap{static_cast<std::int64_t>((knobs >> 48) % 60'001)};
  const Milliseconds base{static_cast<std::int64_t>((knobs >> 36) % 4096)};
  const RetryPolicy fuzzed(static_cast<int>(knobs % 11), base, backoff_cap, cap);
  check_policy(fuzzed, cap, backoff_cap, value, now, knobs);
  return 0;
}
