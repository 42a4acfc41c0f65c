// Routing, authentication and JSON rendering of the simulated LiveChat Partner API v2 and
// LiveAgent reseller API v1; field names, order and types follow shared/api-docs 000/001/003.
#include "tests/sim/api.hpp"
#include "tests/sim/helpdesk.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>

#include "daemon/obs/json_text.hpp"
#include "tests/sim/dataset.hpp"

namespace partnersync::sim::api {
namespace {

constexpr std::size_t kPartBytes = 64 * 1024;
// Lists with more rows than this are streamed in parts instead of rendered whole.
constexpr std::size_t kStreamRows = 256;

using DatasetPtr = std::shared_ptr<const Dataset>;

// ---- JSON writing ----

void append_string(std::string& out, std::string_view text) {
  out += '"';
  obs::append_json_escaped(out, text);
  out += '"';
}

// Appends one JSON object field by field, in the order the documents list them.
class Object {
 public:
  explicit Object(std::string& out) : out_(out) { out_ += '{'; }
  Object& str(std::string_view key, std::string_view value) {
    this->key(key);
    append_string(out_, value);
    return *this;
  }
  Object& str_or_null(std::string_view key, const std::optional<std::string>& value) {
    if (value) return str(key, *value);
    this->key(key);
    out_ += "null";
    return *this;
  }
  Object& num(std::string_view key, std::int64_t value) {
    this->key(key);
    out_ += std::to_string(value);
    return *this;
  }
  Object& amount(std::string_view key, std::int64_t cents) {
    this->key(key);
    out_ += format_amount(cents);
    return *this;
  }
  Object& boolean(std::string_view key, bool value) {
    this->key(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  // Starts a nested value: the caller appends it to the same string.
  std::string& key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    append_string(out_, key);
    out_ += ':';
    return out_;
  }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

// ---- responses ----

ApiResponse json_response(unsigned status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// The Partner API documents no error body; a small JSON object with the reason is enough for
// a client that must treat any non-2xx as the documented status.
ApiResponse livechat_error(unsigned status, std::string_view message) {
  std::string body;
  Object o(body);
  o.str("error", message);
  o.close();
  auto r = json_response(status, std::move(body));
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::string liveagent_error_body(unsigned statuscode, std::string_view message,
                                 std::string_view debug) {
  std::string body = "{\"response\":";
  Object o(body);
  o.str("status", "ERROR").num("statuscode", statuscode).str("errormessage", message);
  o.str("debugmessage", debug);
  o.close();
  body += '}';
  return body;
}

ApiResponse liveagent_error(unsigned status, std::string_view message,
                            std::string_view debug = "") {
  return json_response(status, liveagent_error_body(status, message, debug));
}

// One run of list items between a fixed head; `item` renders record i (0-based) of `count`.
struct Section {
  std::string head;
  std::size_t count = 0;
  std::function<void(std::size_t, std::string&)> item;
};

// Renders sections then tail; small lists become one body, large ones a stream of ~64 KiB
// parts rendered on demand, so memory stays bounded by the part, not the list.
ApiResponse list_response(std::vector<Section> sections, std::string tail) {
  std::size_t total = 0;
  for (const auto& s : sections) total += s.count;
  ApiResponse r;
  if (total <= kStreamRows) {
    for (const auto& s : sections) {
      r.body += s.head;
      for (std::size_t i = 0; i < s.count; ++i) {
        if (i > 0) r.body += ',';
        s.item(i, r.body);
      }
    }
    r.body += tail;
    return r;
  }
  struct Cursor {
    std::vector<Section> sections;
    std::string tail;
    std::size_t section = 0;
    std::size_t index = 0;
    bool head_done = false;
  };
  auto cursor = std::make_shared<Cursor>(Cursor{std::move(sections), std::move(tail)});
  r.stream = [cursor](std::string& out) {
    const std::size_t start = out.size();
    auto& c = *cursor;
    while (c.section < c.sections.size()) {
      auto& s = c.sections[c.section];
      if (!c.head_done) {
        out += s.head;
        c.head_done = true;
      }
      while (c.index < s.count) {
        if (c.index > 0) out += ',';
        s.item(c.index++, out);
        if (out.size() - start >= kPartBytes) return true;
      }
      ++c.section;
      c.index = 0;
      c.head_done = false;
    }
    out += c.tail;
    return false;
  };
  return r;
}

// ---- request helpers ----

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(pos, end - pos));
    pos = end;
  }
  return parts;
}

const std::string* query_param(const ApiRequest& request, std::string_view name) {
  for (const auto& [k, v] : request.query) {
    if (k == name) return &v;
  }
  return nullptr;
}

// date_from/date_to as inclusive day numbers; absent sides stay open. False when malformed.
bool date_window(const ApiRequest& request, std::int64_t& from, std::int64_t& to,
                 std::string& error) {
  from = INT64_MIN / 4;
  to = INT64_MAX / 4;
  for (auto [name, target] : {std::pair{"date_from", &from}, std::pair{"date_to", &to}}) {
    if (const auto* value = query_param(request, name)) {
      auto day = parse_date(*value);
      if (!day) {
        error = std::string(name) + " must be a date in format YYYY-MM-DD";
        return false;
      }
      *target = *day;
    }
  }
  if (from > to) {
    error = "date_from must not be after date_to";
    return false;
  }
  return true;
}

// ---- LiveChat record renderers ----

void render_affiliate_license(const Dataset& ds, const AffiliateLicense& l, bool legacy,
                              std::string& out) {
  Object o(out);
  o.str("client_email", l.client_email())
      .str("creation_timestamp", l.creation_timestamp())
      .str("end_timestamp", l.end_timestamp())
      .boolean("cc_added", l.cc_added)
      .boolean("paid", l.paid)
      .num("seats", l.seats)
      .str("plan", kPlans[l.plan])
      .str("billing_cycle", kBillingCycles[l.billing_cycle])
      .boolean("chat_installed", l.chat_installed)
      .num("conversations", l.conversations)
      .amount("total_commission", l.total_commission_cents)
      .num("commission_percent", l.commission_percent);
  if (legacy) o.str("utm_source", kUtmSources[l.utm_source]);
  o.str("utm_medium", kUtmMediums[l.utm_medium])
      .str("utm_content", kUtmContents[l.utm_content])
      .str("utm_term", kUtmTerms[l.utm_term])
      .str(legacy ? "utm_campaign" : "campaign_name", ds.license_campaign_names[l.campaign])
      .boolean("blocked", l.blocked);
  o.close();
}

void render_lead_license(const AffiliateLicense& l, std::string& out) {
  Object o(out);
  o.str("creation_timestamp", l.creation_timestamp())
      .str("end_timestamp", l.end_timestamp())
      .boolean("cc_added", l.cc_added)
      .boolean("paid", l.paid)
      .num("seats", l.seats)
      .str("plan", kPlans[l.plan])
      .str("billing_cycle", kBillingCycles[l.billing_cycle])
      .boolean("chat_installed", l.chat_installed)
      .num("conversations", l.conversations)
      .amount("total_commission", l.total_commission_cents)
      .num("commission_percent", l.commission_percent)
      .boolean("blocked", l.blocked);
  o.close();
}

void render_solution_license(const SolutionLicense& l, bool details, std::string& out) {
  Object o(out);
  o.str("license", l.license)
      .str("client_name", l.client_name)
      .str("client_email", l.client_email)
      .str("purchase_order", l.purchase_order)
      .str("creation_timestamp", format_datetime(l.created))
      .str("end_timestamp", format_datetime(l.end))
      .boolean("cc_added", l.cc_added)
      .boolean("paid", l.paid)
      .num("seats", l.seats)
      .str("plan", kPlans[l.plan])
      .str("billing_cycle", kBillingCycles[l.billing_cycle])
      .amount("total_discount", l.total_discount_cents)
      .num("discount_percent", l.discount_percent)
      .boolean("expired", l.expired)
      .boolean("blocked", l.blocked)
      .str("payment_origin", l.payment_origin)
      .num("conversations", l.conversations)
      .num("conversations_last_30_days", l.conversations_last_30_days)
      .amount("total_commission", l.total_commission_cents)
      .num("commission_percent", l.commission_percent)
      .str("data_center", l.data_center);
  if (details) {
    Object recurly(o.key("recurly"));
    recurly.boolean("subscriber", l.recurly_subscriber)
        .boolean("in_trial", l.recurly_in_trial)
        .boolean("recurrent", l.recurly_recurrent);
    recurly.close();
  }
  o.close();
}

// Licenses created in the window, newest first (as the documents' examples are ordered).
template <typename Render>
Section created_section(const DatasetPtr& ds, const std::vector<AffiliateLicense>& all,
                        std::int64_t from, std::int64_t to, std::string head, bool tier_filter,
                        std::uint8_t tier, Render render) {
  auto [lo, hi] = Dataset::created_range(all, from, to);
  std::vector<std::uint32_t> picked;
  Section s;
  s.head = std::move(head);
  if (tier_filter) {
    for (std::size_t i = hi; i > lo; --i) {
      if (all[i - 1].tier == tier) picked.push_back(static_cast<std::uint32_t>(i - 1));
    }
    s.count = picked.size();
    s.item = [ds, &all, picked = std::move(picked), render](std::size_t k, std::string& out) {
      render(*ds, all[picked[k]], out);
    };
  } else {
    s.count = hi - lo;
    s.item = [ds, &all, hi = hi, render](std::size_t k, std::string& out) {
      render(*ds, all[hi - 1 - k], out);
    };
  }
  return s;
}

std::string render_history(const Dataset& ds, std::string_view which) {
  std::string body = "{\"result\":[";
  bool first = true;
  for (const auto& h : ds.history(which)) {
    if (!first) body += ',';
    first = false;
    Object o(body);
    o.str("date", format_month(h.first_day));
    if (which == "expert") {
      o.num("profile_views", h.profile_views);
    } else {
      o.num("trials", h.trials).num("paid", h.paid).amount("commission", h.commission_cents);
      if (which == "partner_program") o.num("leads", h.leads);
    }
    o.close();
  }
  body += "]}";
  return body;
}

std::string render_performance(const std::vector<PerformanceRow>& rows, Program program) {
  std::string body = "{\"result\":[";
  bool first = true;
  for (const auto& r : rows) {
    if (!first) body += ',';
    first = false;
    Object o(body);
    o.str("campaign", r.campaign).str("medium", r.medium).str("content", r.content);
    o.str("term", r.term).num("clicks", r.clicks);
    if (program == Program::livechat) {
      o.num("trials", r.trials)
          .amount("trial_percent", r.trial_percent_x100())
          .num("paid", r.paid)
          .amount("paid_percent", r.paid_percent_x100())
          .amount("commission", r.commission_cents)
          .num("chat_installations", r.chat_installations)
          .num("aha", r.aha);
    } else {
      o.num("leads", r.leads)
          .num("trials", r.trials)
          .num("paid", r.paid)
          .amount("commission", r.commission_cents);
    }
    o.close();
  }
  body += "]}";
  return body;
}

std::string render_campaigns(const Dataset& ds, Program program, bool active) {
  std::string body = "{\"result\":[";
  bool first = true;
  for (const auto& c : ds.campaigns) {
    if (c.program != program || c.active != active) continue;
    if (!first) body += ',';
    first = false;
    Object o(body);
    o.str("name", c.name).str("slug", c.slug);
    if (program == Program::livechat) {
      o.num("trial_duration", c.trial_duration).str("discount", c.discount);
    }
    if (active) o.str("url", c.url).str("short_url", c.short_url);
    o.str("creation_timestamp", format_datetime(c.created));
    if (!active) o.str("disabled_timestamp", format_datetime(c.disabled));
    o.close();
  }
  body += "]}";
  return body;
}

std::string render_leads(const Dataset& ds) {
  std::string body = "{\"result\":[";
  bool first = true;
  for (const auto& l : ds.leads) {
    if (!first) body += ',';
    first = false;
    Object o(body);
    o.str("partner_id", l.partner_id)
        .str("creation_timestamp", format_datetime(l.created))
        .str("medium", l.medium)
        .str("content", l.content)
        .str("term", l.term)
        .str("campaign", l.campaign)
        .num("active_trials", l.active_trials)
        .num("active_trials_cc_added", l.active_trials_cc_added)
        .num("total_trials", l.total_trials)
        .num("active_paid", l.active_paid)
        .num("total_paid", l.total_paid)
        .amount("commission", l.commission_cents);
    o.close();
  }
  body += "]}";
  return body;
}

void counts(Object& o, const LicenseCounts& c) {
  o.num("trials", c.trials).num("trials_cc", c.trials_cc).num("paid", c.paid);
}

std::string render_stats(const Dataset& ds, bool flat) {
  const Totals& t = ds.totals;
  std::string body;
  Object o(body);
  if (flat) {
    o.num("affiliate_trials", t.livechat.trials + t.partner_program.trials)
        .num("affiliate_trials_cc", t.livechat.trials_cc + t.partner_program.trials_cc)
        .num("affiliate_paid", t.livechat.paid + t.partner_program.paid)
        .num("reseller_trials", t.reseller.trials)
        .num("reseller_trials_cc", t.reseller.trials_cc)
        .num("reseller_paid", t.reseller.paid);
  } else {
    Object affiliate(o.key("affiliate"));
    Object livechat(affiliate.key("livechat"));
    counts(livechat, t.livechat);
    livechat.close();
    Object pp(affiliate.key("livechat_partner_program"));
    pp.num("leads", t.leads);
    counts(pp, t.partner_program);
    pp.close();
    affiliate.close();
    Object reseller(o.key("reseller"));
    counts(reseller, t.reseller);
    reseller.close();
  }
  o.close();
  return body;
}

std::string render_earnings(const Dataset& ds, bool flat) {
  const Totals& t = ds.totals;
  std::string body;
  Object o(body);
  if (flat) {
    o.amount("balance", t.balance_cents())
        .amount("commission", t.commission_total_cents())
        .amount("blocked", t.blocked_cents)
        .amount("withdrawals", t.withdrawn_cents)
        .amount("pending", t.pending_cents)
        .amount("discount", t.reseller_discount_cents);
    o.close();
    return body;
  }
  const std::int64_t affiliate_total =
      t.livechat_commission_cents + t.partner_program_commission_cents;
  const std::int64_t affiliate_30d =
      t.livechat_commission_30d_cents + t.partner_program_commission_30d_cents;
  o.amount("balance", t.balance_cents())
      .amount("blocked", t.blocked_cents)
      .amount("commission_total", t.commission_total_cents())
      .amount("commission_last_30_days", affiliate_30d + t.reseller_commission_30d_cents)
      .amount("withdrawals", t.withdrawn_cents)
      .amount("pending", t.pending_cents);
  Object affiliate(o.key("affiliate"));
  affiliate.amount("commission_total", affiliate_total)
      .amount("commission_last_30_days", affiliate_30d);
  Object livechat(affiliate.key("livechat"));
  livechat.amount("commission_total", t.livechat_commission_cents)
      .amount("commission_last_30_days", t.livechat_commission_30d_cents);
  livechat.close();
  Object pp(affiliate.key("livechat_partner_program"));
  pp.amount("commission_total", t.partner_program_commission_cents)
      .amount("commission_last_30_days", t.partner_program_commission_30d_cents);
  pp.close();
  affiliate.close();
  Object reseller(o.key("reseller"));
  reseller.amount("commission_total", t.reseller_commission_cents)
      .amount("commission_last_30_days", t.reseller_commission_30d_cents);
  Object rl(reseller.key("livechat"));
  rl.amount("discount", t.reseller_discount_cents)
      .amount("commission_total", t.reseller_commission_cents)
      .amount("commission_last_30_days", t.reseller_commission_30d_cents);
  rl.close();
  reseller.close();
  o.close();
  return body;
}

// 001 "Get Profile" (current) or 000 (old: full_name, websites, one affiliate program).
std::string render_profile(const Dataset& ds, bool legacy) {
  const PartnerProfile& p = ds.profile;
  const std::string end =
      p.livechat_commission_end ? format_datetime(*p.livechat_commission_end) : "";
  std::string body;
  Object o(body);
  o.str("partner_id", ds.partner_id).str("login", ds.partner_id + "@email.com");
  if (legacy) {
    o.str("full_name", "Joe Doe");
  } else {
    o.str("first_name", "Joe").str("last_name", "Doe");
  }
  o.str("contact_name", "Jane Doe").str("contact_email", "jane@email.com");
  if (legacy) {
    std::string& w = o.key("websites");
    w += "[\"https://example.com\"]";
  }
  o.boolean("send_monthly_summary", true)
      .boolean("send_newsletter", false)
      .boolean("send_notifications", true);
  if (!legacy) o.boolean("send_reseller_weekly_summary", true);
  auto program = [&](Object& parent, std::string_view key, std::string_view utm,
                     std::int64_t percent, const std::string& end_text) {
    Object a(parent.key(key));
    a.str("url",
          "https://www.livechatinc.com/?a=" + ds.partner_id + "&utm_source=" + std::string(utm));
    a.str("short_url", "https://lc.chat/" + ds.partner_id);
    Object c(a.key("current_commission"));
    c.num("percent", percent).str("end_timestamp", end_text);
    c.close();
    a.close();
  };
  {
    Object affiliate(o.key("affiliate"));
    if (legacy) {
      affiliate.str("url", "https://www.livechatinc.com/?a=" + ds.partner_id + "&utm_source=PP");
      affiliate.str("short_url", "https://lc.chat/" + ds.partner_id);
      Object c(affiliate.key("current_commission"));
      c.num("percent", p.livechat_commission_percent).str("end_timestamp", end);
      c.close();
    } else {
      program(affiliate, "livechat", "PP", p.livechat_commission_percent, end);
      program(affiliate, "livechat_partner_program", "PPP", p.partner_program_commission_percent,
              "");
    }
    affiliate.close();
  }
  {
    Object reseller(o.key("reseller"));
    Object d(reseller.key("current_discount"));
    d.num("percent", p.reseller_discount_percent).str("end_timestamp", "");
    d.close();
    reseller.close();
  }
  {
    Object expert(o.key("expert"));
    expert.str("status", p.expert_status).num("marketplace_position", p.marketplace_position);
    expert.close();
  }
  if (!legacy) {
    Object props(o.key("properties"));
    props.boolean("sales_kit_popup_closed", true)
        .boolean("pitch_deck_downloaded", false)
        .boolean("tier2_popup_closed", true);
    props.close();
  }
  o.close();
  return body;
}

std::string render_expert_profile(const Dataset& ds) {
  std::string body;
  Object o(body);
  o.str("expert_id", ds.partner_id)
      .str("status", ds.profile.expert_status)
      .str("company", "ACME")
      .str("phone", "123456789")
      .str("logo", "https://cdn.example.com/expert-logo.png")
      .str("description", "long description goes here")
      .str("short_description", "short description (visible in Marketplace tile)")
      .str("agents", "5+")
      .str("hour_rate", "50")
      .str("project_rate", "500")
      .str("country", "US")
      .str("website", "https://partners.livechatinc.com")
      .str("facebook", "")
      .str("twitter", "https://twitter/LiveChatProgram")
      .str("linkedin", "")
      .str("googleplus", "");
  o.key("categories") += "[\"api-and-integrations\",\"chat-customization\"]";
  o.key("languages") += "[\"EN\",\"ES\",\"PL\"]";
  o.key("projects") += "[\"https://example.com\"]";
  o.close();
  return body;
}

std::string render_expert_stats(const Dataset& ds) {
  std::string body;
  Object o(body);
  o.num("position", ds.expert_stats.position)
      .num("comments", ds.expert_stats.comments)
      .num("messages", ds.expert_stats.messages);
  o.close();
  return body;
}

std::string render_expert_comments(const Dataset& ds) {
  std::string body = "{\"result\":[";
  bool first = true;
  for (const auto& c : ds.expert_comments) {
    if (!first) body += ',';
    first = false;
    Object o(body);
    o.str("comment", c.comment)
        .str("author", c.author)
        .str("creation_timestamp", format_datetime(c.created))
        .str("website", c.website);
    o.close();
  }
  body += "]}";
  return body;
}

std::string render_coupons(const Dataset& ds) {
  std::string body = "{\"result\":[";
  bool first = true;
  for (const auto& c : ds.coupons) {
    if (!c.listed) continue;
    if (!first) body += ',';
    first = false;
    Object o(body);
    o.num("id", c.id).str("label", c.label);
    o.close();
  }
  body += "]}";
  return body;
}

std::string render_operators(const Dataset& ds, const SolutionLicense& license) {
  std::string body = "{\"result\":[";
  bool first = true;
  for (const auto& op : ds.operators_of(license)) {
    if (!first) body += ',';
    first = false;
    Object o(body);
    o.str("login", op.login).str("name", op.name).str("permission", op.permission);
    o.close();
  }
  body += "]}";
  return body;
}

// ---- LiveAgent renderers ----

void render_addons(const std::vector<LaAddon>& addons, std::string& body) {
  body = "{\"addons\":[";
  bool first = true;
  for (const auto& a : addons) {
    if (!first) body += ',';
    first = false;
    Object o(body);
    o.str("id", a.id)
        .str("description", a.description)
        .str("name", a.name)
        .str("price", format_price(a.price_cents))
        .str("valid_from", a.valid_from)
        .str_or_null("valid_to", a.valid_to)
        .str("license_code", a.license_code)
        .str("status", std::string(1, a.status));
    o.close();
  }
  body += "]}";
}

void render_account(const LaAccount& a, std::string& out) {
  Object o(out);
  o.str("customer_email", a.customer_email)
      .str("account_id", a.account_id)
      .str("domain", a.domain)
      .str("customer_name", a.customer_name)
      .str("company", a.company)
      .str("date_created", a.date_created)
      .str("variation_id", a.variation_id)
      .str("status", std::string(1, a.status))
      .str("version", a.version)
      .str_or_null("last_login_date", a.last_login_date);
  o.close();
}

std::string envelope(std::string inner) { return "{\"response\":" + inner + "}"; }

// ---- mutation parsing: a flat JSON object of strings, numbers and booleans ----

class FlatJson {
 public:
  explicit FlatJson(std::string_view text) : text_(text) {}

  std::map<std::string, std::string> parse() {
    std::map<std::string, std::string> out;
    skip();
    expect('{');
    skip();
    if (peek() == '}') {
      ++pos_;
      finish();
      return out;
    }
    for (;;) {
      skip();
      std::string key = string();
      skip();
      expect(':');
      skip();
      std::string value;
      if (peek() == '"') {
        value = string();
      } else {
        std::size_t start = pos_;
        while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                       text_[pos_] == '-' || text_[pos_] == '.')) {
          ++pos_;
        }
        value = std::string(text_.substr(start, pos_ - start));
        if (value.empty()) fail("a value must be a string, number or boolean");
      }
      if (!out.emplace(key, value).second) fail("duplicate field \"" + key + "\"");
      skip();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      finish();
      return out;
    }
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  void finish() {
    skip();
    if (pos_ != text_.size()) fail("trailing characters after the object");
  }
  std::string string() {
    expect('"');
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') fail("escapes are not supported in mutation strings");
      out += text_[pos_++];
    }
    expect('"');
    return out;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("mutation JSON: " + why + " at offset " + std::to_string(pos_));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Mutation parse_mutation(std::string_view json) {
  auto fields = FlatJson(json).parse();
  Mutation m;
  auto kind = fields.find("kind");
  if (kind == fields.end()) throw std::invalid_argument("mutation JSON: missing \"kind\"");
  static const std::map<std::string, Mutation::Kind, std::less<>> kKinds = {
      {"convert_trials", Mutation::Kind::convert_trials},
      {"grow_commissions", Mutation::Kind::grow_commissions},
      {"suspend_accounts", Mutation::Kind::suspend_accounts},
      {"add_licenses", Mutation::Kind::add_licenses},
      {"liveagent_error_200", Mutation::Kind::liveagent_error_200},
      {"remove_coupons", Mutation::Kind::remove_coupons},
      {"restore_coupons", Mutation::Kind::restore_coupons},
      {"max_agents_text", Mutation::Kind::max_agents_text}};
  auto found = kKinds.find(kind->second);
  if (found == kKinds.end()) {
    throw std::invalid_argument(
        "mutation JSON: unknown kind \"" + kind->second +
        "\" (convert_trials, grow_commissions, suspend_accounts, add_licenses, "
        "liveagent_error_200, remove_coupons, restore_coupons, max_agents_text)");
  }
  m.kind = found->second;
  for (const auto& [key, value] : fields) {
    if (key == "kind") continue;
    if (key == "count") {
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), m.count);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        throw std::invalid_argument("mutation JSON: \"count\" must be a non-negative integer");
      }
    } else if (key == "date") {
      if (!parse_date(value)) {
        throw std::invalid_argument("mutation JSON: \"date\" must be YYYY-MM-DD");
      }
      m.date = value;
    } else if (key == "enabled") {
      if (value != "true" && value != "false") {
        throw std::invalid_argument("mutation JSON: \"enabled\" must be true or false");
      }
      m.enabled = value == "true";
    } else {
      throw std::invalid_argument("mutation JSON: unknown field \"" + key + "\"");
    }
  }
  if (m.kind == Mutation::Kind::add_licenses && m.date.empty()) {
    throw std::invalid_argument("mutation JSON: add_licenses needs \"date\" (YYYY-MM-DD)");
  }
  return m;
}

struct Api::State {
  mutable std::mutex mutex;  // guards current, retired, generation, cache
  std::mutex mutate_mutex;   // serialises mutate() so no change is lost
  DatasetPtr current;
  std::vector<DatasetPtr> retired;
  std::uint64_t generation = 0;
  std::map<std::string, std::shared_ptr<const std::string>> cache;  // prerendered bodies
  std::atomic<bool> liveagent_error_200{false};
  std::unique_ptr<helpdesk::Desk> desk;

  ApiResponse livechat(const ApiOptions& options, const DatasetPtr& ds, const ApiRequest& request,
                       const std::vector<std::string_view>& parts) const;
  ApiResponse liveagent(const ApiOptions& options, const DatasetPtr& ds, const ApiRequest& request,
                        const std::vector<std::string_view>& parts) const;
};

Api::Api(ApiOptions options) : options_(std::move(options)), state_(std::make_unique<State>()) {
  state_->current = std::make_shared<const Dataset>(generate_dataset(options_));
  state_->liveagent_error_200 = options_.liveagent_error_200;
  helpdesk::Options desk;
  desk.seed = options_.seed;
  desk.apikey = options_.apikey;
  desk.conversations = options_.helpdesk_conversations;
  desk.customers = options_.helpdesk_customers;
  desk.bulk_customers = options_.helpdesk_bulk_customers;
  desk.version = options_.helpdesk_version;
  desk.date_from = options_.helpdesk_from;
  desk.date_to = options_.helpdesk_to;
  state_->desk = std::make_unique<helpdesk::Desk>(std::move(desk));
}

helpdesk::Desk& Api::helpdesk() const { return *state_->desk; }

Api::~Api() = default;

std::shared_ptr<const Dataset> Api::snapshot() const {
  std::lock_guard lock(state_->mutex);
  return state_->current;
}

const Dataset& Api::dataset() const { return *snapshot(); }

void Api::mutate(const Mutation& mutation) {
  if (mutation.kind == Mutation::Kind::liveagent_error_200) {
    state_->liveagent_error_200 = mutation.enabled;
    return;
  }
  std::lock_guard serial(state_->mutate_mutex);
  auto next = std::make_shared<Dataset>(*snapshot());
  apply_mutation(*next, mutation);
  std::lock_guard lock(state_->mutex);
  // Keep one retired snapshot so a dataset() reference taken just before survives this call.
  state_->retired.clear();
  state_->retired.push_back(std::move(state_->current));
  state_->current = std::move(next);
  ++state_->generation;
  state_->cache.clear();
}

ApiResponse Api::handle(const ApiRequest& request) const {
  DatasetPtr ds;
  std::uint64_t generation;
  {
    std::lock_guard lock(state_->mutex);
    ds = state_->current;
    generation = state_->generation;
  }
  auto parts = split_path(request.path);
  ApiResponse response;
  if (parts.size() >= 2 && parts[0] == "v2" && parts[1] == "partners") {
    response = state_->livechat(options_, ds, request, parts);
  } else if (parts.size() >= 2 && parts[0] == "api" && parts[1] == "resellers") {
    response = state_->liveagent(options_, ds, request, parts);
  } else if (parts.size() >= 2 && parts[0] == "api") {
    return state_->desk->handle(request);
  } else {
    return livechat_error(404, "Not Found");
  }
  if (!options_.prerender || !response.stream) return response;

  // Benchmarks: render each big body once per dataset generation and serve it from memory.
  std::string key = request.path;
  for (const auto& [k, v] : request.query) key += "\n" + k + "=" + v;
  std::shared_ptr<const std::string> body;
  {
    std::lock_guard lock(state_->mutex);
    auto it = state_->cache.find(key);
    if (it != state_->cache.end()) body = it->second;
  }
  if (!body) {
    auto rendered = std::make_shared<std::string>();
    while (response.stream(*rendered)) {
    }
    body = rendered;
    std::lock_guard lock(state_->mutex);
    if (state_->generation == generation) state_->cache.emplace(key, body);
  }
  response.prerendered = body;
  auto offset = std::make_shared<std::size_t>(0);
  response.stream = [body, offset](std::string& out) {
    std::size_t n = std::min(kPartBytes, body->size() - *offset);
    out.append(*body, *offset, n);
    *offset += n;
    return *offset < body->size();
  };
  return response;
}

ApiResponse Api::State::livechat(const ApiOptions& options, const DatasetPtr& ds,
                                 const ApiRequest& request,
                                 const std::vector<std::string_view>& parts) const {
  std::vector<std::string_view> p(parts.begin() + 2, parts.end());
  auto is = [&](std::initializer_list<std::string_view> want) {
    return p.size() == want.size() && std::equal(want.begin(), want.end(), p.begin());
  };
  if (is({"status"})) {
    return request.method == "GET" ? json_response(200, "{}")
                                   : livechat_error(405, "Method Not Allowed");
  }
  if (request.authorization != "Bearer " + options.token) {
    return livechat_error(401, "Unauthorized: missing or incorrect authorization header");
  }
  if (request.method != "GET") {
    auto r = livechat_error(405, "Method Not Allowed");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  const bool legacy = options.legacy_shapes;
  // /stats has only the nested shape (001); the deprecated /active-licenses keeps the flat
  // shape that 000 documents for it, so a client on the old path sees the old body.
  if (is({"stats"})) return json_response(200, render_stats(*ds, false));
  if (is({"active-licenses"})) return json_response(200, render_stats(*ds, true));
  if (is({"earnings"})) return json_response(200, render_earnings(*ds, legacy));

  // Product-scoped paths and their deprecated unscoped aliases (001 "Affiliate Partner").
  const bool deprecated =
      p.size() >= 2 && p[0] == "affiliates" &&
      (p[1] == "licenses" || p[1] == "performance" || p[1] == "history" || p[1] == "campaigns");
  std::vector<std::string_view> q = p;
  if (deprecated) q.insert(q.begin() + 1, "livechat");
  auto qis = [&](std::initializer_list<std::string_view> want) {
    return q.size() == want.size() && std::equal(want.begin(), want.end(), q.begin());
  };

  std::int64_t from = 0, to = 0;
  std::string error;
  auto needs_window = [&] { return date_window(request, from, to, error); };

  for (Program program : {Program::livechat, Program::partner_program}) {
    const std::string_view scope =
        program == Program::livechat ? "livechat" : "livechat-partner-program";
    if (qis({"affiliates", scope, "licenses"})) {
      if (!needs_window()) return livechat_error(400, error);
      const auto& all =
          program == Program::livechat ? ds->affiliate_licenses : ds->partner_program_licenses;
      if (program == Program::partner_program) {
        return list_response(
            {created_section(ds, all, from, to, "{\"result\":[", false, 0,
                             [](const Dataset&, const AffiliateLicense& l, std::string& out) {
                               render_lead_license(l, out);
                             })},
            "]}");
      }
      auto render = [legacy](const Dataset& d, const AffiliateLicense& l, std::string& out) {
        render_affiliate_license(d, l, legacy, out);
      };
      if (legacy) {
        // 000: licenses grouped by commission tier instead of one "result" list.
        std::vector<Section> sections;
        sections.push_back(created_section(ds, all, from, to, "{\"tier1\":[", true, 1, render));
        sections.push_back(created_section(ds, all, from, to, "],\"tier2\":[", true, 2, render));
        return list_response(std::move(sections), "]}");
      }
      return list_response({created_section(ds, all, from, to, "{\"result\":[", false, 0, render)},
                           "]}");
    }
    if (qis({"affiliates", scope, "performance"})) {
      if (!needs_window()) return livechat_error(400, error);
      if (query_param(request, "date_from") == nullptr) from = ds->first_day;
      if (query_param(request, "date_to") == nullptr) to = ds->last_day;
      return json_response(200, render_performance(ds->performance(program, from, to), program));
    }
    if (qis({"affiliates", scope, "history"})) {
      return json_response(
          200, render_history(*ds, program == Program::livechat ? "livechat" : "partner_program"));
    }
    if (qis({"affiliates", scope, "campaigns", "active"})) {
      return json_response(200, render_campaigns(*ds, program, true));
    }
    if (qis({"affiliates", scope, "campaigns", "disabled"})) {
      return json_response(200, render_campaigns(*ds, program, false));
    }
  }
  if (is({"affiliates", "livechat-partner-program", "leads"})) {
    return json_response(200, render_leads(*ds));
  }
  if (is({"affiliates", "withdrawals"})) {
    if (!needs_window()) return livechat_error(400, error);
    auto [lo, hi] = Dataset::created_range(ds->withdrawals, from, to);
    Section s;
    s.head = "{\"result\":[";
    s.count = hi - lo;
    s.item = [ds, hi = hi, legacy](std::size_t k, std::string& out) {
      const Withdrawal& w = ds->withdrawals[hi - 1 - k];
      Object o(out);
      if (!legacy) o.num("withdrawal_id", w.withdrawal_id);  // 000's list has no id
      o.str("request_timestamp", format_datetime(w.requested))
          .str("action_timestamp", w.action ? format_datetime(*w.action) : "")
          .str("status", w.status)
          .amount("amount", w.amount_cents)
          .str("invoice_id", w.invoice_id);
      o.close();
    };
    std::vector<Section> sections;
    sections.push_back(std::move(s));
    return list_response(std::move(sections), "]}");
  }
  if (is({"resellers", "licenses"})) {
    if (!needs_window()) return livechat_error(400, error);
    auto [lo, hi] = Dataset::created_range(ds->solution_licenses, from, to);
    Section s;
    s.head = "{\"result\":[";
    s.count = hi - lo;
    s.item = [ds, hi = hi](std::size_t k, std::string& out) {
      render_solution_license(ds->solution_licenses[hi - 1 - k], false, out);
    };
    std::vector<Section> sections;
    sections.push_back(std::move(s));
    return list_response(std::move(sections), "]}");
  }
  if ((p.size() == 3 || (p.size() == 4 && p[3] == "invoices")) && p[0] == "resellers" &&
      p[1] == "licenses") {
    const std::string_view id = p[2];
    if (id.empty() || id.find_first_not_of("0123456789") != std::string_view::npos) {
      return livechat_error(400, "incorrect license_id parameter");
    }
    const SolutionLicense* license = ds->find_solution_license(id);
    if (license == nullptr) return livechat_error(404, "license not found");
    std::string body;
    if (p.size() == 3) {
      render_solution_license(*license, true, body);
      return json_response(200, std::move(body));
    }
    body = "{\"result\":[";
    bool first = true;
    for (const auto& inv : ds->solution_invoices) {
      if (inv.license != id) continue;
      if (!first) body += ',';
      first = false;
      Object o(body);
      o.num("invoice_no", inv.invoice_no)
          .str("date", format_datetime(inv.date))
          .str("plan", kPlans[inv.plan])
          .num("seats", inv.seats)
          .str("billing_cycle", kBillingCycles[inv.billing_cycle])
          .amount("amount", inv.amount_cents)
          .str("status", inv.status);
      o.close();
    }
    body += "]}";
    return json_response(200, std::move(body));
  }
  if (is({"resellers", "history"})) return json_response(200, render_history(*ds, "solution"));
  if (p.empty()) return json_response(200, render_profile(*ds, legacy));
  if (is({"coupons"})) return json_response(200, render_coupons(*ds));
  if (p.size() == 4 && p[0] == "solutions" && p[1] == "licenses" && p[3] == "operators") {
    const SolutionLicense* license = ds->find_solution_license(p[2]);
    if (license == nullptr) return livechat_error(404, "license not found");
    if (!Dataset::manages_subscription(*license))
      return livechat_error(403, "Forbidden: subscription is not managed by the Partner");
    return json_response(200, render_operators(*ds, *license));
  }
  if (is({"experts", "profile"}) || is({"experts", "stats"}) || is({"experts", "comments"})) {
    if (!options.expert) return livechat_error(403, "Forbidden: Partner is not an Expert");
    if (p[1] == "profile") return json_response(200, render_expert_profile(*ds));
    if (p[1] == "stats") return json_response(200, render_expert_stats(*ds));
    return json_response(200, render_expert_comments(*ds));
  }
  if (is({"experts", "history"})) {
    if (!options.expert) return livechat_error(403, "Forbidden: Partner is not an Expert");
    return json_response(200, render_history(*ds, "expert"));
  }
  return livechat_error(404, "Not Found");
}

ApiResponse Api::State::liveagent(const ApiOptions& options, const DatasetPtr& ds,
                                  const ApiRequest& request,
                                  const std::vector<std::string_view>& parts) const {
  // 003 "Error messages formats": 401 for a wrong key, errors in the {"response":{...}} envelope.
  const std::string* apikey = query_param(request, "apikey");
  if (apikey == nullptr || *apikey != options.apikey) {
    return liveagent_error(401, "Wrong API key", "apikey is missing or does not match");
  }
  if (liveagent_error_200) {
    return json_response(200, liveagent_error_body(500, "Example error message", "debug info"));
  }
  if (request.method != "GET") return liveagent_error(405, "Method not allowed");
  if (parts.size() < 4) return liveagent_error(404, "Not found");
  if (parts[2] != options.reseller) {
    return liveagent_error(404, "Reseller not found", "unknown reseller identifier");
  }
  std::vector<std::string_view> p(parts.begin() + 3, parts.end());

  if (p.size() == 1 && p[0] == "accounts") {
    std::optional<std::string> from, to;
    for (auto [name, target] : {std::pair{"created_from", &from}, std::pair{"created_to", &to}}) {
      if (const auto* value = query_param(request, name)) {
        if (!parse_datetime(*value)) {
          return liveagent_error(400,
                                 std::string(name) + " must be a datetime YYYY-MM-DD HH:MM:SS");
        }
        *target = *value;
      }
    }
    // Filters compare the served wall-clock strings, as the API's own SQL would.
    const auto& all = ds->accounts;
    auto lo = from ? std::lower_bound(all.begin(), all.end(), *from,
                                      [](const LaAccount& a, const std::string& v) {
                                        return a.date_created < v;
                                      })
                   : all.begin();
    auto hi = to ? std::upper_bound(
                       all.begin(), all.end(), *to,
                       [](const std::string& v, const LaAccount& a) { return v < a.date_created; })
                 : all.end();
    if (hi < lo) hi = lo;
    Section s;
    s.head = "{\"response\":{\"accounts\":[";
    s.count = static_cast<std::size_t>(hi - lo);
    s.item = [ds, first = static_cast<std::size_t>(lo - all.begin())](
                 std::size_t k, std::string& out) { render_account(ds->accounts[first + k], out); };
    std::vector<Section> sections;
    sections.push_back(std::move(s));
    return list_response(std::move(sections), "]}}");
  }
  if (p.size() >= 2 && p[0] == "accounts") {
    const LaAccount* account = ds->find_account(p[1]);
    if (account == nullptr) {
      return liveagent_error(404, "Account not found", "no account with this account_id");
    }
    std::string body;
    if (p.size() == 2) {
      render_account(*account, body);
      return json_response(200, envelope(std::move(body)));
    }
    if (p.size() == 3 && p[2] == "status") {
      Object o(body);
      o.str("account_status", std::string(1, account->status));
      o.close();
      return json_response(200, envelope(std::move(body)));
    }
    if (p.size() == 3 && p[2] == "users") {
      body = "{\"users\":[";
      bool first = true;
      for (const auto& u : ds->users_of(*account)) {
        if (!first) body += ',';
        first = false;
        Object o(body);
        o.str("userid", u.userid)
            .str("email", u.email)
            .str("firstname", u.firstname)
            .str("lastname", u.lastname)
            .str("role", u.role)
            .str("status", u.status)
            .str("role_type", u.role_type)
            .str("date_created", u.date_created);
        o.close();
      }
      body += "]}";
      return json_response(200, envelope(std::move(body)));
    }
    if (p.size() == 3 && p[2] == "addons") {
      body = "{\"addons\":[";
      bool first = true;
      for (const auto& a : ds->addons_of(*account)) {
        if (!first) body += ',';
        first = false;
        Object o(body);
        o.str("id", a.id)
            .str("description", a.description)
            .str("name", a.name)
            .str("price", format_price(a.price_cents))
            .str("valid_from", a.valid_from)
            .str_or_null("valid_to", a.valid_to)
            .str("license_code", a.license_code)
            .str("status", std::string(1, a.status));
        o.close();
      }
      body += "]}";
      return json_response(200, envelope(std::move(body)));
    }
    if (p.size() == 4 && p[2] == "attributes") {
      if (p[3] != "max_agents") {
        return liveagent_error(400, "Unsupported attribute", "supported attributes: max_agents");
      }
      Object o(body);
      o.str("value", std::to_string(account->max_agents));
      o.close();
      return json_response(200, envelope(std::move(body)));
    }
    return liveagent_error(404, "Not found");
  }
  if (p.size() == 1 && p[0] == "licenses") {
    std::optional<std::string> from, to;
    for (auto [name, target] : {std::pair{"valid_from", &from}, std::pair{"valid_to", &to}}) {
      if (const auto* value = query_param(request, name)) {
        if (!parse_datetime(*value)) {
          return liveagent_error(400,
                                 std::string(name) + " must be a datetime YYYY-MM-DD HH:MM:SS");
        }
        *target = *value;
      }
    }
    std::string body = "{\"response\":{\"licenses\":[";
    bool first = true;
    for (const auto& l : ds->liveagent_licenses) {
      // Licenses whose validity overlaps [valid_from, valid_to] (open ends never end).
      if (to && l.valid_from > *to) continue;
      if (from && l.valid_to && *l.valid_to < *from) continue;
      if (!first) body += ',';
      first = false;
      Object o(body);
      o.str("customer_email", l.customer_email)
          .str("license_code", l.license_code)
          .str("valid_from", l.valid_from)
          .str("customer_name", l.customer_name)
          .str_or_null("valid_to", l.valid_to)
          .str("variation_id", l.variation_id)
          .str("license_status", std::string(1, l.license_status));
      o.close();
    }
    body += "]}}";
    return json_response(200, std::move(body));
  }
  if (p.size() >= 3 && p[0] == "licenses") {
    const LaLicense* license = ds->find_liveagent_license(p[1]);
    if (license == nullptr) {
      return liveagent_error(404, "License not found", "no license with this license_code");
    }
    std::string body;
    if (p.size() == 3 && p[2] == "addons") {
      render_addons(ds->addons_of(*license), body);
      return json_response(200, envelope(std::move(body)));
    }
    if (p.size() == 4 && p[2] == "attributes") {
      if (p[3] != "max_agents") {
        return liveagent_error(400, "Unsupported attribute", "supported attributes: max_agents");
      }
      Object o(body);
      o.str("value", license->max_agents);
      o.close();
      return json_response(200, envelope(std::move(body)));
    }
    return liveagent_error(404, "Not found");
  }
  if (p.size() == 1 && p[0] == "variations") {
    std::string body = "{\"response\":{\"variations\":[";
    bool first = true;
    for (const auto& v : ds->variations) {
      if (!first) body += ',';
      first = false;
      Object o(body);
      o.str("name", v.name)
          .str("id", v.id)
          .str("created", v.created)
          .str("description", v.description)
          .str("product", v.product);
      std::string& addons = o.key("addons");
      addons += '[';
      bool first_addon = true;
      for (const auto& a : v.addons) {
        if (!first_addon) addons += ',';
        first_addon = false;
        Object ao(addons);
        ao.str("name", a.name).str("id", a.id).str("price", format_price(a.price_cents));
        ao.str("description", a.description);
        ao.close();
      }
      addons += ']';
      o.close();
    }
    body += "]}}";
    return json_response(200, std::move(body));
  }
  return liveagent_error(404, "Not found");
}

}  // namespace partnersync::sim::api
