#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace cpi::rpc {

// Requests larger than this are refused (a real one is a few KiB; create_vm's env may hold
// certificates, still far below this).
inline constexpr size_t kMaxRequestBytes = 16 * 1024 * 1024;

// One parsed CPI request (docs/CONTRACT.md §1.2). The simdjson views point into the parser that
// produced them and stay valid as long as that RequestParser lives.
struct Request {
  std::string method;
  simdjson::dom::array arguments;
  simdjson::dom::object context;  // an empty object when the request has none
  int api_version = 1;            // absent = 1
  std::optional<int64_t> stemcell_api_version;
  std::string request_id;  // context.request_id, empty when absent (CLI calls)
};

class RequestParser {
 public:
  // Parses and validates the envelope. Throws cpi::Error (CpiError) naming what is wrong.
  Request Parse(std::string_view input);

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::parser empty_parser_;
};

}  // namespace cpi::rpc
