// Generation is seed-determined; every answer is rendered from a copy-free read of the data
// under the desk's lock. Datetimes are LA wall-clock strings compared as strings, as the API's
// own SQL would: datechanged btw: includes both ends, datecreatedfrom/to exclude theirs.
#include "tests/sim/helpdesk.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "daemon/obs/json_text.hpp"
#include "tests/sim/dataset.hpp"

namespace partnersync::sim::helpdesk {
namespace {

struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
};

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  obs::append_json_escaped(out, s);
  out += '"';
}

class Obj {
 public:
  explicit Obj(std::string& out) : out_(out) { out_ += '{'; }
  Obj& str(const char* key, const std::string& value) {
    sep();
    append_json_string(out_, key);
    out_ += ':';
    append_json_string(out_, value);
    return *this;
  }
  Obj& raw(const char* key, const std::string& json) {
    sep();
    append_json_string(out_, key);
    out_ += ':';
    out_ += json;
    return *this;
  }
  void close() { out_ += '}'; }

 private:
  void sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

api::ApiResponse json(unsigned status, std::string body) {
  api::ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

api::ApiResponse error(unsigned status, const std::string& message, unsigned http = 0) {
  std::string body = "{\"response\":";
  Obj o(body);
  o.str("status", "ERROR")
      .raw("statuscode", std::to_string(status))
      .str("errormessage", message)
      .str("debugmessage", "partnersync-sim helpdesk");
  o.close();
  body += '}';
  return json(http == 0 ? status : http, std::move(body));
}

const std::string* param(const api::ApiRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.query)
    if (k == name) return &v;
  return nullptr;
}

std::string two(unsigned v) {
  char b[4];
  std::snprintf(b, sizeof b, "%02u", v);
  return b;
}

void render_conversation(const Conversation& c, const Data& d, std::string& out, bool info) {
  Obj o(out);
  o.str("conversationid", c.conversationid)
      .str("code", c.code)
      .str("datecreated", c.datecreated)
      .str("datechanged", c.datechanged);
  const Department* dep = d.department(c.departmentid);
  o.str("departmentname", dep != nullptr ? dep->name : "")
      .str("departmentid", c.departmentid)
      .str("status", c.status)
      .str("ownername", c.ownername)
      .str("owneremail", c.owneremail)
      .str("subject", c.subject);
  if (info) o.str("ownernote", c.ownernote);
  o.str("preview", c.preview).str("publicurlcode", c.publicurlcode);
  if (info) {
    o.str("assignedto", c.assignedto);
    std::string fields = "[";
    for (std::size_t i = 0; i < c.customfields.size(); ++i) {
      if (i > 0) fields += ',';
      Obj f(fields);
      f.str("code", c.customfields[i].code).str("value", c.customfields[i].value);
      f.close();
    }
    fields += ']';
    o.raw("customfields", fields);
  }
  o.close();
}

}  // namespace

bool version_below(const std::string& version, const std::string& minimum) {
  auto parts = [](const std::string& v) {
    std::vector<long> out;
    std::stringstream in(v);
    for (std::string p; std::getline(in, p, '.');) out.push_back(std::atol(p.c_str()));
    return out;
  };
  return parts(version) < parts(minimum);
}

const Department* Data::department(const std::string& id) const {
  for (const auto& d : departments)
    if (d.id == id) return &d;
  return nullptr;
}

const Conversation* Data::conversation(const std::string& id) const {
  // Generated ids are "c<n>" at index n-1: no scan for the benchmark's 100k conversations.
  if (id.size() > 1 && id[0] == 'c') {
    std::size_t n = 0;
    auto [ptr, ec] = std::from_chars(id.data() + 1, id.data() + id.size(), n);
    if (ec == std::errc() && ptr == id.data() + id.size() && n >= 1 && n <= conversations.size() &&
        conversations[n - 1].conversationid == id)
      return &conversations[n - 1];
  }
  for (const auto& c : conversations)
    if (c.conversationid == id) return &c;
  return nullptr;
}

Data generate(const Options& o) {
  Data d;
  Rng rng{o.seed * 7919 + 13};
  d.version = o.version;
  d.gpfversion = "1.7.8.4";
  d.dateinstalled = "2012-04-05 11:22:31";
  d.datelatestupdate = "2024-08-05 12:13:05";
  d.departments = {{"d1", "Support"}, {"d2", "Sales"}};
  const auto first = *parse_date(o.date_from), last = *parse_date(o.date_to);
  // UTC instants of the LA days [first, last]: LA is UTC-7/-8, so shift by 8 h and stay an
  // hour inside the last day.
  const std::int64_t t0 = first * 86400 + 8 * 3600, t1 = (last + 1) * 86400 + 6 * 3600;
  auto instant = [&] { return t0 + static_cast<std::int64_t>(rng.below(t1 - t0)); };
  static const char* kStatuses = "AACCRRRNWTBIPX";
  static const char* kNames[] = {"John Owner", "Jane Roe", "Ann Lee", "Bob Stone", "Eve Park"};
  static const Tag kTags[] = {
      {"sh3j", "VIP"}, {"8sd5", "Support"}, {"b1l1", "Billing"}, {"bg77", "Bug"}};
  for (int a = 1; a <= 4; ++a) {
    Agent g;
    g.userid = "agent" + std::to_string(a);
    g.contactid = "ac" + std::to_string(a);
    g.email = "agent" + std::to_string(a) + "@desk.example";
    g.firstname = "Agent";
    g.lastname = std::to_string(a);
    g.systemname = "system00" + std::to_string(a);
    g.authtoken = "5ceef21647f1db39a18cafc0bc2de0" + two(static_cast<unsigned>(a));
    g.browsercookiename = "A_auth";
    g.gender = a % 2 ? "F" : "M";
    g.role = a == 1 ? "O" : (a == 2 ? "D" : "A");
    d.agents.push_back(g);
  }
  for (std::uint64_t i = 0; i < o.conversations; ++i) {
    Conversation c;
    const std::string n = std::to_string(i + 1);
    c.conversationid = "c" + n;
    c.code = "AX4-" + std::to_string(100000 + i);
    const std::int64_t created = instant();
    const std::int64_t changed =
        std::min<std::int64_t>(t1 - 1, created + static_cast<std::int64_t>(rng.below(3 * 86400)));
    c.datecreated = format_los_angeles(created);
    c.datechanged = format_los_angeles(changed);
    c.departmentid = rng.below(2) ? "d1" : "d2";
    c.status = std::string(1, kStatuses[rng.below(14)]);
    c.ownername = kNames[rng.below(5)];
    c.owneremail = "owner" + n + "@example.com";
    c.subject = "Ticket " + n;
    c.preview = "Hello, this is ticket " + n + "...";
    c.publicurlcode = "pu" + n;
    const auto note = rng.below(4);
    c.ownernote = note == 0 ? "VIP customer" : (note == 1 ? " " : "");
    const auto who = rng.below(6);
    c.assignedto = who < 4 ? d.agents[who].userid : (who == 4 ? "" : "  ");
    const auto fields = rng.below(3);
    for (std::uint64_t f = 0; f < fields; ++f)
      c.customfields.push_back(
          {f == 0 ? "varsymbol" : "other_var", std::to_string(rng.below(1000000))});
    const auto tags = rng.below(4);
    for (std::uint64_t t = 0; t < tags; ++t) c.tags.push_back(kTags[(i + t) % 4]);
    const auto groups = 1 + rng.below(std::max<std::uint64_t>(1, o.max_groups));
    std::int64_t at = created;
    for (std::uint64_t g = 0; g < groups; ++g) {
      MessageGroup mg;
      mg.messagegroupid = "g" + n + "_" + std::to_string(g + 1);
      mg.userid = g % 2 ? d.agents[rng.below(4)].userid : "u" + n;
      mg.rtype = g % 2 ? "M" : "C";
      mg.rstatus = "V";
      mg.datecreated = format_los_angeles(at);
      const auto messages = 1 + rng.below(std::max<std::uint64_t>(1, o.max_messages));
      for (std::uint64_t m = 0; m < messages; ++m) {
        at += 1 + static_cast<std::int64_t>(rng.below(600));
        mg.messages.push_back({"m" + n + "_" + std::to_string(g + 1) + "_" + std::to_string(m + 1),
                               mg.userid, "M", format_los_angeles(at),
                               "Message " + std::to_string(m + 1) + " of ticket " + n});
      }
      mg.datefinished = format_los_angeles(at);
      c.groups.push_back(std::move(mg));
    }
    d.conversations.push_back(std::move(c));
  }
  if (o.special_cases && d.conversations.size() >= 6) {
    // A repeated custom-field code (004 "Same field can be added multiple times").
    d.conversations[0].customfields = {
        {"varsymbol", "111"}, {"varsymbol", "222"}, {"other_var", "  "}};
    // Deleted upstream: still listed, its info answers 404.
    d.conversations[1].deleted = true;
    // An impossible datetime (kept in raw, NULL in created_at).
    d.conversations[2].datecreated = "2024-02-30 10:00:00";
    // The autumn DST overlap: 01:30 happens twice in Los Angeles on 2024-11-03.
    if (o.date_from <= "2024-11-03" && o.date_to >= "2024-11-03")
      d.conversations[3].datechanged = "2024-11-03 01:30:00";
    // An agent that does not exist (any more): agents/agent404 answers 404.
    d.conversations[4].assignedto = "agent404";
    d.conversations[5].subject = "   ";
  }
  for (std::uint64_t i = 0; i < o.customers + o.bulk_customers; ++i) {
    Customer c;
    const std::string n = std::to_string(i + 1);
    c.contactid = "cid" + n;
    c.email = "customer" + n + "@example.com";
    c.firstname = "First" + n;
    c.lastname = i % 7 == 0 ? " " : "Last" + n;
    c.systemname = "system" + n;
    c.userid = "uid" + n;
    if (i < o.customers) {
      c.datecreated = format_los_angeles(instant());
    } else {
      const auto day = *parse_date(o.bulk_day);
      c.datecreated =
          format_los_angeles(day * 86400 + 9 * 3600 + static_cast<std::int64_t>(i % 40000));
    }
    c.role = i % 3 ? "R" : "V";
    c.gender = i % 2 ? "M" : "F";
    c.authtoken = "4fsd5f4s6f4s56f4s56f4s56f4s" + std::to_string(100000 + i);
    d.customers.push_back(std::move(c));
  }
  std::stable_sort(
      d.customers.begin(), d.customers.end(),
      [](const Customer& a, const Customer& b) { return a.datecreated < b.datecreated; });
  d.groups = {{"ag0h", "VIP"}, {"2kt8", "Premium"}, {"x9q1", "Resellers"}};
  return d;
}

Desk::Desk(Options options) : options_(std::move(options)), data_(generate(options_)) {}

Data Desk::data() const {
  std::lock_guard lock(mutex_);
  return data_;
}

void Desk::mutate(const std::function<void(Data&)>& change) {
  std::lock_guard lock(mutex_);
  change(data_);
}

void Desk::move_after_next_listing(const std::string& conversationid) {
  std::lock_guard lock(mutex_);
  move_pending_ = conversationid;
}

void Desk::set_error_200(bool on) {
  std::lock_guard lock(mutex_);
  error_200_ = on;
}

void Desk::set_department_required(bool on) {
  std::lock_guard lock(mutex_);
  options_.department_required = on;
}

api::ApiResponse Desk::handle(const api::ApiRequest& request) {
  std::lock_guard lock(mutex_);
  // 004 "Error messages formats": 401 for a wrong key (400 when the key is missing).
  const std::string* apikey = param(request, "apikey");
  if (apikey == nullptr) return error(400, "API key is missing");
  if (*apikey != options_.apikey) return error(401, "Wrong API key");
  if (error_200_) return error(500, "Example error message", 200);
  if (request.method != "GET") return error(405, "Method not allowed");
  std::vector<std::string> p;
  {
    std::stringstream in(request.path);
    for (std::string part; std::getline(in, part, '/');)
      if (!part.empty()) p.push_back(part);
  }
  p.erase(p.begin());  // "api"
  // Every call's "Avaliable from application version" (004).
  auto too_old = [&](const char* minimum) { return version_below(data_.version, minimum); };
  std::string body = "{\"response\":";
  auto done = [&]() {
    body += '}';
    return json(200, std::move(body));
  };
  if (p.size() == 2 && p[0] == "application" && p[1] == "status") {
    if (too_old("2.8.12.1")) return error(404, "Unknown call");
    Obj o(body);
    o.str("liveagentversion", data_.version)
        .str("gpfversion", data_.gpfversion)
        .str("dateinstalled", data_.dateinstalled)
        .str("datelatestupdate", data_.datelatestupdate);
    o.close();
    return done();
  }
  if (p.size() == 1 && p[0] == "conversations") {
    const std::string* department = param(request, "department");
    const std::string* changed = param(request, "datechanged");
    // 004 "Error messages formats": 500 for "parameter message is missing".
    if (department == nullptr && options_.department_required)
      return error(500, "parameter department is missing");
    std::string from, to;
    if (changed != nullptr) {
      if (changed->rfind("btw:", 0) != 0) return error(500, "datechanged: only btw: is simulated");
      const auto comma = changed->find(',');
      if (comma == std::string::npos) return error(500, "datechanged btw: needs two datetimes");
      from = changed->substr(4, comma - 4);
      to = changed->substr(comma + 1);
      if (!parse_datetime(from) || !parse_datetime(to))
        return error(500, "datechanged must be btw:YYYY-MM-DD HH:MM:SS,YYYY-MM-DD HH:MM:SS");
    }
    body += "{\"conversations\":[";
    bool first = true;
    std::vector<Conversation*> listed;
    for (auto& c : data_.conversations) {
      if (department != nullptr && c.departmentid != *department) continue;
      if (changed != nullptr && (c.datechanged < from || c.datechanged > to)) continue;
      if (!first) body += ',';
      first = false;
      render_conversation(c, data_, body, false);
      listed.push_back(&c);
    }
    body += "]}";
    for (auto* c : listed) {
      if (!move_pending_.empty() && c->conversationid == move_pending_) {
        c->departmentid = c->departmentid == "d1" ? "d2" : "d1";
        move_pending_.clear();
      }
    }
    return done();
  }
  if (p.size() >= 2 && p[0] == "conversations") {
    const Conversation* c = data_.conversation(p[1]);
    if (c == nullptr || c->deleted) return error(404, "Conversation not found");
    if (p.size() == 2) {
      render_conversation(*c, data_, body, true);
      return done();
    }
    if (p.size() == 3 && p[2] == "messages") {
      body += "{\"groups\":[";
      for (std::size_t g = 0; g < c->groups.size(); ++g) {
        const auto& mg = c->groups[g];
        if (g > 0) body += ',';
        Obj o(body);
        o.str("messagegroupid", mg.messagegroupid)
            .str("userid", mg.userid)
            .str("rtype", mg.rtype)
            .str("rstatus", mg.rstatus)
            .str("datecreated", mg.datecreated)
            .str("datefinished", mg.datefinished);
        std::string messages = "[";
        for (std::size_t m = 0; m < mg.messages.size(); ++m) {
          if (m > 0) messages += ',';
          Obj mo(messages);
          mo.str("messageid", mg.messages[m].messageid)
              .str("userid", mg.messages[m].userid)
              .str("rtype", mg.messages[m].rtype)
              .str("datecreated", mg.messages[m].datecreated)
              .str("message", mg.messages[m].message);
          mo.close();
        }
        messages += ']';
        o.raw("messages", messages);
        o.close();
      }
      body += "]}";
      return done();
    }
    if (p.size() == 3 && p[2] == "tags") {
      if (too_old("4.0.30.6")) return error(404, "Unknown call");
      body += "{\"tags\":[";
      for (std::size_t t = 0; t < c->tags.size(); ++t) {
        if (t > 0) body += ',';
        Obj o(body);
        o.str("id", c->tags[t].id).str("name", c->tags[t].name);
        o.close();
      }
      body += "]}";
      return done();
    }
    return error(404, "Unknown call");
  }
  if (p.size() == 2 && p[0] == "customers" && p[1] == "groups") {
    if (too_old("4.0.19.1")) return error(404, "Unknown call");
    body += "{\"groups\":[";
    for (std::size_t g = 0; g < data_.groups.size(); ++g) {
      if (g > 0) body += ',';
      Obj o(body);
      o.str("id", data_.groups[g].id).str("name", data_.groups[g].name);
      o.close();
    }
    body += "]}";
    return done();
  }
  if (p.size() == 1 && p[0] == "customers") {
    const std::string* from = param(request, "datecreatedfrom");
    const std::string* to = param(request, "datecreatedto");
    for (const auto* v : {from, to})
      if (v != nullptr && !parse_datetime(*v))
        return error(500, "datecreatedfrom/datecreatedto must be YYYY-MM-DD HH:MM:SS");
    // 004: "Max allowed value is 1000, Default value is 100".
    std::size_t count = 100, offset = 0;
    for (auto [name, target] : {std::pair{"limitcount", &count}, std::pair{"limitfrom", &offset}}) {
      if (const auto* v = param(request, name)) {
        std::size_t n = 0;
        auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
        if (ec != std::errc() || ptr != v->data() + v->size())
          return error(500, std::string(name) + " must be a number");
        *target = n;
      }
    }
    count = std::min<std::size_t>(count, 1000);
    body += "{\"customers\":[";
    std::size_t seen = 0, served = 0;
    for (const auto& c : data_.customers) {
      if (from != nullptr && !(c.datecreated > *from)) continue;  // "created after"
      if (to != nullptr && !(c.datecreated < *to)) continue;      // "created before"
      if (seen++ < offset) continue;
      if (served == count) break;
      if (served++ > 0) body += ',';
      Obj o(body);
      o.str("contactid", c.contactid)
          .str("email", c.email)
          .str("firstname", c.firstname)
          .str("lastname", c.lastname)
          .str("systemname", c.systemname)
          .str("userid", c.userid)
          .str("datecreated", c.datecreated)
          .str("role", c.role)
          .str("gender", c.gender)
          .str("authtoken", c.authtoken);
      o.close();
    }
    body += "]}";
    return done();
  }
  if (p.size() == 2 && p[0] == "agents") {
    for (const auto& a : data_.agents) {
      if (a.userid != p[1] && a.email != p[1]) continue;
      Obj o(body);
      o.str("contactid", a.contactid)
          .str("userid", a.userid)
          .str("email", a.email)
          .str("firstname", a.firstname)
          .str("lastname", a.lastname)
          .str("systemname", a.systemname)
          .str("authtoken", a.authtoken)
          .str("browsercookiename", a.browsercookiename)
          .str("gender", a.gender)
          .str("role", a.role);
      o.close();
      return done();
    }
    return error(404, "Agent not found");
  }
  return error(404, "Unknown call");
}

}  // namespace partnersync::sim::helpdesk
