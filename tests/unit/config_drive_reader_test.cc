#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/agent/config_drive.h"
#include "bosh_libvirt_cpi/errors.h"

namespace cpi::agent {
namespace {

TEST(ConfigDriveReaderTest, ReadsBackWhatTheBuilderWrote) {
  nlohmann::json settings = {
      {"agent_id", "agent-1"},
      {"disks", {{"system", "/dev/vda"}, {"persistent", nlohmann::json::object()}}},
      {"env", {{"bosh", {{"password", "$6$secret"}}}}}};
  agent::ConfigDriveFiles files{settings.dump(), R"({"instance-id":"vm-1","public-keys":{}})"};
  std::string iso = agent::BuildConfigDriveIso(files);
  agent::ConfigDriveFiles back = ReadConfigDriveIso(iso);
  EXPECT_EQ(back.user_data, files.user_data);
  EXPECT_EQ(back.meta_data, files.meta_data);
}

TEST(ConfigDriveReaderTest, ReadsLargeSettingsSpanningManyBlocks) {
  std::string big(300 * 1024, 'x');
  agent::ConfigDriveFiles files{nlohmann::json({{"blob", big}}).dump(), "{}"};
  agent::ConfigDriveFiles back = ReadConfigDriveIso(agent::BuildConfigDriveIso(files));
  EXPECT_EQ(back.user_data, files.user_data);
  EXPECT_EQ(back.meta_data, "{}");
}

TEST(ConfigDriveReaderTest, RefusesWhatIsNotAnIso) {
  for (const std::string& bad :
       {std::string(), std::string(4096, 'x'), std::string(64 * 1024, '\0')}) {
    try {
      ReadConfigDriveIso(bad);
      ADD_FAILURE() << bad.size();
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::kCloudError);
      EXPECT_EQ(std::string(e.what()).rfind("reading config drive: ", 0), 0u) << e.what();
    }
  }
}

TEST(ConfigDriveReaderTest, RefusesATruncatedImage) {
  std::string iso = agent::BuildConfigDriveIso({"{\"agent_id\":\"a\"}", "{}"});
  iso.resize(iso.size() / 2);
  EXPECT_THROW(ReadConfigDriveIso(iso), Error);
}

}  // namespace
}  // namespace cpi::agent
