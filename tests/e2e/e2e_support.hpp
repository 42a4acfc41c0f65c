// End-to-end test harness: runs the real `partnersync` binary as a subprocess against an
// in-process simulator and a throwaway database, and renders the simulator's ground truth.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/sim/dataset.hpp"
#include "tests/sim/simulator.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::e2e {

// ---- dates ------------------------------------------------------------------------------------

// Days since epoch of the real UTC date: the engine plans windows up to it.
std::int64_t today_days();
// Days since epoch of today in an IANA zone: what the engine plans to for a source in it.
std::int64_t today_days_in(const std::string& zone);
std::string day_text(std::int64_t days);  // "YYYY-MM-DD"

// ---- the simulator ----------------------------------------------------------------------------

// Data over the last `days` days up to today (so incremental runs stay short), small counts.
sim::SimOptions simulator_options(int days = 90, bool legacy_shapes = false);

// ---- configuration ----------------------------------------------------------------------------

struct ConfigSpec {
  std::string database_url;
  std::string base_url;
  std::string token = "sim-token";
  std::string start_date;            // YYYY-MM-DD
  std::vector<std::string> streams;  // empty = every stream of the kind
  std::string window = "7d";
  std::string lookback = "30d";
  std::string full_refresh = "7d";
  std::string interval = "15m";
  int concurrency = 2;
  int retries = 2;
  std::string timeout = "10s";
  std::string log_level = "info";
  std::string listen;  // server.listen when set
};

// Writes the YAML into a fresh temporary directory (removed with the returned object).
// A configuration ConfigSpec does not describe (e.g. a LiveAgent source), written as given.
struct ConfigYaml {
  std::string text;
};

class ConfigFile {
 public:
  explicit ConfigFile(const ConfigSpec& spec);
  explicit ConfigFile(const ConfigYaml& yaml);
  ~ConfigFile();
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, path_;
};

// ---- the binary ---------------------------------------------------------------------------------

std::string binary_path();  // env PARTNERSYNC_BINARY, else the build's target file

// A running `partnersync`; stdout and stderr go to files read by output()/errors().
class Process {
 public:
  explicit Process(const std::vector<std::string>& args);
  ~Process();  // SIGKILLs a process still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signo);
  // Exit code, 128+signal when killed, nullopt when still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string errors() const;  // stderr so far
  std::string output() const;  // stdout so far

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct RunResult {
  int exit_code = -1;
  std::string errors;  // stderr: the log
  std::string output;  // stdout
  std::chrono::milliseconds took{0};
};

// Runs `partnersync --config FILE <args>` to completion (fails the test after 60 s).
RunResult run_partnersync(const ConfigFile& config, const std::vector<std::string>& args);
// --backfill --from first --to last (days since epoch) [extra].
RunResult run_backfill(const ConfigFile& config, std::int64_t first, std::int64_t last,
                       const std::vector<std::string>& extra = {});

// ---- the database -------------------------------------------------------------------------------

// Each row of `sql` as its columns joined with '|', NULL as "NULL". Sorted when `sort`.
std::vector<std::string> query_rows(const std::string& url, const std::string& sql,
                                    bool sort = true);
std::string query_value(const std::string& url, const std::string& sql);
std::int64_t query_count(const std::string& url, const std::string& sql);

// Every row of every livechat.* table as JSON, without the columns that record when the sync
// ran (first_seen_at, last_changed_at, taken_at, last_seen_at): table -> sorted rows.
std::map<std::string, std::vector<std::string>> livechat_contents(const std::string& url);

// The merged intervals of sync.windows of a stream, "from..to".
std::vector<std::string> coverage(const std::string& url, const std::string& stream);

// Waits until no client backend is connected to the database (the writer's backends have
// exited and so flushed their statistics), then reads n_tup_ins/upd/del per livechat table.
struct TupleCounters {
  std::int64_t inserted = 0, updated = 0, deleted = 0;
};
std::map<std::string, TupleCounters> livechat_tuple_counters(const std::string& url);

// ---- ground truth, rendered from the Dataset as the SQL below renders the tables -------------

std::vector<std::string> expected_affiliate_licenses(const sim::Dataset& ds, bool legacy);
extern const char* const kAffiliateLicensesSql;
std::vector<std::string> expected_performance(const sim::Dataset& ds, std::int64_t from,
                                              std::int64_t to);
extern const char* const kPerformanceSql;
std::vector<std::string> expected_history(const sim::Dataset& ds);  // livechat, pp, solution
extern const char* const kHistorySql;
std::vector<std::string> expected_earnings(const sim::Dataset& ds, bool legacy);
extern const char* const kEarningsSql;
std::vector<std::string> expected_stats(const sim::Dataset& ds);
extern const char* const kStatsSql;
std::vector<std::string> expected_withdrawals(const sim::Dataset& ds, bool legacy);
extern const char* const kWithdrawalsSql;
std::vector<std::string> expected_campaigns(const sim::Dataset& ds);
extern const char* const kCampaignsSql;
std::vector<std::string> expected_leads(const sim::Dataset& ds);
extern const char* const kLeadsSql;
std::vector<std::string> expected_solution_licenses(const sim::Dataset& ds);
extern const char* const kSolutionLicensesSql;
std::vector<std::string> expected_solution_invoices(const sim::Dataset& ds);
extern const char* const kSolutionInvoicesSql;

// Compares two sorted row lists; on a difference says how many rows differ and shows a few.
::testing::AssertionResult same_rows(const std::vector<std::string>& expected,
                                     const std::vector<std::string>& actual);

// Polls `condition` every 50 ms until it holds or `timeout` passes; an exception (a table not
// migrated yet) counts as "not yet".
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Requests the simulator logged for `path`.
std::vector<sim::LoggedRequest> requests_to(const sim::Simulator& sim, const std::string& path);
std::string query_param(const sim::LoggedRequest& request, const std::string& name);

}  // namespace partnersync::e2e
