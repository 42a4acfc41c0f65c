// End-to-end LiveAgent helpdesk streams (issue 13): backfill and --once land the simulator's
// ground truth in every helpdesk table; a changed conversation is updated with its old version
// in history and only changed conversations' children are re-read; sets replace with
// removed_at; authtoken is stored nowhere; customers paging; a no-change --once writes nothing;
// DST and impossible datetimes; error envelopes; a wrong key; calls newer than the version; a
// demanded department; an agent gone (404) asked again on full refresh; windows halved below a
// day down to one minute.
#include <gtest/gtest.h>

#include <algorithm>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/sim/helpdesk.hpp"

namespace partnersync::e2e {
namespace {

constexpr const char* kSource = "desk";
constexpr const char* kStartDate = "2024-09-30";
constexpr const char* kDataFrom = "2024-10-01";
constexpr const char* kDataTo = "2024-11-30";
constexpr const char* kTz = "America/Los_Angeles";

sim::SimOptions desk_options(std::uint64_t conversations = 60, std::uint64_t bulk = 1203) {
  sim::SimOptions o;
  o.threads = 2;
  o.api.affiliate_licenses = 2;
  o.api.partner_program_licenses = 2;
  o.api.solution_licenses = 1;
  o.api.withdrawals = 1;
  o.api.campaigns = 1;
  o.api.leads = 1;
  o.api.liveagent_accounts = 1;
  o.api.liveagent_licenses = 1;
  o.api.variations = 1;
  o.api.helpdesk_conversations = conversations;
  o.api.helpdesk_customers = 150;
  o.api.helpdesk_bulk_customers = bulk;
  o.api.helpdesk_from = kDataFrom;
  o.api.helpdesk_to = kDataTo;
  return o;
}

struct DeskSpec {
  std::string database_url, base_url;
  std::string api_key = "sim-apikey";
  bool departments = true;
  int retries = 2;
};

ConfigFile desk_config(const DeskSpec& spec) {
  std::ostringstream out;
  const auto lookback = today_days() - *sim::parse_date(kStartDate) + 30;
  // No timezone: the helpdesk default (America/Los_Angeles) is part of what is tested.
  out << "database:\n  url: \"" << spec.database_url << "\"\n"
      << "sources:\n"
      << "  - name: " << kSource << "\n"
      << "    kind: liveagent_helpdesk\n"
      << "    base_url: \"" << spec.base_url << "\"\n"
      << "    api_key: \"" << spec.api_key << "\"\n"
      << "    start_date: " << kStartDate << "\n";
  if (spec.departments) out << "    departments: [d1, d2]\n";
  out << "sync:\n  lookback: " << lookback << "d\n  full_refresh: 3650d\n  window: 31d\n"
      << "  concurrency: 2\n"
      << "http:\n  timeout: 10s\n  retries: " << spec.retries << "\n";
  return ConfigFile(ConfigYaml{out.str()});
}

std::string nz(const std::string& v) {
  return v.find_first_not_of(" \t\r\n") == std::string::npos ? "NULL" : v;
}
// The LA wall clock of a served datetime as PostgreSQL renders the stored instant back: the
// string itself, or NULL for one that is no datetime.
std::string wall(const std::string& v) { return sim::parse_datetime(v) ? v : "NULL"; }
std::string ts(const std::string& column) {
  return "coalesce(to_char(" + column + " AT TIME ZONE '" + kTz +
         "', 'YYYY-MM-DD HH24:MI:SS'), 'NULL')";
}
std::string join(std::initializer_list<std::string> fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : "|") + f;
  return out;
}

std::vector<std::string> expected_conversations(const sim::helpdesk::Data& d) {
  std::vector<std::string> out;
  for (const auto& c : d.conversations) {
    const auto* dep = d.department(c.departmentid);
    out.push_back(
        join({c.conversationid, nz(c.code), wall(c.datecreated), wall(c.datechanged),
              c.departmentid, dep->name, c.status, nz(c.ownername), nz(c.owneremail), nz(c.subject),
              nz(c.preview), nz(c.publicurlcode), c.deleted ? "NULL" : nz(c.ownernote),
              c.deleted ? "NULL" : nz(c.assignedto), c.deleted ? "t" : "f"}));
  }
  std::sort(out.begin(), out.end());
  return out;
}
const std::string kConversationsSql =
    "SELECT conversationid, coalesce(code,'NULL'), " + ts("created_at") + ", " + ts("changed_at") +
    ", coalesce(departmentid,'NULL'), coalesce(departmentname,'NULL'), coalesce(status,'NULL'), "
    "coalesce(ownername,'NULL'), coalesce(owneremail,'NULL'), coalesce(subject,'NULL'), "
    "coalesce(preview,'NULL'), coalesce(publicurlcode,'NULL'), coalesce(ownernote,'NULL'), "
    "coalesce(assignedto,'NULL'), deleted_upstream_at IS NOT NULL FROM liveagent.conversations";

std::vector<std::string> expected_custom_fields(const sim::helpdesk::Data& d) {
  std::vector<std::string> out;
  for (const auto& c : d.conversations) {
    if (c.deleted) continue;
    std::map<std::string, int> seen;
    for (const auto& f : c.customfields)
      out.push_back(join({c.conversationid, f.code, std::to_string(++seen[f.code]), nz(f.value)}));
  }
  std::sort(out.begin(), out.end());
  return out;
}
const char* kCustomFieldsSql =
    "SELECT conversationid, code, ordinal, coalesce(value,'NULL') FROM "
    "liveagent.conversation_custom_fields WHERE removed_at IS NULL";

std::vector<std::string> expected_tags(const sim::helpdesk::Data& d) {
  std::vector<std::string> out;
  for (const auto& c : d.conversations)
    if (!c.deleted)
      for (const auto& t : c.tags) out.push_back(join({c.conversationid, t.id, t.name}));
  std::sort(out.begin(), out.end());
  return out;
}
const char* kTagsSql =
    "SELECT conversationid, tag_id, name FROM liveagent.conversation_tags WHERE removed_at IS NULL";

std::vector<std::string> expected_groups(const sim::helpdesk::Data& d) {
  std::vector<std::string> out;
  for (const auto& c : d.conversations)
    if (!c.deleted)
      for (const auto& g : c.groups)
        out.push_back(join({c.conversationid, g.messagegroupid, g.userid, g.rtype, g.rstatus,
                            wall(g.datecreated), wall(g.datefinished)}));
  std::sort(out.begin(), out.end());
  return out;
}
const std::string kGroupsSql = "SELECT conversationid, messagegroupid, userid, rtype, rstatus, " +
                               ts("created_at") + ", " + ts("finished_at") +
                               " FROM liveagent.conversation_message_groups";

std::vector<std::string> expected_messages(const sim::helpdesk::Data& d) {
  std::vector<std::string> out;
  for (const auto& c : d.conversations)
    if (!c.deleted)
      for (const auto& g : c.groups)
        for (const auto& m : g.messages)
          out.push_back(join({c.conversationid, m.messageid, g.messagegroupid, m.userid, m.rtype,
                              wall(m.datecreated), m.message}));
  std::sort(out.begin(), out.end());
  return out;
}
const std::string kMessagesSql =
    "SELECT conversationid, messageid, messagegroupid, userid, rtype, " + ts("created_at") +
    ", message FROM liveagent.conversation_messages";

std::vector<std::string> expected_customers(const sim::helpdesk::Data& d) {
  std::vector<std::string> out;
  for (const auto& c : d.customers)
    out.push_back(join({c.contactid, c.email, c.firstname, nz(c.lastname), c.systemname, c.userid,
                        wall(c.datecreated), c.role, c.gender}));
  std::sort(out.begin(), out.end());
  return out;
}
const std::string kCustomersSql =
    "SELECT contactid, email, firstname, coalesce(lastname,'NULL'), systemname, userid, " +
    ts("created_at") + ", role, gender FROM liveagent.customers";

std::vector<std::string> expected_agents(const sim::helpdesk::Data& d) {
  std::set<std::string> ids;
  for (const auto& c : d.conversations)
    if (!c.deleted && nz(c.assignedto) != "NULL") ids.insert(c.assignedto);
  std::vector<std::string> out;
  for (const auto& id : ids) {
    const sim::helpdesk::Agent* agent = nullptr;
    for (const auto& a : d.agents)
      if (a.userid == id) agent = &a;
    if (agent == nullptr) {
      out.push_back(join({id, "NULL", "NULL", "t"}));
    } else {
      out.push_back(join({id, agent->email, agent->role, "f"}));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}
const char* kAgentsSql =
    "SELECT userid, coalesce(email,'NULL'), coalesce(role,'NULL'), deleted_upstream_at IS NOT "
    "NULL FROM liveagent.agents";

void expect_ground_truth(const std::string& url, const sim::helpdesk::Data& d) {
  EXPECT_TRUE(same_rows(expected_conversations(d), query_rows(url, kConversationsSql)));
  EXPECT_TRUE(same_rows(expected_custom_fields(d), query_rows(url, kCustomFieldsSql)));
  EXPECT_TRUE(same_rows(expected_tags(d), query_rows(url, kTagsSql)));
  EXPECT_TRUE(same_rows(expected_groups(d), query_rows(url, kGroupsSql)));
  EXPECT_TRUE(same_rows(expected_messages(d), query_rows(url, kMessagesSql)));
  EXPECT_TRUE(same_rows(expected_customers(d), query_rows(url, kCustomersSql)));
  EXPECT_TRUE(same_rows(expected_agents(d), query_rows(url, kAgentsSql)));
  std::vector<std::string> groups;
  for (const auto& g : d.groups) groups.push_back(g.id + "|" + g.name);
  std::sort(groups.begin(), groups.end());
  EXPECT_TRUE(same_rows(groups, query_rows(url,
                                           "SELECT groupid, name FROM liveagent.customer_groups "
                                           "WHERE removed_at IS NULL")));
  EXPECT_EQ(query_rows(url, "SELECT liveagentversion, gpfversion, " + ts("installed_at") +
                                " FROM liveagent.application_snapshots"),
            std::vector<std::string>{d.version + "|" + d.gpfversion + "|" + d.dateinstalled});
}

// n_tup_ins/upd/del per liveagent table once every other backend is gone (see
// e2e_support.cpp livechat_tuple_counters for why).
std::map<std::string, std::int64_t> liveagent_writes(const std::string& url) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")[0]
             .as<std::int64_t>() > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "backends still connected";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  tx.exec("SELECT pg_stat_clear_snapshot()");
  std::map<std::string, std::int64_t> out;
  for (const auto& r : tx.exec("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM "
                               "pg_stat_user_tables WHERE schemaname = 'liveagent'"))
    out[r[0].c_str()] = r[1].as<std::int64_t>();
  return out;
}

std::vector<std::string> helpdesk_tables() {
  return {"application_snapshots",
          "conversations",
          "conversations_history",
          "conversation_custom_fields",
          "conversation_message_groups",
          "conversation_messages",
          "conversation_tags",
          "customers",
          "customer_groups",
          "agents"};
}

// Every stored text of the helpdesk tables and of sync.* (raw, quarantine bodies, errors).
std::string everything_stored(const std::string& url) {
  std::string all;
  for (const auto& t : helpdesk_tables())
    for (const auto& r : query_rows(url, "SELECT t::text FROM liveagent." + t + " t")) all += r;
  for (const auto& r : query_rows(url,
                                  "SELECT convert_from(body, 'UTF8') || url || reason "
                                  "FROM sync.quarantine"))
    all += r;
  for (const auto& r : query_rows(url, "SELECT coalesce(error, '') FROM sync.runs")) all += r;
  return all;
}

std::set<std::string> ids_asked(const sim::Simulator& sim, const std::string& suffix) {
  std::set<std::string> out;
  for (const auto& r : sim.requests()) {
    if (r.path.rfind("/api/conversations/", 0) != 0) continue;
    std::string rest = r.path.substr(std::string("/api/conversations/").size());
    const auto slash = rest.find('/');
    const std::string tail = slash == std::string::npos ? "" : rest.substr(slash);
    if (tail == suffix) out.insert(rest.substr(0, slash));
  }
  return out;
}

TEST(E2eHelpdesk, BackfillLandsExactlyTheGroundTruthWithoutAuthtoken) {
  sim::Simulator sim(desk_options());
  auto& desk = sim.api().helpdesk();
  // c7 (moved from d1 to d2 right after d1 listed it) appears in both departments' answers.
  std::string moved;
  for (const auto& c : desk.data().conversations)
    if (moved.empty() && c.departmentid == "d1" && c.conversationid != "c1")
      moved = c.conversationid;
  desk.move_after_next_listing(moved);
  testing::TestDatabase db("e2e_hd_backfill");
  DeskSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  auto config = desk_config(spec);
  const auto run = run_backfill(config, *sim::parse_date(kStartDate), *sim::parse_date(kDataTo));
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  const auto truth = desk.data();
  expect_ground_truth(db.url(), truth);
  // The moved conversation is one row, in its new department.
  EXPECT_EQ(query_value(db.url(),
                        "SELECT departmentid FROM liveagent.conversations WHERE "
                        "conversationid = '" +
                            moved + "'"),
            "d2");
  // Customers: limitcount on every request, and the bulk day's > 1000 in one window arrived.
  const auto customer_requests = requests_to(sim, "/api/customers");
  ASSERT_FALSE(customer_requests.empty());
  bool second_page = false;
  for (const auto& r : customer_requests) {
    EXPECT_EQ(query_param(r, "limitcount"), "1000") << r.target;
    second_page = second_page || query_param(r, "limitfrom") == "1000";
  }
  EXPECT_TRUE(second_page) << "the bulk day's window needed a second page";
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM liveagent.customers"),
            static_cast<std::int64_t>(truth.customers.size()));
  // One messages request per conversation fills both the groups and the messages.
  std::size_t messages_requests = 0;
  for (const auto& r : sim.requests())
    if (r.path.rfind("/api/conversations/", 0) == 0 && r.path.ends_with("/messages"))
      ++messages_requests;
  EXPECT_EQ(messages_requests, truth.conversations.size());
  // Conversations: btw: with one-second overlaps, one request per department and window.
  for (const auto& r : requests_to(sim, "/api/conversations")) {
    EXPECT_EQ(query_param(r, "datechanged").rfind("btw:", 0), 0u) << r.target;
    EXPECT_NE(query_param(r, "department"), "") << r.target;
  }
  // DST: the autumn overlap's 01:30 is stored and reads back as 01:30 in Los Angeles; the
  // impossible datetime is NULL, counted, and kept in raw.
  EXPECT_EQ(query_value(db.url(), "SELECT " + ts("changed_at") +
                                      " FROM liveagent.conversations WHERE conversationid='c4'"),
            "2024-11-03 01:30:00");
  EXPECT_EQ(query_value(db.url(),
                        "SELECT coalesce(created_at::text, 'NULL') || '|' || "
                        "(raw->>'datecreated') FROM liveagent.conversations WHERE "
                        "conversationid = 'c3'"),
            "NULL|2024-02-30 10:00:00");
  EXPECT_GE(query_count(db.url(),
                        "SELECT sum(invalid_values) FROM sync.runs WHERE stream = "
                        "'conversations'"),
            1);
  // The deleted conversation and the unknown agent are marked, not dropped.
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM liveagent.conversations WHERE "
                        "deleted_upstream_at IS NOT NULL"),
            1);
  // authtoken: no value in any table, quarantined body or log line, and not in raw.
  const std::string stored = everything_stored(db.url());
  for (const auto& a : truth.agents) {
    EXPECT_EQ(stored.find(a.authtoken), std::string::npos) << "agent " << a.userid;
    EXPECT_EQ((run.errors + run.output).find(a.authtoken), std::string::npos);
  }
  for (const auto& c : truth.customers)
    ASSERT_EQ(stored.find(c.authtoken), std::string::npos) << "customer " << c.contactid;
  EXPECT_EQ(stored.find("authtoken"), std::string::npos);
}

TEST(E2eHelpdesk, OnceUpdatesChangedConversationsAndRereadsOnlyTheirChildren) {
  sim::Simulator sim(desk_options(40, 0));
  auto& desk = sim.api().helpdesk();
  testing::TestDatabase db("e2e_hd_once");
  DeskSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  auto config = desk_config(spec);
  const auto first = run_partnersync(config, {"--once"});
  ASSERT_EQ(first.exit_code, 0) << first.errors;
  expect_ground_truth(db.url(), desk.data());
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM liveagent.conversations_history"), 0);

  // No change: nothing is written in any helpdesk table, no child is read.
  const auto before = liveagent_writes(db.url());
  sim.clear_requests();
  const auto idle = run_partnersync(config, {"--once"});
  ASSERT_EQ(idle.exit_code, 0) << idle.errors;
  auto after = liveagent_writes(db.url());
  // The application snapshot only moves last_seen_at (one UPDATE, as the LiveChat snapshots
  // do: e2e_rerun_test); no new snapshot row.
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM liveagent.application_snapshots"), 1);
  after.erase("application_snapshots");
  auto unchanged = before;
  unchanged.erase("application_snapshots");
  EXPECT_EQ(after, unchanged);
  EXPECT_TRUE(ids_asked(sim, "").empty());
  EXPECT_TRUE(ids_asked(sim, "/messages").empty());

  // Conversation a (one with tags) is resolved and loses a tag; b gets a tag and a changed
  // custom field.
  std::string a, b;
  std::int64_t b_fields = 0;
  for (const auto& c : desk.data().conversations) {
    if (c.deleted || c.conversationid.size() < 3) continue;  // c1..c9 hold the special cases
    if (a.empty() && !c.tags.empty()) {
      a = c.conversationid;
    } else if (b.empty() && !c.customfields.empty()) {
      b = c.conversationid;
      b_fields = static_cast<std::int64_t>(c.customfields.size());
    }
  }
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  std::string lost_tag;
  desk.mutate([&](sim::helpdesk::Data& d) {
    for (auto& c : d.conversations) {
      if (c.conversationid == a) {
        c.status = "R";
        c.datechanged = "2024-11-29 10:00:00";
        lost_tag = c.tags.back().id;
        c.tags.pop_back();
        c.tags.push_back({"new1", "Escalated"});
      }
      if (c.conversationid == b) {
        c.datechanged = "2024-11-28 09:00:00";
        c.tags.push_back({"new2", "Follow-up"});
        c.customfields = {{"newcode", "999"}};
      }
    }
  });
  // A tag first stored by the first run and unassigned now.
  ASSERT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM liveagent.conversation_tags WHERE "
                        "conversationid = '" +
                            a + "' AND tag_id = '" + lost_tag + "'"),
            1);
  sim.clear_requests();
  const auto second = run_partnersync(config, {"--once"});
  ASSERT_EQ(second.exit_code, 0) << second.errors;
  const auto truth = desk.data();
  expect_ground_truth(db.url(), truth);
  EXPECT_EQ(ids_asked(sim, ""), (std::set<std::string>{a, b}));
  EXPECT_EQ(ids_asked(sim, "/messages"), (std::set<std::string>{a, b}));
  EXPECT_EQ(ids_asked(sim, "/tags"), (std::set<std::string>{a, b}));
  EXPECT_EQ(query_rows(db.url(), "SELECT conversationid FROM liveagent.conversations_history"),
            (std::vector<std::string>{std::min(a, b), std::max(a, b)}));
  EXPECT_EQ(query_value(db.url(),
                        "SELECT status FROM liveagent.conversations WHERE "
                        "conversationid = '" +
                            a + "'"),
            "R");
  // The tag no longer listed has removed_at (kept, not deleted); no other tag has.
  EXPECT_EQ(query_rows(db.url(),
                       "SELECT conversationid || '|' || tag_id FROM "
                       "liveagent.conversation_tags WHERE removed_at IS NOT NULL"),
            (std::vector<std::string>{a + "|" + lost_tag}));
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM liveagent.conversation_custom_fields "
                        "WHERE conversationid = '" +
                            b + "' AND removed_at IS NOT NULL"),
            b_fields);
  // Listed again: the removal is undone.
  desk.mutate([&](sim::helpdesk::Data& d) {
    for (auto& c : d.conversations)
      if (c.conversationid == a) {
        c.datechanged = "2024-11-29 11:00:00";
        c.tags.push_back({lost_tag, "again"});
      }
  });
  const auto third = run_partnersync(config, {"--once"});
  ASSERT_EQ(third.exit_code, 0) << third.errors;
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM liveagent.conversation_tags WHERE "
                        "removed_at IS NOT NULL"),
            0);
  expect_ground_truth(db.url(), desk.data());
}

TEST(E2eHelpdesk, WrongApiKeyIsOneClearErrorAndExit1) {
  sim::Simulator sim(desk_options(10, 0));
  testing::TestDatabase db("e2e_hd_wrong_key");
  DeskSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.api_key = "e2e-wrong-desk-key-77c1";
  spec.retries = 5;
  auto config = desk_config(spec);
  const auto run = run_partnersync(config, {"--once"});
  EXPECT_EQ(run.exit_code, 1) << run.errors;
  std::istringstream in(run.errors);
  int lines = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find("credentials rejected") != std::string::npos) ++lines;
  EXPECT_EQ(lines, 1) << run.errors;
  EXPECT_EQ(sim.requests().size(), 1u);
  EXPECT_EQ((run.errors + run.output).find(spec.api_key), std::string::npos);
}

TEST(E2eHelpdesk, ErrorEnvelopeWithStatus200FailsAndChangesNothing) {
  sim::Simulator sim(desk_options(10, 0));
  sim.api().helpdesk().set_error_200(true);
  testing::TestDatabase db("e2e_hd_error200");
  DeskSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  auto config = desk_config(spec);
  const auto run = run_partnersync(config, {"--once"});
  EXPECT_EQ(run.exit_code, 1) << run.errors;
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM liveagent.conversations"), 0);
  EXPECT_GE(query_count(db.url(), "SELECT count(*) FROM sync.quarantine WHERE source = 'desk'"), 1);
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM sync.windows WHERE source = 'desk'"), 0);
}

TEST(E2eHelpdesk, CallNewerThanTheApplicationVersionIsNotApplicable) {
  auto options = desk_options(10, 0);
  options.api.helpdesk_version = "4.0.0.0";  // customers/groups needs 4.0.19.1
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_hd_old_version");
  DeskSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  auto config = desk_config(spec);
  const auto run = run_partnersync(config, {"--once", "--streams", "customer_groups"});
  EXPECT_EQ(run.exit_code, 0) << run.errors;
  EXPECT_EQ(query_value(db.url(),
                        "SELECT not_applicable FROM sync.state WHERE source = 'desk' "
                        "AND stream = 'customer_groups'"),
            "t");
}

// helpdesk.md "conversations": "if the server demands one [a department], that is a
// configuration error that names the `departments` key".
TEST(E2eHelpdesk, DemandedDepartmentIsOneConfigurationErrorNamingTheDepartmentsKey) {
  sim::Simulator sim(desk_options(10, 0));
  sim.api().helpdesk().set_department_required(true);
  testing::TestDatabase db("e2e_hd_department");
  DeskSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.departments = false;
  spec.retries = 0;
  auto config = desk_config(spec);
  const auto run = run_partnersync(config, {"--once", "--streams", "conversations"});
  EXPECT_EQ(run.exit_code, 1) << run.errors;
  std::istringstream in(run.errors);
  int lines = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find("department") != std::string::npos) {
      ++lines;
      EXPECT_NE(line.find("`departments`"), std::string::npos) << line;
    }
  EXPECT_EQ(lines, 1) << run.errors;
  // One request: the first window's answer ends the stream (the others would fail the same).
  EXPECT_EQ(requests_to(sim, "/api/conversations").size(), 1u);
  EXPECT_NE(query_value(db.url(), "SELECT error FROM sync.runs WHERE stream = 'conversations'")
                .find("`departments`"),
            std::string::npos);
  EXPECT_EQ((run.errors + run.output).find(spec.api_key), std::string::npos);
  // With the key set, the same account syncs.
  spec.departments = true;
  auto fixed = desk_config(spec);
  const auto again = run_partnersync(fixed, {"--once", "--streams", "conversations"});
  EXPECT_EQ(again.exit_code, 0) << again.errors;
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM liveagent.conversations"), 10);
}

std::size_t agent_requests(const sim::Simulator& sim) {
  std::size_t n = 0;
  for (const auto& r : sim.requests()) n += r.path.rfind("/api/agents/", 0) == 0 ? 1 : 0;
  return n;
}

// helpdesk.md "agents": "An id that answers 404 gets deleted_upstream_at and is asked again
// only on full_refresh" (the simulator's c5 is assigned to agent404); answering again, it is
// current again.
TEST(E2eHelpdesk, AgentThatAnswered404IsAskedAgainOnlyOnFullRefreshAndClearedWhenItAnswers) {
  sim::Simulator sim(desk_options(10, 0));
  testing::TestDatabase db("e2e_hd_agent404");
  DeskSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  auto config = desk_config(spec);
  const std::vector<std::string> args = {"--once", "--streams", "conversations,agents"};
  const auto first = run_partnersync(config, args);
  ASSERT_EQ(first.exit_code, 0) << first.errors;
  EXPECT_EQ(requests_to(sim, "/api/agents/agent404").size(), 1u);
  const std::string marked_sql =
      "SELECT deleted_upstream_at::text FROM liveagent.agents WHERE userid = 'agent404'";
  const std::string marked = query_value(db.url(), marked_sql);
  ASSERT_NE(marked, "NULL");
  const auto agents = agent_requests(sim);
  ASSERT_GT(agents, 1u);

  sim.clear_requests();
  const auto second = run_partnersync(config, args);
  ASSERT_EQ(second.exit_code, 0) << second.errors;
  EXPECT_EQ(requests_to(sim, "/api/agents/agent404").size(), 0u);
  EXPECT_EQ(agent_requests(sim), agents - 1) << "the others are read";

  // The agents stream's full refresh is due: agent404 is asked again (still gone: marked as
  // before).
  query_value(db.url(),
              "UPDATE sync.state SET last_full_refresh_at = now() - interval '3651 "
              "days' WHERE source = 'desk' AND stream = 'agents' RETURNING 1");
  sim.clear_requests();
  const auto refresh = run_partnersync(config, args);
  ASSERT_EQ(refresh.exit_code, 0) << refresh.errors;
  EXPECT_EQ(requests_to(sim, "/api/agents/agent404").size(), 1u);
  EXPECT_EQ(query_value(db.url(), marked_sql), marked);
  EXPECT_EQ(query_value(db.url(),
                        "SELECT mode FROM sync.runs WHERE stream = 'agents' ORDER BY "
                        "run_id DESC LIMIT 1"),
            "full_refresh");

  // Restored upstream, it answers on the next full refresh: current again, with its values.
  sim.api().helpdesk().mutate([](sim::helpdesk::Data& d) {
    sim::helpdesk::Agent back = d.agents.front();
    back.userid = "agent404";
    back.email = "restored@example.com";
    d.agents.push_back(back);
  });
  query_value(db.url(),
              "UPDATE sync.state SET last_full_refresh_at = now() - interval '3651 "
              "days' WHERE source = 'desk' AND stream = 'agents' RETURNING 1");
  const auto back = run_partnersync(config, args);
  ASSERT_EQ(back.exit_code, 0) << back.errors;
  EXPECT_EQ(query_value(db.url(),
                        "SELECT coalesce(email, 'NULL') || ' ' || (deleted_upstream_at IS NOT "
                        "NULL) FROM liveagent.agents WHERE userid = 'agent404'"),
            "restored@example.com false");
}

// helpdesk.md "conversations": "A window over the size limit is halved, down to one minute".
// 8000 conversations changed within ten seconds of one day: about 2.8 MB in one answer, over
// the engine's 2 MiB window limit at any size of window, so the day is halved down to pieces
// of at least one minute, the smallest read whole.
TEST(E2eHelpdesk, WindowOverTheLimitIsHalvedDownToOneMinute) {
  constexpr int kConversations = 8000;
  sim::Simulator sim(desk_options(kConversations, 0));
  auto& desk = sim.api().helpdesk();
  desk.mutate([](sim::helpdesk::Data& d) {
    for (std::size_t i = 0; i < d.conversations.size(); ++i)
      d.conversations[i].datechanged = "2024-11-20 10:00:0" + std::to_string(i % 10);
  });
  testing::TestDatabase db("e2e_hd_minute");
  DeskSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.departments = false;  // one answer per window holds them all
  auto config = desk_config(spec);
  const auto run = run_backfill(config, *sim::parse_date(kStartDate), *sim::parse_date(kDataTo),
                                {"--streams", "conversations"});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  const auto truth = desk.data();
  EXPECT_EQ(query_rows(db.url(), kConversationsSql), expected_conversations(truth));
  // The lengths (in seconds, both ends included) of the datechanged ranges asked.
  std::vector<std::int64_t> below_a_day;
  for (const auto& r : requests_to(sim, "/api/conversations")) {
    const std::string range = query_param(r, "datechanged");
    ASSERT_EQ(range.rfind("btw:", 0), 0u) << r.target;
    const auto comma = range.find(',');
    const auto from = sim::parse_datetime(range.substr(4, comma - 4));
    const auto to = sim::parse_datetime(range.substr(comma + 1));
    ASSERT_TRUE(from && to) << r.target;
    const std::int64_t length = *to - *from + 1;
    if (length < 86400) below_a_day.push_back(length);
  }
  ASSERT_FALSE(below_a_day.empty()) << "the day was not split";
  const auto smallest = *std::min_element(below_a_day.begin(), below_a_day.end());
  EXPECT_GE(smallest, 60) << "a piece shorter than one minute was asked";
  EXPECT_LT(smallest, 180) << "the halving stopped before one minute";
}

}  // namespace
}  // namespace partnersync::e2e
