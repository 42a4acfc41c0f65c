// Loads and validates partnersync's YAML configuration (../shared/design/interface.md).
// Every rejection is one ConfigError naming the file, the key path and what is wrong.
#include "daemon/config/config.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <regex>
#include <set>
#include <span>
#include <sstream>
#include <string_view>
#include <utility>

#include "daemon/calendar/zone_day.hpp"
#include "daemon/db/dsn.hpp"
#include "daemon/http/url.hpp"
#include "daemon/obs/json_text.hpp"
#include "daemon/obs/redact.hpp"

namespace partnersync::config {
namespace {

// A value quoted for a message, kept on one line.
std::string quote(std::string_view value) { return obs::json_quoted(value); }

// `text` with its control characters escaped as JSON writes them: what a message says in its
// own words stays one line too (yaml-cpp's "unknown escape character: " ends in the raw
// character, a newline included; found by the config fuzzer).
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out.push_back(c);
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(byte));
      out += buf;
    }
  }
  return out;
}

namespace fs = std::filesystem;
using connectors::kHelpdeskStreams;
using connectors::kLiveagentStreams;
using connectors::kLivechatStreams;

constexpr std::string_view kDefaultLivechatBaseUrl = "https://api.livechatinc.com";

// A YAML key may be any string: one holding a control character ("a\nb") is shown quoted and
// escaped, so that the key path, and the message naming it, stays on one line (found by the
// config fuzzer).
std::string child(const std::string& path, std::string_view key) {
  const bool plain = std::none_of(key.begin(), key.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  const std::string shown = plain ? std::string(key) : quote(key);
  return path.empty() ? shown : path + "." + shown;
}

std::string element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// The type of a node as a message fragment. Scalars are not echoed here: a value given where a
// map was expected may well be a secret (e.g. `database: postgres://user:pw@host/db`).
std::string type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a string";
    default:
      return "null";
  }
}

std::string join(const auto& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

struct FileRead {
  std::optional<std::string> content;
  std::string error;  // strerror-style reason when content is empty
};

// Reads a whole file; directories and unreadable files give a reason instead of content.
FileRead read_whole_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {std::nullopt, std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    const std::string reason = S_ISDIR(st.st_mode) ? "is a directory" : std::strerror(errno);
    ::close(fd);
    return {std::nullopt, reason};
  }
  std::string content;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = std::strerror(errno);
      ::close(fd);
      return {std::nullopt, reason};
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return {std::move(content), {}};
}

template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
  Int value{};
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "256MiB", "64MB", "1GiB", "1048576": decimal and binary units, bytes when unitless.
std::optional<std::size_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  const auto number = parse_int<std::uint64_t>(text.substr(0, digits));
  if (!number) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kUnits = {{
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
      {"KiB", 1u << 10},
      {"MiB", 1u << 20},
      {"GiB", 1u << 30},
  }};
  const std::string_view unit = text.substr(digits);
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (*number > std::numeric_limits<std::size_t>::max() / factor) return std::nullopt;
    return static_cast<std::size_t>(*number * factor);
  }
  return std::nullopt;
}

// The largest unit that writes `value` whole: 3600s -> "1h", 90s -> "90s".
std::string format_duration(Seconds value) {
  static constexpr std::array<std::pair<std::int64_t, char>, 4> kUnits = {
      {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}};
  for (const auto& [seconds, unit] : kUnits) {
    if (value.count() % seconds == 0) return std::to_string(value.count() / seconds) + unit;
  }
  return std::to_string(value.count()) + "s";
}

bool valid_port(std::string_view text, bool allow_zero) {
  if (text.empty() || text.size() > 5) return false;
  const auto port = parse_int<unsigned>(text);
  return port && *port <= 65535 && (allow_zero || *port > 0);
}

// host:port where host is an IP literal ([...] for IPv6) or localhost. Port 0 asks the kernel
// for a free port, which the tests use.
bool valid_listen_address(std::string_view text) {
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return false;
    in6_addr addr{};
    return ::inet_pton(AF_INET6, std::string(text.substr(1, close - 1)).c_str(), &addr) == 1 &&
           valid_port(text.substr(close + 2), true);
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string host(text.substr(0, colon));
  in_addr addr{};
  return (host == "localhost" || ::inet_pton(AF_INET, host.c_str(), &addr) == 1) &&
         valid_port(text.substr(colon + 1), true);
}

bool valid_source_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// The keys of one YAML map, in document order, checked against the keys allowed there.
class Fields {
 public:
  YAML::Node get(std::string_view key) const {
    for (const auto& [name, node] : entries_)
      if (name == key) return node;
    return YAML::Node(YAML::NodeType::Undefined);
  }
  bool has(std::string_view key) const { return get(key).IsDefined(); }
  const std::vector<std::pair<std::string, YAML::Node>>& entries() const { return entries_; }

 private:
  friend class Loader;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
};

class Loader {
 public:
  Loader(const std::string& file, const EnvLookup& env)
      : file_(file), base_dir_(fs::path(file).parent_path()), env_(env) {}

  Config load(const YAML::Node& root) {
    Config config;
    config.file = file_;
    if (root.IsNull()) fail("database", "missing required key");
    if (!root.IsMap()) fail("", "expected a map at the top level, got " + type_name(root));
    const Fields top = fields(root, "", {"database", "sources", "sync", "http", "server", "log"});
    load_database(top, config);
    load_sources(top, config);
    if (top.has("sync")) load_sync(top.get("sync"), config.sync);
    if (top.has("http")) load_http(top.get("http"), config.http);
    if (top.has("server")) load_server(top.get("server"), config.server);
    if (top.has("log")) load_log(top.get("log"), config.log);
    return config;
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& problem) const {
    throw ConfigError(file_, path, problem);
  }

  Fields fields(const YAML::Node& node, const std::string& path,
                std::initializer_list<std::string_view> allowed) const {
    Fields out;
    // A section whose keys are all commented out is null: it means "all defaults".
    if (node.IsNull()) return out;
    if (!node.IsMap()) fail(path, "expected a map, got " + type_name(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) fail(path, "keys must be plain strings");
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        fail(child(path, key), "unknown key");
      if (out.has(key)) fail(child(path, key), "duplicate key");
      out.entries_.emplace_back(key, it->second);
    }
    return out;
  }

  // `${NAME}`, `${NAME:-default}` (default also when NAME is empty, as in the shell) and `$$`.
  // A `$` followed by anything else is kept, so passwords containing `$` survive.
  std::string interpolate(std::string_view text, const std::string& path) const {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '$' || i + 1 >= text.size()) {
        out += text[i];
        continue;
      }
      if (text[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      if (text[i + 1] != '{') {
        out += '$';
        continue;
      }
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos)
        fail(path, "unterminated \"${\" (write \"$$\" for a literal \"$\")");
      const std::string_view inner = text.substr(i + 2, close - i - 2);
      const auto dash = inner.find(":-");
      const std::string_view name = inner.substr(0, dash);
      const bool name_ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
                           });
      if (!name_ok) fail(path, "invalid environment variable name " + quote(name));
      const std::optional<std::string> value = env_(std::string(name));
      if (dash != std::string_view::npos) {
        out += value && !value->empty() ? *value : std::string(inner.substr(dash + 2));
      } else if (value) {
        out += *value;
      } else {
        fail(path, "environment variable " + std::string(name) + " is not set");
      }
      i = close;
    }
    return out;
  }

  // An interpolated scalar; `expected` names the type for the wrong-type message.
  std::string scalar(const YAML::Node& node, const std::string& path,
                     const std::string& expected = "a string") const {
    if (!node.IsScalar()) fail(path, "expected " + expected + ", got " + type_name(node));
    return interpolate(node.Scalar(), path);
  }

  std::string nonempty_string(const YAML::Node& node, const std::string& path) const {
    std::string value = scalar(node, path);
    if (value.empty()) fail(path, "must not be empty");
    return value;
  }

  // A positive duration of at most `max`; with `whole_days`, a whole number of days (the
  // planner counts in days: `lookback: 12h` must not quietly become no lookback at all).
  Seconds duration(const YAML::Node& node, const std::string& path, Seconds max,
                   bool whole_days = false) const {
    const std::string text = scalar(node, path, "a duration");
    const auto value = parse_duration(text);
    if (!value)
      fail(path, quote(text) +
                     " is not a valid duration (expected a whole number followed by s, m, h or "
                     "d, e.g. 90s, 15m, 6h, 7d)");
    if (value->count() <= 0) fail(path, "must be greater than zero");
    if (*value > max)
      fail(path, quote(text) + " is too long (at most " + format_duration(max) + ")");
    if (whole_days && value->count() % 86400 != 0)
      fail(path, quote(text) + " is not a whole number of days (expected e.g. 30d)");
    return *value;
  }

  int integer(const YAML::Node& node, const std::string& path, int lo, int hi) const {
    const std::string text = scalar(node, path, "an integer");
    const auto value = parse_int<long long>(text);
    if (!value) fail(path, "expected an integer, got " + quote(text));
    if (*value < lo || *value > hi)
      fail(path, text + " is out of range (expected " + std::to_string(lo) + " to " +
                     std::to_string(hi) + ")");
    return static_cast<int>(*value);
  }

  std::string one_of(const YAML::Node& node, const std::string& path,
                     std::initializer_list<std::string_view> options) const {
    std::string value = scalar(node, path);
    if (std::find(options.begin(), options.end(), value) == options.end())
      fail(path,
           "unknown value " + quote(value) + " (expected one of " + join(options, ", ") + ")");
    return value;
  }

  // A secret given inline. Registered before anything else can fail, so no later message can
  // carry it; never echoed, not even when malformed.
  std::string inline_secret(const YAML::Node& node, const std::string& path) const {
    std::string value = scalar(node, path);
    obs::register_secret(value);
    if (value.empty()) fail(path, "must not be empty");
    if (value.find_first_of("\r\n") != std::string::npos) fail(path, "must be a single line");
    return value;
  }

  // A secret from a file (systemd LoadCredential=): one trailing newline is an editor artefact,
  // anything else is part of the secret. Messages name the path, never the content.
  std::string file_secret(const YAML::Node& node, const std::string& path) const {
    const fs::path file = resolve(nonempty_string(node, path));
    FileRead read = read_whole_file(file);
    if (!read.content) fail(path, "cannot read " + quote(file.string()) + ": " + read.error);
    std::string value = std::move(*read.content);
    if (value.ends_with("\r\n")) {
      value.resize(value.size() - 2);
    } else if (value.ends_with('\n')) {
      value.pop_back();
    }
    obs::register_secret(value);
    if (value.empty()) fail(path, "file " + quote(file.string()) + " is empty");
    if (value.find_first_of("\r\n") != std::string::npos)
      fail(path, "file " + quote(file.string()) + " has more than one line");
    return value;
  }

  fs::path resolve(const std::string& configured) const {
    const fs::path p(configured);
    return p.is_absolute() || base_dir_.empty() ? p : base_dir_ / p;
  }

  // Exactly one of `key` and `key_file`.
  std::string secret(const Fields& f, const std::string& path, const std::string& key) const {
    const std::string file_key = key + "_file";
    const bool inline_given = f.has(key);
    const bool file_given = f.has(file_key);
    if (inline_given && file_given)
      fail(child(path, file_key), "cannot be combined with " + key + " (set exactly one)");
    if (inline_given) return inline_secret(f.get(key), child(path, key));
    if (file_given) return file_secret(f.get(file_key), child(path, file_key));
    fail(child(path, key), "missing required key (or " + file_key + ")");
  }

  void load_database(const Fields& top, Config& config) const {
    if (!top.has("database")) fail("database", "missing required key");
    const Fields db =
        fields(top.get("database"), "database", {"url", "connections", "statement_timeout"});
    if (!db.has("url")) fail("database.url", "missing required key");
    // Registered before the emptiness check and never echoed: it usually carries a password.
    config.database_url = scalar(db.get("url"), "database.url");
    for (const auto& password : db::dsn_secrets(config.database_url))
      obs::register_secret(password);
    if (config.database_url.empty()) fail("database.url", "must not be empty");
    if (db.has("connections"))
      config.database_connections = integer(db.get("connections"), "database.connections", 1, 16);
    db::ConnectionBounds bounds;
    if (db.has("statement_timeout")) {
      // 0 turns it off (the server's own setting applies); a duration is at least 1s.
      const std::string path = "database.statement_timeout";
      const std::string text = scalar(db.get("statement_timeout"), path, "a duration");
      const auto zero = parse_duration(text);
      bounds.statement_timeout =
          text == "0" || (zero && zero->count() == 0)
              ? Seconds(0)
              : duration(db.get("statement_timeout"), path, kMaxStatementTimeout);
    }
    config.database_statement_timeout = bounds.statement_timeout;
    // What the engine connects with: the DSN plus the bounds it does not set (db/dsn.hpp).
    config.database_url = db::engine_dsn(config.database_url, bounds, env_);
  }

  void load_sources(const Fields& top, Config& config) const {
    if (!top.has("sources")) fail("sources", "missing required key");
    const YAML::Node list = top.get("sources");
    if (!list.IsSequence()) fail("sources", "expected a list, got " + type_name(list));
    if (list.size() == 0) fail("sources", "must list at least one source");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = element("sources", i);
      Source source = load_source(list[i], path);
      for (std::size_t j = 0; j < config.sources.size(); ++j) {
        if (config.sources[j].name == source.name)
          fail(child(path, "name"), "duplicate source name " + quote(source.name) + " (also " +
                                        element("sources", j) + ")");
      }
      config.sources.push_back(std::move(source));
    }
  }

  Source load_source(const YAML::Node& node, const std::string& path) const {
    const Fields f = fields(node, path,
                            {"name", "kind", "base_url", "token", "token_file", "api_key",
                             "api_key_file", "reseller", "start_date", "timezone", "streams",
                             "departments"});
    Source s;
    if (!f.has("name")) fail(child(path, "name"), "missing required key");
    s.name = scalar(f.get("name"), child(path, "name"));
    if (!valid_source_name(s.name))
      fail(child(path, "name"), quote(s.name) +
                                    " is not a valid source name (expected lowercase letters, "
                                    "digits, '_' and '-')");

    if (!f.has("kind")) fail(child(path, "kind"), "missing required key");
    const std::string kind =
        one_of(f.get("kind"), child(path, "kind"),
               {"livechat_partner", "liveagent_reseller", "liveagent_helpdesk"});
    s.kind = kind == "livechat_partner"     ? SourceKind::livechat_partner
             : kind == "liveagent_reseller" ? SourceKind::liveagent_reseller
                                            : SourceKind::liveagent_helpdesk;
    const bool livechat = s.kind == SourceKind::livechat_partner;
    const bool helpdesk = s.kind == SourceKind::liveagent_helpdesk;
    if (!helpdesk && f.has("departments"))
      fail(child(path, "departments"), "not allowed for kind " + kind);
    if (helpdesk && f.has("reseller")) fail(child(path, "reseller"), "not allowed for kind " + kind);
    // Keys of the other kind (an initializer_list from a ?: would dangle: its array is a
    // temporary of the full-expression).
    static constexpr std::array<std::string_view, 3> kLiveagentOnly = {"api_key", "api_key_file",
                                                                       "reseller"};
    static constexpr std::array<std::string_view, 2> kLivechatOnly = {"token", "token_file"};
    const std::span<const std::string_view> foreign =
        livechat ? std::span<const std::string_view>(kLiveagentOnly)
                 : std::span<const std::string_view>(kLivechatOnly);
    for (const auto& [key, value] : f.entries()) {
      if (std::find(foreign.begin(), foreign.end(), key) != foreign.end())
        fail(child(path, key), "not allowed for kind " + kind);
    }

    if (f.has("base_url")) {
      s.base_url = scalar(f.get("base_url"), child(path, "base_url"));
      if (!http::parse_base_url(s.base_url))
        fail(child(path, "base_url"),
             quote(s.base_url) +
                 " is not a valid URL (expected http:// or https:// followed by a host)");
      while (s.base_url.ends_with('/')) s.base_url.pop_back();
    } else if (livechat) {
      s.base_url = kDefaultLivechatBaseUrl;
    } else {
      fail(child(path, "base_url"), "missing required key");
    }

    s.secret = secret(f, path, livechat ? "token" : "api_key");
    if (helpdesk && f.has("departments")) {
      const std::string list_path = child(path, "departments");
      const YAML::Node list = f.get("departments");
      if (!list.IsSequence()) fail(list_path, "expected a list, got " + type_name(list));
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string item_path = element(list_path, i);
        std::string id = nonempty_string(list[i], item_path);
        if (id.find_first_not_of(" \t") == std::string::npos)
          fail(item_path, "must not be blank (a department id)");
        if (std::find(s.fan_out_values.begin(), s.fan_out_values.end(), id) !=
            s.fan_out_values.end())
          fail(item_path, "duplicate department " + quote(id));
        s.fan_out_values.push_back(std::move(id));
      }
    }
    if (!livechat && !helpdesk) {
      if (!f.has("reseller")) fail(child(path, "reseller"), "missing required key");
      s.reseller = nonempty_string(f.get("reseller"), child(path, "reseller"));
    }

    if (!f.has("start_date")) fail(child(path, "start_date"), "missing required key");
    const std::string date_text = scalar(f.get("start_date"), child(path, "start_date"));
    const auto date = parse_date(date_text);
    if (!date)
      fail(child(path, "start_date"),
           quote(date_text) + " is not a valid date (expected YYYY-MM-DD)");
    // The latest timezone is UTC+14: a date that is today anywhere on Earth is not "future".
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now() +
                                                             std::chrono::hours(14));
    if (*date > today) fail(child(path, "start_date"), quote(date_text) + " is in the future");
    s.start_date = *date;

    if (f.has("timezone")) {
      s.timezone = scalar(f.get("timezone"), child(path, "timezone"));
      if (!calendar::is_known_time_zone(s.timezone))
        fail(child(path, "timezone"), "unknown time zone " + quote(s.timezone) +
                                          " (expected an IANA name such as UTC or Europe/Berlin)");
    } else {
      s.timezone = livechat ? "UTC" : "America/Los_Angeles";
    }

    s.streams = load_streams(f, path, s.kind);
    return s;
  }

  // Resolved in catalog order, which is the order a pass runs them.
  std::vector<std::string> load_streams(const Fields& f, const std::string& path,
                                        SourceKind kind) const {
    std::vector<std::string> out;
    const auto catalog = [&]() -> std::vector<std::string_view> {
      if (kind == SourceKind::livechat_partner)
        return {kLivechatStreams.begin(), kLivechatStreams.end()};
      if (kind == SourceKind::liveagent_helpdesk)
        return {kHelpdeskStreams.begin(), kHelpdeskStreams.end()};
      return {kLiveagentStreams.begin(), kLiveagentStreams.end()};
    }();
    if (!f.has("streams")) return {catalog.begin(), catalog.end()};
    const std::string list_path = child(path, "streams");
    const YAML::Node list = f.get("streams");
    if (!list.IsSequence()) fail(list_path, "expected a list, got " + type_name(list));
    if (list.size() == 0)
      fail(list_path, "must list at least one stream (omit the key for all streams)");
    std::set<std::string> chosen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item_path = element(list_path, i);
      const std::string name = scalar(list[i], item_path);
      if (!connectors::is_known_stream(kind, name))
        fail(item_path, "unknown stream " + quote(name) + " for kind " +
                            std::string(connectors::to_string(kind)));
      if (!chosen.insert(name).second) fail(item_path, "duplicate stream " + quote(name));
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string name = list[i].as<std::string>();
      const auto parent = connectors::parent_of(name);
      if (!parent.empty() && !chosen.count(std::string(parent)))
        fail(element(list_path, i),
             quote(name) + " needs its parent stream " + quote(parent) + " in the same list");
    }
    for (auto name : catalog)
      if (chosen.count(std::string(name))) out.emplace_back(name);
    return out;
  }

  void load_sync(const YAML::Node& node, SyncSettings& sync) const {
    const Fields f =
        fields(node, "sync",
               {"interval", "lookback", "full_refresh", "window", "concurrency", "intervals"});
    if (f.has("interval"))
      sync.interval = duration(f.get("interval"), "sync.interval", kMaxInterval);
    if (f.has("lookback"))
      sync.lookback = duration(f.get("lookback"), "sync.lookback", kMaxLookback, true);
    // A duration, not a day count: the engine compares it with the time since the last refresh.
    if (f.has("full_refresh"))
      sync.full_refresh = duration(f.get("full_refresh"), "sync.full_refresh", kMaxFullRefresh);
    if (f.has("window")) sync.window = duration(f.get("window"), "sync.window", kMaxWindow, true);
    if (f.has("concurrency"))
      sync.concurrency = integer(f.get("concurrency"), "sync.concurrency", 1, 64);
    if (!f.has("intervals")) return;
    const YAML::Node map = f.get("intervals");
    if (map.IsNull()) return;
    if (!map.IsMap()) fail("sync.intervals", "expected a map, got " + type_name(map));
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) fail("sync.intervals", "keys must be plain strings");
      const std::string name = it->first.Scalar();
      const std::string path = child("sync.intervals", name);
      if (!connectors::is_known_stream(SourceKind::livechat_partner, name) &&
          !connectors::is_known_stream(SourceKind::liveagent_reseller, name) &&
          !connectors::is_known_stream(SourceKind::liveagent_helpdesk, name))
        fail(path, "unknown stream " + quote(name));
      if (sync.stream_intervals.count(name)) fail(path, "duplicate key");
      sync.stream_intervals[name] = duration(it->second, path, kMaxInterval);
    }
  }

  void load_http(const YAML::Node& node, HttpSettings& http) const {
    const Fields f =
        fields(node, "http", {"timeout", "retries", "ca_file", "max_body", "rate_limit"});
    if (f.has("timeout"))
      http.timeout = duration(f.get("timeout"), "http.timeout", kMaxHttpTimeout);
    if (f.has("retries")) http.retries = integer(f.get("retries"), "http.retries", 0, 20);
    if (f.has("ca_file")) {
      const fs::path file = resolve(nonempty_string(f.get("ca_file"), "http.ca_file"));
      const FileRead read = read_whole_file(file);
      if (!read.content)
        fail("http.ca_file", "cannot read " + quote(file.string()) + ": " + read.error);
      http.ca_file = file.string();
    }
    if (f.has("max_body")) {
      const std::string text = scalar(f.get("max_body"), "http.max_body", "a size");
      const auto size = parse_size(text);
      if (!size)
        fail("http.max_body", quote(text) +
                                  " is not a valid size (expected bytes or a whole number "
                                  "followed by B, KB, MB, GB, KiB, MiB or GiB, e.g. 256MiB)");
      if (*size == 0) fail("http.max_body", "must be greater than zero");
      if (*size > kMaxMaxBody) fail("http.max_body", quote(text) + " is too large (at most 1GiB)");
      http.max_body_bytes = *size;
    }
    if (f.has("rate_limit")) {
      const std::string text = scalar(f.get("rate_limit"), "http.rate_limit", "a number");
      char* end = nullptr;
      errno = 0;
      const double value = text.empty() ? 0 : std::strtod(text.c_str(), &end);
      // strtod alone would also take "inf", "nan" and hex; a rate is written in decimal.
      const bool decimal = text.find_first_not_of("0123456789.-+eE") == std::string::npos;
      if (text.empty() || !decimal || end != text.c_str() + text.size() || errno != 0 ||
          !std::isfinite(value))
        fail("http.rate_limit", "expected a number, got " + quote(text));
      if (value < 0)
        fail("http.rate_limit", text + " is out of range (expected 0 or more requests per second)");
      http.rate_limit = value;
    }
  }

  void load_server(const YAML::Node& node, ServerSettings& server) const {
    const Fields f = fields(node, "server", {"listen"});
    if (!f.has("listen")) return;
    // Empty or null disables the server, so `listen: ${PARTNERSYNC_LISTEN:-}` can switch it off.
    if (f.get("listen").IsNull()) return;
    const std::string text = scalar(f.get("listen"), "server.listen");
    if (text.empty()) return;
    if (!valid_listen_address(text))
      fail("server.listen", quote(text) +
                                " is not a valid listen address (expected host:port with an IP "
                                "address or localhost as host, e.g. 127.0.0.1:9187)");
    server.listen = text;
  }

  void load_log(const YAML::Node& node, LogSettings& log) const {
    const Fields f = fields(node, "log", {"level", "format"});
    if (f.has("level"))
      log.level = one_of(f.get("level"), "log.level", {"trace", "debug", "info", "warn", "error"});
    if (f.has("format"))
      log.format = one_of(f.get("format"), "log.format", {"text", "json"}) == "json"
                       ? LogFormat::json
                       : LogFormat::text;
  }

  std::string file_;
  fs::path base_dir_;
  const EnvLookup& env_;
};

}  // namespace

ConfigError::ConfigError(const std::string& file, const std::string& key_path,
                         const std::string& problem)
    // The problem may quote a configured value; redact() masks any registered secret in it.
    : std::runtime_error(file + ": " + (key_path.empty() ? "" : key_path + ": ") +
                         one_line(obs::redact(problem))),
      key_path_(key_path) {}

const Source* Config::find_source(const std::string& name) const {
  for (const auto& source : sources)
    if (source.name == name) return &source;
  return nullptr;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Config parse_config(const std::string& yaml_text, const std::string& file, const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file, "",
                      "invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, "", std::string("invalid YAML: ") + e.msg);
  }
  try {
    return Loader(file, env).load(root);
  } catch (const ConfigError& e) {
    // One missing variable rarely comes alone (a fresh deployment): name all of them at once.
    const std::string what = e.what();
    const std::string prefix = file + ": " + e.key_path() + ": ";
    if (what.find(" is not set") == std::string::npos || what.rfind(prefix, 0) != 0) throw;
    std::vector<std::string> others;
    static const std::regex kVariable(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})");
    std::istringstream lines(yaml_text);
    std::string line;
    while (std::getline(lines, line)) {
      const auto trimmed = line.find_first_not_of(" \t");
      if (trimmed == std::string::npos || line[trimmed] == '#') continue;
      if (const auto comment = line.find(" #"); comment != std::string::npos) line.resize(comment);
      for (std::sregex_iterator it(line.begin(), line.end(), kVariable), end; it != end; ++it) {
        const std::string name = (*it)[1];
        if (what.find("variable " + name + " is not set") != std::string::npos) continue;
        if (!env(name) && std::find(others.begin(), others.end(), name) == others.end())
          others.push_back(name);
      }
    }
    if (others.empty()) throw;
    std::string also;
    for (const auto& name : others) also += (also.empty() ? "" : ", ") + name;
    throw ConfigError(file, e.key_path(),
                      what.substr(prefix.size()) + " (also not set: " + also + ")");
  }
}

Config load_config(const std::filesystem::path& path, const EnvLookup& env) {
  const FileRead read = read_whole_file(path);
  if (!read.content) throw ConfigError(path.string(), "", "cannot read file: " + read.error);
  return parse_config(*read.content, path.string(), env);
}

std::optional<Seconds> parse_duration(const std::string& text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  const std::string_view digits(text.data(), text.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const auto number = parse_int<std::int64_t>(digits);
  if (!number || *number > std::numeric_limits<std::int64_t>::max() / unit) return std::nullopt;
  return Seconds(*number * unit);
}

}  // namespace partnersync::config
