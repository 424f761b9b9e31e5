#include "bosh_libvirt_cpi/log/log.h"

#include <cstdlib>

#include <spdlog/sinks/stdout_sinks.h>

namespace cpi::log {
namespace {

// Request ids and method names come from the caller: keep only characters that cannot break a
// log line or the spdlog pattern, and a bounded length.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '?');
  }
  return out;
}

}  // namespace

void Init(std::string_view request_id, std::string_view method) {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_logger_st("cpi");
    spdlog::set_default_logger(l);
    return l;
  }();
  std::string safe_tag = Printable(request_id.empty() ? "-" : request_id);
  std::string safe_method = Printable(method);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l [" + safe_tag + "] " + safe_method + ": %v",
                      spdlog::pattern_time_type::utc);
  const char* level = std::getenv("BOSH_LIBVIRT_CPI_LOG_LEVEL");
  logger->set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
}

}  // namespace cpi::log
