// libFuzzer target: configuration text through parse_config (YAML, ${VAR} and ${VAR:-default}
// interpolation, every value parser: durations, sizes, integers, dates, time zones, URLs, DSNs,
// listen addresses). ConfigError is its one documented exception, so it is the only one caught:
// any other exception escaping is a finding. A configuration that loads honours the documented
// bounds.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/config/config.hpp"
#include "daemon/http/url.hpp"

namespace {

namespace config = partnersync::config;

const std::map<std::string, std::string>& environment() {
  static const std::map<std::string, std::string> env = {
      {"PARTNERSYNC_DATABASE_URL", "postgresql://sync:pw-4711@localhost:5432/warehouse"},
      {"PARTNERSYNC_LISTEN", "127.0.0.1:9187"},
      {"LIVECHAT_TOKEN", "lc-token-0123456789"},
      {"LIVEAGENT_API_KEY", "la-key-abcdef"},
      {"LIVECHAT_BASE_URL", "https://api.livechatinc.com"},
      {"EMPTY", ""},
      {"TWO_LINES", "first\nsecond"},
      {"DOLLAR", "${LIVECHAT_TOKEN}"},  // interpolated once, not again
  };
  return env;
}

std::optional<std::string> lookup(const std::string& name) {
  const auto it = environment().find(name);
  if (it == environment().end()) return std::nullopt;
  return it->second;
}

void check_bounds(const config::Config& c) {
  using config::Seconds;
  const auto positive_within = [](Seconds value, Seconds max) {
    return value > Seconds{0} && value <= max;
  };
  if (c.database_url.empty() || c.sources.empty()) __builtin_trap();
  if (c.database_connections < 1 || c.database_statement_timeout < Seconds{0} ||
      c.database_statement_timeout > config::kMaxStatementTimeout)
    __builtin_trap();
  if (!positive_within(c.sync.interval, config::kMaxInterval) ||
      !positive_within(c.sync.lookback, config::kMaxLookback) ||
      !positive_within(c.sync.full_refresh, config::kMaxFullRefresh) ||
      !positive_within(c.sync.window, config::kMaxWindow) || c.sync.concurrency < 1)
    __builtin_trap();
  for (const auto& [stream, interval] : c.sync.stream_intervals)
    if (!positive_within(interval, config::kMaxInterval)) __builtin_trap();
  if (!positive_within(c.http.timeout, config::kMaxHttpTimeout) || c.http.retries < 0)
    __builtin_trap();
  if (c.http.max_body_bytes == 0 || c.http.max_body_bytes > config::kMaxMaxBody) __builtin_trap();
  if (!(c.http.rate_limit >= 0)) __builtin_trap();  // NaN fails this too
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  for (const auto& source : c.sources) {
    if (source.name.empty() || source.secret.empty()) __builtin_trap();
    if (!partnersync::http::parse_base_url(source.base_url)) __builtin_trap();
    // "Not in the future" is judged in the source's time zone: a day of slack for that.
    if (source.start_date > today + std::chrono::days{1}) __builtin_trap();
    if (c.find_source(source.name) == nullptr) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // *_file secrets and http.ca_file are read from disk: relative paths resolve under a
  // directory that does not exist; absolute paths into devices and kernel files are left out
  // (/dev/zero never ends, a FIFO blocks). That reading is covered by tests/config.
  for (const std::string_view special : {"/dev", "/proc", "/sys", "/run"})
    if (text.find(special) != std::string::npos) return -1;
  try {
    const config::Config c =
        config::parse_config(text, "/nonexistent-fuzz/partnersync.yaml", lookup);
    check_bounds(c);
  } catch (const config::ConfigError& e) {
    const std::string_view what = e.what();
    if (what.find('\n') != std::string_view::npos) __builtin_trap();  // one line, as documented
    if (!what.starts_with("/nonexistent-fuzz/partnersync.yaml: ")) __builtin_trap();
  }
  return 0;
}
