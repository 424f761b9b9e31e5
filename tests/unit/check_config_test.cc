// `bosh-libvirt-cpi --check-config FILE` (the release's template test checks rendered cpi.json
// files with it) and the module folder the release's bin/cpi names when it starts the executable
// through the dynamic loader (README.md, "Building the release").
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.h"

namespace cpi::testing {
namespace {

// A configuration file under $TMPDIR (or /tmp) holding `text`, removed afterwards.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    const char* base = std::getenv("TMPDIR");
    path_ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/cpi-XXXXXX.json";
    int fd = mkstemps(path_.data(), 5);
    if (fd < 0) throw std::runtime_error("mkstemps failed");
    bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    if (!written) throw std::runtime_error("writing " + path_ + " failed");
  }
  ~ConfigFile() { std::remove(path_.c_str()); }
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

ProcessResult CheckConfig(const std::string& text) {
  ConfigFile file(text);
  return RunProcess({CPI_EXECUTABLE, "--check-config", file.path()}, "");
}

TEST(CheckConfigTest, ValidConfigurationExitsZeroAndSaysWhatItRead) {
  ProcessResult p = CheckConfig(R"({"libvirt":{"uri":"qemu+ssh://u@h/system","storage_pool":"p",
      "network":"n","domain_type":"qemu"},"agent":{"mbus":"https://m:p@0.0.0.0:6868","ntp":[],
      "blobstore":{"provider":"local","options":{"blobstore_path":"/var/vcap/micro_bosh/data/cache"}}}})");
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("valid"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("'qemu+ssh://u@h/system'"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("storage pool 'p'"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("domain type qemu"), std::string::npos) << p.out;
}

TEST(CheckConfigTest, UnknownKeyExitsOneNamingIt) {
  ProcessResult p = CheckConfig(R"({"libvirt":{"pool":"p"},"agent":{"mbus":"nats://a:4222"}})");
  EXPECT_EQ(p.exit_code, 1);
  EXPECT_EQ(p.out, "");
  EXPECT_NE(p.err.find("'libvirt.pool' is not a known key"), std::string::npos) << p.err;
}

TEST(CheckConfigTest, WrongTypeExitsOneNamingIt) {
  ProcessResult p = CheckConfig(R"({"agent":{"mbus":"nats://a:4222","ntp":"pool.ntp.org"}})");
  EXPECT_EQ(p.exit_code, 1);
  EXPECT_NE(p.err.find("'agent.ntp' must be an array"), std::string::npos) << p.err;
}

TEST(CheckConfigTest, MissingMbusExitsOne) {
  ProcessResult p = CheckConfig(R"({"libvirt":{"uri":"qemu:///system"}})");
  EXPECT_EQ(p.exit_code, 1);
  EXPECT_NE(p.err.find("'agent.mbus' is not set"), std::string::npos) << p.err;
}

TEST(CheckConfigTest, NotJsonOrMissingFileExitsOne) {
  ProcessResult bad = CheckConfig("{\"agent\": ");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("not valid JSON"), std::string::npos) << bad.err;

  ProcessResult missing =
      RunProcess({CPI_EXECUTABLE, "--check-config", "/nonexistent/cpi.json"}, "");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/cpi.json"), std::string::npos) << missing.err;
}

TEST(CheckConfigTest, NeedsExactlyOneFile) {
  EXPECT_EQ(RunProcess({CPI_EXECUTABLE, "--check-config"}, "").exit_code, 2);
}

// Started through the dynamic loader, as the release's bin/cpi starts the bundle,
// /proc/self/exe is the loader: the modules are found through BOSH_LIBVIRT_CPI_MODULE_DIR.
TEST(CheckConfigTest, ModulesFoundThroughModuleDirWhenStartedByTheLoader) {
  ProcessResult p =
      RunProcess({"/lib64/ld-linux-x86-64.so.2", CPI_EXECUTABLE},
                 R"({"method":"current_vm_id","arguments":[]})",
                 {{"BOSH_LIBVIRT_CPI_MODULE_DIR", CPI_BINARY_DIR}, {"LD_DEBUG", "files"}});
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.err.find(std::string(CPI_BINARY_DIR) + "/libbosh-libvirt-cpi-hypervisor.so"),
            std::string::npos)
      << p.err.substr(0, 2000);
  nlohmann::json error = nlohmann::json::parse(p.out)["error"];
  std::string message = error.is_object() ? error["message"].get<std::string>() : "";
  EXPECT_EQ(message.find("Loading hypervisor module"), std::string::npos) << message;
}

}  // namespace
}  // namespace cpi::testing
