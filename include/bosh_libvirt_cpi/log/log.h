#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace cpi::log {

// Sends every log line to stderr as "<time> <level> [<request id>] <method>: <message>". The
// Director copies stderr into task logs verbatim: never log create_vm's env, agent settings or
// credentials, only CIDs, names and steps.
void Init(std::string_view request_id, std::string_view method);

}  // namespace cpi::log
