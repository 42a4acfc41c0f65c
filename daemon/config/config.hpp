// The validated configuration (../shared/design/interface.md): what partnersync reads from
// YAML at startup. Loading is pure apart from reading the file, the environment and *_file secrets.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/stream_catalog.hpp"
#include "daemon/calendar/iso_date.hpp"

namespace partnersync::config {

using Seconds = std::chrono::seconds;
using connectors::SourceKind;

// Thrown for any invalid configuration. what() is one line:
//   "<file>: <key path>: <what is wrong>"   e.g. "cfg.yaml: sources[1].start_date: ..."
// It never contains a secret value.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& file, const std::string& key_path, const std::string& problem);
  const std::string& key_path() const { return key_path_; }

 private:
  std::string key_path_;
};

struct Source {
  std::string name;
  SourceKind kind = SourceKind::livechat_partner;
  std::string base_url;  // no trailing slash; default per kind
  // livechat_partner: the bearer token; liveagent_reseller: the API key. Registered with
  // obs::register_secret() on load.
  std::string secret;
  std::string reseller;  // liveagent_reseller only
  std::chrono::sys_days start_date{};
  std::string timezone;              // IANA name; UTC (livechat) / America/Los_Angeles (liveagent)
  std::vector<std::string> streams;  // resolved: every stream of the kind when omitted
  // liveagent_helpdesk `departments`: windowed streams with StreamSpec::fan_out_param make one
  // request per value (empty: one request without the parameter).
  std::vector<std::string> fan_out_values;
};

// Upper bounds of the durations (larger values are rejected with the key path). They keep every
// later conversion far from overflow (nanosecond clocks end after 292 years, day counts are int)
// and catch a unit typo such as `interval: 15d` for 15m. lookback and window count whole days.
inline constexpr Seconds kMaxInterval{7 * 86400};           // sync.interval, sync.intervals.*
inline constexpr Seconds kMaxLookback{36500 * 86400LL};     // sync.lookback: 100 years
inline constexpr Seconds kMaxFullRefresh{36500 * 86400LL};  // sync.full_refresh
inline constexpr Seconds kMaxWindow{36500 * 86400LL};       // sync.window
inline constexpr Seconds kMaxHttpTimeout{3600};             // http.timeout
inline constexpr Seconds kMaxStatementTimeout{86400};       // database.statement_timeout

// http.max_body. Parsing a body of N bytes peaks at 3.6 N (measured on affiliate license bodies
// of 7 to 111 MiB: the body, simdjson's index sized to it, the COPY rows made from it); with the
// HTTP read's buffer growth and the writer, count 6 N. 32 MiB is then 192 MiB at worst, which
// with the process's own ~40 MiB fits the unit's MemoryMax=256M (deploy/partnersync.service).
// Multi-day windows stop at 2 MiB and are halved, so full-size bodies are one-day windows and
// unwindowed lists. 1 GiB, the cap, stays clear of simdjson's 4 GiB document limit.
inline constexpr std::size_t kDefaultMaxBody = std::size_t{32} << 20;
inline constexpr std::size_t kMaxMaxBody = std::size_t{1} << 30;

struct SyncSettings {
  Seconds interval{15 * 60};
  Seconds lookback{30 * 86400};
  Seconds full_refresh{7 * 86400};
  Seconds window{31 * 86400};
  int concurrency = 4;
  std::map<std::string, Seconds> stream_intervals;  // per-stream override: sync.intervals
};

struct HttpSettings {
  Seconds timeout{30};
  int retries = 5;
  std::string ca_file;                           // optional extra CA bundle
  std::size_t max_body_bytes = kDefaultMaxBody;  // http.max_body
  double rate_limit = 0;                         // requests per second per source; 0 = unlimited
};

struct ServerSettings {
  std::optional<std::string> listen;  // host:port; absent = disabled
};

enum class LogFormat { text, json };

struct LogSettings {
  std::string level = "info";  // trace|debug|info|warn|error
  LogFormat format = LogFormat::text;
};

struct Config {
  std::string file;  // where it was loaded from, for messages
  // database.url as the engine connects with it: the given DSN (its password registered as a
  // secret) with the connection bounds it does not set itself appended (db::engine_dsn:
  // connect_timeout, TCP keepalives, tcp_user_timeout, statement_timeout).
  std::string database_url;
  int database_connections = 2;  // database.connections: windows commit on these in parallel
  // database.statement_timeout: 10m by default, 0 = none. A statement that runs longer is
  // cancelled by the server (57014) and its window's transaction runs again.
  Seconds database_statement_timeout{600};
  std::vector<Source> sources;
  SyncSettings sync;
  HttpSettings http;
  ServerSettings server;
  LogSettings log;

  const Source* find_source(const std::string& name) const;
};

// Looks up an environment variable; std::nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Parses and validates YAML text; `file` is used in messages and to resolve relative *_file paths.
Config parse_config(const std::string& yaml_text, const std::string& file, const EnvLookup& env);
// Reads `path` and parses it. A missing/unreadable file is a ConfigError too.
Config load_config(const std::filesystem::path& path, const EnvLookup& env = process_environment());

// "90s", "15m", "6h", "7d" -> seconds; std::nullopt when malformed.
std::optional<Seconds> parse_duration(const std::string& text);
// "YYYY-MM-DD" (a real calendar date) -> day; std::nullopt when malformed or impossible. The
// project's one date parser, shared with the command line and the sync state.
using calendar::parse_date;

}  // namespace partnersync::config
