// What may be shown of a PostgreSQL connection string, and which parts of it are secrets, as
// libpq itself reads it (PQconninfoParse): URI and key=value forms alike.
#pragma once

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

}  // namespace partnersync::db
