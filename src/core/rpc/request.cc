#include "bosh_libvirt_cpi/rpc/request.h"

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/json/convert.h"
#include "bosh_libvirt_cpi/json/duplicate_keys.h"
#include "bosh_libvirt_cpi/json/out_of_range_number.h"
#include "bosh_libvirt_cpi/rpc/args.h"
#include "bosh_libvirt_cpi/rpc/methods.h"

namespace cpi::rpc {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

Error Malformed(const std::string& what) { return CpiError("Malformed request: " + what); }

bool IsNumber(element_type t) {
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

// Valid JSON with a number simdjson cannot hold (it says NUMBER_ERROR): the number named, in the
// argument's own terms when it is a method's integer argument ("size 18446744073709551616 MiB is
// out of range 1..67108864").
Error OutOfRangeNumberError(std::string_view input, const json::OutOfRangeNumber& number) {
  nlohmann::json doc = nlohmann::json::parse(input, nullptr, false);
  const Method* method = nullptr;
  if (doc.is_object() && doc.contains("method") && doc["method"].is_string()) {
    method = FindMethod(doc["method"].get<std::string>());
  }
  if (method != nullptr) {
    for (size_t i = 0; i < method->args.size(); ++i) {
      const ArgSpec& spec = method->args[i];
      if (spec.kind == ArgKind::kInteger &&
          number.path == "$.arguments[" + std::to_string(i) + "]") {
        return CpiError("Invalid arguments for '" + std::string(method->name) +
                        "': " + OutOfRange(spec, number.text));
      }
    }
  }
  return Malformed("the number " + number.text + " at " + number.path +
                   " is out of range (integers must fit in 64 bits, other numbers in a double)");
}

}  // namespace

Request RequestParser::Parse(std::string_view input) {
  if (input.size() > kMaxRequestBytes) {
    // The executable stops reading at one byte past the limit, so the true size is unknown here.
    throw Malformed("request is more than " + std::to_string(kMaxRequestBytes / (1024 * 1024)) +
                    " MiB; at most " + std::to_string(kMaxRequestBytes) + " bytes are accepted");
  }
  size_t first = input.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) throw Malformed("standard input is empty");

  element root;
  if (auto error = parser_.parse(input.data(), input.size()).get(root)) {
    if (error == simdjson::NUMBER_ERROR) {
      if (auto number = json::FindOutOfRangeNumber(input)) {
        throw OutOfRangeNumberError(input, *number);
      }
    }
    throw Malformed(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  // Before any value is read: simdjson would return the first of two equal keys, the Director's
  // readers the last.
  if (std::optional<json::DuplicateKey> dup = json::FindDuplicateKey(root)) {
    throw Malformed("duplicate key " + Quote(dup->key) + " at " + dup->path +
                    "; JSON readers disagree on which value counts, so the request is refused");
  }
  simdjson::dom::object envelope;
  if (root.get_object().get(envelope)) {
    throw Malformed(std::string("expected a JSON object, got ") + json::TypeName(root.type()));
  }

  Request request;
  element method;
  if (envelope["method"].get(method)) throw Malformed("'method' is missing");
  if (method.type() != element_type::STRING) {
    throw Malformed(std::string("'method' must be a string, got ") + json::TypeName(method.type()));
  }
  request.method = std::string(method.get_string().value_unsafe());
  if (request.method.empty()) throw Malformed("'method' is empty");

  element arguments;
  if (envelope["arguments"].get(arguments)) throw Malformed("'arguments' is missing");
  if (arguments.get_array().get(request.arguments)) {
    throw Malformed(std::string("'arguments' must be an array, got ") +
                    json::TypeName(arguments.type()));
  }

  element context;
  bool has_context =
      !envelope["context"].get(context) && context.type() != element_type::NULL_VALUE;
  if (has_context && context.get_object().get(request.context)) {
    throw Malformed(std::string("'context' must be an object, got ") +
                    json::TypeName(context.type()));
  }
  if (!has_context) {
    // Views must point at a real (empty) object so that callers can look keys up uniformly.
    request.context = empty_parser_.parse("{}", 2).get_object().value_unsafe();
  }

  element api_version;
  if (!envelope["api_version"].get(api_version) && api_version.type() != element_type::NULL_VALUE) {
    if (!IsNumber(api_version.type())) {
      throw Malformed(std::string("'api_version' must be a number, got ") +
                      json::TypeName(api_version.type()));
    }
    std::optional<int64_t> v = AsWholeNumber(api_version);
    if (!v || *v < 1 || *v > 1000) throw Malformed("'api_version' must be a positive integer");
    request.api_version = static_cast<int>(*v);
  }

  element request_id;
  if (!request.context["request_id"].get(request_id) && request_id.type() == element_type::STRING) {
    request.request_id = std::string(request_id.get_string().value_unsafe());
  }
  element stemcell_version;
  if (!request.context.at_pointer("/vm/stemcell/api_version").get(stemcell_version)) {
    request.stemcell_api_version = AsWholeNumber(stemcell_version);
  }
  return request;
}

}  // namespace cpi::rpc
