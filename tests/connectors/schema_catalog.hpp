// What the migrated warehouse says about a table (columns, their order, the primary key), for
// the tests that hold the declarations against the schema.
#pragma once

#include <map>
#include <pqxx/connection>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "daemon/sync/stream_spec.hpp"

namespace partnersync::connectors::schema_catalog {

struct Column {
  std::string type;  // information_schema data_type
  bool not_null = false;
  bool has_default = false;
};

// "schema.table" -> its columns by name.
std::map<std::string, Column> columns(pqxx::connection& c, const std::string& table);
// (name, generated) in column order.
std::vector<std::pair<std::string, bool>> ordered_columns(pqxx::connection& c,
                                                          const std::string& table);
std::vector<std::string> primary_key(pqxx::connection& c, const std::string& table);
// The PostgreSQL types a column of this ValueType may have.
std::set<std::string> compatible_types(sync::ValueType t);

}  // namespace partnersync::connectors::schema_catalog
