#include "bosh_libvirt_cpi/errors.h"

#include <exception>

namespace cpi {

std::string_view WireType(ErrorType type) {
  switch (type) {
    case ErrorType::kCpiError:
      return "Bosh::Clouds::CpiError";
    case ErrorType::kNotSupported:
      return "Bosh::Clouds::NotSupported";
    case ErrorType::kNotImplemented:
      return "Bosh::Clouds::NotImplemented";
    case ErrorType::kCloudError:
      return "Bosh::Clouds::CloudError";
    case ErrorType::kVmNotFound:
      return "Bosh::Clouds::VMNotFound";
    case ErrorType::kNetworkNotFound:
      return "Bosh::Clouds::NetworkNotFound";
    case ErrorType::kNoDiskSpace:
      return "Bosh::Clouds::NoDiskSpace";
    case ErrorType::kDiskNotAttached:
      return "Bosh::Clouds::DiskNotAttached";
    case ErrorType::kDiskNotFound:
      return "Bosh::Clouds::DiskNotFound";
    case ErrorType::kVmCreationFailed:
      return "Bosh::Clouds::VMCreationFailed";
  }
  return "Bosh::Clouds::CloudError";
}

void RethrowWithStep(std::string_view step, ErrorType fallback) {
  std::string prefix = std::string(step) + ": ";
  try {
    throw;
  } catch (const Error& e) {
    throw Error(e.type(), prefix + e.what(), e.ok_to_retry());
  } catch (const std::exception& e) {
    throw Error(fallback, prefix + e.what());
  } catch (...) {
    throw Error(fallback, prefix + "unknown failure");
  }
}

std::string EscapeControlCharacters(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string Quote(std::string_view value) {
  constexpr size_t kMax = 120;
  std::string_view shown = value.substr(0, kMax);
  std::string out = "'" + EscapeControlCharacters(shown);
  if (value.size() > kMax) out.append("...");
  out.push_back('\'');
  return out;
}

}  // namespace cpi
