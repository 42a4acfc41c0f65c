// Ground-truth data of the API simulator: compact, seed-determined records for every entity the
// simulated LiveChat Partner and LiveAgent reseller APIs serve, plus the time helpers they share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/sim/api.hpp"

namespace partnersync::sim {

// ---- time and number formats (all pure, shared with the renderer and the tests) ----

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
std::int64_t days_from_civil(int year, unsigned month, unsigned day);
void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day);
// Strict "YYYY-MM-DD" (a real calendar date) -> days since epoch.
std::optional<std::int64_t> parse_date(std::string_view text);
// Strict "YYYY-MM-DD HH:MM:SS" (valid ranges) -> seconds since epoch, reading it as UTC.
std::optional<std::int64_t> parse_datetime(std::string_view text);
std::string format_date(std::int64_t days);              // "YYYY-MM-DD"
std::string format_month(std::int64_t days);             // "YYYY-MM" of the day
std::string format_datetime(std::int64_t unix_seconds);  // "YYYY-MM-DD HH:MM:SS" (UTC)
// The wall-clock time in America/Los_Angeles (US DST rules since 2007), as LiveAgent serves it.
std::string format_los_angeles(std::int64_t unix_seconds);
// Cents as the Partner API writes amounts: 1200, 1063.3, 48.75 (a JSON number).
std::string format_amount(std::int64_t cents);
// Cents as LiveAgent writes prices: "99.90" (always two decimals; the caller quotes it).
std::string format_price(std::int64_t cents);

// ---- lookup tables indexed by the small codes stored in the records ----

inline constexpr std::array<std::string_view, 3> kPlans = {"starter", "team", "business"};
inline constexpr std::array<std::string_view, 2> kBillingCycles = {"monthly", "annual"};
inline constexpr std::array<std::string_view, 5> kUtmMediums = {"banner", "header_link", "email",
                                                                "", "footer"};
inline constexpr std::array<std::string_view, 3> kUtmContents = {"", "v29", "v3"};
inline constexpr std::array<std::string_view, 2> kUtmTerms = {"", "keyword"};
inline constexpr std::array<std::string_view, 3> kUtmSources = {"", "email", "PP"};

enum class Program : std::uint8_t { livechat, partner_program };

// One affiliate (LiveChat) or Partner Program lead license. 48 bytes so that a million fit in
// ~50 MB; strings are produced by the accessors exactly as the API serves them.
struct AffiliateLicense {
  std::int64_t created = 0;  // unix seconds (UTC)
  std::int64_t end = 0;      // unix seconds (UTC)
  std::int64_t total_commission_cents = 0;
  std::uint32_t conversations = 0;
  std::uint16_t seats = 0;
  std::uint8_t commission_percent = 20;
  std::uint8_t plan = 0;           // kPlans
  std::uint8_t billing_cycle = 0;  // kBillingCycles
  std::uint8_t utm_source = 0;     // kUtmSources (old shape only)
  std::uint8_t utm_medium = 0;     // kUtmMediums
  std::uint8_t utm_content = 0;    // kUtmContents
  std::uint8_t utm_term = 0;       // kUtmTerms
  std::uint8_t campaign = 0;       // Dataset::license_campaign_names
  std::uint8_t tier = 1;           // 1 or 2 (old shape groups by it)
  bool cc_added = false;
  bool paid = false;
  bool chat_installed = false;
  bool blocked = false;
  std::array<char, 4> email{};  // masked e-mail letters: a...b@c...d

  std::string client_email() const;  // "w...n@l...c"
  std::string creation_timestamp() const { return format_datetime(created); }
  std::string end_timestamp() const { return format_datetime(end); }
  std::int64_t creation_day() const;  // days since epoch (UTC)
};

struct SolutionLicense {
  std::string license;  // numeric string id
  std::string client_name, client_email, purchase_order;
  std::int64_t created = 0, end = 0;
  bool cc_added = false, paid = false, expired = false, blocked = false;
  std::uint16_t seats = 0;
  std::uint8_t plan = 0, billing_cycle = 0;
  std::int64_t total_discount_cents = 0;
  std::uint8_t discount_percent = 0;
  std::string payment_origin;  // "client" | "partner"
  std::uint32_t conversations = 0, conversations_last_30_days = 0;
  std::int64_t total_commission_cents = 0;
  std::uint8_t commission_percent = 20;
  std::string data_center;  // "dal" | "fra"
  bool recurly_subscriber = false, recurly_in_trial = false, recurly_recurrent = false;
  std::int64_t creation_day() const;
};

struct SolutionInvoice {
  std::string license;
  std::int64_t invoice_no = 0;
  std::int64_t date = 0;  // unix seconds
  std::uint8_t plan = 0, billing_cycle = 0;
  std::uint16_t seats = 0;
  std::int64_t amount_cents = 0;
  std::string status;  // "paid" | "pending"
};

struct Withdrawal {
  std::int64_t withdrawal_id = 0;
  std::int64_t requested = 0;          // unix seconds
  std::optional<std::int64_t> action;  // served as "" when absent
  std::string status;                  // "pending" | "paid"
  std::int64_t amount_cents = 0;
  std::string invoice_id;             // "YYYY/M/<partner_id>"
  std::int64_t creation_day() const;  // the request day: the endpoint's date filter
};

struct Campaign {
  Program program = Program::livechat;
  bool active = true;
  std::string name, slug, discount, url, short_url;
  int trial_duration = 30;
  std::int64_t created = 0;
  std::int64_t disabled = 0;  // only when !active
};

struct Lead {
  std::string partner_id;
  std::int64_t created = 0;
  std::string medium, content, term, campaign;
  std::uint32_t active_trials = 0, active_trials_cc_added = 0, total_trials = 0, active_paid = 0,
                total_paid = 0;
  std::int64_t commission_cents = 0;
};

// One row of a performance report (one day, or the sum over a range of days).
struct PerformanceRow {
  std::string campaign, medium, content, term;
  std::int64_t clicks = 0, leads = 0, trials = 0, paid = 0, chat_installations = 0, aha = 0;
  std::int64_t commission_cents = 0;
  // Hundredths of a percent, from the (summed) counts: trials/clicks and paid/trials.
  std::int64_t trial_percent_x100() const;
  std::int64_t paid_percent_x100() const;
};

struct HistoryMonth {
  std::int64_t first_day = 0;  // days since epoch of the month's first day
  std::int64_t trials = 0, paid = 0, leads = 0, profile_views = 0;
  std::int64_t commission_cents = 0;
};

struct LicenseCounts {
  std::int64_t trials = 0, trials_cc = 0, paid = 0;
};

struct Totals {
  LicenseCounts livechat, partner_program, reseller;
  std::int64_t leads = 0;
  std::int64_t livechat_commission_cents = 0, livechat_commission_30d_cents = 0;
  std::int64_t partner_program_commission_cents = 0, partner_program_commission_30d_cents = 0;
  std::int64_t reseller_commission_cents = 0, reseller_commission_30d_cents = 0;
  std::int64_t reseller_discount_cents = 0;
  std::int64_t blocked_cents = 0, withdrawn_cents = 0, pending_cents = 0;
  std::int64_t commission_total_cents() const {
    return livechat_commission_cents + partner_program_commission_cents + reseller_commission_cents;
  }
  std::int64_t balance_cents() const {
    return commission_total_cents() - blocked_cents - withdrawn_cents - pending_cents;
  }
};

// LiveAgent entities keep their datetimes as the served strings (America/Los_Angeles wall
// time, possibly impossible) and the instant they were generated from, if there is one.
struct LaAccount {
  std::string account_id, customer_email, domain, customer_name, company;
  std::string date_created;  // served string; ordering and filters compare these strings
  std::optional<std::int64_t> created_utc;  // nullopt for the impossible datetime
  std::string variation_id;
  char status = 'a';
  std::string version;
  std::optional<std::string> last_login_date;  // null when the customer never logged in
  std::uint32_t max_agents = 0;
};

struct LaUser {
  std::string userid, email, firstname, lastname, role, status, role_type, date_created;
};

struct LaAddon {
  std::string id, description, name;
  std::int64_t price_cents = 0;
  std::string valid_from;
  std::optional<std::string> valid_to;
  std::string license_code;
  char status = 'A';
};

struct LaLicense {
  std::string customer_email, license_code, valid_from, customer_name;
  std::optional<std::string> valid_to;
  std::string variation_id;
  char license_status = 'A';
  std::string max_agents = "5";  // the attribute as served (003: text, e.g. "99")
};

// ---- the Partner API's account-level data (issue 12) ----

struct Coupon {
  std::int64_t id = 0;
  std::string label;
  bool listed = true;  // false: withdrawn (mutation remove_coupons), not served
};

struct SolutionOperator {
  std::string login, name, permission;  // permission: owner | administrator | normal
};

// /v2/partners: the parts that vary; the rest is rendered from partner_id.
struct PartnerProfile {
  std::int64_t livechat_commission_percent = 20;
  std::int64_t partner_program_commission_percent = 5;
  std::int64_t reseller_discount_percent = 20;
  std::optional<std::int64_t> livechat_commission_end;  // unix seconds; served "" when absent
  std::string expert_status = "verified";
  std::int64_t marketplace_position = 2;
};

struct ExpertStats {
  std::int64_t position = 1, comments = 18, messages = 132;
};

struct ExpertComment {
  std::string comment, author, website;
  std::int64_t created = 0;  // unix seconds
};

struct LaVariationAddon {
  std::string name, id, description;
  std::int64_t price_cents = 0;
};

struct LaVariation {
  std::string name, id, created, description, product;
  std::vector<LaVariationAddon> addons;
};

// Documented meaning of a LiveAgent account status letter (003, "Get account status").
std::string_view account_status_label(char status);

// The impossible datetime of document 003's licenses example; served verbatim.
inline constexpr std::string_view kImpossibleDatetime = "2008-12-11 08:95:41";

struct Dataset {
  std::uint64_t seed = 1;
  std::string partner_id = "sim";
  std::int64_t first_day = 0, last_day = 0, today = 0;  // days since epoch
  std::uint64_t mutations = 0;  // how many mutations were applied (feeds their PRNG)

  std::vector<std::string> license_campaign_names;   // AffiliateLicense::campaign indexes this
  std::vector<AffiliateLicense> affiliate_licenses;  // sorted by created
  std::vector<AffiliateLicense> partner_program_licenses;  // sorted by created
  std::vector<SolutionLicense> solution_licenses;          // sorted by created
  std::vector<SolutionInvoice> solution_invoices;          // grouped by license, newest first
  std::vector<Withdrawal> withdrawals;                     // sorted by requested
  std::vector<Campaign> campaigns;
  std::vector<Lead> leads;
  std::vector<LaAccount> accounts;  // sorted by date_created string, then account_id
  std::vector<LaLicense> liveagent_licenses;
  std::vector<LaVariation> variations;
  std::vector<Coupon> coupons;
  PartnerProfile profile;
  ExpertStats expert_stats;
  std::vector<ExpertComment> expert_comments;  // newest first, as served
  Totals totals;  // kept in step with the vectors by recompute_totals()

  // Half-open index range [first, last) of the records created on days day_from..day_to.
  template <typename T>
  static std::pair<std::size_t, std::size_t> created_range(const std::vector<T>& sorted,
                                                           std::int64_t day_from,
                                                           std::int64_t day_to);

  // Performance rows of one program over days day_from..day_to (inclusive), summed per
  // (campaign, medium, content, term). Each day's rows are a pure function of seed and day.
  std::vector<PerformanceRow> performance(Program program, std::int64_t day_from,
                                          std::int64_t day_to) const;
  // The 12 months ending with today's month, newest first. `which` is "livechat",
  // "partner_program", "solution" or "expert".
  std::vector<HistoryMonth> history(std::string_view which) const;
  // Children of LiveAgent accounts, a pure function of seed and the account.
  std::vector<LaUser> users_of(const LaAccount& account) const;
  std::vector<LaAddon> addons_of(const LaAccount& account) const;
  const LaAccount* find_account(std::string_view account_id) const;
  std::vector<LaAddon> addons_of(const LaLicense& license) const;
  const LaLicense* find_liveagent_license(std::string_view license_code) const;
  // Operators of a Solution license, a pure function of seed and license; the API answers 403
  // for a license whose subscription the partner does not manage (payment_origin "client").
  std::vector<SolutionOperator> operators_of(const SolutionLicense& license) const;
  static bool manages_subscription(const SolutionLicense& license) {
    return license.payment_origin == "partner";
  }
  const SolutionLicense* find_solution_license(std::string_view license) const;

  void recompute_totals();

  std::uint64_t users_per_account = 3;
};

// Generates everything from the options (seed, ranges, counts). Deterministic across
// platforms: only splitmix64 and integer arithmetic.
Dataset generate_dataset(const api::ApiOptions& options);

// Applies one mutation in place (deterministic given the dataset and the mutation).
void apply_mutation(Dataset& dataset, const api::Mutation& mutation);

template <typename T>
std::pair<std::size_t, std::size_t> Dataset::created_range(const std::vector<T>& sorted,
                                                           std::int64_t day_from,
                                                           std::int64_t day_to) {
  auto lower = [&](std::int64_t day) {
    std::size_t lo = 0, hi = sorted.size();
    while (lo < hi) {
      std::size_t mid = (lo + hi) / 2;
      if (sorted[mid].creation_day() < day) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  if (day_from > day_to) return {0, 0};
  return {lower(day_from), lower(day_to + 1)};
}

}  // namespace partnersync::sim
