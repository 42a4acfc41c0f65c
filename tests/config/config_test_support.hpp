// Shared helpers of the configuration tests: an injectable environment, a minimal valid
// document to vary one key at a time, and a scratch directory for *_file secrets.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "daemon/config/config.hpp"
#include "daemon/db/dsn.hpp"

namespace partnersync::config::testing {

inline EnvLookup env_of(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// database.url as the engine connects with it: `given` with the default connection bounds.
inline std::string engine_url(const std::string& given) {
  return db::engine_dsn(given, db::ConnectionBounds{}, {});
}

inline constexpr const char* kDatabase = "database:\n  url: postgresql://sync@localhost/w\n";

// A valid document with one livechat source; `source_lines` (indented four spaces) are added
// to the source and `top_lines` after it.
inline std::string livechat_doc(const std::string& source_lines = "",
                                const std::string& top_lines = "") {
  return std::string(kDatabase) +
         "sources:\n"
         "  - name: acme\n"
         "    kind: livechat_partner\n"
         "    token: tok-abcdef\n"
         "    start_date: 2018-01-01\n" +
         source_lines + top_lines;
}

// A valid document with one liveagent source, varied the same way.
inline std::string liveagent_doc(const std::string& source_lines = "",
                                 const std::string& top_lines = "") {
  return std::string(kDatabase) +
         "sources:\n"
         "  - name: helpdesk\n"
         "    kind: liveagent_reseller\n"
         "    base_url: https://acme.ladesk.com\n"
         "    reseller: partner@acme.example\n"
         "    api_key: key-123456\n"
         "    start_date: 2012-01-01\n" +
         source_lines + top_lines;
}

// A livechat source with the given database URL, token and start date, written verbatim.
inline std::string source_doc(const std::string& database_url, const std::string& token,
                              const std::string& start_date = "2018-01-01") {
  return "database:\n  url: " + database_url +
         "\n"
         "sources:\n"
         "  - name: acme\n"
         "    kind: livechat_partner\n"
         "    token: " +
         token +
         "\n"
         "    start_date: " +
         start_date + "\n";
}

inline Config parse(const std::string& yaml, const EnvLookup& env = env_of()) {
  return parse_config(yaml, "cfg.yaml", env);
}

// The one-line message of the ConfigError `yaml` is rejected with, or "(accepted)".
inline std::string error_of(const std::string& yaml, const EnvLookup& env = env_of(),
                            const std::string& file = "cfg.yaml") {
  try {
    parse_config(yaml, file, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ps-config-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace partnersync::config::testing
