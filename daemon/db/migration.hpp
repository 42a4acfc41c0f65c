// A schema migration: one numbered schema/NNN_name.sql file, embedded into the binary.
#pragma once

#include <span>
#include <string_view>

namespace partnersync::db {

struct Migration {
  int version;
  std::string_view name;  // file name, e.g. "001_sync.sql"
  std::string_view sql;
  std::string_view checksum;  // SHA-256 of the file, lowercase hex (computed at build time)
};

// All of schema/*.sql in version order (generated at build time).
std::span<const Migration> embedded_migrations();

}  // namespace partnersync::db
