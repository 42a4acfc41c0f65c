// getopt_long does the parsing; this file adds the rules between flags (one command at a
// time, --from only with --backfill, --from before --to, ...).
#include "daemon/cli/command_line.hpp"

#include <getopt.h>

#include <sstream>

#include "daemon/calendar/iso_date.hpp"

namespace partnersync::cli {
namespace {

enum Flag : int {
  kConfig = 'c',
  kHelp = 'h',
  kVersion = 'V',
  kOnce = 1000,
  kBackfill,
  kFrom,
  kTo,
  kSource,
  kStreams,
  kCheck,
  kValidate,
  kMigrate,
  kStatus,
};

std::vector<std::string> split_list(const std::string& text, const std::string& flag) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) throw UsageError(flag + ": empty name in \"" + text + "\"");
    items.push_back(item);
  }
  if (items.empty()) throw UsageError(flag + " needs at least one name");
  return items;
}

}  // namespace

std::string usage_text() {
  return R"(Usage: partnersync --config FILE [COMMAND] [--source NAME] [--streams a,b]

Syncs LiveChat Partner Program and LiveAgent reseller data into PostgreSQL.

Commands (default: run as a daemon, syncing every stream on its schedule):
  --once                         one incremental pass over every stream, then exit
  --backfill --from YYYY-MM-DD [--to YYYY-MM-DD]
                                 sync that date range (resumable), then exit
  --check                        validate the config, reach the database and every source
  --validate                     validate the config only (offline; for ExecStartPre=)
  --migrate                      apply schema migrations and exit
  --status                       print per-stream sync state
  --version, --help

Options:
  -c, --config FILE              configuration file (YAML)
  --source NAME                  only this source (repeatable)
  --streams a,b                  only these streams

Exit codes: 0 ok, 1 a sync failed, 2 usage error, 69 database or upstream unreachable,
78 invalid configuration.
)";
}

Invocation parse_command_line(int argc, char** argv, std::chrono::sys_days today) {
  static const option kOptions[] = {
      {"config", required_argument, nullptr, kConfig},
      {"help", no_argument, nullptr, kHelp},
      {"version", no_argument, nullptr, kVersion},
      {"once", no_argument, nullptr, kOnce},
      {"backfill", no_argument, nullptr, kBackfill},
      {"from", required_argument, nullptr, kFrom},
      {"to", required_argument, nullptr, kTo},
      {"source", required_argument, nullptr, kSource},
      {"streams", required_argument, nullptr, kStreams},
      {"check", no_argument, nullptr, kCheck},
      {"validate", no_argument, nullptr, kValidate},
      {"migrate", no_argument, nullptr, kMigrate},
      {"status", no_argument, nullptr, kStatus},
      {nullptr, 0, nullptr, 0},
  };

  Invocation inv;
  std::vector<std::string> commands;
  auto set_command = [&](Command c, const char* name) {
    commands.emplace_back(name);
    inv.command = c;
  };

  optind = 0;  // reset getopt's global state: tests parse more than one command line
  opterr = 0;
  int flag = 0;
  while ((flag = getopt_long(argc, argv, ":c:hV", kOptions, nullptr)) != -1) {
    switch (flag) {
      case kConfig:
        inv.config_path = optarg;
        break;
      case kHelp:
        set_command(Command::help, "--help");
        break;
      case kVersion:
        set_command(Command::version, "--version");
        break;
      case kOnce:
        set_command(Command::once, "--once");
        break;
      case kBackfill:
        set_command(Command::backfill, "--backfill");
        break;
      case kCheck:
        set_command(Command::check, "--check");
        break;
      case kValidate:
        set_command(Command::validate, "--validate");
        break;
      case kMigrate:
        set_command(Command::migrate, "--migrate");
        break;
      case kStatus:
        set_command(Command::status, "--status");
        break;
      case kFrom:
      case kTo: {
        const char* name = flag == kFrom ? "--from" : "--to";
        auto day = calendar::parse_date(optarg);
        if (!day)
          throw UsageError(std::string(name) + ": \"" + optarg +
                           "\" is not a valid date (expected YYYY-MM-DD)");
        (flag == kFrom ? inv.from : inv.to) = day;
        break;
      }
      case kSource:
        inv.sources.emplace_back(optarg);
        break;
      case kStreams:
        for (auto& s : split_list(optarg, "--streams")) inv.streams.push_back(std::move(s));
        break;
      case ':':
        throw UsageError(std::string(argv[optind - 1]) + " needs a value");
      default: {
        const std::string arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
        throw UsageError("unknown option " + arg + " (see --help)");
      }
    }
  }
  if (optind < argc) throw UsageError(std::string("unexpected argument \"") + argv[optind] + "\"");

  if (commands.size() > 1) {
    throw UsageError(commands[0] + " and " + commands[1] + " cannot be combined");
  }
  if (inv.command == Command::help || inv.command == Command::version) return inv;
  if (inv.config_path.empty()) throw UsageError("--config FILE is required (see --help)");

  const bool ranged = inv.from || inv.to;
  if (ranged && inv.command != Command::backfill)
    throw UsageError("--from and --to go with --backfill");
  if (inv.command == Command::backfill) {
    if (!inv.from) throw UsageError("--backfill needs --from YYYY-MM-DD");
    if (!inv.to) inv.to = today;
    if (*inv.from > *inv.to) throw UsageError("--from is after --to");
    if (*inv.to > today) throw UsageError("--to is in the future");
  }
  const bool scoped = !inv.sources.empty() || !inv.streams.empty();
  if (scoped && inv.command != Command::once && inv.command != Command::backfill &&
      inv.command != Command::daemon && inv.command != Command::status &&
      inv.command != Command::check)
    throw UsageError("--source and --streams do not apply to --migrate");
  return inv;
}

}  // namespace partnersync::cli
