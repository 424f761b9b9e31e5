#include "bosh_libvirt_cpi/json/duplicate_keys.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpi::json {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Objects of a request are small (a few keys): below this size a quadratic scan beats sorting.
constexpr size_t kLinearScanMax = 16;

bool IsIdentifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The repeated key of one object's keys, or nullopt.
std::optional<std::string_view> Repeated(std::vector<std::string_view>& keys) {
  if (keys.size() <= kLinearScanMax) {
    for (size_t i = 1; i < keys.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (keys[i] == keys[j]) return keys[i];
      }
    }
    return std::nullopt;
  }
  std::sort(keys.begin(), keys.end());
  auto it = std::adjacent_find(keys.begin(), keys.end());
  if (it == keys.end()) return std::nullopt;
  return *it;
}

// One step from the root to a nested value: a member's key, or an array index when `is_index`.
struct Step {
  std::string_view key;
  size_t index = 0;
  bool is_index = false;
};

// Built only when a duplicate is found, so that the walk itself allocates nothing per value.
std::string PathOf(const std::vector<Step>& steps) {
  std::string path = "$";
  for (const Step& s : steps) {
    path = s.is_index ? path + "[" + std::to_string(s.index) + "]" : MemberPath(path, s.key);
  }
  return path;
}

bool IsContainer(element value) {
  return value.type() == element_type::ARRAY || value.type() == element_type::OBJECT;
}

// The walk's state: where it is, and scratch space for one object's keys.
struct Walker {
  std::vector<Step> steps;
  std::vector<std::string_view> keys;

  std::optional<DuplicateKey> Walk(element value) {
    if (value.type() == element_type::ARRAY) {
      size_t index = 0;
      // A named copy: the range of a for loop over value_unsafe() would dangle.
      simdjson::dom::array array = value.get_array().value_unsafe();
      for (element item : array) {
        if (IsContainer(item)) {
          steps.push_back({{}, index, true});
          if (auto found = Walk(item)) return found;
          steps.pop_back();
        }
        ++index;
      }
      return std::nullopt;
    }
    if (value.type() != element_type::OBJECT) return std::nullopt;
    simdjson::dom::object object = value.get_object().value_unsafe();
    keys.clear();
    for (auto [key, item] : object) keys.push_back(key);
    if (auto key = Repeated(keys))
      return DuplicateKey{std::string(*key), MemberPath(PathOf(steps), *key)};
    for (auto [key, item] : object) {
      if (IsContainer(item)) {
        steps.push_back({key});
        if (auto found = Walk(item)) return found;
        steps.pop_back();
      }
    }
    return std::nullopt;
  }
};

}  // namespace

std::string MemberPath(const std::string& parent, std::string_view key) {
  if (IsIdentifier(key)) return parent + "." + std::string(key);
  return parent + "[" +
         nlohmann::json(std::string(key))
             .dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) +
         "]";
}

std::optional<DuplicateKey> FindDuplicateKey(element root) {
  Walker walker;
  return walker.Walk(root);
}

}  // namespace cpi::json
