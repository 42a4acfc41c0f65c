// The simulated LiveAgent helpdesk API (kind liveagent_helpdesk): what ../shared/design/
// helpdesk.md decides for 004's calls, with the data, its changes and the cases the tests need
// (limitcount default 100, >1000 customers in a day, a department demanded, a conversation moved
// between departments between two requests, a deleted conversation, repeated custom-field codes,
// blank values, an impossible datetime, error envelopes with HTTP 200, calls newer than the served
// version).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/sim/api.hpp"

namespace partnersync::sim::helpdesk {

struct Options {
  std::uint64_t seed = 1;
  std::string apikey = "sim-apikey";
  std::string date_from = "2024-10-01";  // LA days the data's datetimes fall in
  std::string date_to = "2024-11-30";
  std::uint64_t conversations = 0;   // 0: the helpdesk serves an empty account
  std::uint64_t customers = 0;       // spread over the days
  std::uint64_t bulk_customers = 0;  // extra customers all created on bulk_day (> 1000: paging)
  std::string bulk_day = "2024-10-15";
  std::uint64_t max_groups = 3;      // message groups per conversation (1..n)
  std::uint64_t max_messages = 3;    // messages per group (1..n)
  std::string version = "5.40.0.1";  // application/status; older calls' minimums apply
  bool special_cases = true;         // the deleted conversation, DST and impossible datetimes, ...
  // conversations without `department` answers 500 "parameter department is missing" (an
  // account that demands one: helpdesk.md "Sync semantics").
  bool department_required = false;
};

struct Message {
  std::string messageid, userid, rtype, datecreated, message;
};
struct MessageGroup {
  std::string messagegroupid, userid, rtype, rstatus, datecreated, datefinished;
  std::vector<Message> messages;
};
struct Tag {
  std::string id, name;
};
struct CustomField {
  std::string code, value;
};
struct Conversation {
  std::string conversationid, code, datecreated, datechanged, departmentid, status, ownername,
      owneremail, subject, preview, publicurlcode, ownernote, assignedto;
  std::vector<CustomField> customfields;
  std::vector<Tag> tags;
  std::vector<MessageGroup> groups;
  bool deleted = false;  // still listed, but its per-id calls answer 404
};
struct Customer {
  std::string contactid, email, firstname, lastname, systemname, userid, datecreated, role, gender,
      authtoken;
};
struct Agent {
  std::string contactid, userid, email, firstname, lastname, systemname, authtoken,
      browsercookiename, gender, role;
};
struct CustomerGroup {
  std::string id, name;
};
struct Department {
  std::string id, name;
};

struct Data {
  std::string version, gpfversion, dateinstalled, datelatestupdate;
  std::vector<Department> departments;
  std::vector<Conversation> conversations;
  std::vector<Customer> customers;  // sorted by datecreated
  std::vector<CustomerGroup> groups;
  std::vector<Agent> agents;
  const Department* department(const std::string& id) const;
  const Conversation* conversation(const std::string& id) const;
};

Data generate(const Options& options);

class Desk {
 public:
  explicit Desk(Options options);
  // Requests whose path starts with /api/ (and is not the reseller API's /api/resellers/).
  api::ApiResponse handle(const api::ApiRequest& request);

  Data data() const;                                      // a copy: the ground truth now
  void mutate(const std::function<void(Data&)>& change);  // requests after it see the change
  // The next conversations answer that lists `conversationid` moves it to the other
  // department right after (same datechanged), so a later department request lists it again.
  void move_after_next_listing(const std::string& conversationid);
  void set_error_200(bool on);            // every call answers an ERROR envelope with HTTP 200
  void set_department_required(bool on);  // Options::department_required
  const Options& options() const { return options_; }

 private:
  Options options_;
  mutable std::mutex mutex_;
  Data data_;
  std::string move_pending_;
  bool error_200_ = false;
};

// "4.0.19.1" < "5.40.0.1", numerically part by part.
bool version_below(const std::string& version, const std::string& minimum);

}  // namespace partnersync::sim::helpdesk
