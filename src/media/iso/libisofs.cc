// libisofs set-up shared by the config-drive writer and reader (ISO module).
#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>

// After the types it uses without including them.
#include <libisofs/libisofs.h>

#include "bosh_libvirt_cpi/errors.h"
#include "iso_impl.h"

namespace cpi::media {

void InitLibisofs(const std::string& purpose) {
  static std::once_flag once;
  std::call_once(once, [&purpose] {
    // Bit 0: leave the process locale alone (all our names are ASCII).
    int code = iso_init_with_flag(1);
    if (code < 0) {
      throw CloudError(purpose + ": initializing libisofs: " + iso_error_to_msg(code));
    }
    // Nothing on stderr: failures travel as exceptions, with queued messages as their detail.
    char queue[] = "SORRY";
    char print[] = "NEVER";
    char prefix[] = "libisofs: ";
    iso_set_msgs_severities(queue, print, prefix);
  });
}

}  // namespace cpi::media
