#include "bosh_libvirt_cpi/rpc/args.h"

#include <charconv>
#include <cmath>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/json/convert.h"

namespace cpi::rpc {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

const char* KindName(ArgKind kind) {
  switch (kind) {
    case ArgKind::kString:
      return "a string";
    case ArgKind::kInteger:
      return "an integer";
    case ArgKind::kObject:
      return "an object";
    case ArgKind::kArray:
      return "an array";
    case ArgKind::kAny:
      return "any value";
    case ArgKind::kStringOrNull:
      return "a string or null";
    case ArgKind::kObjectOrNull:
      return "an object or null";
    case ArgKind::kArrayOrNull:
      return "an array or null";
  }
  return "?";
}

bool IsNumber(element value) {
  element_type t = value.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

// A number that is whole, though maybe beyond int64 (an integer kInteger then reports as out of
// range instead of "not an integer").
bool IsWhole(element value) {
  if (value.type() != element_type::DOUBLE) return IsNumber(value);
  double d = value.get_double().value_unsafe();
  return std::isfinite(d) && std::floor(d) == d;
}

bool Matches(ArgKind kind, element value) {
  element_type t = value.type();
  bool is_null = t == element_type::NULL_VALUE;
  switch (kind) {
    case ArgKind::kString:
      return t == element_type::STRING;
    case ArgKind::kInteger:
      return IsWhole(value);
    case ArgKind::kObject:
      return t == element_type::OBJECT;
    case ArgKind::kArray:
      return t == element_type::ARRAY;
    case ArgKind::kAny:
      return true;
    case ArgKind::kStringOrNull:
      return is_null || t == element_type::STRING;
    case ArgKind::kObjectOrNull:
      return is_null || t == element_type::OBJECT;
    case ArgKind::kArrayOrNull:
      return is_null || t == element_type::ARRAY;
  }
  return false;
}

// The value's description in a "must be ..., got ..." message: its type, and for a number the
// number itself.
std::string Got(element value) {
  std::string got = json::TypeName(value.type());
  if (IsNumber(value)) got += " " + NumberText(value);
  return got;
}

}  // namespace

std::string NumberText(element value) {
  switch (value.type()) {
    case element_type::INT64:
      return std::to_string(value.get_int64().value_unsafe());
    case element_type::UINT64:
      return std::to_string(value.get_uint64().value_unsafe());
    case element_type::DOUBLE: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value.get_double().value_unsafe());
      return ec == std::errc() ? std::string(buf, end) : "?";
    }
    default:
      return "";
  }
}

std::string OutOfRange(const ArgSpec& spec, std::string_view text) {
  std::string unit = spec.unit.empty() ? "" : " " + std::string(spec.unit);
  return std::string(spec.name) + " " + std::string(text) + unit + " is out of range " +
         std::to_string(spec.min) + ".." + std::to_string(spec.max);
}

std::optional<int64_t> AsWholeNumber(element value) {
  switch (value.type()) {
    case element_type::INT64:
      return value.get_int64().value_unsafe();
    case element_type::UINT64:
      return std::nullopt;
    case element_type::DOUBLE: {
      double d = value.get_double().value_unsafe();
      if (std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

void Args::Validate(std::span<const ArgSpec> spec) const {
  size_t required = 0;
  for (const ArgSpec& s : spec) {
    if (!s.optional) ++required;
  }
  size_t given = size();
  if (given < required || given > spec.size()) {
    std::string expected = required == spec.size()
                               ? std::to_string(required)
                               : std::to_string(required) + " to " + std::to_string(spec.size());
    std::string names;
    for (const ArgSpec& s : spec) names += (names.empty() ? "" : ", ") + std::string(s.name);
    throw CpiError("Invalid arguments for '" + method_ + "': expected " + expected +
                   " argument(s) (" + (names.empty() ? "none" : names) + "), got " +
                   std::to_string(given));
  }
  for (size_t i = 0; i < given; ++i) {
    element value = At(i);
    if (!Matches(spec[i].kind, value)) {
      throw CpiError("Invalid arguments for '" + method_ + "': argument " + std::to_string(i + 1) +
                     " (" + std::string(spec[i].name) + ") must be " + KindName(spec[i].kind) +
                     ", got " + Got(value));
    }
    if (spec[i].kind == ArgKind::kInteger) {
      std::optional<int64_t> n = AsWholeNumber(value);
      if (!n || *n < spec[i].min || *n > spec[i].max) {
        throw CpiError("Invalid arguments for '" + method_ +
                       "': " + OutOfRange(spec[i], NumberText(value)));
      }
    }
  }
}

element Args::At(size_t i) const {
  element value;
  if (values_.at(i).get(value)) {
    throw CpiError("Invalid arguments for '" + method_ + "': argument " + std::to_string(i + 1) +
                   " is missing");
  }
  return value;
}

bool Args::IsNull(size_t i) const {
  return i >= size() || At(i).type() == element_type::NULL_VALUE;
}

std::string Args::String(size_t i) const {
  std::string_view s;
  if (At(i).get_string().get(s)) {
    throw CpiError("Invalid arguments for '" + method_ + "': argument " + std::to_string(i + 1) +
                   " must be a string");
  }
  return std::string(s);
}

int64_t Args::Integer(size_t i) const {
  std::optional<int64_t> v = AsWholeNumber(At(i));
  if (!v) {
    throw CpiError("Invalid arguments for '" + method_ + "': argument " + std::to_string(i + 1) +
                   " must be an integer");
  }
  return *v;
}

simdjson::dom::object Args::Object(size_t i) const {
  simdjson::dom::object o;
  if (At(i).get_object().get(o)) {
    throw CpiError("Invalid arguments for '" + method_ + "': argument " + std::to_string(i + 1) +
                   " must be an object");
  }
  return o;
}

simdjson::dom::array Args::Array(size_t i) const {
  simdjson::dom::array a;
  if (At(i).get_array().get(a)) {
    throw CpiError("Invalid arguments for '" + method_ + "': argument " + std::to_string(i + 1) +
                   " must be an array");
  }
  return a;
}

nlohmann::json Args::Json(size_t i) const {
  if (i >= size()) return nullptr;
  return json::ToJson(At(i));
}

}  // namespace cpi::rpc
