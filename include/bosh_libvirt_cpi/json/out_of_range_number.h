#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cpi::json {

// A number that is valid JSON but that simdjson (3.0) cannot hold: an integer beyond 64 bits
// (2^64 = 18446744073709551616) or a number beyond a double (1e400). simdjson reports it as
// NUMBER_ERROR, "invalid JSON", which it is not.
struct OutOfRangeNumber {
  std::string text;  // as written
  std::string path;  // its JSONPath, e.g. `$.arguments[0]`
};

// The first such number of `text`, read with nlohmann's parser (which keeps a number's text), or
// nullopt when `text` holds none before its first syntax error.
std::optional<OutOfRangeNumber> FindOutOfRangeNumber(std::string_view text);

}  // namespace cpi::json
