// The LiveChat Partner API streams as declarations (one file per stream beside this header),
// plus the column builders shared by streams that land in the same warehouse table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/model/stream_spec.hpp"

namespace partnersync::connectors::livechat {

// Declaration conventions the engine implements (see also daemon/model/stream_spec.hpp):
// - A json path may list alternatives separated by '|': the first field present and not null
//   wins. That is how one column reads both the current and the old (../shared/api-docs/000)
//   name of a field, e.g. "commission_total|commission".
// - An Origin::constant column with an empty path takes its value from the constant of the
//   same name in the EndpointSpec the record came from (campaigns' program and status).

// One function per stream of kLivechatStreams.
model::StreamSpec affiliate_licenses_stream();
model::StreamSpec partner_program_licenses_stream();
model::StreamSpec solution_licenses_stream();
model::StreamSpec solution_invoices_stream();
model::StreamSpec affiliate_performance_stream();
model::StreamSpec partner_program_performance_stream();
model::StreamSpec affiliate_history_stream();
model::StreamSpec partner_program_history_stream();
model::StreamSpec solution_history_stream();
model::StreamSpec expert_history_stream();
model::StreamSpec earnings_stream();
model::StreamSpec stats_stream();
model::StreamSpec withdrawals_stream();
model::StreamSpec campaigns_stream();
model::StreamSpec leads_stream();
model::StreamSpec profile_stream();
model::StreamSpec coupons_stream();
model::StreamSpec solution_operators_stream();
model::StreamSpec expert_profile_stream();
model::StreamSpec expert_stats_stream();
model::StreamSpec expert_comments_stream();

// Every stream above, in kLivechatStreams order.
std::vector<model::StreamSpec> livechat_stream_specs();

// Splits a /v2/partners/stats (or old /v2/partners/active-licenses) body into one record per
// (program, channel), the rows of livechat.license_stats_snapshots: a fan-out the declaration
// model cannot express yet (see stats.cpp). Each record is a JSON object text with "program",
// "channel" and the counts present upstream. Throws std::invalid_argument on a body that is
// not a JSON object. Each record also carries, as member "served", the group object exactly as
// served (the whole body for the flat shape): the row's raw (StreamSpec::split_raw_member).
std::vector<std::string> split_license_stats(std::string_view body);

// ---- builders shared by the per-stream files ----

// (Plain functions rather than designated initializers: GCC 12 warns, under -Wextra, about every
// member a designated initializer leaves out.)
inline model::ColumnSpec column(std::string name, model::ValueType type, model::Origin origin,
                                std::string path = {}, bool missing_is_empty = false) {
  model::ColumnSpec c;
  c.name = std::move(name);
  c.type = type;
  c.origin = origin;
  c.path = std::move(path);
  c.missing_is_empty = missing_is_empty;
  return c;
}

inline model::ColumnSpec json_column(std::string name, model::ValueType type, std::string path) {
  return column(std::move(name), type, model::Origin::json, std::move(path));
}

// A column whose value is the same for every record of the stream (program = 'livechat').
inline model::ColumnSpec constant_column(std::string name, std::string value) {
  return column(std::move(name), model::ValueType::text, model::Origin::constant, std::move(value));
}

// A column whose value each EndpointSpec supplies in its `constants`.
inline model::ColumnSpec endpoint_constant_column(std::string name) {
  return column(std::move(name), model::ValueType::text, model::Origin::constant);
}

inline model::EndpointSpec endpoint(
    std::vector<std::string> paths, model::Envelope envelope,
    std::vector<std::pair<std::string, std::string>> constants = {}) {
  model::EndpointSpec e;
  e.paths = std::move(paths);
  e.envelope = envelope;
  e.constants = std::move(constants);
  return e;
}

// livechat.affiliate_licenses for one program ('livechat' | 'partner_program').
model::StreamSpec affiliate_licenses_table(std::string stream, std::string program,
                                           std::vector<std::string> paths,
                                           model::Envelope envelope);
// livechat.performance_daily for one program.
model::StreamSpec performance_daily_table(std::string stream, std::string program,
                                          std::vector<std::string> paths);
// livechat.history_monthly for one program ('livechat' | 'partner_program' | 'solution' |
// 'expert').
model::StreamSpec history_monthly_table(std::string stream, std::string program,
                                        std::vector<std::string> paths);

}  // namespace partnersync::connectors::livechat
