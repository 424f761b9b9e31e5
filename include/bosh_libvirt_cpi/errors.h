#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cpi {

// The error classes BOSH callers know (docs/CONTRACT.md §3). Nothing else may reach the wire.
enum class ErrorType {
  kCpiError,
  kNotSupported,
  kNotImplemented,
  kCloudError,
  kVmNotFound,
  kNetworkNotFound,
  kNoDiskSpace,
  kDiskNotAttached,
  kDiskNotFound,
  kVmCreationFailed,
};

// The `type` string of the response, e.g. "Bosh::Clouds::VMNotFound".
std::string_view WireType(ErrorType type);

// `text` with every control character but newline and tab written as \u00XX (a NUL as \u0000),
// so that what() — a C string — holds the whole message and no byte of it can end or rewrite a
// line. A backslash is left alone, so escaping twice changes nothing.
std::string EscapeControlCharacters(std::string_view text);

// A failure that reaches the caller. Every exception that escapes an action is turned into one of
// these by the dispatcher; anything that is not one becomes a CloudError. The message is kept
// with its control characters escaped (EscapeControlCharacters): callers' strings reach it, and
// a NUL in one would otherwise cut what() short.
class Error : public std::runtime_error {
 public:
  Error(ErrorType type, std::string_view message, bool ok_to_retry = false)
      : std::runtime_error(EscapeControlCharacters(message)),
        type_(type),
        ok_to_retry_(ok_to_retry) {}

  ErrorType type() const { return type_; }
  bool ok_to_retry() const { return ok_to_retry_; }

 private:
  ErrorType type_;
  bool ok_to_retry_;
};

inline Error CpiError(const std::string& m) { return Error(ErrorType::kCpiError, m); }
inline Error CloudError(const std::string& m, bool retry = false) {
  return Error(ErrorType::kCloudError, m, retry);
}
inline Error NotSupported(const std::string& m) { return Error(ErrorType::kNotSupported, m); }
inline Error NotImplemented(const std::string& m) { return Error(ErrorType::kNotImplemented, m); }
inline Error VmNotFound(std::string_view vm_cid) {
  return Error(ErrorType::kVmNotFound, "VM '" + std::string(vm_cid) + "' not found");
}
inline Error DiskNotFound(const std::string& m) { return Error(ErrorType::kDiskNotFound, m); }
inline Error DiskNotAttached(const std::string& m) { return Error(ErrorType::kDiskNotAttached, m); }
inline Error NoDiskSpace(const std::string& m) { return Error(ErrorType::kNoDiskSpace, m, true); }
inline Error VmCreationFailed(const std::string& m, bool retry) {
  return Error(ErrorType::kVmCreationFailed, m, retry);
}

// Must be called from inside a catch block. Rethrows the exception being handled as a cpi::Error
// whose message is "<step>: <original message>", keeping type and ok_to_retry of a cpi::Error and
// turning anything else into `fallback`.
[[noreturn]] void RethrowWithStep(std::string_view step,
                                  ErrorType fallback = ErrorType::kCloudError);

// Quotes a caller-supplied value for a message: 'value', cut to a readable length, control
// characters escaped as in Error.
std::string Quote(std::string_view value);

}  // namespace cpi
