// Request handling of the API simulator: maps a decoded HTTP request to the response the
// LiveChat Partner API v2 or the LiveAgent reseller API v1 would give (see shared/api-docs).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace partnersync::sim {
struct Dataset;
namespace helpdesk {
class Desk;
}
}

namespace partnersync::sim::api {

struct ApiRequest {
  std::string method;
  std::string path;                                        // decoded, no query
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded, in order
  std::string authorization;  // Authorization header value, "" if absent
};

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is produced in parts (sent with chunked transfer encoding): each call
  // appends the next part to `out` and returns false after the last part. `body` is then unused.
  std::function<bool(std::string& out)> stream;
  // --prerender: the cached body `stream` serves (the same object for every request of it), so
  // the server layer can keep an encoded copy of it too (SimOptions::gzip).
  std::shared_ptr<const std::string> prerendered;
};

// Every field maps to one command-line flag of partnersync-sim (name with '_' -> '-').
struct ApiOptions {
  std::uint64_t seed = 1;             // --seed: same seed, same bodies
  std::string token = "sim-token";    // --token: expected "Authorization: Bearer <token>"
  std::string apikey = "sim-apikey";  // --apikey: expected LiveAgent `apikey` query value
  std::string reseller = "reseller@example.com";  // --reseller: LiveAgent reseller identifier
  std::string date_from = "2024-01-01";  // --date-from: first creation day of generated data
  std::string date_to = "2024-12-31";    // --date-to: last creation day of generated data
  std::string today;  // --today: "YYYY-MM-DD" that history/stats are relative to; "" = date_to
  std::uint64_t affiliate_licenses = 1000;       // --affiliate-licenses (alias --licenses)
  std::uint64_t partner_program_licenses = 200;  // --partner-program-licenses
  std::uint64_t solution_licenses = 50;          // --solution-licenses
  std::uint64_t withdrawals = 24;                // --withdrawals
  std::uint64_t campaigns = 6;                   // --campaigns (per program, active + disabled)
  std::uint64_t leads = 30;                      // --leads
  std::uint64_t liveagent_accounts = 100;        // --liveagent-accounts
  std::uint64_t users_per_account = 3;           // --users-per-account (max; varies 1..n)
  std::uint64_t liveagent_licenses = 20;         // --liveagent-licenses
  std::uint64_t variations = 5;                  // --variations
  // --legacy-shapes: the old shapes of 000: tier1/tier2 licenses (utm_source, utm_campaign),
  // flat earnings, withdrawals without withdrawal_id. (/active-licenses is always flat.)
  bool legacy_shapes = false;
  bool expert = false;     // --expert: experts endpoints answer 200 instead of 403
  bool prerender = false;  // --prerender: render big list bodies once, serve from memory
  // --liveagent-error-200: every LiveAgent endpoint answers an ERROR envelope with HTTP 200
  // (the API does this for some failures; see 003 "Error response").
  bool liveagent_error_200 = false;
  // LiveAgent helpdesk (tests/sim/helpdesk.hpp), served under /api/ beside the reseller API.
  std::uint64_t helpdesk_conversations = 0;    // --helpdesk-conversations
  std::uint64_t helpdesk_customers = 0;        // --helpdesk-customers
  std::uint64_t helpdesk_bulk_customers = 0;   // --helpdesk-bulk-customers (one day's)
  std::string helpdesk_version = "5.40.0.1";   // --helpdesk-version
  std::string helpdesk_from = "2024-10-01";    // --helpdesk-from: first LA day of its data
  std::string helpdesk_to = "2024-11-30";      // --helpdesk-to
};

// A change of upstream data between two syncs. JSON form (POSTed to the control endpoint):
//   {"kind":"convert_trials","count":10}        n trial affiliate licenses become paid
//   {"kind":"grow_commissions","count":10}      n paid affiliate licenses earn more
//   {"kind":"suspend_accounts","count":3}       n active LiveAgent accounts -> status "s"
//   {"kind":"add_licenses","count":5,"date":"2024-06-01"}  n new affiliate licenses that day
//   {"kind":"liveagent_error_200","enabled":true}  toggle ApiOptions::liveagent_error_200
//   {"kind":"remove_coupons","count":1}          the first n listed coupons are withdrawn
//   {"kind":"restore_coupons"}                   every withdrawn coupon is listed again
//   {"kind":"max_agents_text","count":1}         n LiveAgent licenses serve max_agents "unlimited"
struct Mutation {
  enum class Kind {
    convert_trials,
    grow_commissions,
    suspend_accounts,
    add_licenses,
    liveagent_error_200,
    remove_coupons,
    restore_coupons,
    max_agents_text
  };
  Kind kind = Kind::convert_trials;
  std::uint64_t count = 1;
  std::string date;     // add_licenses: "YYYY-MM-DD"
  bool enabled = true;  // liveagent_error_200
};

// Throws std::invalid_argument with a message naming the bad field.
Mutation parse_mutation(std::string_view json);

class Api {
 public:
  explicit Api(ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Thread-safe: many server threads call it concurrently (and concurrently with mutate()).
  ApiResponse handle(const ApiRequest& request) const;

  // Applies a change; requests that start afterwards see it.
  void mutate(const Mutation& mutation);

  // Ground truth for tests: the data that requests starting now are served from. Snapshots
  // are immutable and mutate() installs a new one (copy + change). snapshot() keeps its data
  // alive for as long as it is held; a dataset() reference stays valid until the second
  // mutate() after the call (hold snapshot() to compare across mutations).
  std::shared_ptr<const Dataset> snapshot() const;
  const Dataset& dataset() const;

  const ApiOptions& options() const { return options_; }
  // The helpdesk's data and changes (its ground truth is helpdesk::Desk::data()).
  helpdesk::Desk& helpdesk() const;

 private:
  struct State;
  ApiOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace partnersync::sim::api
