// The simulated helpdesk answers as design/helpdesk.md decides: the apikey, error envelopes
// (with HTTP 200 too), a demanded department, limitcount's default and cap, btw: with both
// ends, exclusive creation bounds, 404 for a deleted conversation or an unknown agent, calls
// newer than the version.
#include <gtest/gtest.h>

#include <string>

#include "tests/sim/api.hpp"
#include "tests/sim/helpdesk.hpp"

namespace partnersync::sim::helpdesk {
namespace {

api::ApiRequest get(std::string path, std::vector<std::pair<std::string, std::string>> query,
                    bool key = true) {
  api::ApiRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  if (key) r.query.emplace_back("apikey", "sim-apikey");
  return r;
}

std::size_t count(const std::string& body, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = body.find(needle); at != std::string::npos; at = body.find(needle, at + 1)) ++n;
  return n;
}

Options options() {
  Options o;
  o.conversations = 30;
  o.customers = 10;
  o.bulk_customers = 1500;
  return o;
}

TEST(HelpdeskSim, ApiKeyMissingIs400AndWrongIs401) {
  Desk desk(options());
  EXPECT_EQ(desk.handle(get("/api/application/status", {}, false)).status, 400u);
  auto wrong = get("/api/application/status", {}, false);
  wrong.query.emplace_back("apikey", "nope");
  const auto r = desk.handle(wrong);
  EXPECT_EQ(r.status, 401u);
  EXPECT_NE(r.body.find("\"status\":\"ERROR\""), std::string::npos);
}

TEST(HelpdeskSim, CustomersDefaultTo100RowsAndCapAt1000) {
  Desk desk(options());
  EXPECT_EQ(count(desk.handle(get("/api/customers", {})).body, "\"contactid\""), 100u);
  EXPECT_EQ(
      count(desk.handle(get("/api/customers", {{"limitcount", "5000"}})).body, "\"contactid\""),
      1000u);
  const auto rest =
      desk.handle(get("/api/customers", {{"limitcount", "1000"}, {"limitfrom", "1000"}}));
  EXPECT_EQ(count(rest.body, "\"contactid\""), 510u);
}

TEST(HelpdeskSim, CreationBoundsAreExclusiveAndBtwIsInclusive) {
  Desk desk(options());
  const auto data = desk.data();
  const auto& c = data.customers[5];
  const auto exact = desk.handle(get(
      "/api/customers", {{"datecreatedfrom", c.datecreated}, {"datecreatedto", c.datecreated}}));
  EXPECT_EQ(count(exact.body, "\"contactid\""), 0u);
  const auto& v = data.conversations[10];
  const auto both = desk.handle(
      get("/api/conversations", {{"datechanged", "btw:" + v.datechanged + "," + v.datechanged},
                                 {"department", v.departmentid}}));
  EXPECT_NE(both.body.find("\"" + v.conversationid + "\""), std::string::npos);
}

TEST(HelpdeskSim, DeletedConversationAndUnknownAgentAre404) {
  Desk desk(options());
  EXPECT_EQ(desk.handle(get("/api/conversations/c2", {})).status, 404u);
  EXPECT_EQ(desk.handle(get("/api/conversations/c2/messages", {})).status, 404u);
  EXPECT_EQ(desk.handle(get("/api/conversations/c1", {})).status, 200u);
  EXPECT_EQ(desk.handle(get("/api/agents/agent404", {})).status, 404u);
  const auto agent = desk.handle(get("/api/agents/agent1", {}));
  EXPECT_EQ(agent.status, 200u);
  EXPECT_NE(agent.body.find("\"authtoken\""), std::string::npos);
}

TEST(HelpdeskSim, ErrorEnvelopeWithStatus200AndCallsNewerThanTheVersion) {
  Options old = options();
  old.version = "4.0.0.0";
  Desk desk(old);
  EXPECT_EQ(desk.handle(get("/api/customers/groups", {})).status, 404u);
  EXPECT_EQ(desk.handle(get("/api/conversations/c1/tags", {})).status, 404u);
  desk.set_error_200(true);
  const auto r = desk.handle(get("/api/conversations", {}));
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("\"status\":\"ERROR\""), std::string::npos);
}

TEST(HelpdeskSim, AConversationMovedAfterBeingListedIsListedByTheOtherDepartment) {
  Desk desk(options());
  const auto c = desk.data().conversations[7];
  const std::string other = c.departmentid == "d1" ? "d2" : "d1";
  desk.move_after_next_listing(c.conversationid);
  const std::string id = "\"" + c.conversationid + "\"";
  EXPECT_NE(desk.handle(get("/api/conversations", {{"department", c.departmentid}})).body.find(id),
            std::string::npos);
  EXPECT_NE(desk.handle(get("/api/conversations", {{"department", other}})).body.find(id),
            std::string::npos);
}

TEST(HelpdeskSim, AnAccountThatDemandsADepartmentAnswers500WithoutOne) {
  Desk desk(options());
  EXPECT_EQ(desk.handle(get("/api/conversations", {})).status, 200u);
  desk.set_department_required(true);
  const auto without = desk.handle(get("/api/conversations", {}));
  EXPECT_EQ(without.status, 500u);
  EXPECT_NE(without.body.find("parameter department is missing"), std::string::npos);
  EXPECT_EQ(desk.handle(get("/api/conversations", {{"department", "d1"}})).status, 200u);
}

}  // namespace
}  // namespace partnersync::sim::helpdesk
