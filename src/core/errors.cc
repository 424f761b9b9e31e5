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

std::string Quote(std::string_view value) {
  constexpr size_t kMax = 120;
  std::string out = "'";
  if (value.size() > kMax) {
    out.append(value.substr(0, kMax));
    out.append("...");
  } else {
    out.append(value);
  }
  out.push_back('\'');
  return out;
}

}  // namespace cpi
