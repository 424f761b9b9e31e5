#include "bosh_libvirt_cpi/disk/disk_model.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/disk/volumes.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "bosh_libvirt_cpi/xml/render.h"

namespace cpi::disk {
namespace {

using nlohmann::json;

// A domain as libvirt reports it for a CPI VM with one persistent disk: root, ephemeral, the
// config-drive CD-ROM, a persistent disk attached by the CPI, and a disk given by pool/volume.
constexpr const char* kDomainXml = R"(<domain type='qemu'>
  <name>vm-1</name>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/pool/vm-1-root'/>
      <target dev='vda' bus='virtio'/>
      <serial>root</serial>
      <alias name='ua-root'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/pool/vm-1-ephemeral'/>
      <target dev='vdb' bus='virtio'/>
      <serial>eph-0123456789abcdef</serial>
      <alias name='ua-eph-0123456789abcdef'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/pool/vm-1-config'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
      <alias name='ua-config-drive'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' discard='unmap'/>
      <source file='/pool/disk-0123456789abcde'/>
      <target dev='vdf' bus='virtio'/>
      <serial>disk-0123456789abcde</serial>
      <alias name='ua-disk-0123456789abcde'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='bosh' volume='disk-fedcba987654321'/>
      <target dev='vdd' bus='virtio'/>
      <serial>disk-fedcba987654321</serial>
    </disk>
  </devices>
</domain>)";

TEST(DiskPropertiesTest, DefaultsToQcow2) {
  EXPECT_EQ(ParseDiskProperties(nullptr).format, "qcow2");
  EXPECT_EQ(ParseDiskProperties(json::object()).format, "qcow2");
  EXPECT_EQ(ParseDiskProperties({{"format", nullptr}}).format, "qcow2");
}

TEST(DiskPropertiesTest, AcceptsRawAndIgnoresUnknownKeys) {
  EXPECT_EQ(ParseDiskProperties({{"format", "raw"}, {"name", "dyn"}, {"type", "gp2"}}).format,
            "raw");
  EXPECT_EQ(ParseDiskProperties({{"format", "qcow2"}}).format, "qcow2");
}

TEST(DiskPropertiesTest, RefusesUnknownFormatsNamingTheKey) {
  for (const json& bad :
       {json{{"format", "vmdk"}}, json{{"format", 1}}, json{{"format", ""}}, json::array()}) {
    try {
      ParseDiskProperties(bad);
      ADD_FAILURE() << bad.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::kCpiError);
      EXPECT_NE(std::string(e.what()).find("cloud_properties"), std::string::npos) << e.what();
    }
  }
}

TEST(DiskSizeTest, ConvertsMibAndRefusesOutOfRange) {
  EXPECT_EQ(DiskSizeBytes(1), 1024u * 1024u);
  EXPECT_EQ(DiskSizeBytes(10240), 10240ull << 20);
  EXPECT_EQ(DiskSizeBytes(kMaxDiskMib), static_cast<uint64_t>(kMaxDiskMib) << 20);
  for (int64_t bad : {int64_t{0}, int64_t{-1}, kMaxDiskMib + 1, INT64_MAX}) {
    try {
      DiskSizeBytes(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::kCpiError);
    }
  }
}

// Issue 17: a v1 call answers attach_disk with null, so the Director has no hint to hand the agent
// even for a v2+ stemcell; only v2 call and v2+ (or unknown) stemcell together pass one.
TEST(DiskHintTest, DirectorPassesAHintOnlyForV2CallsAndStemcells) {
  EXPECT_TRUE(DirectorPassesDiskHint(2, 3));
  EXPECT_TRUE(DirectorPassesDiskHint(2, 2));
  EXPECT_TRUE(DirectorPassesDiskHint(2, std::nullopt));
  EXPECT_FALSE(DirectorPassesDiskHint(1, 3));
  EXPECT_FALSE(DirectorPassesDiskHint(1, std::nullopt));
  EXPECT_FALSE(DirectorPassesDiskHint(2, 1));
  EXPECT_FALSE(DirectorPassesDiskHint(1, 1));
}

TEST(DiskHintTest, IsAByIdPathWithStringValuesOnly) {
  json hint = AttachHint("disk-0123456789abcde");
  EXPECT_EQ(hint, json({{"path", "/dev/disk/by-id/virtio-disk-0123456789abcde"}}));
  for (auto& [key, value] : hint.items()) EXPECT_TRUE(value.is_string()) << key;
  EXPECT_EQ(UserAlias("disk-0123456789abcde"), "ua-disk-0123456789abcde");
}

TEST(DiskTargetTest, NamesFollowLibvirtOrder) {
  EXPECT_EQ(VirtioTargetName(0), "vda");
  EXPECT_EQ(VirtioTargetName(2), "vdc");
  EXPECT_EQ(VirtioTargetName(25), "vdz");
  EXPECT_EQ(VirtioTargetName(26), "vdaa");
  EXPECT_EQ(VirtioTargetName(27), "vdab");
  EXPECT_EQ(VirtioTargetName(701), "vdzz");
  EXPECT_EQ(VirtioTargetName(702), "vdaaa");
}

DiskDeviceEntry At(const std::string& target) {
  DiskDeviceEntry d;
  d.target = target;
  return d;
}

TEST(DiskTargetTest, PicksFirstFreeFromVdcInBothDefinitions) {
  EXPECT_EQ(PickTarget({}), "vdc");
  EXPECT_EQ(PickTarget({{At("vda"), At("vdb")}}), "vdc");
  // Without an ephemeral disk vdb stays reserved: persistent disks start at vdc.
  EXPECT_EQ(PickTarget({{At("vda")}}), "vdc");
  // vdc only live (a half-detached disk), vdd only in the definition: both are taken.
  EXPECT_EQ(PickTarget({{At("vda"), At("vdc")}, {At("vda"), At("vdd")}}), "vde");
  // Gaps are reused; other buses do not count.
  EXPECT_EQ(PickTarget({{At("vda"), At("vdd"), At("hdc"), At("sdc")}}), "vdc");
  std::vector<DiskDeviceEntry> many;
  for (size_t i = 0; i < 26; ++i) many.push_back(At(VirtioTargetName(i)));
  EXPECT_EQ(PickTarget({many}), "vdaa");
}

TEST(DomainDisksTest, ReadsEveryDiskDevice) {
  std::vector<DiskDeviceEntry> devices = ReadDiskDevices(kDomainXml, "domain vm-1");
  ASSERT_EQ(devices.size(), 5u);
  EXPECT_EQ(devices[0].target, "vda");
  EXPECT_EQ(devices[0].path, "/pool/vm-1-root");
  EXPECT_EQ(devices[2].device, "cdrom");
  EXPECT_EQ(devices[2].bus, "ide");
  EXPECT_EQ(devices[3].serial, "disk-0123456789abcde");
  EXPECT_EQ(devices[3].alias, "ua-disk-0123456789abcde");
  EXPECT_EQ(devices[3].format, "raw");
  EXPECT_EQ(devices[4].pool, "bosh");
  EXPECT_EQ(devices[4].volume, "disk-fedcba987654321");
  xml::Document element = xml::Document::Parse(devices[3].xml, "element");
  EXPECT_EQ(element.String("/disk/target/@dev"), "vdf");
}

TEST(DomainDisksTest, RefusesBrokenXml) {
  EXPECT_THROW(ReadDiskDevices("<domain><devices>", "domain x"), Error);
}

TEST(DomainDisksTest, FindsADiskByPathPoolVolumeOrSerial) {
  std::vector<DiskDeviceEntry> devices = ReadDiskDevices(kDomainXml, "domain vm-1");
  auto by_path = FindDevice(devices, {"", "/pool/disk-0123456789abcde", "", ""});
  ASSERT_TRUE(by_path);
  EXPECT_EQ(by_path->target, "vdf");
  auto by_volume = FindDevice(devices, {"", "/elsewhere", "bosh", "disk-fedcba987654321"});
  ASSERT_TRUE(by_volume);
  EXPECT_EQ(by_volume->target, "vdd");
  auto by_serial = FindDevice(devices, {"disk-0123456789abcde", "", "", ""});
  ASSERT_TRUE(by_serial);
  EXPECT_EQ(by_serial->target, "vdf");
  EXPECT_FALSE(FindDevice(devices, {"disk-aaaaaaaaaaaaaaa", "/pool/disk-aaaaaaaaaaaaaaa", "bosh",
                                    "disk-aaaaaaaaaaaaaaa"}));
  // The same volume in another pool is another volume.
  EXPECT_FALSE(FindDevice(devices, {"", "", "other", "disk-fedcba987654321"}));
  // A CD-ROM never counts as a persistent disk, even with a matching path.
  EXPECT_FALSE(FindDevice(devices, {"", "/pool/vm-1-config", "", ""}));
  auto cdrom = FindConfigDrive(devices);
  ASSERT_TRUE(cdrom);
  EXPECT_EQ(cdrom->path, "/pool/vm-1-config");
}

TEST(DomainDisksTest, ListsOnlyPersistentDisksOrderedByTarget) {
  std::vector<DiskDeviceEntry> devices = ReadDiskDevices(kDomainXml, "domain vm-1");
  EXPECT_EQ(PersistentDiskCids(devices),
            (std::vector<std::string>{"disk-0123456789abcde", "disk-fedcba987654321"}));
  // Merged with another definition: each CID once, by target (vdd before vdf), new ones added.
  std::vector<DiskDeviceEntry> live = devices;
  DiskDeviceEntry extra;
  extra.device = "disk";
  extra.target = "vdc";
  extra.serial = "disk-111111111111111";
  live.push_back(extra);
  EXPECT_EQ(MergePersistentDiskCids({devices, live}),
            (std::vector<std::string>{"disk-111111111111111", "disk-fedcba987654321",
                                      "disk-0123456789abcde"}));
}

TEST(DiskSettingsTest, AddsAndRemovesPersistentDiskHints) {
  json settings = {{"agent_id", "a"}, {"disks", {{"system", "/dev/vda"}, {"persistent", {}}}}};
  EXPECT_TRUE(SetPersistentDiskInSettings(settings, "disk-0123456789abcde",
                                          AttachHint("disk-0123456789abcde")));
  EXPECT_EQ(settings["disks"]["persistent"]["disk-0123456789abcde"],
            AttachHint("disk-0123456789abcde"));
  EXPECT_FALSE(SetPersistentDiskInSettings(settings, "disk-0123456789abcde",
                                           AttachHint("disk-0123456789abcde")));
  EXPECT_TRUE(SetPersistentDiskInSettings(settings, "disk-0123456789abcde", std::nullopt));
  EXPECT_TRUE(settings["disks"]["persistent"].is_object());
  EXPECT_TRUE(settings["disks"]["persistent"].empty());
  EXPECT_FALSE(SetPersistentDiskInSettings(settings, "disk-0123456789abcde", std::nullopt));
  EXPECT_EQ(settings["disks"]["system"], "/dev/vda");

  json bare = {{"agent_id", "a"}, {"disks", {{"persistent", nullptr}}}};
  EXPECT_TRUE(SetPersistentDiskInSettings(bare, "disk-0123456789abcde", AttachHint("x")));
  EXPECT_TRUE(bare["disks"]["persistent"].is_object());
  json broken = {{"disks", {{"persistent", "nope"}}}};
  EXPECT_THROW(SetPersistentDiskInSettings(broken, "disk-0123456789abcde", AttachHint("x")), Error);
}

TEST(DiskTimeTest, NowIsRfc3339Utc) {
  std::string now = NowUtc();
  ASSERT_EQ(now.size(), 20u) << now;
  EXPECT_EQ(now[4], '-');
  EXPECT_EQ(now[10], 'T');
  EXPECT_EQ(now.back(), 'Z');
}

// The templates: every value escaped, the result what libvirt needs.
TEST(DiskTemplatesTest, DeviceXmlCarriesSerialAliasAndEscapedValues) {
  xml::Data d;
  d.set("format", "qcow2");
  d.set("path", "/pool/it's & <odd>");
  d.set("target", "vdc");
  d.set("serial", "disk-0123456789abcde");
  std::string text = xml::Render("disk-device.xml", d, "");
  xml::Document doc = xml::Document::Parse(text, "device");
  EXPECT_EQ(doc.String("/disk/@type"), "file");
  EXPECT_EQ(doc.String("/disk/@device"), "disk");
  EXPECT_EQ(doc.String("/disk/driver/@type"), "qcow2");
  EXPECT_EQ(doc.String("/disk/source/@file"), "/pool/it's & <odd>");
  EXPECT_EQ(doc.String("/disk/target/@dev"), "vdc");
  EXPECT_EQ(doc.String("/disk/target/@bus"), "virtio");
  EXPECT_EQ(doc.String("/disk/serial"), "disk-0123456789abcde");
  EXPECT_EQ(doc.String("/disk/alias/@name"), "ua-disk-0123456789abcde");
}

TEST(DiskTemplatesTest, VolumeXmlUsesQcow2V3OnlyForQcow2) {
  xml::Document qcow2 =
      xml::Document::Parse(DiskVolumeXml("disk-0123456789abcde", 1 << 20, "qcow2", ""), "volume");
  EXPECT_EQ(qcow2.String("/volume/name"), "disk-0123456789abcde");
  EXPECT_EQ(qcow2.String("/volume/capacity"), "1048576");
  EXPECT_EQ(qcow2.String("/volume/capacity/@unit"), "bytes");
  EXPECT_EQ(qcow2.String("/volume/target/format/@type"), "qcow2");
  EXPECT_EQ(qcow2.String("/volume/target/compat"), "1.1");
  xml::Document raw =
      xml::Document::Parse(DiskVolumeXml("disk-0123456789abcde-meta", 42, "raw", ""), "volume");
  EXPECT_EQ(raw.String("/volume/target/format/@type"), "raw");
  EXPECT_EQ(raw.Number("count(/volume/target/compat)"), 0);
}

TEST(DiskTemplatesTest, BackupXmlNamesOnlyTheOneDisk) {
  xml::Data d;
  d.set("target", "vdc");
  d.set("snapshot_path", "/pool/snap-1");
  d.set("format", "qcow2");
  xml::Document doc = xml::Document::Parse(xml::Render("disk-backup.xml", d, ""), "backup");
  EXPECT_EQ(doc.String("/domainbackup/@mode"), "push");
  EXPECT_EQ(doc.Number("count(/domainbackup/disks/disk)"), 1);
  EXPECT_EQ(doc.String("/domainbackup/disks/disk/@name"), "vdc");
  EXPECT_EQ(doc.String("/domainbackup/disks/disk/@backup"), "yes");
  EXPECT_EQ(doc.String("/domainbackup/disks/disk/target/@file"), "/pool/snap-1");
  EXPECT_EQ(doc.String("/domainbackup/disks/disk/driver/@type"), "qcow2");
}

TEST(DiskTemplatesTest, CdromXmlIsAReadOnlyMediaChange) {
  xml::Data d;
  d.set("path", "/pool/vm-1-config-alt");
  d.set("target", "hdc");
  d.set("bus", "ide");
  d.set("alias", "ua-config-drive");
  xml::Document doc = xml::Document::Parse(xml::Render("disk-cdrom.xml", d, ""), "cdrom");
  EXPECT_EQ(doc.String("/disk/@device"), "cdrom");
  EXPECT_EQ(doc.String("/disk/source/@file"), "/pool/vm-1-config-alt");
  EXPECT_EQ(doc.String("/disk/target/@dev"), "hdc");
  EXPECT_EQ(doc.String("/disk/target/@bus"), "ide");
  EXPECT_EQ(doc.Number("count(/disk/readonly)"), 1);
  EXPECT_EQ(doc.String("/disk/alias/@name"), "ua-config-drive");
}

}  // namespace
}  // namespace cpi::disk
