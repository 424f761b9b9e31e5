// The real executable, one process per call, as the Director and `bosh create-env` run it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.h"

namespace cpi::testing {
namespace {

using nlohmann::json;

TEST(ProtocolTest, InfoWritesOneJsonObjectAndExitsZero) {
  ProcessResult p = RunCpi(R"({"method":"info","arguments":[],"context":{"director_uuid":"x"}})");
  EXPECT_EQ(p.exit_code, 0);
  json r = json::parse(p.out);
  EXPECT_EQ(r["result"]["api_version"], 2);
  EXPECT_EQ(r["error"], nullptr);
  EXPECT_EQ(r["log"], "");
  EXPECT_EQ(p.out.back(), '\n');
}

TEST(ProtocolTest, InfoDoesNotLoadLibvirt) {
  // The dynamic loader reports every object it maps; libvirt must not be among them.
  ProcessResult p = RunCpi(R"({"method":"info","arguments":[]})", {}, {{"LD_DEBUG", "files"}});
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_NE(p.err.find("libsimdjson"), std::string::npos) << "LD_DEBUG gave no output";
  EXPECT_EQ(p.err.find("libvirt.so"), std::string::npos);
  EXPECT_EQ(p.err.find("bosh-libvirt-cpi-hypervisor"), std::string::npos);
}

TEST(ProtocolTest, BadRequestDoesNotLoadLibvirt) {
  ProcessResult p =
      RunCpi(R"({"method":"create_vm","arguments":[1]})", {}, {{"LD_DEBUG", "files"}});
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_EQ(json::parse(p.out)["error"]["type"], "Bosh::Clouds::CpiError");
  EXPECT_EQ(p.err.find("libvirt.so"), std::string::npos);
}

TEST(ProtocolTest, HypervisorMethodLoadsModule) {
  ProcessResult p =
      RunCpi(R"({"method":"current_vm_id","arguments":[]})", {}, {{"LD_DEBUG", "files"}});
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_NE(p.err.find("bosh-libvirt-cpi-hypervisor"), std::string::npos);
  json r = json::parse(p.out);
  EXPECT_TRUE(r["error"].is_object() || r["error"].is_null());
}

// libisofs (with jte, bz2) and libarchive (with bz2, lz4) sit in the ISO and archive modules,
// which only the calls that build or read config drives, or read stemcells, load: the others map
// none of them.
TEST(ProtocolTest, HypervisorMethodsWithoutMediaLoadNeitherMediaModule) {
  ProcessResult p =
      RunCpi(R"({"method":"current_vm_id","arguments":[]})", {}, {{"LD_DEBUG", "files"}});
  EXPECT_NE(p.err.find("bosh-libvirt-cpi-hypervisor"), std::string::npos) << "no LD_DEBUG output";
  EXPECT_EQ(p.err.find("bosh-libvirt-cpi-iso"), std::string::npos);
  EXPECT_EQ(p.err.find("bosh-libvirt-cpi-archive"), std::string::npos);
  EXPECT_EQ(p.err.find("libarchive.so"), std::string::npos);
  EXPECT_EQ(p.err.find("libisofs.so"), std::string::npos);
}

// The modules export only their entry points and resolve the core's functions against the
// executable, which exports just those (cmake/executable_exports.list). Loaded with LD_BIND_NOW,
// a module whose symbol the executable does not export fails to load ("undefined symbol")
// instead of failing later, in the middle of a call. The ISO and archive modules are loaded in
// the hypervisor module's place: their missing entry point proves that the load succeeded.
TEST(ProtocolTest, ModulesBindEverySymbolAgainstTheExecutable) {
  for (const char* module : {"hypervisor", "iso", "archive"}) {
    SCOPED_TRACE(module);
    std::string path = std::string(CPI_BINARY_DIR) + "/libbosh-libvirt-cpi-" + module + ".so";
    ProcessResult p = RunCpi(R"({"method":"current_vm_id","arguments":[]})", {},
                             {{"BOSH_LIBVIRT_CPI_MODULE", path}, {"LD_BIND_NOW", "1"}});
    EXPECT_EQ(p.exit_code, 0);
    json error = json::parse(p.out)["error"];
    std::string message = error.is_object() ? error["message"].get<std::string>() : "";
    EXPECT_EQ(message.find("undefined symbol"), std::string::npos) << message;
    if (std::string(module) != "hypervisor") {
      EXPECT_NE(message.find("no entry point bosh_libvirt_cpi_hypervisor_module"),
                std::string::npos)
          << error.dump();
    }
  }
}

// iostreams' start-up (any translation unit including <iostream>) and C++ file streams build the
// C++ locale, ~0.6 MiB of libstdc++ resident for nothing (BENCHMARKS.md, peak RSS). The loader
// reports every function the process binds; neither entry point may be among them.
TEST(ProtocolTest, HypervisorMethodsDoNotBuildTheCppLocale) {
  ProcessResult p =
      RunCpi(R"({"method":"current_vm_id","arguments":[]})", {}, {{"LD_DEBUG", "bindings"}});
  EXPECT_NE(p.err.find("bosh-libvirt-cpi-hypervisor"), std::string::npos) << "no LD_DEBUG output";
  EXPECT_EQ(p.err.find("`_ZNSt8ios_base4InitC1Ev'"), std::string::npos);
  EXPECT_EQ(p.err.find("`_ZNSt6localeC1Ev'"), std::string::npos);
}

TEST(ProtocolTest, CreateStemcellLoadsOnlyTheArchiveModuleAndReportsItsErrors) {
  ProcessResult p = RunCpi(R"({"method":"create_stemcell","arguments":["/nonexistent/image",{}]})",
                           {}, {{"LD_DEBUG", "files"}});
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_NE(p.err.find("bosh-libvirt-cpi-archive"), std::string::npos);
  EXPECT_NE(p.err.find("libarchive.so"), std::string::npos);
  EXPECT_EQ(p.err.find("bosh-libvirt-cpi-iso"), std::string::npos);
  EXPECT_EQ(p.err.find("libisofs.so"), std::string::npos);
  json error = json::parse(p.out)["error"];
  EXPECT_EQ(error["type"], "Bosh::Clouds::CloudError");
  EXPECT_NE(error["message"].get<std::string>().find("cannot open the file"), std::string::npos)
      << error.dump();
}

TEST(ProtocolTest, EveryBadInputGivesAValidErrorResponseAndExitZero) {
  std::vector<std::string> inputs = {
      "",
      "   ",
      "not json",
      "[1,2,3]",
      "{\"method\":\"info\"}",
      "{\"arguments\":[]}",
      "{\"method\":7,\"arguments\":[]}",
      "{\"method\":\"info\",\"arguments\":{}}",
      "{\"method\":\"info\",\"arguments\":[],\"api_version\":\"x\"}",
      std::string("{\"method\":\"info\0\",\"arguments\":[]}", 34),
      "{\"method\":\"info\",\"arguments\":[\"" + std::string(20 * 1024 * 1024, 'x') + "\"]}"};
  for (const std::string& input : inputs) {
    SCOPED_TRACE(input.substr(0, 60));
    ProcessResult p = RunCpi(input);
    EXPECT_EQ(p.exit_code, 0);
    json r = json::parse(p.out);
    EXPECT_EQ(r.size(), 3u);
    EXPECT_TRUE(r["error"].is_object());
    EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::CpiError");
    EXPECT_TRUE(r["log"].is_string());
  }
}

TEST(ProtocolTest, SeveralMegabyteRequestIsHandled) {
  std::string env_value(4 * 1024 * 1024, 'p');
  ProcessResult p =
      RunCpi(R"({"method":"info","arguments":[],"context":{"big":")" + env_value + R"("}})");
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_EQ(json::parse(p.out)["result"]["api_version"], 2);
}

TEST(ProtocolTest, MissingConfigFileIsAnErrorResponse) {
  ProcessResult p =
      RunCpi(R"({"method":"has_vm","arguments":["vm-1"]})", {"--config", "/nonexistent/cpi.json"});
  EXPECT_EQ(p.exit_code, 0);
  json r = json::parse(p.out);
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::CpiError");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("/nonexistent/cpi.json"),
            std::string::npos);
}

TEST(ProtocolTest, ConfigWithUnknownKeyIsAnErrorResponse) {
  char path[] = "/tmp/cpi-config-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = R"({"libvirt":{"uri":"qemu:///system","flavour":"x"}})";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  ProcessResult p = RunCpi(R"({"method":"has_vm","arguments":["vm-1"]})", {"--config", path});
  unlink(path);
  json r = json::parse(p.out);
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::CpiError");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("'libvirt.flavour'"), std::string::npos);
}

TEST(ProtocolTest, HelpAndVersion) {
  ProcessResult help = RunProcess({CPI_EXECUTABLE, "--help"}, "");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: bosh-libvirt-cpi"), std::string::npos);
  ProcessResult version = RunProcess({CPI_EXECUTABLE, "--version"}, "");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("bosh-libvirt-cpi ", 0), 0u);
}

TEST(ProtocolTest, UnknownFlagExitsNonZeroWithUsage) {
  ProcessResult p = RunProcess({CPI_EXECUTABLE, "--bogus"}, "");
  EXPECT_NE(p.exit_code, 0);
  EXPECT_NE(p.err.find("unknown argument '--bogus'"), std::string::npos);
}

TEST(ProtocolTest, RunsInTheDirectorsStrippedEnvironment) {
  ProcessResult p = RunProcess({CPI_EXECUTABLE}, R"({"method":"info","arguments":[]})",
                               {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}, {"HOME", "/tmp"}},
                               /*clear_env=*/true);
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_EQ(json::parse(p.out)["result"]["api_version"], 2);
}

TEST(ProtocolTest, LogLinesCarryTheRequestId) {
  ProcessResult p =
      RunCpi(R"({"method":"nope","arguments":[],"context":{"request_id":"cpi-424242"}})");
  EXPECT_NE(p.err.find("[cpi-424242]"), std::string::npos) << p.err;
}

// A password in the URI's user part never reaches the caller, stderr or the check-config output;
// the host and transport still do, so the operator sees which connection failed.
TEST(ProtocolTest, UnreachableUriWithAPasswordIsReportedWithoutIt) {
  char path[] = "/tmp/cpi-config-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = R"({"libvirt":{"uri":"qemu+tcp://bosh:pw-7Qx9@127.0.0.1:1/system"}})";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  ProcessResult p = RunCpi(R"({"method":"has_vm","arguments":["vm-1"]})", {"--config", path});
  ProcessResult check = RunProcess({CPI_EXECUTABLE, "--check-config", path}, "");
  unlink(path);
  json r = json::parse(p.out);
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::CloudError");
  const std::string message = r["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("qemu+tcp://bosh:***@127.0.0.1:1/system"), std::string::npos) << message;
  for (const std::string& out : std::vector<std::string>{p.out, p.err, check.out, check.err}) {
    EXPECT_EQ(out.find("pw-7Qx9"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace cpi::testing
