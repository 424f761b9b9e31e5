#include "support/fake_stemcell.h"

#include <stdexcept>

#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/virt/storage.h"

namespace cpi::testing {

std::string AddFakeStemcell(LibvirtWorld& world, const std::string& format,
                            uint64_t virtual_size) {
  std::string cid = util::NewStemcellCid();
  std::optional<virt::StoragePoolPtr> pool = world.conn().FindStoragePool(world.pool());
  if (!pool) throw std::runtime_error("world pool missing");
  std::string xml = "<volume><name>" + cid + "</name><capacity unit='bytes'>" +
                    std::to_string(virtual_size) + "</capacity><target><format type='" + format +
                    "'/></target></volume>";
  virt::StorageVolPtr vol = virt::CreateVolume(pool->get(), xml, cid);
  if (format == "raw") {
    // Recognisable first sector.
    std::string sector(512, '\0');
    sector.replace(0, 14, "FAKE-STEMCELL\n");
    virt::UploadBytes(world.conn().get(), vol.get(), sector, cid);
  }
  return cid;
}

}  // namespace cpi::testing
