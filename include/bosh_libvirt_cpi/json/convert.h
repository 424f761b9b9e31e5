#pragma once

#include <simdjson.h>
#include <nlohmann/json.hpp>

namespace cpi::json {

// Copies a parsed simdjson value into an nlohmann::json value (for values that must be kept,
// merged or written back out verbatim, such as create_vm's `env`).
nlohmann::json ToJson(simdjson::dom::element value);
nlohmann::json ToJson(simdjson::dom::object value);

// Serialises `value` compactly. Invalid UTF-8 in strings is replaced, never thrown on: an error
// response must always be writable.
std::string Dump(const nlohmann::json& value);

// The JSON type name of a simdjson value as users know it: "string", "object", "null", ...
const char* TypeName(simdjson::dom::element_type type);

}  // namespace cpi::json
