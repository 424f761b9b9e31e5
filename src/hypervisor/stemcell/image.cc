#include "bosh_libvirt_cpi/stemcell/image.h"

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/media/archive_module.h"

namespace cpi::stemcell {

std::string_view FormatName(ImageFormat format) {
  return format == ImageFormat::kQcow2 ? "qcow2" : "raw";
}

std::optional<ImageFormat> ClaimedFormat(const nlohmann::json& cloud_properties) {
  if (!cloud_properties.is_object() || !cloud_properties.contains("disk_format")) {
    return std::nullopt;
  }
  const nlohmann::json& value = cloud_properties["disk_format"];
  if (value == "qcow2") return ImageFormat::kQcow2;
  if (value == "raw") return ImageFormat::kRaw;
  std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
  throw CloudError("cloud_properties.disk_format " + Quote(shown) +
                   " is not supported (expected 'qcow2' or 'raw')");
}

void RefuseLightStemcell(const nlohmann::json& cloud_properties) {
  if (cloud_properties.is_object() && cloud_properties.contains("image_id")) {
    throw NotSupported(
        "light stemcells (cloud_properties.image_id) are not supported by bosh-libvirt-cpi; "
        "upload the full stemcell (formats openstack-qcow2 or openstack-raw)");
  }
}

// RootImage forwards to the archive module (archive_module.h), which holds libarchive.
struct RootImage::State {
  void* handle = nullptr;
  std::string path;
  ImageInfo info;
  uint64_t position = 0;

  ~State() {
    if (handle != nullptr) media::Archive().close_root_image(handle);
  }
};

RootImage::RootImage(std::unique_ptr<State> state) : state_(std::move(state)) {}
RootImage::RootImage(RootImage&&) noexcept = default;
RootImage& RootImage::operator=(RootImage&&) noexcept = default;
RootImage::~RootImage() = default;

const ImageInfo& RootImage::info() const { return state_->info; }
const std::string& RootImage::path() const { return state_->path; }
uint64_t RootImage::position() const { return state_->position; }

RootImage RootImage::Open(const std::string& path, std::optional<ImageFormat> claimed) {
  auto s = std::make_unique<State>();
  s->path = path;
  s->handle = media::Archive().open_root_image(path, claimed, &s->info);
  return RootImage(std::move(s));
}

size_t RootImage::Read(char* buf, size_t size) {
  size_t n = media::Archive().read_root_image(state_->handle, buf, size);
  state_->position += n;
  return n;
}

}  // namespace cpi::stemcell
