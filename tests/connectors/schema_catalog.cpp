#include "tests/connectors/schema_catalog.hpp"

#include <pqxx/pqxx>

namespace partnersync::connectors::schema_catalog {

std::map<std::string, Column> columns(pqxx::connection& c, const std::string& table) {
  pqxx::read_transaction tx(c);
  std::map<std::string, Column> out;
  for (const auto& row : tx.exec_params(
           "SELECT column_name, data_type, is_nullable = 'NO', column_default IS NOT NULL "
           "FROM information_schema.columns WHERE table_schema || '.' || table_name = $1",
           table))
    out[row[0].as<std::string>()] = {row[1].as<std::string>(), row[2].as<bool>(),
                                     row[3].as<bool>()};
  return out;
}

std::vector<std::pair<std::string, bool>> ordered_columns(pqxx::connection& c,
                                                          const std::string& table) {
  pqxx::read_transaction tx(c);
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& row : tx.exec_params(
           "SELECT attname, attgenerated <> '' FROM pg_attribute WHERE attrelid = $1::regclass "
           "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
           table))
    out.emplace_back(row[0].as<std::string>(), row[1].as<bool>());
  return out;
}

std::vector<std::string> primary_key(pqxx::connection& c, const std::string& table) {
  pqxx::read_transaction tx(c);
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(
           "SELECT a.attname FROM pg_index i "
           "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
           "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
           "WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.ord",
           table))
    out.push_back(row[0].as<std::string>());
  return out;
}

std::set<std::string> compatible_types(sync::ValueType t) {
  switch (t) {
    case sync::ValueType::text:
      return {"text"};
    case sync::ValueType::boolean:
      return {"boolean"};
    // The declaration names the integer type, so that the parser refuses what it cannot hold.
    case sync::ValueType::smallint:
      return {"smallint"};
    case sync::ValueType::integer:
      return {"integer"};
    case sync::ValueType::bigint:
      return {"bigint"};
    case sync::ValueType::numeric:
      return {"numeric"};
    case sync::ValueType::date:
    case sync::ValueType::month:
      return {"date"};
    case sync::ValueType::timestamp:
      return {"timestamp with time zone"};
    case sync::ValueType::jsonb:
      return {"jsonb"};
  }
  return {};
}

}  // namespace partnersync::connectors::schema_catalog
