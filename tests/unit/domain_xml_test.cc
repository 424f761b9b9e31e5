#include "bosh_libvirt_cpi/host/domain_xml.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cpi::host {
namespace {

const char kRunningDomain[] = R"(<domain type='qemu'><name>vm-1</name><devices>
  <disk type='file' device='disk'><source file='/pool/vm-1-root'/>
    <backingStore type='file'><source file='/pool/sc-1'/><backingStore/></backingStore>
    <target dev='vda' bus='virtio'/></disk>
  <disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdb' bus='virtio'/></disk>
  <disk type='volume' device='disk'><source pool='bosh' volume='disk-0123456789abcde'/>
    <target dev='vdc' bus='virtio'/></disk>
  <disk type='network' device='disk'><source protocol='nbd' name='x'/><target dev='vdd'/></disk>
  <interface type='network'><mac address='52:54:00:AB:cd:01'/><source network='n'/></interface>
  <interface type='network'><mac address='52:54:00:00:00:02'/><source network='n'/></interface>
</devices></domain>)";

TEST(DomainXmlTest, ReadsEveryDiskSourceWithTheBackingChain) {
  DiskSources s = ReadDiskSources(xml::Document::Parse(kRunningDomain, "domain"));
  std::sort(s.paths.begin(), s.paths.end());
  EXPECT_EQ(s.paths, (std::vector<std::string>{"/dev/sdz", "/pool/sc-1", "/pool/vm-1-root"}));
  EXPECT_EQ(s.pool_volumes, std::vector<std::string>{"bosh/disk-0123456789abcde"});
}

TEST(DomainXmlTest, ReadsMacsInLowercase) {
  EXPECT_EQ(ReadMacs(xml::Document::Parse(kRunningDomain, "domain")),
            (std::vector<std::string>{"52:54:00:ab:cd:01", "52:54:00:00:00:02"}));
}

TEST(DomainXmlTest, DomainWithoutDevicesUsesNothing) {
  xml::Document doc = xml::Document::Parse("<domain><name>x</name></domain>", "domain");
  EXPECT_TRUE(ReadDiskSources(doc).paths.empty());
  EXPECT_TRUE(ReadDiskSources(doc).pool_volumes.empty());
  EXPECT_TRUE(ReadMacs(doc).empty());
}

}  // namespace
}  // namespace cpi::host
