#include "support/guest_console.h"

#include <fstream>
#include <sstream>
#include <thread>

namespace cpi::testing {

std::vector<nlohmann::json> GuestConsole::Events() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(path_);
  std::string line;
  const std::string marker = "BOSH-TEST {";
  while (std::getline(in, line)) {
    size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    std::string body = line.substr(at + marker.size() - 1);
    while (!body.empty() && (body.back() == '\r' || body.back() == '\n')) body.pop_back();
    nlohmann::json event = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!event.is_discarded()) out.push_back(std::move(event));
  }
  return out;
}

std::optional<nlohmann::json> GuestConsole::WaitFor(
    const std::function<bool(const nlohmann::json&)>& match, std::chrono::seconds timeout,
    size_t skip) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<nlohmann::json> events = Events();
    for (size_t i = skip; i < events.size(); ++i) {
      if (match(events[i])) return events[i];
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::optional<nlohmann::json> GuestConsole::WaitForEvent(const std::string& event,
                                                         std::chrono::seconds timeout,
                                                         size_t skip) const {
  return WaitFor([&](const nlohmann::json& e) { return e.value("event", "") == event; }, timeout,
                 skip);
}

std::string GuestConsole::Tail(size_t max) const {
  std::ifstream in(path_);
  std::stringstream all;
  all << in.rdbuf();
  std::string s = all.str();
  return s.size() > max ? s.substr(s.size() - max) : s;
}

}  // namespace cpi::testing
