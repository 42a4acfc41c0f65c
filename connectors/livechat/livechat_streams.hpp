// The LiveChat Partner API streams as declarations (one file per stream beside this header),
// plus the column builders shared by streams that land in the same warehouse table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/sync/stream_spec.hpp"

namespace partnersync::connectors::livechat {

// Declaration conventions the engine implements (see also daemon/sync/stream_spec.hpp):
// - A json path may list alternatives separated by '|': the first field present and not null
//   wins. That is how one column reads both the current and the old (../shared/api-docs/000)
//   name of a field, e.g. "commission_total|commission".
// - An Origin::constant column with an empty path takes its value from the constant of the
//   same name in the EndpointSpec the record came from (campaigns' program and status).

// One function per stream of kLivechatStreams.
sync::StreamSpec affiliate_licenses_stream();
sync::StreamSpec partner_program_licenses_stream();
sync::StreamSpec solution_licenses_stream();
sync::StreamSpec solution_invoices_stream();
sync::StreamSpec affiliate_performance_stream();
sync::StreamSpec partner_program_performance_stream();
sync::StreamSpec affiliate_history_stream();
sync::StreamSpec partner_program_history_stream();
sync::StreamSpec solution_history_stream();
sync::StreamSpec expert_history_stream();
sync::StreamSpec earnings_stream();
sync::StreamSpec stats_stream();
sync::StreamSpec withdrawals_stream();
sync::StreamSpec campaigns_stream();
sync::StreamSpec leads_stream();

// Every stream above, in kLivechatStreams order.
std::vector<sync::StreamSpec> livechat_stream_specs();

// Splits a /v2/partners/stats (or old /v2/partners/active-licenses) body into one record per
// (program, channel), the rows of livechat.license_stats_snapshots: a fan-out the declaration
// model cannot express yet (see stats.cpp). Each record is a JSON object text with "program",
// "channel" and the counts present upstream. Throws std::invalid_argument on a body that is
// not a JSON object.
std::vector<std::string> split_license_stats(std::string_view body);

// ---- builders shared by the per-stream files ----

// (Plain functions rather than designated initializers: GCC 12 warns, under -Wextra, about every
// member a designated initializer leaves out.)
inline sync::ColumnSpec column(std::string name, sync::ValueType type, sync::Origin origin,
                               std::string path = {}, bool missing_is_empty = false) {
  sync::ColumnSpec c;
  c.name = std::move(name);
  c.type = type;
  c.origin = origin;
  c.path = std::move(path);
  c.missing_is_empty = missing_is_empty;
  return c;
}

inline sync::ColumnSpec json_column(std::string name, sync::ValueType type, std::string path) {
  return column(std::move(name), type, sync::Origin::json, std::move(path));
}

// A column whose value is the same for every record of the stream (program = 'livechat').
inline sync::ColumnSpec constant_column(std::string name, std::string value) {
  return column(std::move(name), sync::ValueType::text, sync::Origin::constant, std::move(value));
}

// A column whose value each EndpointSpec supplies in its `constants`.
inline sync::ColumnSpec endpoint_constant_column(std::string name) {
  return column(std::move(name), sync::ValueType::text, sync::Origin::constant);
}

inline sync::EndpointSpec endpoint(
    std::vector<std::string> paths, sync::Envelope envelope,
    std::vector<std::pair<std::string, std::string>> constants = {}) {
  sync::EndpointSpec e;
  e.paths = std::move(paths);
  e.envelope = envelope;
  e.constants = std::move(constants);
  return e;
}

// livechat.affiliate_licenses for one program ('livechat' | 'partner_program').
sync::StreamSpec affiliate_licenses_table(std::string stream, std::string program,
                                          std::vector<std::string> paths, sync::Envelope envelope);
// livechat.performance_daily for one program.
sync::StreamSpec performance_daily_table(std::string stream, std::string program,
                                         std::vector<std::string> paths);
// livechat.history_monthly for one program ('livechat' | 'partner_program' | 'solution' |
// 'expert').
sync::StreamSpec history_monthly_table(std::string stream, std::string program,
                                       std::vector<std::string> paths);

}  // namespace partnersync::connectors::livechat
