// The cost of refusing duplicate keys (json::FindDuplicateKey, issue 17 defect 3) on a typical
// create_vm request, beside the simdjson parse it follows. Built and run by
// bench/request_walk.sh (Google Benchmark).
#include <benchmark/benchmark.h>

#include <string>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/json/duplicate_keys.h"

namespace {

// A create_vm request as the Director sends it: two networks, a persistent disk CID, and an env
// with the NATS mbus certificates (3 PEMs of ~1.2 KiB), blobstore credentials and tags.
std::string CreateVmRequest() {
  std::string pem =
      "-----BEGIN CERTIFICATE-----\n" + std::string(1200, 'M') + "\n-----END CERTIFICATE-----\n";
  nlohmann::json network = {{"type", "manual"},
                            {"ip", "10.0.0.12"},
                            {"netmask", "255.255.255.0"},
                            {"gateway", "10.0.0.1"},
                            {"dns", {"10.0.0.2", "8.8.8.8"}},
                            {"default", {"dns", "gateway"}},
                            {"cloud_properties", {{"network", "bosh"}}}};
  nlohmann::json env = {
      {"bosh",
       {{"mbus", {{"cert", {{"ca", pem}, {"certificate", pem}, {"private_key", pem}}}}},
        {"password", "$6$4gDD3aV0rdqlrKC$2axHCxGKIObs6tAmMTqYCspcdvQXh3JJcvWOY2WGb4SrdXtnCyNaW"},
        {"group", "director-dep-web"},
        {"groups", {"director", "dep", "web", "director-dep", "dep-web"}},
        {"blobstores",
         {{{"provider", "dav"},
           {"options",
            {{"endpoint", "https://10.0.0.6:25250"},
             {"user", "agent"},
             {"password", "secret"},
             {"tls", {{"cert", {{"ca", pem}}}}}}}}}},
        {"tags", {{"deployment", "dep"}, {"director", "director"}, {"name", "web"}}}}}};
  nlohmann::json request = {{"method", "create_vm"},
                            {"arguments",
                             {"7b9b7f2c-9a0e-4b8f-8f25-1f8d7c2e4a11",
                              "sc-0c8d2a0e-5d2b-4f7e-9a3c-2b1d4e6f8a90",
                              {{"cpu", 2}, {"memory", 2048}, {"ephemeral_disk", {{"size", 10240}}}},
                              {{"default", network}, {"second", network}},
                              {"disk-1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10"},
                              env}},
                            {"context",
                             {{"director_uuid", "7f6a4c2e-1b1d-4f0e-9d53-0c6f1b5f3a11"},
                              {"request_id", "cpi-123456"},
                              {"vm", {{"stemcell", {{"api_version", 3}}}}}}},
                            {"api_version", 2}};
  return request.dump();
}

const std::string& Request() {
  static const std::string text = CreateVmRequest();
  return text;
}

void BM_Parse(benchmark::State& state) {
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element root = parser.parse(Request()).value();
    benchmark::DoNotOptimize(root);
  }
  state.SetBytesProcessed(state.iterations() * Request().size());
}
BENCHMARK(BM_Parse);

void BM_FindDuplicateKey(benchmark::State& state) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(Request()).value();
  for (auto _ : state) {
    auto found = cpi::json::FindDuplicateKey(root);
    if (found) state.SkipWithError("duplicate found");
    benchmark::DoNotOptimize(found);
  }
  state.SetBytesProcessed(state.iterations() * Request().size());
}
BENCHMARK(BM_FindDuplicateKey);

void BM_ParseAndFindDuplicateKey(benchmark::State& state) {
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element root = parser.parse(Request()).value();
    auto found = cpi::json::FindDuplicateKey(root);
    benchmark::DoNotOptimize(found);
  }
  state.counters["request_bytes"] = static_cast<double>(Request().size());
}
BENCHMARK(BM_ParseAndFindDuplicateKey);

}  // namespace

BENCHMARK_MAIN();
