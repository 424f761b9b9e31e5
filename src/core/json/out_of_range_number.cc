#include "bosh_libvirt_cpi/json/out_of_range_number.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/json/duplicate_keys.h"

namespace cpi::json {
namespace {

using nlohmann::json;

// nlohmann's SAX interface: follows the path, stops at the first out-of-range number.
class Finder : public nlohmann::json_sax<json> {
 public:
  std::optional<OutOfRangeNumber> found;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t& s) override {
    Value();
    // nlohmann reads an integer beyond 64 bits as a double; its text shows what it was.
    if (s.find_first_of(".eE") == std::string::npos) {
      found = OutOfRangeNumber{s, Path()};
      return false;
    }
    return true;
  }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override {
    Value();
    frames_.push_back({false, 0, {}});
    return true;
  }
  bool key(string_t& k) override {
    frames_.back().key = k;
    return true;
  }
  bool end_object() override {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    Value();
    frames_.push_back({true, 0, {}});
    return true;
  }
  bool end_array() override {
    frames_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    // 406: "number overflow", a number beyond a double.
    if (ex.id == 406) {
      Value();
      found = OutOfRangeNumber{last_token, Path()};
    }
    return false;
  }

 private:
  struct Frame {
    bool array;
    size_t next_index;
    std::string key;
  };

  // A value starts: in an array it takes the next index.
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().next_index;
    return true;
  }

  std::string Path() const {
    std::string path = "$";
    for (const Frame& f : frames_) {
      path =
          f.array ? path + "[" + std::to_string(f.next_index - 1) + "]" : MemberPath(path, f.key);
    }
    return path;
  }

  std::vector<Frame> frames_;
};

}  // namespace

std::optional<OutOfRangeNumber> FindOutOfRangeNumber(std::string_view text) {
  Finder finder;
  json::sax_parse(text.begin(), text.end(), &finder);
  return finder.found;
}

}  // namespace cpi::json
