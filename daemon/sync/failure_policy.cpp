// The failure table of the engine and the classification of what the database layer throws.
#include "daemon/sync/failure_policy.hpp"

#include <array>
#include <pqxx/except>

#include "daemon/db/database.hpp"
#include "daemon/obs/redact.hpp"

namespace partnersync::sync {
namespace {

// Read a row as: a failure of this kind does what its true fields say (failure_policy.hpp).
constexpr std::array<FailurePolicy, 9> kPolicies{{
    {.kind = FailureKind::data,
     .quarantine_body = true,
     .retry_window = false,
     .fail_window = true,
     .fail_stream = true,
     .stop_source = false,
     .wait_and_retry = false},
    {.kind = FailureKind::transient,
     .quarantine_body = false,
     .retry_window = true,
     .fail_window = false,
     .fail_stream = false,
     .stop_source = false,
     .wait_and_retry = false},
    {.kind = FailureKind::database_down,
     .quarantine_body = false,
     .retry_window = false,
     .fail_window = false,
     .fail_stream = true,
     .stop_source = true,
     .wait_and_retry = true},
    {.kind = FailureKind::credentials,
     .quarantine_body = false,
     .retry_window = false,
     .fail_window = false,
     .fail_stream = true,
     .stop_source = true,
     .wait_and_retry = false},
    {.kind = FailureKind::not_applicable,
     .quarantine_body = false,
     .retry_window = false,
     .fail_window = false,
     .fail_stream = false,
     .stop_source = false,
     .wait_and_retry = false},
    {.kind = FailureKind::upstream,
     .quarantine_body = false,
     .retry_window = false,
     .fail_window = true,
     .fail_stream = true,
     .stop_source = false,
     .wait_and_retry = false},
    {.kind = FailureKind::cancelled,
     .quarantine_body = false,
     .retry_window = false,
     .fail_window = false,
     .fail_stream = false,
     .stop_source = true,
     .wait_and_retry = false},
    // The stream fails at once (no window of it can succeed), the other streams go on.
    {.kind = FailureKind::configuration,
     .quarantine_body = false,
     .retry_window = false,
     .fail_window = false,
     .fail_stream = true,
     .stop_source = false,
     .wait_and_retry = false},
    {.kind = FailureKind::other,
     .quarantine_body = false,
     .retry_window = false,
     .fail_window = false,
     .fail_stream = true,
     .stop_source = false,
     .wait_and_retry = false},
}};

}  // namespace

const FailurePolicy& policy_for(FailureKind kind) {
  for (const auto& p : kPolicies)
    if (p.kind == kind) return p;
  return kPolicies.back();
}

std::string_view to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::data:
      return "data";
    case FailureKind::transient:
      return "transient";
    case FailureKind::database_down:
      return "database_down";
    case FailureKind::credentials:
      return "credentials";
    case FailureKind::not_applicable:
      return "not_applicable";
    case FailureKind::upstream:
      return "upstream";
    case FailureKind::cancelled:
      return "cancelled";
    case FailureKind::configuration:
      return "configuration";
    case FailureKind::other:
      return "other";
  }
  return "other";
}

std::string one_line(std::string_view message) {
  const auto end = message.find('\n');
  std::string_view first = message.substr(0, end);
  while (!first.empty() && (first.back() == ' ' || first.back() == '\r')) first.remove_suffix(1);
  return obs::redact(std::string(first));
}

FailureKind classify_sqlstate(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return FailureKind::other;
  const auto cls = sqlstate.substr(0, 2);
  if (cls == "22" || cls == "23") return FailureKind::data;  // data exception, constraint
  if (sqlstate == "40001" || sqlstate == "40P01") return FailureKind::transient;
  if (cls == "08") return FailureKind::transient;  // connection exception
  // admin_shutdown, crash_shutdown, cannot_connect_now: the server is going away.
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03")
    return FailureKind::transient;
  // query_canceled: the engine's statement_timeout (or an administrator's pg_cancel_backend)
  // ran out on a live server, so the window runs again. A shutdown's own cancel answers 57014
  // too; it is recognised where the stop was requested (the retry's wait ends at once and
  // reports cancelled; the source runner checks its cancel signal before classifying).
  if (sqlstate == "57014") return FailureKind::transient;
  return FailureKind::other;
}

Failure classify(const std::exception& error) {
  const std::string reason = one_line(error.what());
  if (const auto* e = dynamic_cast<const SyncError*>(&error)) return {e->kind(), reason};
  if (dynamic_cast<const db::DatabaseUnavailable*>(&error) != nullptr)
    return {FailureKind::database_down, reason};
  // The COMMIT was sent and the connection went: whether it happened is unknown. A window's
  // transaction is idempotent (upserts, an interval merge), so it runs again.
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr)
    return {FailureKind::transient, reason};
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr)
    return {FailureKind::transient, reason};
  // libpqxx 6.4 throws serialization_failure (40001), deadlock_detected (40P01) and
  // statement_completion_unknown (40003) as transaction_rollback, which is no sql_error.
  if (dynamic_cast<const pqxx::transaction_rollback*>(&error) != nullptr)
    return {FailureKind::transient, reason};
  if (const auto* e = dynamic_cast<const pqxx::sql_error*>(&error)) {
    auto kind = classify_sqlstate(e->sqlstate());
    if (kind == FailureKind::other) {
      if (dynamic_cast<const pqxx::data_exception*>(&error) != nullptr ||
          dynamic_cast<const pqxx::integrity_constraint_violation*>(&error) != nullptr)
        kind = FailureKind::data;
    }
    return {kind, reason};
  }
  return {FailureKind::other, reason};
}

Failure classify(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return classify(e);
  } catch (...) {
    return {FailureKind::other, "unknown exception"};
  }
}

}  // namespace partnersync::sync
