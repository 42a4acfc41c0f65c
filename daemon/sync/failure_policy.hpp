// How the engine answers each kind of failure: one table, in one place (STYLE.md "one owner per
// failure"). Every layer passes a Failure on as a value; only this file decides what it means.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

namespace partnersync::sync {

enum class FailureKind {
  data,            // a value PostgreSQL refused (SQLSTATE class 22 or 23) or the parser refused
  transient,       // serialization failure, deadlock, unknown COMMIT outcome, lost connection,
                   // a statement timeout (57014)
  database_down,   // the database stayed unreachable through the reconnect attempts
  credentials,     // upstream rejected the source's token or API key (401)
  not_applicable,  // 403 on a stream that declares it (not an Expert, not managed)
  upstream,        // an upstream answer or transport error after the HTTP client's retries
  configuration,   // upstream's answer shows the source's configuration is wrong (a parameter
                   // it demands that a config key would send): the error names the key
  cancelled,       // shutdown
  other,           // anything else: a bug or an unforeseen state
};

// What the engine does about a failure of that kind.
struct FailurePolicy {
  FailureKind kind;
  bool quarantine_body;  // the body received goes to sync.quarantine with the reason
  bool retry_window;     // the window's transaction runs again (it is idempotent)
  bool fail_window;      // the window stays unsynced; the stream's other windows go on
  bool fail_stream;      // the stream run ends failed, recorded in sync.runs; the pass goes on
  bool stop_source;      // the source's pass ends (its other streams would fail the same way)
  bool wait_and_retry;   // the source waits and runs its pass again later
};

const FailurePolicy& policy_for(FailureKind kind);
std::string_view to_string(FailureKind kind);

// A classified failure: what happened, as one redacted line.
struct Failure {
  FailureKind kind = FailureKind::other;
  std::string reason;
};

// Classifies an exception thrown by the database layer, libpqxx, or the engine itself.
Failure classify(const std::exception& error);
Failure classify(const std::exception_ptr& error);
// Classifies a SQLSTATE ("22003" -> data, "40001" -> transient, ...).
FailureKind classify_sqlstate(std::string_view sqlstate);

// Carries a classified failure up through the stream modes to the one place that records it.
class SyncError : public std::runtime_error {
 public:
  SyncError(FailureKind kind, const std::string& reason)
      : std::runtime_error(reason), kind_(kind) {}
  FailureKind kind() const { return kind_; }

 private:
  FailureKind kind_;
};

// PostgreSQL's multi-line messages (DETAIL, CONTEXT with upstream values, the failed query
// echoed by libpqxx) reduced to their first line, redacted.
std::string one_line(std::string_view message);

}  // namespace partnersync::sync
