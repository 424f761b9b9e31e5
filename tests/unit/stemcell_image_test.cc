// Reading a stemcell's `image` archive: format detection, qcow2 header checks, streaming root.img
// and every way the archive can be wrong. No libvirt involved.
#include "bosh_libvirt_cpi/stemcell/image.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/media/crc32.h"
#include "support/test_tar.h"

namespace cpi::stemcell {
namespace {

namespace fs = std::filesystem;
using media::AllZero;
using media::Crc32;
using media::Crc32Zeros;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "stemcell_image_test.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

using testing::Compression;
using testing::WriteTar;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void PutBigEndian(std::string& s, size_t offset, uint64_t v, size_t width) {
  for (size_t i = 0; i < width; ++i) {
    s[offset + width - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// A qcow2 header (and some bytes after it) with the given fields.
std::string Qcow2(uint64_t virtual_size, uint32_t version = 3, uint64_t backing_offset = 0,
                  uint64_t incompatible = 0, size_t total = 65536) {
  std::string s(total, '\0');
  s.replace(0, 4, std::string("QFI\xfb", 4));
  PutBigEndian(s, 4, version, 4);
  PutBigEndian(s, 8, backing_offset, 8);
  PutBigEndian(s, 20, 16, 4);  // cluster_bits
  PutBigEndian(s, 24, virtual_size, 8);
  PutBigEndian(s, 72, incompatible, 8);
  for (size_t i = 4096; i < total; ++i) s[i] = static_cast<char>(i * 7);
  return s;
}

// Incompressible bytes (so that gzip keeps the archive as large as the data).
std::string RandomBytes(size_t n, unsigned seed = 1) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

// All of root.img, read `chunk` bytes at a time.
std::string ReadAll(RootImage& image, size_t chunk) {
  std::string out, buf(chunk, '\0');
  for (;;) {
    size_t n = image.Read(buf.data(), buf.size());
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

// The CloudError message RootImage::Open throws, or "" when it opens.
std::string OpenError(const std::string& path, std::optional<ImageFormat> claimed = std::nullopt) {
  try {
    RootImage::Open(path, claimed);
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError) << e.what();
    return e.what();
  }
  return "";
}

TEST(StemcellFormatTest, DiskFormatAbsentMeansProbe) {
  EXPECT_EQ(ClaimedFormat(json::object()), std::nullopt);
  EXPECT_EQ(ClaimedFormat({{"name", "x"}}), std::nullopt);
}

TEST(StemcellFormatTest, AcceptsQcow2AndRaw) {
  EXPECT_EQ(ClaimedFormat({{"disk_format", "qcow2"}}), ImageFormat::kQcow2);
  EXPECT_EQ(ClaimedFormat({{"disk_format", "raw"}}), ImageFormat::kRaw);
  EXPECT_EQ(FormatName(ImageFormat::kQcow2), "qcow2");
  EXPECT_EQ(FormatName(ImageFormat::kRaw), "raw");
}

TEST(StemcellFormatTest, OtherDiskFormatsAreCloudErrors) {
  for (const json& value : {json("vmdk"), json("QCOW2"), json(3), json(nullptr)}) {
    try {
      ClaimedFormat({{"disk_format", value}});
      FAIL() << "accepted " << value;
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::kCloudError);
      EXPECT_NE(std::string(e.what()).find("disk_format"), std::string::npos) << e.what();
    }
  }
}

TEST(StemcellFormatTest, LightStemcellsAreNotSupported) {
  EXPECT_NO_THROW(RefuseLightStemcell({{"disk_format", "qcow2"}}));
  try {
    RefuseLightStemcell({{"image_id", "abc"}, {"disk_format", "qcow2"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kNotSupported);
    EXPECT_NE(std::string(e.what()).find("light stemcells"), std::string::npos);
  }
}

TEST(Qcow2HeaderTest, ReadsVersionAndVirtualSize) {
  EXPECT_TRUE(HasQcow2Magic(Qcow2(1)));
  EXPECT_FALSE(HasQcow2Magic("QFI"));
  EXPECT_FALSE(HasQcow2Magic(std::string(512, '\0')));
  Qcow2Header h = ParseQcow2Header(Qcow2(5ull << 30, 2));
  EXPECT_EQ(h.version, 2u);
  EXPECT_EQ(h.virtual_size, 5ull << 30);
  EXPECT_EQ(ParseQcow2Header(Qcow2(0x0102030405060708ull)).virtual_size, 0x0102030405060708ull);
}

TEST(Qcow2HeaderTest, RefusesImagesThatPointAtOtherFiles) {
  EXPECT_THROW(ParseQcow2Header(Qcow2(1 << 20, 3, /*backing_offset=*/512)), Error);
  EXPECT_THROW(ParseQcow2Header(Qcow2(1 << 20, 3, 0, /*external data file*/ 4)), Error);
  // Other incompatible bits (dirty, corrupt, compression type) are qemu's business.
  EXPECT_NO_THROW(ParseQcow2Header(Qcow2(1 << 20, 3, 0, 1)));
  // Version 2 has no feature fields: whatever is at their offset is data.
  EXPECT_NO_THROW(ParseQcow2Header(Qcow2(1 << 20, 2, 0, 4)));
}

TEST(Qcow2HeaderTest, RefusesUnknownVersionsEmptyAndShortHeaders) {
  EXPECT_THROW(ParseQcow2Header(Qcow2(1 << 20, 1)), Error);
  EXPECT_THROW(ParseQcow2Header(Qcow2(1 << 20, 4)), Error);
  EXPECT_THROW(ParseQcow2Header(Qcow2(0)), Error);
  EXPECT_THROW(ParseQcow2Header(Qcow2(1 << 20).substr(0, 50)), Error);
  EXPECT_THROW(ParseQcow2Header(std::string(512, 'x')), Error);
}

TEST(RootImageTest, StreamsQcow2FromGzipTarByteForByte) {
  TempDir dir;
  std::string content = Qcow2(64 << 20, 3, 0, 0, 3 * 1024 * 1024 + 17);
  WriteTar(dir.File("image"), {{"root.img", content}});
  for (size_t chunk : {size_t{1000}, size_t{4096}, size_t{4 << 20}}) {
    RootImage image = RootImage::Open(dir.File("image"), ImageFormat::kQcow2);
    EXPECT_EQ(image.info().format, ImageFormat::kQcow2);
    EXPECT_EQ(image.info().file_size, content.size());
    EXPECT_EQ(image.info().virtual_size, uint64_t{64} << 20);
    EXPECT_EQ(ReadAll(image, chunk), content) << "chunk " << chunk;
    EXPECT_EQ(image.position(), content.size());
    EXPECT_EQ(image.Read(nullptr, 0), 0u);
  }
}

TEST(RootImageTest, ProbesFormatWhenNotClaimed) {
  TempDir dir;
  WriteTar(dir.File("q"), {{"root.img", Qcow2(1 << 30)}});
  EXPECT_EQ(RootImage::Open(dir.File("q"), std::nullopt).info().format, ImageFormat::kQcow2);
  std::string raw = RandomBytes(10000);
  WriteTar(dir.File("r"), {{"root.img", raw}});
  RootImage image = RootImage::Open(dir.File("r"), std::nullopt);
  EXPECT_EQ(image.info().format, ImageFormat::kRaw);
  EXPECT_EQ(image.info().virtual_size, raw.size());
}

TEST(RootImageTest, ReadsUncompressedTarAndDotSlashNamesAfterOtherMembers) {
  TempDir dir;
  std::string raw = RandomBytes(100000) + std::string(200000, '\0');
  WriteTar(dir.File("image"), {{"stemcell.MF", "name: x\n"}, {"./root.img", raw}},
           Compression::kNone);
  RootImage image = RootImage::Open(dir.File("image"), ImageFormat::kRaw);
  EXPECT_EQ(image.info().file_size, raw.size());
  EXPECT_EQ(ReadAll(image, 65536), raw);
}

TEST(RootImageTest, ImageSmallerThanTheProbeIsReadWhole) {
  TempDir dir;
  WriteTar(dir.File("image"), {{"root.img", "tiny raw disk"}});
  RootImage image = RootImage::Open(dir.File("image"), std::nullopt);
  EXPECT_EQ(image.info().file_size, 13u);
  EXPECT_EQ(ReadAll(image, 5), "tiny raw disk");
}

TEST(RootImageTest, ClaimedFormatMustMatchContent) {
  TempDir dir;
  WriteTar(dir.File("raw"), {{"root.img", RandomBytes(8192)}});
  EXPECT_NE(OpenError(dir.File("raw"), ImageFormat::kQcow2).find("does not start with the qcow2"),
            std::string::npos);
  WriteTar(dir.File("qcow2"), {{"root.img", Qcow2(1 << 20)}});
  EXPECT_NE(OpenError(dir.File("qcow2"), ImageFormat::kRaw).find("is a qcow2 image"),
            std::string::npos);
}

TEST(RootImageTest, Qcow2WithBackingFileIsRefusedEvenUnclaimed) {
  TempDir dir;
  WriteTar(dir.File("image"), {{"root.img", Qcow2(1 << 20, 3, 512)}});
  EXPECT_NE(OpenError(dir.File("image")).find("backing file"), std::string::npos);
}

TEST(RootImageTest, MissingDirectoryAndEmptyFilesNameTheCause) {
  TempDir dir;
  EXPECT_NE(OpenError(dir.File("nope")).find("No such file or directory"), std::string::npos);
  EXPECT_NE(OpenError(dir.File("")).find("not a regular file"), std::string::npos);
  WriteFile(dir.File("empty"), "");
  EXPECT_NE(OpenError(dir.File("empty")).find("empty"), std::string::npos);
}

TEST(RootImageTest, UnreadableFileIsRefused) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  TempDir dir;
  WriteTar(dir.File("image"), {{"root.img", "x"}});
  fs::permissions(dir.File("image"), fs::perms::none);
  EXPECT_NE(OpenError(dir.File("image")).find("Permission denied"), std::string::npos);
}

TEST(RootImageTest, NotAnArchive) {
  TempDir dir;
  WriteFile(dir.File("random"), RandomBytes(100000));
  EXPECT_NE(OpenError(dir.File("random")).find("not a gzip-compressed tar archive"),
            std::string::npos);
  // A bare qcow2 file (someone passed root.img itself).
  WriteFile(dir.File("bare"), Qcow2(1 << 20));
  EXPECT_NE(OpenError(dir.File("bare")).find("not a gzip-compressed tar archive"),
            std::string::npos);
}

TEST(RootImageTest, ArchiveWithoutRootImgListsWhatItHolds) {
  TempDir dir;
  WriteTar(dir.File("image"), {{"disk.img", "x"}, {"root.img.bak", "y"}});
  std::string error = OpenError(dir.File("image"));
  EXPECT_NE(error.find("no root.img"), std::string::npos) << error;
  EXPECT_NE(error.find("'disk.img', 'root.img.bak'"), std::string::npos) << error;
  WriteTar(dir.File("empty"), {});
  EXPECT_NE(OpenError(dir.File("empty")).find("no root.img"), std::string::npos);
}

// The failure is only seen once the stream reaches the damage, after the upload started.
std::string ReadAllError(const std::string& path) {
  RootImage image = RootImage::Open(path, ImageFormat::kRaw);
  try {
    ReadAll(image, 1 << 20);
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
    return e.what();
  }
  return "";
}

TEST(RootImageTest, TruncatedArchiveFailsMidStream) {
  TempDir dir;
  WriteTar(dir.File("image"), {{"root.img", RandomBytes(4 << 20)}});
  std::string whole = ReadFile(dir.File("image"));
  WriteFile(dir.File("cut"), whole.substr(0, whole.size() / 2));
  std::string error = ReadAllError(dir.File("cut"));
  EXPECT_NE(error.find("reading root.img at byte"), std::string::npos) << error;
  // An uncompressed tar cut inside root.img's data.
  WriteTar(dir.File("plain"), {{"root.img", RandomBytes(4 << 20)}}, Compression::kNone);
  std::string plain = ReadFile(dir.File("plain"));
  WriteFile(dir.File("plain-cut"), plain.substr(0, (4 << 20) + 512 - 4096));
  EXPECT_NE(ReadAllError(dir.File("plain-cut")), "");
}

TEST(RootImageTest, CorruptDeflateDataFailsMidStream) {
  TempDir dir;
  // Compressible content, so that the middle of the file is Huffman-coded deflate data.
  std::string text;
  std::mt19937 gen(7);
  while (text.size() < (4u << 20)) text += "block " + std::to_string(gen() % 1000) + " ";
  WriteTar(dir.File("image"), {{"root.img", text}});
  std::string gz = ReadFile(dir.File("image"));
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 4096; ++i) gz[i] = static_cast<char>(0xff);
  WriteFile(dir.File("corrupt"), gz);
  EXPECT_NE(ReadAllError(dir.File("corrupt")), "");
}

// Incompressible data is kept in stored deflate blocks, where nothing but the gzip CRC notices a
// changed byte (libarchive's gzip reader does not check it; RootImage does).
TEST(RootImageTest, ChangedByteInStoredBlockFailsTheChecksumAtTheEnd) {
  TempDir dir;
  std::string raw = RandomBytes(2 << 20, 3);
  WriteTar(dir.File("image"), {{"root.img", raw}});
  std::string gz = ReadFile(dir.File("image"));
  gz[gz.size() / 2] ^= 0x01;
  WriteFile(dir.File("corrupt"), gz);
  RootImage image = RootImage::Open(dir.File("corrupt"), ImageFormat::kRaw);
  std::string buf(1 << 20, '\0');
  EXPECT_EQ(image.Read(buf.data(), buf.size()), buf.size());
  EXPECT_EQ(image.Read(buf.data(), buf.size()), buf.size());
  // Every byte of root.img was handed out; the end is only reported after the check.
  try {
    image.Read(buf.data(), buf.size());
    FAIL() << "corruption not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gzip checksum mismatch"), std::string::npos) << e.what();
  }
}

TEST(RootImageTest, GzipCutAfterRootImgDataFailsTheCheck) {
  TempDir dir;
  WriteTar(dir.File("image"), {{"root.img", RandomBytes(1 << 20, 4)}});
  std::string gz = ReadFile(dir.File("image"));
  WriteFile(dir.File("cut"), gz.substr(0, gz.size() - 4));  // half of the trailer gone
  EXPECT_NE(ReadAllError(dir.File("cut")), "");
}

TEST(RootImageTest, BytesAfterTheGzipStreamAreIgnored) {
  TempDir dir;
  std::string raw = RandomBytes(300000, 5);
  WriteTar(dir.File("image"), {{"root.img", raw}});
  WriteFile(dir.File("padded"), ReadFile(dir.File("image")) + std::string(4096, '\0'));
  RootImage image = RootImage::Open(dir.File("padded"), ImageFormat::kRaw);
  EXPECT_EQ(ReadAll(image, 1 << 20), raw);
}

TEST(Crc32Test, MatchesTheGzipCheckValueAndContinues) {
  EXPECT_EQ(Crc32(0, "123456789", 9), 0xcbf43926u);
  EXPECT_EQ(Crc32(0, "", 0), 0u);
  std::string data = RandomBytes(100003, 9);
  uint32_t whole = Crc32(0, data.data(), data.size());
  uint32_t parts = Crc32(Crc32(0, data.data(), 777), data.data() + 777, data.size() - 777);
  EXPECT_EQ(whole, parts);
}

TEST(Crc32Test, ZerosShortcutMatchesTheBytes) {
  std::string zeros(200000, '\0');
  for (uint32_t start : {0u, 0xcbf43926u, 0xffffffffu}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{4096}, size_t{65536},
                     size_t{199999}}) {
      EXPECT_EQ(Crc32Zeros(start, n), Crc32(start, zeros.data(), n)) << start << " " << n;
    }
  }
  // Past 4 GiB the shortcut is the only way; it must agree with doing it in two halves.
  uint64_t big = (uint64_t{5} << 30) + 3;
  EXPECT_EQ(Crc32Zeros(Crc32Zeros(1, big / 2), big - big / 2), Crc32Zeros(1, big));
}

TEST(Crc32Test, AllZeroFindsAnyNonZeroByte) {
  std::string zeros(1000, '\0');
  EXPECT_TRUE(AllZero(zeros.data(), zeros.size()));
  EXPECT_TRUE(AllZero(nullptr, 0));
  for (size_t at : {size_t{0}, size_t{255}, size_t{256}, size_t{767}, size_t{999}}) {
    std::string s = zeros;
    s[at] = 1;
    EXPECT_FALSE(AllZero(s.data(), s.size())) << at;
    EXPECT_TRUE(AllZero(s.data(), at)) << at;
  }
}

}  // namespace
}  // namespace cpi::stemcell
