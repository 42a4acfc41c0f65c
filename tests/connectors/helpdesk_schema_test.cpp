// The LiveAgent helpdesk declarations against the migrated warehouse (real PostgreSQL): every
// declared column and key exists, history has the data table's columns in order, labels
// follow 004, and 004's examples (as JSON) land through RecordParser and db::write_rows.
#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "connectors/liveagent_helpdesk/helpdesk_streams.hpp"
#include "daemon/db/database.hpp"
#include "daemon/db/migration.hpp"
#include "daemon/db/migrator.hpp"
#include "daemon/db/staging_writer.hpp"
#include "daemon/sync/field_removal.hpp"
#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/stream_spec.hpp"
#include "tests/connectors/schema_catalog.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::connectors {
namespace {

using liveagent_helpdesk::kConversationInfoStream;
using liveagent_helpdesk::kMessageGroupsStream;
using sync::StreamSpec;

// Every declaration, the StreamSpec::same_body tables (message groups) included.
std::vector<const StreamSpec*> specs() {
  std::vector<const StreamSpec*> out;
  for (const auto& s : sync::stream_specs(SourceKind::liveagent_helpdesk)) {
    out.push_back(&s);
    for (const auto& other : s.same_body) out.push_back(&other);
  }
  return out;
}

const StreamSpec& spec(std::string_view name) {
  for (const auto* s : specs())
    if (s->name == name) return *s;
  throw std::runtime_error("no spec " + std::string(name));
}

class HelpdeskSchema : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = std::make_unique<partnersync::testing::TestDatabase>("helpdesk_schema");
    db::migrate(*db::connect(db_->url()), db::embedded_migrations());
  }
  static void TearDownTestSuite() { db_.reset(); }
  void SetUp() override { conn_ = db::connect(db_->url()); }

  // As the engine: removed_fields out of the body, parsed, merged in Los Angeles time.
  std::size_t write(std::string_view stream, std::string body, std::string_view parent = {}) {
    const StreamSpec& s = spec(stream);
    sync::remove_members(body, s.removed_fields);
    sync::RecordParser parser(s);
    std::string rows;
    const sync::ParseContext context{"acme", "", parent};
    sync::ParseOutcome outcome;
    if (s.split_body != nullptr) {
      std::string wrapped = "{\"result\":[";
      const auto records = s.split_body(body);
      for (std::size_t i = 0; i < records.size(); ++i) wrapped += (i ? "," : "") + records[i];
      wrapped += "]}";
      sync::EndpointSpec split = s.endpoints.front();
      split.envelope = sync::Envelope::result_array;
      outcome = parser.parse(wrapped, split, context, rows);
    } else {
      outcome = parser.parse(body, s.endpoints.front(), context, rows);
    }
    db::TableLayout layout;
    layout.table = s.table;
    layout.columns = parser.column_names();
    layout.key = s.key;
    layout.partial_update = s.partial_update;
    layout.snapshot = s.mode == sync::SyncMode::snapshot;
    pqxx::work tx(*conn_);
    tx.exec_params("SELECT set_config('TimeZone', $1, true)", "America/Los_Angeles");
    db::write_rows(tx, layout, rows, static_cast<std::int64_t>(outcome.rows), "acme");
    tx.commit();
    return outcome.invalid_values;
  }

  std::string text(const std::string& sql) {
    pqxx::read_transaction tx(*conn_);
    tx.exec("SET LOCAL TimeZone = 'America/Los_Angeles'");
    const auto r = tx.exec1(sql);
    return r[0].is_null() ? "NULL" : r[0].as<std::string>();
  }

  static std::unique_ptr<partnersync::testing::TestDatabase> db_;
  std::unique_ptr<pqxx::connection> conn_;
};

std::unique_ptr<partnersync::testing::TestDatabase> HelpdeskSchema::db_;

TEST_F(HelpdeskSchema, EveryDeclaredColumnAndKeyExists) {
  for (const auto* spec : specs()) {
    const StreamSpec& s = *spec;
    const auto table = schema_catalog::columns(*conn_, s.table);
    ASSERT_FALSE(table.empty()) << s.table << " does not exist";
    for (const auto& c : s.columns) {
      const auto it = table.find(c.name);
      ASSERT_NE(it, table.end()) << s.table << "." << c.name << " missing";
      EXPECT_EQ(schema_catalog::compatible_types(c.type).count(it->second.type), 1u)
          << s.table << "." << c.name << " is " << it->second.type;
    }
    for (const auto* extra : {s.removed_column.c_str(), s.not_found_column.c_str()}) {
      if (*extra != '\0') {
        EXPECT_EQ(table.count(extra), 1u) << s.table << "." << extra;
      }
    }
    if (!s.partial_update) {
      EXPECT_EQ(schema_catalog::primary_key(*conn_, s.table), s.key) << s.name;
    }
  }
}

TEST_F(HelpdeskSchema, HistoryHasTheConversationsColumnsInOrderThenValidity) {
  auto data = schema_catalog::ordered_columns(*conn_, "liveagent.conversations");
  auto history = schema_catalog::ordered_columns(*conn_, "liveagent.conversations_history");
  ASSERT_EQ(history.size(), data.size() + 2);
  for (std::size_t i = 0; i < data.size(); ++i) EXPECT_EQ(history[i].first, data[i].first);
  EXPECT_EQ(history[data.size()].first, "valid_from");
}

// 004's examples, as JSON (the product asks for JSON; 004 shows XML only).
TEST_F(HelpdeskSchema, DocumentedExamplesLandWithLabelsAndNoAuthtoken) {
  write("agents",
        R"({"response":{"contactid":"d44t87a5","userid":"uid1234","email":"example@agent.com",)"
        R"("firstname":"John","lastname":"Williams","systemname":"system001",)"
        R"("authtoken":"5ceef21647f1db39a18cafc0bc2de015","browsercookiename":"A_auth",)"
        R"("gender":"F","role":"D"}})",
        "uid1234");
  EXPECT_EQ(text("SELECT email || '|' || role_label FROM liveagent.agents"),
            "example@agent.com|Administrator");
  EXPECT_EQ(text("SELECT count(*) FROM liveagent.agents WHERE raw::text LIKE '%5ceef216%' OR "
                 "raw ? 'authtoken'"),
            "0");
  // "Retrieves conversation info": blank ownernote/assignedto are NULL; custom fields with a
  // repeated code get ordinals.
  const std::string info =
      R"({"response":{"conversationid":"cid00001","code":"C01-D54-E45",)"
      R"("datecreated":"2012-04-01 00:15:11","datechanged":"2012-04-01 00:15:21",)"
      R"("departmentname":"Department 1","departmentid":"dep1s5a4","status":"R",)"
      R"("ownername":"John Doe","owneremail":"owner@example.com","subject":"My first ticket",)"
      R"("ownernote":" ","preview":"Hello, this is my first ticket...",)"
      R"("publicurlcode":"bI5fR3oN40708G65","assignedto":" ","customfields":[)"
      R"({"code":"varsymbol","value":"423874698"},{"code":"other_var","value":"Example"},)"
      R"({"code":"varsymbol","value":"2"}]}})";
  write("conversation_custom_fields", info, "cid00001");
  EXPECT_EQ(text("SELECT string_agg(code || ordinal || '=' || value, ',' ORDER BY code, ordinal) "
                 "FROM liveagent.conversation_custom_fields"),
            "other_var1=Example,varsymbol1=423874698,varsymbol2=2");
  {
    pqxx::work tx(*conn_);
    tx.exec(
        "INSERT INTO liveagent.conversations (source, conversationid, status, raw) VALUES "
        "('acme', 'cid00001', 'R', '{}')");
    tx.commit();
  }
  write(kConversationInfoStream, info, "cid00001");
  EXPECT_EQ(text("SELECT coalesce(ownernote, 'NULL') || '|' || coalesce(assignedto, 'NULL') || "
                 "'|' || status_label FROM liveagent.conversations"),
            "NULL|NULL|Resolved");
  EXPECT_EQ(text("SELECT count(*) FROM liveagent.conversations_history"), "0")
      << "completing a row from the info call keeps no version";
  // "Retrieves all conversation messages" (with messagegroupid, which 004's example omits).
  const std::string messages =
      R"({"response":{"groups":[{"messagegroupid":"g1","userid":"uid12345","rtype":"M",)"
      R"("rstatus":"V","datecreated":"2012-04-03 12:21:21","datefinished":"2012-04-03 12:31:21",)"
      R"("messages":[{"messageid":"mid00003","userid":"uid00001","rtype":"M",)"
      R"("datecreated":"2012-04-03 12:25:21","message":"hello, this is example message"}]}]}})";
  write("conversation_messages", messages, "cid00001");
  write(kMessageGroupsStream, messages, "cid00001");
  EXPECT_EQ(text("SELECT messagegroupid || '|' || rtype_label || '|' || created_at::text FROM "
                 "liveagent.conversation_messages"),
            "g1|Message|2012-04-03 12:25:21-07");
  EXPECT_EQ(text("SELECT rstatus_label || '|' || finished_at::text FROM "
                 "liveagent.conversation_message_groups"),
            "Visible|2012-04-03 12:31:21-07");
}

}  // namespace
}  // namespace partnersync::connectors
