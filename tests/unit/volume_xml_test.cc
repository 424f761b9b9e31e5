#include "bosh_libvirt_cpi/host/volume_xml.h"

#include <gtest/gtest.h>

namespace cpi::host {
namespace {

TEST(VolumeXmlTest, ReadsPathFormatBackingFileTimeAndSize) {
  VolumeTarget t = ReadVolumeXml(R"(<volume type='file'>
  <name>vm-1-root</name>
  <capacity unit='bytes'>3221225472</capacity>
  <physical unit='bytes'>200704</physical>
  <target>
    <path>/pool/vm-1-root</path>
    <format type='qcow2'/>
    <timestamps><mtime>1733000000.123456789</mtime></timestamps>
  </target>
  <backingStore>
    <path>/pool/sc-1</path>
    <format type='raw'/>
  </backingStore>
</volume>)",
                                 "volume 'vm-1-root'");
  EXPECT_EQ(t.path, "/pool/vm-1-root");
  EXPECT_EQ(t.format, "qcow2");
  EXPECT_EQ(t.backing_path, "/pool/sc-1");
  EXPECT_EQ(t.modified, 1733000000);
  EXPECT_EQ(t.physical_bytes, 200704u);
}

TEST(VolumeXmlTest, AVolumeWithoutFormatBackingOrTimesIsARawFileOfUnknownAge) {
  VolumeTarget t =
      ReadVolumeXml("<volume><name>d</name><target><path>/p/d</path></target></volume>", "d");
  EXPECT_EQ(t.path, "/p/d");
  EXPECT_EQ(t.format, "raw");
  EXPECT_TRUE(t.backing_path.empty());
  EXPECT_FALSE(t.modified.has_value());
  EXPECT_EQ(t.physical_bytes, 0u);
}

TEST(VolumeXmlTest, TextThatIsNotXmlIsAnErrorNamingTheVolume) {
  try {
    ReadVolumeXml("<volume", "volume 'x'");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("volume 'x'"), std::string::npos) << e.what();
  }
}

TEST(VolumeXmlTest, EpochSecondsOfLibvirtTimestamps) {
  EXPECT_EQ(EpochSeconds("1733000000.5"), 1733000000);
  EXPECT_EQ(EpochSeconds("1733000000"), 1733000000);
  EXPECT_FALSE(EpochSeconds("").has_value());
  EXPECT_FALSE(EpochSeconds("soon").has_value());
}

}  // namespace
}  // namespace cpi::host
