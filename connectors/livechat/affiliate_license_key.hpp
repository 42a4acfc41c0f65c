// The key of an affiliate license, which has no id upstream: the KeyDerivation hook that
// connectors/livechat/shared_tables.cpp names and the parser calls once per row.
#pragma once

#include "daemon/model/stream_spec.hpp"

namespace partnersync::connectors::livechat {

// "<created_at>|<client_email>|<n>", n counting earlier rows of the same response with the
// same creation time and masked e-mail (0 for the first) (../shared/api-docs/001, "Get
// Licenses List"). Inputs: the created_at and client_email columns.
model::KeyDerivation affiliate_license_key();

// The key of an Expert comment, which has no id either: "<created_at>|<author>|<n>", n
// counting earlier comments of the same response with the same time and author (001 "Get
// Comments"). Inputs: the created_at and author columns.
model::KeyDerivation expert_comment_key();

}  // namespace partnersync::connectors::livechat
