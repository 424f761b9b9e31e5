#include "bosh_libvirt_cpi/log/log.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

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

// stderr, one line per record whatever the message holds: messages carry caller-supplied strings
// (CIDs, names, metadata keys), and a newline or escape sequence in one must not forge or hide a
// line in the Director's task log. Control characters other than the record's final newline are
// written as \xNN. Locked: create_stemcell logs from one thread per host.
class OneLinePerRecordSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line;
    line.reserve(formatted.size() + 16);
    size_t end = formatted.size();
    if (end > 0 && formatted[end - 1] == '\n') --end;
    for (size_t i = 0; i < end; ++i) {
      unsigned char c = static_cast<unsigned char>(formatted[i]);
      if (c < 0x20 || c == 0x7f) {
        static constexpr char kHex[] = "0123456789abcdef";
        line += "\\x";
        line.push_back(kHex[c >> 4]);
        line.push_back(kHex[c & 0xf]);
      } else {
        line.push_back(static_cast<char>(c));
      }
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

void Init(std::string_view request_id, std::string_view method) {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("cpi", std::make_shared<OneLinePerRecordSink>());
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
