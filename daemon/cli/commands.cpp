// --migrate, --check and --status. The sync commands live in sync_command.cpp.
#include "daemon/cli/commands.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <pqxx/pqxx>

#include "daemon/db/database.hpp"
#include "daemon/db/migrator.hpp"
#include "daemon/sync/engine.hpp"

namespace partnersync::cli {

std::vector<const config::Source*> selected_sources(const config::Config& config,
                                                    const Invocation& invocation) {
  std::vector<const config::Source*> out;
  for (const auto& name : invocation.sources) {
    const auto* source = config.find_source(name);
    if (source == nullptr)
      throw UsageError("--source " + name + ": no such source in " + config.file);
    out.push_back(source);
  }
  if (out.empty())
    for (const auto& s : config.sources) out.push_back(&s);
  return out;
}

int run_migrate(const config::Config& config) {
  auto connection = db::connect(config.database_url);
  try {
    const auto report = db::migrate(*connection, db::embedded_migrations());
    std::cout << "migrations: " << report.applied << " applied, " << report.already_applied
              << " already applied\n";
    return kExitOk;
  } catch (const db::MigrationError& e) {
    std::cerr << "partnersync: " << e.what() << "\n";
    return kExitSyncFailed;
  }
}

int run_validate(const config::Config& config) {
  std::cout << "config " << config.file << ": ok, " << config.sources.size() << " source(s)\n";
  return kExitOk;
}

int run_check(const config::Config& config, const Invocation& invocation) {
  int exit_code = kExitOk;
  const auto sources = selected_sources(config, invocation);
  std::cout << "config " << config.file << ": ok, " << config.sources.size() << " source(s)\n";

  try {
    auto connection = db::connect(config.database_url);
    pqxx::read_transaction tx(*connection);
    const auto version = tx.exec1("SHOW server_version")[0].as<std::string>();
    const bool migrated =
        tx.exec1("SELECT to_regclass('sync.schema_migrations') IS NOT NULL")[0].as<bool>();
    int applied = 0;
    if (migrated) applied = tx.exec1("SELECT count(*) FROM sync.schema_migrations")[0].as<int>();
    const int known = static_cast<int>(db::embedded_migrations().size());
    std::cout << "database " << db::describe_dsn(config.database_url) << ": ok, PostgreSQL "
              << version << ", " << applied << "/" << known << " migrations applied"
              << (applied < known ? " (the daemon applies the rest at start)" : "") << "\n";
  } catch (const db::DatabaseUnavailable& e) {
    std::cout << e.what() << "\n";
    exit_code = kExitUnavailable;
  }

  const auto checks = sync::check_sources(config, sources);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto* source = sources[i];
    std::cout << "source " << source->name << " (" << connectors::to_string(source->kind)
              << "): " << (checks[i].ok ? "ok, " : "UNREACHABLE: ") << checks[i].detail << "\n";
    std::cout << "  would sync:";
    for (const auto& s : source->streams) std::cout << ' ' << s;
    std::cout << "\n";
    if (!checks[i].ok) exit_code = kExitUnavailable;
  }
  return exit_code;
}

int run_status(const config::Config& config, const Invocation& invocation) {
  const auto sources = selected_sources(config, invocation);
  auto connection = db::connect(config.database_url);
  pqxx::read_transaction tx(*connection);
  if (!tx.exec1("SELECT to_regclass('sync.state') IS NOT NULL")[0].as<bool>()) {
    std::cerr << "partnersync: the database has no sync schema yet: run partnersync --migrate\n";
    return kExitSyncFailed;
  }
  // One line per configured stream, so a stream that never ran shows as such.
  constexpr const char* kQuery = R"sql(
    SELECT coalesce(to_char(s.last_success_at, 'YYYY-MM-DD HH24:MI:SS'), 'never'),
           coalesce((SELECT string_agg(w.window_from || '..' || w.window_to, ' ' ORDER BY w.window_from)
                       FROM sync.windows w WHERE w.source = $1 AND w.stream = $2), '-'),
           coalesce((SELECT r.rows_received FROM sync.runs r WHERE r.source = $1 AND r.stream = $2
                      AND r.status <> 'running' ORDER BY r.run_id DESC LIMIT 1)::text, '-'),
           CASE WHEN s.not_applicable THEN 'not applicable' ELSE coalesce(s.last_error, '') END,
           coalesce(to_char(s.next_run_at, 'YYYY-MM-DD HH24:MI:SS'), '-')
      FROM (SELECT 1) one
      LEFT JOIN sync.state s ON s.source = $1 AND s.stream = $2)sql";
  std::cout
      << "source\tstream\tlast success\tsynced coverage\tlast run rows\tlast error\tnext run\n";
  for (const auto* source : sources) {
    for (const auto& stream : source->streams) {
      if (!invocation.streams.empty() &&
          std::find(invocation.streams.begin(), invocation.streams.end(), stream) ==
              invocation.streams.end())
        continue;
      const auto row = tx.exec_params1(kQuery, source->name, stream);
      std::cout << source->name << '\t' << stream;
      for (const auto& field : row) std::cout << '\t' << field.c_str();
      std::cout << '\n';
    }
  }
  return kExitOk;
}

}  // namespace partnersync::cli
