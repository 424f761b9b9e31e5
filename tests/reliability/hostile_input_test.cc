// Issue 6, item 6 (the libvirt half; the fuzzers are in fuzz/): hostile strings in metadata,
// names, CIDs, cloud_properties and env — `<`, `&`, `'`, `"`, `]]>`, `../`, NUL and other control
// characters, 1 MB values — are escaped or rejected. They never change the structure of a domain
// XML, never become part of a path (volume, lock file), never create or leave anything, and never
// forge a line on stderr.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "reliability/reliability_support.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"

namespace cpi::testing::reliability {
namespace {

namespace fs = std::filesystem;

const std::string kMegabyte(1 << 20, 'A');

// Printable hostile strings: each must be stored verbatim.
std::vector<std::string> Hostile() {
  return {"<",
          "&",
          "'",
          "\"",
          "]]>",
          "../../../../etc/passwd",
          "</entry><entry key='injected'>x</entry>",
          "<![CDATA[x]]>",
          "&amp;&#x41;&lt;",
          "'/><disk type='file' device='disk'><source file='/etc/shadow'/></disk><x a='",
          "{{name}}{{#disks}}",
          "\xe2\x80\xae unicode \xf0\x9f\x92\xa5"};
}

// What a domain XML is made of, apart from our metadata's values: its devices and elements.
std::string Structure(const std::string& xml) {
  xml::Document doc = xml::Document::Parse(xml, "domain");
  std::string out;
  for (const char* path : {"count(/domain/devices/*)", "count(/domain/devices//*)",
                           "count(/domain/devices/disk)", "count(/domain/devices/interface)",
                           "count(//source)", "count(/domain/*)", "count(/domain/metadata/*)"}) {
    out += std::string(path) + "=" + std::to_string(doc.Number(path)) + " ";
  }
  for (const std::string& s : doc.Strings("//source/@file | //source/@network")) out += s + " ";
  return out;
}

class ReliabilityHostileInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(LibvirtAvailable());
    world_ = new LibvirtWorld("relhi");
    stemcell_ = AddStemcellWithSidecar(world_->conn(), world_->pool());
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  json Call(const std::string& method, const json& args, std::string* err = nullptr) {
    return CallCpi(world_->config_path(), method, args, 2, err);
  }
  json VmArgs(const std::string& agent_id, const json& env = json::object()) {
    return {agent_id,          stemcell_,
            {{"memory", 128}}, ManualNetwork(world_->network(), world_->subnet_prefix() + ".60"),
            json::array(),     env};
  }
  std::string DomainXml(const std::string& vm) {
    auto dom = world_->conn().FindDomain(vm);
    return dom ? virt::DomainXml(dom->get(), vm, true) : "";
  }
  std::vector<std::string> Volumes() {
    std::vector<std::string> v = world_->Volumes();
    std::sort(v.begin(), v.end());
    return v;
  }
  // The user-data of the VM's config drive.
  json UserData(const std::string& vm) {
    auto pool = world_->conn().FindStoragePool(world_->pool());
    auto vol = world_->conn().FindVolume(pool->get(), vm + "-config");
    std::string iso = "/tmp/" + world_->pool() + "-" + vm + ".iso";
    std::ofstream(iso, std::ios::binary)
        << virt::DownloadVolume(world_->conn().get(), vol->get(), vm + "-config");
    std::string text = Sh("isoinfo -R -x /ec2/latest/user-data -i " + iso);
    unlink(iso.c_str());
    return json::parse(text);
  }

  static LibvirtWorld* world_;
  static std::string stemcell_;
};

LibvirtWorld* ReliabilityHostileInputTest::world_ = nullptr;
std::string ReliabilityHostileInputTest::stemcell_;

TEST_F(ReliabilityHostileInputTest, MetadataIsStoredVerbatimAndNeverChangesTheDomainXml) {
  json created = Call("create_vm", VmArgs("agent-hostile"));
  ASSERT_TRUE(created["error"].is_null()) << created.dump();
  std::string vm = created["result"][0];
  ASSERT_TRUE(Call("set_vm_metadata", {vm, {{"name", "web/0"}}})["error"].is_null());
  std::string structure = Structure(DomainXml(vm));

  for (const std::string& h : Hostile()) {
    SCOPED_TRACE("value '" + h.substr(0, 60) + "'");
    json metadata = {{"name", h}, {"director", h}, {"deployment", "d"}, {"index", "0"}};
    if (h.size() < 4096) metadata[h] = h;  // as a key too
    json r = Call("set_vm_metadata", {vm, metadata});
    ASSERT_TRUE(r["error"].is_null()) << r.dump();
    std::string xml = DomainXml(vm);
    EXPECT_EQ(Structure(xml), structure);
    auto dom = world_->conn().FindDomain(vm);
    std::optional<std::string> stored =
        virt::GetDomainMetadata(dom->get(), vm::kBoshMetadataNamespace, vm);
    ASSERT_TRUE(stored);
    xml::Document doc = xml::Document::Parse(*stored, "metadata");
    EXPECT_EQ(doc.Number("count(/*/*)"), static_cast<double>(metadata.size()));
    for (const std::string& value : doc.Strings("/*/*[@key='director']")) EXPECT_EQ(value, h);
    // Our own record (agent id, volumes) is intact.
    std::optional<std::string> own = virt::GetDomainMetadata(dom->get(), vm::kVmNamespace, vm);
    ASSERT_TRUE(own);
    EXPECT_TRUE(Contains(*own, "agent-hostile"));
  }

  // 1 MB values (4 MB once escaped): stored verbatim, or refused (libvirt caps one RPC string at
  // 4 MiB) with the domain unchanged.
  for (const std::string& big : {kMegabyte, std::string(1 << 20, '<')}) {
    std::string before = DomainXml(vm);
    json r = Call("set_vm_metadata", {vm, {{"director", big}}});
    if (r["error"].is_null()) {
      auto dom = world_->conn().FindDomain(vm);
      xml::Document doc = xml::Document::Parse(
          *virt::GetDomainMetadata(dom->get(), vm::kBoshMetadataNamespace, vm), "metadata");
      EXPECT_EQ(doc.String("/*/*[@key='director']"), big);
      EXPECT_EQ(Structure(DomainXml(vm)), structure);
    } else {
      EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CloudError") << r.dump().substr(0, 300);
      EXPECT_EQ(DomainXml(vm), before);
    }
    RecordProperty(big[0] == '<' ? "escaped_1mb" : "plain_1mb",
                   r["error"].is_null() ? "stored" : "refused");
  }

  // Characters XML cannot hold are refused, and the metadata stored before stays.
  json last = {{"name", "ok"}};
  ASSERT_TRUE(Call("set_vm_metadata", {vm, last})["error"].is_null());
  std::string before = DomainXml(vm);
  for (const std::string& bad :
       {std::string("a\0b", 3), std::string("\x01"), std::string("\x1b[31m")}) {
    json r = Call("set_vm_metadata", {vm, {{"name", bad}}});
    EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
    json k = Call("set_vm_metadata", {vm, {{bad, "v"}}});
    EXPECT_EQ(ErrorType(k), "Bosh::Clouds::CpiError") << k.dump();
    EXPECT_EQ(DomainXml(vm), before);
  }
  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
}

TEST_F(ReliabilityHostileInputTest, DiskMetadataRoundTripsAndOversizeIsRefused) {
  std::string disk = Call("create_disk", {16, json::object(), nullptr})["result"];
  for (const std::string& h : Hostile()) {
    if (h.size() > 4096) continue;
    json r = Call("set_disk_metadata", {disk, {{"director", h}, {h, h}}});
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
  }
  std::vector<std::string> volumes = Volumes();
  json big = Call("set_disk_metadata", {disk, {{"director", kMegabyte}}});
  EXPECT_EQ(ErrorType(big), "Bosh::Clouds::CpiError") << big.dump().substr(0, 300);
  EXPECT_EQ(Volumes(), volumes);
  EXPECT_TRUE(Call("delete_disk", {disk})["error"].is_null());
}

// Hostile CIDs are checked before any name is built from them: no lock file or volume outside
// the CPI's own names, no error but the contract's.
TEST_F(ReliabilityHostileInputTest, HostileCidsNeverReachAPath) {
  std::string evil = "/tmp/cpirel-evil-" + world_->pool();
  std::vector<std::string> cids = {"../../../.." + evil,      "vm-../../../.." + evil,
                                   "disk-../../../.." + evil, "sc-../../.." + evil,
                                   "snap-../../.." + evil,    std::string("vm-\0x", 5)};
  std::string disk = Call("create_disk", {16, json::object(), nullptr})["result"];
  json created = Call("create_vm", VmArgs("agent-cids"));
  ASSERT_TRUE(created["error"].is_null()) << created.dump();
  std::string vm = created["result"][0];
  std::vector<std::string> volumes = Volumes();
  std::string structure = Structure(DomainXml(vm));
  for (const std::string& cid : cids) {
    SCOPED_TRACE("cid '" + cid + "'");
    for (const auto& [method, args] :
         std::vector<std::pair<std::string, json>>{{"attach_disk", {vm, cid}},
                                                   {"attach_disk", {cid, disk}},
                                                   {"detach_disk", {vm, cid}},
                                                   {"detach_disk", {cid, disk}},
                                                   {"set_disk_metadata", {cid, {{"a", "b"}}}},
                                                   {"snapshot_disk", {cid, json::object()}},
                                                   {"resize_disk", {cid, 32}},
                                                   {"get_disks", {cid}},
                                                   {"reboot_vm", {cid}},
                                                   {"set_vm_metadata", {cid, {{"a", "b"}}}},
                                                   {"create_vm", VmArgs("a", json::object())}}) {
      json a = args;
      if (method == "create_vm") a[1] = cid;  // as the stemcell
      json r = Call(method, a);
      ASSERT_TRUE(r.contains("error")) << r.dump();
      EXPECT_FALSE(r["error"].is_null()) << method << " " << r.dump();
      std::string type = ErrorType(r);
      EXPECT_TRUE(type == "Bosh::Clouds::CloudError" || type == "Bosh::Clouds::DiskNotFound" ||
                  type == "Bosh::Clouds::DiskNotAttached" || type == "Bosh::Clouds::VMNotFound")
          << method << " " << r.dump();
    }
  }
  EXPECT_EQ(Volumes(), volumes);
  EXPECT_EQ(Structure(DomainXml(vm)), structure);
  EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());
  for (const auto& e : fs::directory_iterator("/tmp")) {
    EXPECT_FALSE(Contains(e.path().string(), "cpirel-evil")) << e.path();
  }
  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
  EXPECT_TRUE(Call("delete_disk", {disk})["error"].is_null());
}

// agent_id and env go verbatim into the agent's settings (JSON on the config drive) and the
// domain's own record (escaped); hostile network and bridge names are refused before anything is
// made; a control character in agent_id is refused and rolled back.
TEST_F(ReliabilityHostileInputTest, CreateVmKeepsHostileAgentIdAndEnvVerbatimOrRefuses) {
  std::vector<std::string> volumes = Volumes();
  std::string agent_id = "agent'<&>\"]]>../";
  json env = {{"bosh", {{"password", "$6$<&>'\"]]>"}, {"blob", std::string(1 << 20, '&')}}},
              {"../../x", "y"}};
  json created = Call("create_vm", VmArgs(agent_id, env));
  ASSERT_TRUE(created["error"].is_null()) << created.dump().substr(0, 400);
  std::string vm = created["result"][0];
  json settings = UserData(vm);
  EXPECT_EQ(settings["agent_id"], agent_id);
  EXPECT_EQ(settings["env"], env);
  xml::Document doc = xml::Document::Parse(DomainXml(vm), "domain");
  EXPECT_EQ(doc.Number("count(/domain/devices/disk)"), 2);  // root + config drive
  EXPECT_EQ(doc.Number("count(/domain/devices/interface)"), 1);
  auto dom = world_->conn().FindDomain(vm);
  xml::Document own =
      xml::Document::Parse(*virt::GetDomainMetadata(dom->get(), vm::kVmNamespace, vm), "record");
  EXPECT_EQ(own.String("/*/*[local-name()='agent_id']"), agent_id);
  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());

  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"network", "net'/><interface type='bridge'><source bridge='virbr0'/>"},
           {"network", "../../etc"},
           {"bridge", "br0 <x>"}}) {
    json args = VmArgs("agent-1");
    args[3]["default"]["cloud_properties"] = {{key, value}};
    json r = Call("create_vm", args);
    EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
  }
  json args = VmArgs("agent-1");
  json renamed = {{"bad name <&>", args[3]["default"]}};
  args[3] = renamed;
  EXPECT_EQ(ErrorType(Call("create_vm", args)), "Bosh::Clouds::CpiError");

  json control = Call("create_vm", VmArgs(std::string("agent\0id", 8)));
  EXPECT_FALSE(control["error"].is_null()) << control.dump();
  EXPECT_FALSE(OkToRetry(control));
  EXPECT_EQ(Volumes(), volumes);
}

// A newline or escape sequence in a caller's string never forges or hides a log line: every
// stderr line is one record that starts with its timestamp.
TEST_F(ReliabilityHostileInputTest, ControlCharactersNeverForgeALogLine) {
  const std::string forged = "\n2026-01-01T00:00:00.000Z error [cpi-000000] forged: line\r\x1b[2K";
  std::regex record(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \w+ +\[[^\]]*\] [A-Za-z0-9_.?-]+: .*$)");
  for (const auto& [method, args] : std::vector<std::pair<std::string, json>>{
           {"delete_vm", {"x" + forged}},
           {"delete_disk", {"x" + forged}},
           {"delete_stemcell", {"x" + forged}},
           {"create_disk", {16, {{"format", "x" + forged}}, "vm" + forged}},
           {"has_vm", {"x" + forged}},
           {"set_vm_metadata", {"vm-00000000-0000-4000-8000-000000000000", {{"k", "v"}}}},
           {"no_such_method" + forged, json::array()}}) {
    SCOPED_TRACE(method);
    std::string err;
    json r = Call(method, args, &err);
    ASSERT_TRUE(r.contains("log")) << r.dump();
    size_t start = 0;
    int lines = 0;
    for (size_t nl; (nl = err.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = err.substr(start, nl - start);
      ++lines;
      EXPECT_TRUE(std::regex_match(line, record)) << "'" << line << "'";
      EXPECT_EQ(line.find('\r'), std::string::npos);
      EXPECT_EQ(line.find('\x1b'), std::string::npos);
    }
    EXPECT_EQ(start, err.size()) << "stderr does not end with a newline";
  }
}

}  // namespace
}  // namespace cpi::testing::reliability
