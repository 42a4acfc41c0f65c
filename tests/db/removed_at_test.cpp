// db::write_rows for sets that shrink (TableLayout::removed_column, issues 12 and 13): a member
// no longer staged keeps its row with removed_at, listed again it is NULL again, and only the
// set that was read (the whole source, or the parents that answered: scope_values) is judged.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "daemon/db/staging_writer.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::db {
namespace {

class RemovedAtTest : public ::testing::Test {
 protected:
  RemovedAtTest() : db_("removed_at"), conn_(db_.url()) {
    pqxx::work tx(conn_);
    tx.exec(
        "CREATE TABLE ops (source text, license text, login text, name text, "
        "removed_at timestamptz, last_changed_at timestamptz NOT NULL DEFAULT now(), "
        "PRIMARY KEY (source, license, login))");
    tx.commit();
  }

  TableLayout layout(std::vector<std::string> licenses_read = {}) const {
    TableLayout l;
    l.table = "ops";
    l.columns = {"source", "license", "login", "name"};
    l.key = {"source", "license", "login"};
    l.removed_column = "removed_at";
    if (!licenses_read.empty()) l.set_scope = "license";
    l.scope_values = std::move(licenses_read);
    return l;
  }

  WriteCounts write(const TableLayout& l, const std::string& rows, std::int64_t n,
                    const std::string& source = "s") {
    pqxx::work tx(conn_);
    const auto counts = write_rows(tx, l, rows, n, source);
    tx.commit();
    return counts;
  }

  std::string removed() {
    pqxx::read_transaction tx(conn_);
    return tx
        .exec1(
            "SELECT coalesce(string_agg(source || '/' || license || '/' || login, ',' "
            "ORDER BY 1), '') FROM ops WHERE removed_at IS NOT NULL")[0]
        .as<std::string>();
  }

  testing::TestDatabase db_;
  pqxx::connection conn_;
};

TEST_F(RemovedAtTest, PerParentOnlyTheParentsStagedLoseMembersAndReListedOnesComeBack) {
  const auto both = layout({"A", "B"}), only_a = layout({"A"});
  EXPECT_EQ(write(both, "s\tA\tx\tX\ns\tA\ty\tY\ns\tB\tz\tZ\n", 3).inserted, 3);
  write(only_a, "o\tA\tq\tQ\n", 1, "o");  // another source's rows are never judged
  // A read again without y; B not read (a 403 parent): z stays.
  const auto counts = write(only_a, "s\tA\tx\tX\n", 1);
  EXPECT_EQ(counts.updated, 1);  // y got removed_at
  EXPECT_EQ(counts.unchanged, 1);
  EXPECT_EQ(removed(), "s/A/y");
  // Unchanged re-read: y keeps its removed_at, nothing is written.
  EXPECT_EQ(write(only_a, "s\tA\tx\tX\n", 1).updated, 0);
  // y listed again: removed_at NULL again.
  EXPECT_EQ(write(only_a, "s\tA\tx\tX\ns\tA\ty\tY\n", 2).updated, 1);
  EXPECT_EQ(removed(), "");
}

TEST_F(RemovedAtTest, WholeSourceSetMarksWhatIsNoLongerListed) {
  const auto l = layout();
  write(l, "s\t-\t1\ta\ns\t-\t2\tb\n", 2);
  write(l, "o\t-\t9\tq\n", 1, "o");
  write(l, "s\t-\t2\tb\n", 1);
  EXPECT_EQ(removed(), "s/-/1");
  write(l, "", 0);  // an empty list: everything of the source is gone
  EXPECT_EQ(removed(), "s/-/1,s/-/2");
}

}  // namespace
}  // namespace partnersync::db
