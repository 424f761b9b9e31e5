#pragma once

#include <optional>
#include <string>

#include <simdjson.h>

namespace cpi::json {

// A key that appears twice in one JSON object.
struct DuplicateKey {
  std::string key;
  std::string path;  // its JSONPath from the root "$", e.g. `$.arguments[2].cpu`
};

// The first duplicate key found walking `root` depth first, or nullopt. simdjson's DOM keeps every
// member and its lookups return the first, where the Ruby and Go readers of the BOSH toolchain
// keep the last: a document with a duplicate key means different things to the Director and to
// the CPI, so callers refuse it (docs/CONTRACT.md §1.2) instead of picking one.
std::optional<DuplicateKey> FindDuplicateKey(simdjson::dom::element root);

// The JSONPath of a member `key` of the object at `parent`: `$.cpu`, or `$["a b"]` when `key` is
// not a plain identifier.
std::string MemberPath(const std::string& parent, std::string_view key);

}  // namespace cpi::json
