// The record format and slot choice of disk metadata (disk/disk_metadata.h): no prefix of a
// record, nor a slot of zeros, is ever taken for a value; a write always goes to the slot that
// does not hold the current value, with a higher generation. The crash behaviour against the
// real libvirtd is ReliabilityCrashTest.KilledSetDiskMetadataLeavesTheOldOrTheNewValue.
#include "bosh_libvirt_cpi/disk/disk_metadata.h"

#include <gtest/gtest.h>

namespace cpi::disk {
namespace {

using nlohmann::json;

TEST(DiskMetadataRecordTest, RoundTripsAndNoStrictPrefixIsARecord) {
  json metadata = {{"director", "d"}, {"odd \"}\" key", "}}"}, {"n", "\u0000"}};
  std::string bytes = SerializeMetadataRecord({7, metadata});
  std::optional<MetadataRecord> whole = ParseMetadataRecord(bytes);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->generation, 7u);
  EXPECT_EQ(whole->metadata, metadata);
  EXPECT_EQ(bytes.find('\0'), std::string::npos) << "a NUL would cut the record when read";
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(ParseMetadataRecord(bytes.substr(0, n)).has_value()) << bytes.substr(0, n);
  }
}

TEST(DiskMetadataRecordTest, ZerosAndGarbageAreNoRecord) {
  EXPECT_FALSE(ParseMetadataRecord(std::string(55, '\0')).has_value());
  EXPECT_FALSE(ParseMetadataRecord("").has_value());
  EXPECT_FALSE(ParseMetadataRecord("{\"generation\":1,").has_value());
}

TEST(DiskMetadataRecordTest, BareMetadataOfEarlierVersionsIsGenerationZero) {
  std::optional<MetadataRecord> legacy =
      ParseMetadataRecord(R"({"director":"d","generation":"5"})");
  ASSERT_TRUE(legacy.has_value());
  EXPECT_EQ(legacy->generation, 0u);
  EXPECT_EQ(legacy->metadata, json({{"director", "d"}, {"generation", "5"}}));
}

TEST(DiskMetadataSlotTest, WritesTheSlotNotHoldingTheCurrentValue) {
  auto record = [](uint64_t g) { return std::optional<MetadataRecord>(MetadataRecord{g, {}}); };
  const std::optional<MetadataRecord> none;
  struct Case {
    std::optional<MetadataRecord> a, b;
    bool write_alternate;
    uint64_t generation;
  };
  for (const Case& c : std::vector<Case>{
           {none, none, false, 1},           // first write
           {record(1), none, true, 2},       // A current: write B
           {none, record(2), false, 3},      // B current: write A
           {record(3), record(2), true, 4},  // a crash left both: the higher is current
           {record(3), record(4), false, 5},
           {record(0), none, true, 1},  // bare metadata of an earlier version in A
       }) {
    SlotChoice choice = ChooseSlot(c.a, c.b);
    EXPECT_EQ(choice.write_alternate, c.write_alternate) << c.generation;
    EXPECT_EQ(choice.generation, c.generation);
  }
}

}  // namespace
}  // namespace cpi::disk
