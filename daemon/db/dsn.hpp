// What may be shown of a PostgreSQL connection string, and which parts of it are secrets, as
// libpq itself reads it (PQconninfoParse): URI and key=value forms alike.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace partnersync::db {

// The DSN's server, database and user for messages, e.g.
//   "host=db.internal port=5432 dbname=warehouse user=sync password=***"
// Built from libpq's parse, never from the text, so no password can leak through it. A string
// libpq cannot parse is described by libpq's reason only.
std::string describe_dsn(const std::string& dsn);

// The password libpq would send, decoded (URI userinfo, ?password= or password=), and every
// spelling of it in `dsn` (e.g. "pw%40x" for "pw@x"): the values to register as secrets.
// Empty when the DSN has no password or does not parse.
std::vector<std::string> dsn_secrets(const std::string& dsn);

// How long the engine lets a connection stall before it gives up on it. libpq's defaults wait
// forever: no connect timeout, no keepalives on a busy socket, no statement timeout. Each bound
// is a libpq keyword (or a server setting sent in `options`) that the DSN can set itself.
struct ConnectionBounds {
  // statement_timeout, sent as `options=-c statement_timeout=...`; 0 = none (the server's).
  std::chrono::seconds statement_timeout{600};
  std::chrono::seconds connect_timeout{30};      // connect_timeout: connecting and the startup
  std::chrono::seconds keepalives_idle{60};      // an idle socket is probed after this,
  std::chrono::seconds keepalives_interval{10};  // then every interval,
  int keepalives_count = 6;                      // and given up after this many lost probes
  std::chrono::milliseconds tcp_user_timeout{120'000};  // data sent and unacknowledged this long
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// `dsn` with `bounds` added for each keyword it does not set itself, in its own syntax (URI
// query parameters or key=value pairs appended; nothing of the given text changes, so its
// secrets keep their spellings). An `options` of the DSN (or PGOPTIONS from `env`, which libpq
// reads when the DSN has none) keeps its settings and gets `-c statement_timeout=` added unless
// it sets statement_timeout; PGCONNECT_TIMEOUT in `env` stands for connect_timeout. A DSN libpq
// cannot parse is returned as given: connecting reports why.
std::string engine_dsn(const std::string& dsn, const ConnectionBounds& bounds,
                       const EnvLookup& env);

}  // namespace partnersync::db
