#include "bosh_libvirt_cpi/actions/stemcell_actions.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/stemcell/hosts.h"
#include "bosh_libvirt_cpi/stemcell/image.h"
#include "bosh_libvirt_cpi/stemcell/stemcell.h"

namespace cpi::actions {

// Everything about the image is checked (readable archive, root.img, format) before libvirt is
// contacted, so a bad upload creates nothing. The v3 `env` argument ({"tags": ...}) is not used:
// volumes carry no tags.
nlohmann::json CreateStemcell(const rpc::Call& call) {
  std::string image_path = call.args.String(0);
  nlohmann::json cloud_properties = call.args.Json(1);
  try {
    stemcell::RefuseLightStemcell(cloud_properties);
    std::optional<stemcell::ImageFormat> claimed = stemcell::ClaimedFormat(cloud_properties);
    std::optional<stemcell::RootImage> image;
    try {
      image.emplace(stemcell::RootImage::Open(image_path, claimed));
    } catch (...) {
      RethrowWithStep("reading image archive");
    }
    const config::Config& config = call.Config();
    if (!config.multi_host) {
      host::Host host = host::Host::Open(config);
      return stemcell::ImportStemcell(host, *image, cloud_properties);
    }
    // Every host gets its own copy under the same CID, imported in parallel, each host reading
    // the tarball itself (docs/MULTIHOST.md, "Stemcells").
    image.reset();
    return stemcell::ImportOnEveryHost(
        config, stemcell::OpenConfigured(config),
        [&] { return stemcell::RootImage::Open(image_path, claimed); }, cloud_properties);
  } catch (...) {
    host::RethrowWithStep("Creating stemcell from " + Quote(image_path));
  }
}

}  // namespace cpi::actions
