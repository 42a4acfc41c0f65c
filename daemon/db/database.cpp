// libpq's own messages can span lines and, for some errors, echo parts of the DSN: they are
// folded to one line and redacted before they leave this file.
#include "daemon/db/database.hpp"

#include <pqxx/pqxx>

#include "daemon/obs/redact.hpp"

namespace partnersync::db {
namespace {

std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\t') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  std::string out;
  for (char c : text)
    if (!(c == ' ' && !out.empty() && out.back() == ' ')) out.push_back(c);
  return out;
}

}  // namespace

std::unique_ptr<pqxx::connection> connect(const std::string& url) {
  try {
    return std::make_unique<pqxx::connection>(url);
  } catch (const pqxx::broken_connection& e) {
    throw DatabaseUnavailable("database " + describe_dsn(url) +
                              " unreachable: " + obs::redact(one_line(e.what())));
  } catch (const std::exception& e) {
    throw DatabaseUnavailable("database " + describe_dsn(url) + ": " +
                              obs::redact(one_line(e.what())));
  }
}

}  // namespace partnersync::db
