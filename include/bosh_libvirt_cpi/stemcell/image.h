#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/media/disk_image.h"

namespace cpi::stemcell {

// The image knowledge the archive module needs (formats, qcow2 header, ImageInfo) is the media
// layer's (media/disk_image.h); stemcell uses it under the same names.
using media::HasQcow2Magic;
using media::ImageFormat;
using media::ImageInfo;
using media::kQcow2HeaderBytes;
using media::ParseQcow2Header;
using media::Qcow2Header;

// "qcow2" / "raw": the names libvirt and stemcell.MF's disk_format use.
std::string_view FormatName(ImageFormat format);

// The stemcell's claimed format, from cloud_properties.disk_format: nullopt when absent (the
// image is probed). Throws cpi::Error (CloudError) for any value but "qcow2" and "raw".
std::optional<ImageFormat> ClaimedFormat(const nlohmann::json& cloud_properties);

// Throws cpi::Error (NotSupported) for a light stemcell (cloud_properties.image_id): this CPI
// does not advertise a light format, so it never gets one from a Director that checks formats.
void RefuseLightStemcell(const nlohmann::json& cloud_properties);

// root.img of a stemcell's `image` file (a gzip-compressed or plain tar), read as a stream:
// nothing is extracted to disk and memory stays constant whatever the image size. The gzip
// checksum and length are verified when the stream ends (libarchive's gzip reader does not check
// them, and stored deflate blocks, which incompressible data such as a compressed qcow2 becomes,
// carry no other protection).
class RootImage {
 public:
  // Opens `path`, finds root.img and reads its first bytes to learn the format (checked against
  // `claimed` when given) and the virtual size. Throws cpi::Error (CloudError) with the cause:
  // unreadable file, not a gzip/tar archive, no root.img, format mismatch, unusable qcow2.
  static RootImage Open(const std::string& path, std::optional<ImageFormat> claimed);

  RootImage(RootImage&&) noexcept;
  RootImage& operator=(RootImage&&) noexcept;
  ~RootImage();

  const ImageInfo& info() const;
  const std::string& path() const;

  // Copies the next bytes of root.img into `buf` (at most `size`); returns 0 at the end, which
  // it only reports once the rest of the archive has been read and its gzip checksum matched.
  // The first bytes, read by Open, are replayed first. Throws cpi::Error (CloudError) when the
  // archive is truncated or corrupt.
  size_t Read(char* buf, size_t size);

  // Bytes of root.img returned by Read so far.
  uint64_t position() const;

 private:
  struct State;
  explicit RootImage(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace cpi::stemcell
