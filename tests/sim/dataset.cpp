// Deterministic generation and mutation of the simulator's ground truth (see dataset.hpp).
// Only splitmix64 and integer arithmetic, so a seed gives the same data on every platform.
#include "tests/sim/dataset.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace partnersync::sim {
namespace {

constexpr std::int64_t kDay = 86400;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) { return splitmix(a ^ splitmix(b)); }

std::uint64_t hash_text(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// splitmix64 stream; below() uses the multiply-high reduction (no library distributions,
// whose output differs between standard library versions).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) return 0;
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  bool percent(unsigned p) { return below(100) < p; }
  std::string letters(std::size_t n, std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz") {
    std::string out(n, 'a');
    for (auto& c : out) c = alphabet[below(alphabet.size())];
    return out;
  }

 private:
  std::uint64_t state_;
};

constexpr std::string_view kAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::array<std::int64_t, 3> kPlanPriceCents = {1600, 3300, 5000};  // per seat/month
constexpr std::array<int, 4> kTrialDurations = {14, 30, 45, 60};
constexpr std::array<std::string_view, 10> kFirstNames = {
    "John", "Jane", "Marcus", "Ana", "Piotr", "Zoë", "Li", "Fatima", "Olivia", "Noah"};
constexpr std::array<std::string_view, 10> kLastNames = {"Doe",    "Oniell", "Dough",   "Kowalski",
                                                         "García", "Smith",  "O'Brien", "Chen",
                                                         "Müller", "Ivanova"};
constexpr std::array<std::string_view, 6> kCompanies = {"QualityUnit", "Sonatha",         "ACME",
                                                        "Initech",     "Globex \"Intl\"", ""};

std::string ascii_lower(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += static_cast<char>(c);
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string slugify(std::string_view name) {
  std::string out = "pp_";
  bool dash = false;
  for (unsigned char c : name) {
    char lc = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
    if ((lc >= 'a' && lc <= 'z') || (lc >= '0' && lc <= '9')) {
      if (dash && out.size() > 3) out += '-';
      out += lc;
      dash = false;
    } else {
      dash = true;
    }
  }
  return out;
}

int weekday(std::int64_t days) {  // 0 = Sunday; 1970-01-01 was a Thursday
  return static_cast<int>(((days % 7) + 11) % 7);
}

// US rules since 2007: DST from the 2nd Sunday of March 02:00 PST (10:00 UTC) to the
// 1st Sunday of November 02:00 PDT (09:00 UTC).
void dst_bounds_utc(int year, std::int64_t& start, std::int64_t& end) {
  std::int64_t march1 = days_from_civil(year, 3, 1);
  std::int64_t first_sunday = march1 + (7 - weekday(march1)) % 7;
  start = (first_sunday + 7) * kDay + 10 * 3600;
  std::int64_t nov1 = days_from_civil(year, 11, 1);
  end = (nov1 + (7 - weekday(nov1)) % 7) * kDay + 9 * 3600;
}

std::int64_t seconds_of_day(std::int64_t unix_seconds) {
  return ((unix_seconds % kDay) + kDay) % kDay;
}

std::int64_t floor_day(std::int64_t unix_seconds) {
  return (unix_seconds - seconds_of_day(unix_seconds)) / kDay;
}

std::string two(unsigned v) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02u", v % 100);
  return buf;
}

AffiliateLicense make_license(Rng& rng, std::int64_t created, Program program,
                              std::size_t campaign_names) {
  AffiliateLicense l;
  l.created = created;
  l.tier = (program == Program::livechat && rng.below(10) == 0) ? 2 : 1;
  l.commission_percent = program == Program::livechat
                             ? (l.tier == 1 ? 20 : 10)
                             : static_cast<std::uint8_t>(5 * (1 + rng.below(2)));
  l.paid = rng.percent(25);
  l.cc_added = l.paid || rng.percent(20);
  l.plan = static_cast<std::uint8_t>(rng.below(kPlans.size()));
  l.billing_cycle = l.paid ? static_cast<std::uint8_t>(rng.below(2)) : 0;
  l.seats = static_cast<std::uint16_t>(l.paid ? 1 + rng.below(30)
                                              : (rng.percent(50) ? 100 : 1 + rng.below(10)));
  int days = l.paid ? (l.billing_cycle == 1 ? 365 : 30)
                    : kTrialDurations[rng.below(kTrialDurations.size())];
  l.end = created + days * kDay - 1;
  l.chat_installed = rng.percent(l.paid ? 80 : 40);
  l.conversations =
      l.chat_installed ? static_cast<std::uint32_t>(rng.below(l.paid ? 5000 : 200)) : 0;
  l.total_commission_cents = l.paid ? kPlanPriceCents[l.plan] * l.seats * l.commission_percent /
                                          100 * static_cast<std::int64_t>(1 + rng.below(12))
                                    : 0;
  l.blocked = rng.below(50) == 0;
  l.utm_source = static_cast<std::uint8_t>(rng.below(kUtmSources.size()));
  l.utm_medium = static_cast<std::uint8_t>(rng.below(kUtmMediums.size()));
  l.utm_content = static_cast<std::uint8_t>(rng.below(kUtmContents.size()));
  l.utm_term = static_cast<std::uint8_t>(rng.below(kUtmTerms.size()));
  l.campaign = static_cast<std::uint8_t>(rng.below(std::max<std::size_t>(campaign_names, 1)));
  for (auto& c : l.email) c = static_cast<char>('a' + rng.below(26));
  return l;
}

std::vector<AffiliateLicense> make_licenses(std::uint64_t seed, std::uint64_t n, Program program,
                                            std::int64_t first_day, std::int64_t last_day,
                                            std::size_t campaign_names) {
  Rng rng(mix(seed, program == Program::livechat ? 101 : 102));
  const std::uint64_t span = static_cast<std::uint64_t>(last_day - first_day + 1) * kDay;
  std::vector<std::int64_t> times(n);
  for (auto& t : times) t = first_day * kDay + static_cast<std::int64_t>(rng.below(span));
  std::sort(times.begin(), times.end());
  std::vector<AffiliateLicense> out;
  out.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    out.push_back(make_license(rng, times[i], program, campaign_names));
    // The sync keys records by (timestamp, masked e-mail, ordinal): make sure records that share
    // timestamp and e-mail exist, some differing in other fields, some identical in all.
    if (i % 500 == 2) {
      out[i].created = out[i - 1].created;
      out[i].end = out[i].created + (out[i].end - times[i]);
      out[i].email = out[i - 1].email;
    } else if (i % 1000 == 7) {
      out[i] = out[i - 1];
    }
  }
  return out;
}

std::string la_between(Rng& rng, std::int64_t from_utc, std::int64_t to_utc) {
  if (to_utc <= from_utc) return format_los_angeles(from_utc);
  return format_los_angeles(from_utc + static_cast<std::int64_t>(rng.below(
                                           static_cast<std::uint64_t>(to_utc - from_utc))));
}

}  // namespace

// ---- time and numbers ----

std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2));
}

namespace {
bool digits(std::string_view text, std::size_t pos, std::size_t n, unsigned& value) {
  value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<std::int64_t> parse_date(std::string_view text) {
  unsigned y, m, d;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(text, 0, 4, y) ||
      !digits(text, 5, 2, m) || !digits(text, 8, 2, d) || m < 1 || m > 12 || d < 1) {
    return std::nullopt;
  }
  static constexpr unsigned kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kMonthDays[m - 1] || (m == 2 && d == 29 && !leap)) return std::nullopt;
  return days_from_civil(static_cast<int>(y), m, d);
}

std::optional<std::int64_t> parse_datetime(std::string_view text) {
  unsigned h, mi, s;
  if (text.size() != 19 || text[10] != ' ' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto day = parse_date(text.substr(0, 10));
  if (!day || !digits(text, 11, 2, h) || !digits(text, 14, 2, mi) || !digits(text, 17, 2, s) ||
      h > 23 || mi > 59 || s > 59) {
    return std::nullopt;
  }
  return *day * kDay + h * 3600 + mi * 60 + s;
}

std::string format_date(std::int64_t days) {
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

std::string format_month(std::int64_t days) { return format_date(days).substr(0, 7); }

std::string format_datetime(std::int64_t unix_seconds) {
  std::int64_t sod = seconds_of_day(unix_seconds);
  return format_date(floor_day(unix_seconds)) + ' ' + two(static_cast<unsigned>(sod / 3600)) + ':' +
         two(static_cast<unsigned>(sod / 60 % 60)) + ':' + two(static_cast<unsigned>(sod % 60));
}

std::string format_los_angeles(std::int64_t unix_seconds) {
  int y;
  unsigned m, d;
  civil_from_days(floor_day(unix_seconds), y, m, d);
  std::int64_t start, end;
  dst_bounds_utc(y, start, end);
  bool dst = unix_seconds >= start && unix_seconds < end;
  return format_datetime(unix_seconds - (dst ? 7 : 8) * 3600);
}

std::string format_amount(std::int64_t cents) {
  std::string out = cents < 0 ? "-" : "";
  std::int64_t abs = cents < 0 ? -cents : cents;
  out += std::to_string(abs / 100);
  std::int64_t frac = abs % 100;
  if (frac != 0) {
    out += '.';
    out += static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
  }
  return out;
}

std::string format_price(std::int64_t cents) {
  std::string out = cents < 0 ? "-" : "";
  std::int64_t abs = cents < 0 ? -cents : cents;
  out += std::to_string(abs / 100) + '.' + two(static_cast<unsigned>(abs % 100));
  return out;
}

std::string_view account_status_label(char status) {
  switch (status) {
    case 'a':
      return "Active";
    case 's':
      return "Suspended";
    case 't':
      return "Terminated";
    case 'n':
      return "New";
    case 'b':
      return "Broken";
    case 'c':
      return "Waiting for create";
    case 'r':
      return "Crashed";
    case 'm':
      return "Wait for manual unsuspend";
    case 'p':
      return "Wait for suspend";
    case 'd':
      return "Wait for termination";
    case 'u':
      return "Wait for unsuspend";
    case 'v':
      return "Wait for update";
    default:
      return "";
  }
}

// ---- records ----

std::string AffiliateLicense::client_email() const {
  std::string out;
  out.reserve(11);
  out += email[0];
  out += "...";
  out += email[1];
  out += '@';
  out += email[2];
  out += "...";
  out += email[3];
  return out;
}

std::int64_t AffiliateLicense::creation_day() const { return floor_day(created); }
std::int64_t SolutionLicense::creation_day() const { return floor_day(created); }
std::int64_t Withdrawal::creation_day() const { return floor_day(requested); }

std::int64_t PerformanceRow::trial_percent_x100() const {
  return clicks == 0 ? 0 : (trials * 10000 + clicks / 2) / clicks;
}
std::int64_t PerformanceRow::paid_percent_x100() const {
  return trials == 0 ? 0 : (paid * 10000 + trials / 2) / trials;
}

// ---- derived views ----

std::vector<PerformanceRow> Dataset::performance(Program program, std::int64_t day_from,
                                                 std::int64_t day_to) const {
  // Fixed (campaign, medium, content, term) combinations; names come from the campaigns so the
  // report joins with them, including the one whose name needs JSON escaping.
  std::vector<PerformanceRow> rows;
  std::vector<std::string> names;
  for (const auto& c : campaigns) {
    if (c.program == program) names.push_back(c.name);
  }
  static constexpr std::array<std::array<std::string_view, 3>, 6> kUtm = {
      {{"", "", ""},
       {"banner", "v29", ""},
       {"screenshot", "v3", "keyword"},
       {"email", "", ""},
       {"banner", "v3", ""},
       {"", "", "term"}}};
  for (std::size_t k = 0; k < kUtm.size(); ++k) {
    PerformanceRow row;
    row.campaign = (k == 0 || names.empty()) ? "" : names[(k - 1) % names.size()];
    row.medium = kUtm[k][0];
    row.content = kUtm[k][1];
    row.term = kUtm[k][2];
    rows.push_back(row);
  }
  std::vector<bool> present(rows.size(), false);
  std::int64_t from = std::max(day_from, first_day), to = std::min(day_to, last_day);
  for (std::int64_t day = from; day <= to; ++day) {
    for (std::size_t k = 0; k < rows.size(); ++k) {
      std::uint64_t h = mix(mix(seed, 200 + static_cast<std::uint64_t>(program)),
                            static_cast<std::uint64_t>(day) * 16 + k);
      if (h % 10 >= 7) continue;
      Rng rng(h);
      std::int64_t clicks = 1 + static_cast<std::int64_t>(rng.below(200));
      std::int64_t leads =
          static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(clicks / 2 + 1)));
      std::int64_t trials =
          static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(clicks / 2 + 1)));
      std::int64_t paid =
          static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(trials / 3 + 1)));
      std::int64_t installs =
          static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(trials + 1)));
      std::int64_t aha =
          static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(installs + 1)));
      std::int64_t commission = paid * (1000 + static_cast<std::int64_t>(rng.below(9000)));
      auto& r = rows[k];
      present[k] = true;
      r.clicks += clicks;
      r.leads += leads;
      r.trials += trials;
      r.paid += paid;
      r.chat_installations += installs;
      r.aha += aha;
      r.commission_cents += commission;
    }
  }
  std::vector<PerformanceRow> out;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (present[k]) out.push_back(std::move(rows[k]));
  }
  return out;
}

std::vector<HistoryMonth> Dataset::history(std::string_view which) const {
  int y;
  unsigned m, d;
  civil_from_days(today, y, m, d);
  std::vector<HistoryMonth> months;
  for (int i = 0; i < 12; ++i) {
    int yy = y;
    int mm = static_cast<int>(m) - i;
    while (mm <= 0) {
      mm += 12;
      --yy;
    }
    HistoryMonth h;
    h.first_day = days_from_civil(yy, static_cast<unsigned>(mm), 1);
    std::int64_t next = mm == 12 ? days_from_civil(yy + 1, 1, 1)
                                 : days_from_civil(yy, static_cast<unsigned>(mm + 1), 1);
    auto count = [&](const auto& sorted) {
      auto [lo, hi] = created_range(sorted, h.first_day, next - 1);
      for (std::size_t j = lo; j < hi; ++j) {
        ++h.trials;
        if (sorted[j].paid) {
          ++h.paid;
          h.commission_cents += sorted[j].total_commission_cents;
        }
      }
    };
    if (which == "livechat") {
      count(affiliate_licenses);
    } else if (which == "partner_program") {
      count(partner_program_licenses);
      for (const auto& lead : leads) {
        std::int64_t day = floor_day(lead.created);
        if (day >= h.first_day && day < next) ++h.leads;
      }
    } else if (which == "solution") {
      count(solution_licenses);
    } else {
      h.profile_views = static_cast<std::int64_t>(
          mix(seed ^ 0xe4e, static_cast<std::uint64_t>(h.first_day)) % 300);
    }
    months.push_back(h);
  }
  return months;
}

std::vector<LaUser> Dataset::users_of(const LaAccount& account) const {
  Rng rng(mix(seed ^ 0x05e5, hash_text(account.account_id)));
  std::vector<LaUser> users;
  std::uint64_t n = users_per_account == 0 ? 0 : 1 + rng.below(users_per_account);
  std::int64_t base = account.created_utc.value_or(first_day * kDay);
  for (std::uint64_t k = 0; k < n; ++k) {
    LaUser u;
    u.userid = rng.letters(8, kAlnum);
    u.firstname = kFirstNames[rng.below(kFirstNames.size())];
    u.lastname = kLastNames[rng.below(kLastNames.size())];
    u.email = ascii_lower(u.firstname) + std::to_string(k) + "@" + account.domain;
    if (k == 0) {
      u.role = "Owner";
      u.role_type = "la_own";
      u.date_created = account.date_created;
    } else {
      bool admin = rng.percent(30);
      u.role = admin ? "Administrator" : "Agent";
      u.role_type = admin ? "la_admin" : "la_agent";
      u.date_created = la_between(rng, base, (today + 1) * kDay);
    }
    u.status = rng.percent(90) ? "A" : "I";
    users.push_back(std::move(u));
  }
  return users;
}

std::vector<LaAddon> Dataset::addons_of(const LaAccount& account) const {
  Rng rng(mix(seed ^ 0xadd0, hash_text(account.account_id)));
  std::vector<LaAddon> out;
  const LaVariation* variation = nullptr;
  for (const auto& v : variations) {
    if (v.id == account.variation_id) variation = &v;
  }
  if (variation == nullptr || variation->addons.empty()) return out;
  std::int64_t base = account.created_utc.value_or(first_day * kDay);
  std::uint64_t n = rng.below(variation->addons.size() + 1);
  for (std::uint64_t k = 0; k < n; ++k) {
    const auto& va = variation->addons[k];
    LaAddon a;
    a.id = va.id;
    a.name = va.name;
    a.description = va.description;
    a.price_cents = va.price_cents;
    std::int64_t from = base + static_cast<std::int64_t>(rng.below(30 * kDay));
    a.valid_from = format_los_angeles(from);
    if (rng.percent(40))
      a.valid_to =
          format_los_angeles(from + (30 + static_cast<std::int64_t>(rng.below(300))) * kDay);
    a.license_code = rng.letters(8, kAlnum);
    a.status = rng.percent(90) ? 'A' : 'R';
    out.push_back(std::move(a));
  }
  return out;
}

const LaAccount* Dataset::find_account(std::string_view account_id) const {
  for (const auto& a : accounts) {
    if (a.account_id == account_id) return &a;
  }
  return nullptr;
}

std::vector<LaAddon> Dataset::addons_of(const LaLicense& license) const {
  // The account rule over the license's variation; a license has no creation instant, so its
  // add-ons start from the first day of the data.
  LaAccount as_account;
  as_account.account_id = "license:" + license.license_code;
  as_account.variation_id = license.variation_id;
  return addons_of(as_account);
}

const LaLicense* Dataset::find_liveagent_license(std::string_view license_code) const {
  for (const auto& l : liveagent_licenses) {
    if (l.license_code == license_code) return &l;
  }
  return nullptr;
}

std::vector<SolutionOperator> Dataset::operators_of(const SolutionLicense& license) const {
  Rng rng(mix(seed ^ 0x0be7, hash_text(license.license)));
  std::vector<SolutionOperator> out;
  const std::uint64_t n = 1 + rng.below(4);
  for (std::uint64_t k = 0; k < n; ++k) {
    SolutionOperator o;
    std::string first(kFirstNames[rng.below(kFirstNames.size())]);
    o.name = k == 0 ? license.client_name : first;
    o.login = ascii_lower(first) + std::to_string(k) + "+" + license.license + "@example.com";
    o.permission = k == 0 ? "owner" : rng.percent(40) ? "administrator" : "normal";
    out.push_back(std::move(o));
  }
  return out;
}

const SolutionLicense* Dataset::find_solution_license(std::string_view license) const {
  for (const auto& l : solution_licenses) {
    if (l.license == license) return &l;
  }
  return nullptr;
}

void Dataset::recompute_totals() {
  Totals t;
  const std::int64_t now = today * kDay;
  const std::int64_t since_30d = (today - 29) * kDay;
  auto add = [&](const AffiliateLicense& l, LicenseCounts& counts, std::int64_t& total,
                 std::int64_t& last30) {
    if (l.end >= now && l.created < now + kDay) {
      if (l.paid) {
        ++counts.paid;
      } else {
        ++counts.trials;
        if (l.cc_added) ++counts.trials_cc;
      }
    }
    total += l.total_commission_cents;
    if (l.created >= since_30d && l.created < now + kDay) last30 += l.total_commission_cents;
    if (l.blocked) t.blocked_cents += l.total_commission_cents;
  };
  for (const auto& l : affiliate_licenses) {
    add(l, t.livechat, t.livechat_commission_cents, t.livechat_commission_30d_cents);
  }
  for (const auto& l : partner_program_licenses) {
    add(l, t.partner_program, t.partner_program_commission_cents,
        t.partner_program_commission_30d_cents);
  }
  for (const auto& l : solution_licenses) {
    if (!l.expired) {
      if (l.paid) {
        ++t.reseller.paid;
      } else {
        ++t.reseller.trials;
        if (l.cc_added) ++t.reseller.trials_cc;
      }
    }
    t.reseller_commission_cents += l.total_commission_cents;
    if (l.created >= since_30d) t.reseller_commission_30d_cents += l.total_commission_cents;
    t.reseller_discount_cents += l.total_discount_cents;
  }
  t.leads = static_cast<std::int64_t>(leads.size());
  for (const auto& w : withdrawals) {
    (w.status == "paid" ? t.withdrawn_cents : t.pending_cents) += w.amount_cents;
  }
  totals = t;
}

// ---- generation ----

Dataset generate_dataset(const api::ApiOptions& options) {
  Dataset ds;
  ds.seed = options.seed;
  auto from = parse_date(options.date_from);
  auto to = parse_date(options.date_to);
  if (!from || !to || *from > *to) {
    throw std::invalid_argument("simulator data range must be two YYYY-MM-DD dates, from <= to");
  }
  ds.first_day = *from;
  ds.last_day = *to;
  if (options.today.empty()) {
    ds.today = ds.last_day;
  } else {
    auto today = parse_date(options.today);
    if (!today) throw std::invalid_argument("simulator 'today' must be a YYYY-MM-DD date");
    ds.today = *today;
  }
  ds.users_per_account = options.users_per_account;
  const std::uint64_t seed = options.seed;
  const std::int64_t span_seconds = (ds.last_day - ds.first_day + 1) * kDay;
  auto random_time = [&](Rng& rng) {
    return ds.first_day * kDay +
           static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(span_seconds)));
  };

  // Campaigns first: licenses and performance rows refer to them.
  {
    Rng rng(mix(seed, 1));
    for (Program program : {Program::livechat, Program::partner_program}) {
      for (std::uint64_t i = 0; i < options.campaigns; ++i) {
        Campaign c;
        c.program = program;
        c.active = i < (options.campaigns * 2 + 2) / 3;
        c.name = i == 1 ? "Summer \"Deal\" \xe2\x80\x93 30% off \\ \xc5\xbc\xc3\xb3\xc5\x82w"
                        : "Campaign " + std::to_string(i + 1) +
                              (program == Program::livechat ? "" : " PP");
        c.slug = slugify(c.name);
        c.trial_duration = kTrialDurations[rng.below(kTrialDurations.size())];
        static constexpr std::array<std::string_view, 4> kDiscounts = {"", "30% off first payment",
                                                                       "$25 discount", "Active"};
        c.discount = kDiscounts[rng.below(kDiscounts.size())];
        c.url = (program == Program::livechat ? "https://www.livechatinc.com/?a="
                                              : "https://partners.livechatinc.com/?a=") +
                ds.partner_id + "&utm_campaign=" + c.slug + "&utm_source=PP";
        c.short_url = "https://lc.chat/" + rng.letters(3);
        c.created = random_time(rng);
        c.disabled = c.active ? 0 : c.created + static_cast<std::int64_t>(rng.below(30 * kDay));
        ds.campaigns.push_back(std::move(c));
      }
    }
    ds.license_campaign_names.push_back("default_link");
    for (const auto& c : ds.campaigns) {
      if (c.program == Program::livechat) ds.license_campaign_names.push_back(c.slug);
    }
  }

  ds.affiliate_licenses =
      make_licenses(seed, options.affiliate_licenses, Program::livechat, ds.first_day, ds.last_day,
                    ds.license_campaign_names.size());
  ds.partner_program_licenses =
      make_licenses(seed, options.partner_program_licenses, Program::partner_program, ds.first_day,
                    ds.last_day, ds.license_campaign_names.size());

  // Solution Partner licenses and their invoices.
  {
    Rng rng(mix(seed, 3));
    std::vector<std::int64_t> times(options.solution_licenses);
    for (auto& t : times) t = random_time(rng);
    std::sort(times.begin(), times.end());
    std::int64_t invoice_no = 100;
    for (std::uint64_t i = 0; i < options.solution_licenses; ++i) {
      SolutionLicense l;
      l.license = std::to_string(10000000 + i * 13 + rng.below(13));
      std::string first(kFirstNames[rng.below(kFirstNames.size())]);
      std::string last(kLastNames[rng.below(kLastNames.size())]);
      l.client_name = first + " " + last;
      l.client_email =
          ascii_lower(first) + "." + ascii_lower(last) + std::to_string(i) + "@example.com";
      l.purchase_order = rng.percent(33) ? "" : "PO-" + std::to_string(1000 + i);
      l.created = times[i];
      l.paid = rng.percent(40);
      l.cc_added = l.paid || rng.percent(20);
      l.plan = static_cast<std::uint8_t>(rng.below(3));
      l.billing_cycle = static_cast<std::uint8_t>(l.paid ? rng.below(2) : 0);
      l.seats = static_cast<std::uint16_t>(1 + rng.below(25));
      l.end = l.created + (l.paid ? (l.billing_cycle == 1 ? 365 : 30) : 30) * kDay - 1;
      l.expired = l.end < ds.today * kDay;
      l.blocked = rng.below(40) == 0;
      l.payment_origin = rng.percent(50) ? "client" : "partner";
      l.discount_percent = l.payment_origin == "partner" ? 20 : 0;
      std::int64_t months = 1 + static_cast<std::int64_t>(rng.below(12));
      std::int64_t monthly = kPlanPriceCents[l.plan] * l.seats;
      l.total_discount_cents = l.paid ? monthly * l.discount_percent / 100 * months : 0;
      l.total_commission_cents =
          (l.paid && l.payment_origin == "client") ? monthly * 20 / 100 * months : 0;
      l.conversations = static_cast<std::uint32_t>(rng.below(2000));
      l.conversations_last_30_days = static_cast<std::uint32_t>(rng.below(l.conversations + 1));
      l.data_center = rng.percent(50) ? "dal" : "fra";
      l.recurly_subscriber = l.paid;
      l.recurly_in_trial = !l.paid && !l.expired;
      l.recurly_recurrent = l.paid && l.billing_cycle == 0;
      if (l.paid) {
        std::vector<SolutionInvoice> invoices;
        std::uint64_t count = 1 + rng.below(6);
        for (std::uint64_t k = 0; k < count; ++k) {
          SolutionInvoice inv;
          inv.license = l.license;
          inv.date = l.created + static_cast<std::int64_t>(k) * 30 * kDay + 3600;
          if (inv.date >= (ds.today + 1) * kDay) break;
          inv.invoice_no = invoice_no++;
          inv.plan = l.plan;
          inv.billing_cycle = l.billing_cycle;
          inv.seats = l.seats;
          inv.amount_cents = monthly * (l.billing_cycle == 1 ? 12 : 1);
          inv.status = (k + 1 == count && rng.percent(20)) ? "pending" : "paid";
          invoices.push_back(std::move(inv));
        }
        ds.solution_invoices.insert(ds.solution_invoices.end(), invoices.rbegin(), invoices.rend());
      }
      ds.solution_licenses.push_back(std::move(l));
    }
  }

  // Withdrawals: amounts sized so that the balance stays positive.
  {
    Rng rng(mix(seed, 4));
    std::int64_t commission = 0;
    for (const auto& l : ds.affiliate_licenses) commission += l.total_commission_cents;
    std::int64_t each = options.withdrawals == 0
                            ? 0
                            : commission / 2 / static_cast<std::int64_t>(options.withdrawals);
    std::vector<std::int64_t> times(options.withdrawals);
    for (auto& t : times) t = random_time(rng);
    std::sort(times.begin(), times.end());
    for (std::uint64_t i = 0; i < options.withdrawals; ++i) {
      Withdrawal w;
      w.withdrawal_id = static_cast<std::int64_t>(i + 1);
      w.requested = times[i];
      w.amount_cents = std::max<std::int64_t>(
          5000, each * (50 + static_cast<std::int64_t>(rng.below(100))) / 100);
      if (w.amount_cents % 7 == 0) w.amount_cents -= w.amount_cents % 100 - 30;  // "1063.3"-like
      bool pending = floor_day(w.requested) > ds.today - 14;
      w.status = pending ? "pending" : "paid";
      if (!pending) w.action = w.requested + 600 + static_cast<std::int64_t>(rng.below(kDay));
      int y;
      unsigned m, d;
      civil_from_days(floor_day(w.requested), y, m, d);
      w.invoice_id = std::to_string(y) + "/" + std::to_string(m) + "/" + ds.partner_id;
      ds.withdrawals.push_back(std::move(w));
    }
  }

  // Partner Program leads.
  {
    Rng rng(mix(seed, 5));
    for (std::uint64_t i = 0; i < options.leads; ++i) {
      Lead lead;
      lead.partner_id = rng.letters(4) + std::to_string(i);
      lead.created = random_time(rng);
      static constexpr std::array<std::string_view, 3> kMedium = {"", "medium", "banner"};
      lead.medium = kMedium[rng.below(3)];
      lead.content = lead.medium.empty() ? "" : "content";
      lead.term = rng.percent(30) ? "term" : "";
      lead.campaign = rng.percent(50) ? "" : "new-campaign";
      lead.total_trials = static_cast<std::uint32_t>(rng.below(5));
      lead.active_trials = static_cast<std::uint32_t>(rng.below(lead.total_trials + 1));
      lead.active_trials_cc_added = static_cast<std::uint32_t>(rng.below(lead.active_trials + 1));
      lead.total_paid = static_cast<std::uint32_t>(rng.below(lead.total_trials + 1));
      lead.active_paid = static_cast<std::uint32_t>(rng.below(lead.total_paid + 1));
      lead.commission_cents =
          lead.total_paid * (1000 + static_cast<std::int64_t>(rng.below(50000)));
      ds.leads.push_back(std::move(lead));
    }
    std::stable_sort(ds.leads.begin(), ds.leads.end(),
                     [](const Lead& a, const Lead& b) { return a.created > b.created; });
  }

  // LiveAgent variations with their add-on catalogue.
  {
    Rng rng(mix(seed, 6));
    static constexpr std::array<std::string_view, 6> kVariationNames = {
        "Free", "Ticket", "Ticket+Chat", "All-inclusive", "Enterprise", "Custom"};
    struct CatalogAddon {
      std::string_view name;
      std::int64_t price;
    };
    static constexpr std::array<CatalogAddon, 5> kCatalog = {{{"Proactive chat", 9990},
                                                              {"Gamification", 1940},
                                                              {"Call center", 2900},
                                                              {"Social media", 1500},
                                                              {"Knowledge base", 900}}};
    for (std::uint64_t i = 0; i < options.variations; ++i) {
      LaVariation v;
      v.name = std::string(kVariationNames[i % kVariationNames.size()]) +
               (i >= kVariationNames.size() ? " " + std::to_string(i) : "");
      v.id = rng.letters(8, kAlnum);
      v.created = la_between(rng, days_from_civil(2012, 5, 4) * kDay, ds.first_day * kDay);
      v.description = i == 0 ? "Free variation. No restrictions." : v.name + " variation";
      v.product = "LiveAgent";
      // The second variation has no add-ons: an empty nested list must sync too.
      std::uint64_t addons = i == 1 ? 0 : 1 + rng.below(kCatalog.size());
      for (std::uint64_t k = 0; k < addons; ++k) {
        LaVariationAddon a;
        a.name = kCatalog[k].name;
        a.id = rng.letters(9, kAlnum);
        a.price_cents = kCatalog[k].price;
        a.description = a.name;
        v.addons.push_back(std::move(a));
      }
      ds.variations.push_back(std::move(v));
    }
  }

  // LiveAgent accounts, including wall times around DST changes and an impossible datetime.
  {
    Rng rng(mix(seed, 7));
    std::vector<std::int64_t> instants(options.liveagent_accounts);
    for (auto& t : instants) t = random_time(rng);
    if (options.liveagent_accounts > 0) {
      int y0, y1;
      unsigned m, d;
      civil_from_days(ds.first_day, y0, m, d);
      civil_from_days(ds.last_day, y1, m, d);
      for (int y = y0; y <= y1; ++y) {
        std::int64_t start, end;
        dst_bounds_utc(y, start, end);
        // 01:30 PST / 03:30 PDT around the spring gap; 01:30 twice around the autumn overlap.
        for (std::int64_t t : {start - 1800, start + 1800, end - 1800, end + 1800}) {
          if (t >= ds.first_day * kDay && t < (ds.last_day + 1) * kDay) instants.push_back(t);
        }
      }
    }
    static constexpr std::string_view kStatuses = "aaaaaaaaaaaaaassstttnnbcrmpduv";
    for (std::size_t i = 0; i < instants.size(); ++i) {
      LaAccount a;
      a.account_id = rng.letters(32, kHex);
      std::string first(kFirstNames[rng.below(kFirstNames.size())]);
      std::string last(kLastNames[rng.below(kLastNames.size())]);
      a.customer_name = first + " " + last;
      a.customer_email =
          ascii_lower(first) + "." + ascii_lower(last) + std::to_string(i) + "@example.com";
      a.domain = ascii_lower(last) + std::to_string(i) + ".ladesk.com";
      a.company = kCompanies[rng.below(kCompanies.size())];
      a.created_utc = instants[i];
      a.date_created = format_los_angeles(instants[i]);
      a.variation_id =
          ds.variations.empty() ? "" : ds.variations[rng.below(ds.variations.size())].id;
      a.status = kStatuses[rng.below(kStatuses.size())];
      a.version = "5." + std::to_string(rng.below(30)) + "." + std::to_string(rng.below(10)) + "." +
                  std::to_string(rng.below(10));
      if (!rng.percent(20)) a.last_login_date = la_between(rng, instants[i], (ds.today + 1) * kDay);
      a.max_agents = static_cast<std::uint32_t>(1 + rng.below(99));
      ds.accounts.push_back(std::move(a));
    }
    if (ds.accounts.size() >= 2) {
      // 003 shows `2008-12-11 08:95:41`: serve it verbatim once as a last login, and once as a
      // creation date inside the data range (minute 95), so a windowed sync meets it too.
      ds.accounts[1].last_login_date = std::string(kImpossibleDatetime);
      auto& odd = ds.accounts[0];
      odd.created_utc.reset();
      odd.date_created = format_date((ds.first_day + ds.last_day) / 2) + " 08:95:41";
    }
    std::sort(ds.accounts.begin(), ds.accounts.end(), [](const LaAccount& a, const LaAccount& b) {
      return a.date_created != b.date_created ? a.date_created < b.date_created
                                              : a.account_id < b.account_id;
    });
  }

  // LiveAgent licenses.
  {
    Rng rng(mix(seed, 8));
    for (std::uint64_t i = 0; i < options.liveagent_licenses; ++i) {
      LaLicense l;
      std::string first(kFirstNames[rng.below(kFirstNames.size())]);
      std::string last(kLastNames[rng.below(kLastNames.size())]);
      l.customer_name = first + " " + last;
      l.customer_email = ascii_lower(first) + "@" + ascii_lower(last) + ".com";
      l.license_code = rng.letters(8, kAlnum);
      std::int64_t from = random_time(rng);
      l.valid_from = i == 0 ? std::string(kImpossibleDatetime) : format_los_angeles(from);
      if (rng.percent(50))
        l.valid_to =
            format_los_angeles(from + (30 + static_cast<std::int64_t>(rng.below(365))) * kDay);
      l.variation_id =
          ds.variations.empty() ? "" : ds.variations[rng.below(ds.variations.size())].id;
      l.license_status = rng.percent(90) ? 'A' : 'R';
      // Not from rng: the other fields stay what earlier versions of the simulator served.
      l.max_agents = std::to_string(1 + mix(seed ^ 0x3a6, hash_text(l.license_code)) % 50);
      ds.liveagent_licenses.push_back(std::move(l));
    }
    std::stable_sort(
        ds.liveagent_licenses.begin(), ds.liveagent_licenses.end(),
        [](const LaLicense& a, const LaLicense& b) { return a.valid_from < b.valid_from; });
  }

  // The account-level Partner API data: coupons, profile, Expert figures and comments.
  {
    Rng rng(mix(seed, 9));
    const std::array<std::string_view, 4> labels = {"30% off first payment", "$25 discount",
                                                    "2 months free", "Black \"Friday\" 50%"};
    for (std::size_t k = 0; k < labels.size(); ++k)
      ds.coupons.push_back(Coupon{static_cast<std::int64_t>(k + 1), std::string(labels[k]), true});
    ds.profile.livechat_commission_percent = 15 + static_cast<std::int64_t>(rng.below(11));
    ds.profile.livechat_commission_end = (ds.today + 30) * kDay + 12 * 3600;
    ds.profile.marketplace_position = 1 + static_cast<std::int64_t>(rng.below(20));
    ds.expert_stats.position = ds.profile.marketplace_position;
    ds.expert_stats.messages = 100 + static_cast<std::int64_t>(rng.below(100));
    // Two comments share their time and author: the key's ordinal tells them apart.
    const std::int64_t base = (ds.today - 40) * kDay;
    ds.expert_comments = {
        {"Great company and great people.", "Jane", "", base + 5000},
        {"This Expert provides a valuable tool.", "Joe", "https://example.com", base - 86000},
        {"Fast and \"friendly\".", "Joe", "", base - 86000},
        {"Zoë did it in a day.", "Zoë", "https://zoe.example", base - 3 * kDay}};
    ds.expert_stats.comments = static_cast<std::int64_t>(ds.expert_comments.size());
  }

  ds.recompute_totals();
  return ds;
}

// ---- mutation ----

void apply_mutation(Dataset& ds, const api::Mutation& mutation) {
  using Kind = api::Mutation::Kind;
  ++ds.mutations;
  Rng rng(mix(ds.seed ^ 0x3a7a7e, ds.mutations));
  auto pick = [&](auto& items, auto eligible, auto change) {
    if (items.empty()) return;
    std::size_t start = rng.below(items.size());
    std::uint64_t done = 0;
    for (std::size_t k = 0; k < items.size() && done < mutation.count; ++k) {
      auto& item = items[(start + k) % items.size()];
      if (eligible(item)) {
        change(item);
        ++done;
      }
    }
  };
  switch (mutation.kind) {
    case Kind::convert_trials:
      pick(
          ds.affiliate_licenses, [](const AffiliateLicense& l) { return !l.paid; },
          [&](AffiliateLicense& l) {
            l.paid = true;
            l.cc_added = true;
            if (l.seats == 0) l.seats = 1;
            l.total_commission_cents +=
                kPlanPriceCents[l.plan] * l.seats * l.commission_percent / 100;
            l.end += 30 * kDay;
          });
      break;
    case Kind::grow_commissions:
      pick(
          ds.affiliate_licenses, [](const AffiliateLicense& l) { return l.paid; },
          [&](AffiliateLicense& l) {
            l.total_commission_cents += 100 + static_cast<std::int64_t>(rng.below(10000));
            l.conversations += 1 + static_cast<std::uint32_t>(rng.below(100));
          });
      break;
    case Kind::suspend_accounts:
      pick(
          ds.accounts, [](const LaAccount& a) { return a.status == 'a'; },
          [](LaAccount& a) { a.status = 's'; });
      break;
    case Kind::add_licenses: {
      auto day = parse_date(mutation.date);
      if (!day) throw std::invalid_argument("add_licenses needs date YYYY-MM-DD");
      for (std::uint64_t k = 0; k < mutation.count; ++k) {
        std::int64_t created = *day * kDay + static_cast<std::int64_t>(rng.below(kDay));
        auto license =
            make_license(rng, created, Program::livechat, ds.license_campaign_names.size());
        auto at = std::upper_bound(
            ds.affiliate_licenses.begin(), ds.affiliate_licenses.end(), created,
            [](std::int64_t t, const AffiliateLicense& l) { return t < l.created; });
        ds.affiliate_licenses.insert(at, license);
      }
      break;
    }
    case Kind::liveagent_error_200:
      break;  // a serving switch, held by the Api
    case Kind::remove_coupons: {
      std::uint64_t done = 0;
      for (auto& c : ds.coupons) {
        if (done == mutation.count) break;
        if (c.listed) {
          c.listed = false;
          ++done;
        }
      }
      break;
    }
    case Kind::restore_coupons:
      for (auto& c : ds.coupons) c.listed = true;
      break;
    case Kind::max_agents_text:
      for (std::uint64_t k = 0; k < mutation.count && k < ds.liveagent_licenses.size(); ++k)
        ds.liveagent_licenses[k].max_agents = "unlimited";
      break;
  }
  ds.recompute_totals();
}

}  // namespace partnersync::sim
