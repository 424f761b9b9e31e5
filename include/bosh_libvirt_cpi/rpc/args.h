#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include <simdjson.h>
#include <nlohmann/json.hpp>

namespace cpi::rpc {

enum class ArgKind {
  kString,
  kInteger,  // a whole JSON number
  kObject,
  kArray,
  kAny,
  kStringOrNull,
  kObjectOrNull,
  kArrayOrNull,
};

// One positional argument of a method, as the contract (§4) defines it.
struct ArgSpec {
  std::string_view name;
  ArgKind kind;
  bool optional = false;  // may be left out entirely (e.g. create_stemcell's v3 `env`)
  // kInteger only: the accepted range and its unit, for a message in the caller's terms
  // ("size 18446744073709551616 MiB is out of range 1..67108864").
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::string_view unit = {};
};

// Positional arguments of one call. Validate() checks count and JSON types against the method's
// spec before anything is done, so a bad request never half-applies; the typed getters may then
// be used without further checks (they still throw CpiError rather than misbehave).
class Args {
 public:
  Args(simdjson::dom::array values, std::string_view method) : values_(values), method_(method) {}

  // Throws cpi::Error (CpiError) naming the first argument that is missing or of the wrong type.
  void Validate(std::span<const ArgSpec> spec) const;

  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const;  // true also when the argument is absent
  simdjson::dom::element At(size_t i) const;
  std::string String(size_t i) const;
  int64_t Integer(size_t i) const;
  simdjson::dom::object Object(size_t i) const;
  simdjson::dom::array Array(size_t i) const;
  nlohmann::json Json(size_t i) const;  // a copy; null when absent

 private:
  simdjson::dom::array values_;
  std::string method_;
};

// Reads a whole number (integer, or a double with no fraction) or nullopt.
std::optional<int64_t> AsWholeNumber(simdjson::dom::element value);

// A JSON number as the caller wrote it, as near as the parsed value allows: integers exactly,
// other numbers in their shortest round-trip form.
std::string NumberText(simdjson::dom::element value);

// "size 5 MiB is out of range 1..67108864": `text` is the number as written.
std::string OutOfRange(const ArgSpec& spec, std::string_view text);

}  // namespace cpi::rpc
