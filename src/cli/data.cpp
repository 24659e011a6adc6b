// glia data inspect: read an IDX file and describe it.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "glia/data.hpp"

namespace glia::cli {

namespace {

nlohmann::json describe(const std::string& path) {
  IdxArray a = read_idx(path);
  nlohmann::json j = {{"file", path}, {"dims", a.dims}, {"count", a.count()}};
  if (a.data.empty()) return j;
  auto [lo, hi] = std::minmax_element(a.data.begin(), a.data.end());
  double sum = 0;
  for (uint8_t v : a.data) sum += v;
  j["min"] = *lo;
  j["max"] = *hi;
  j["mean"] = sum / static_cast<double>(a.data.size());
  if (a.dims.size() == 1) {  // a label file: class histogram
    std::vector<int64_t> hist(*hi + 1, 0);
    for (uint8_t v : a.data) ++hist[v];
    j["classes"] = hist;
  }
  return j;
}

}  // namespace

void register_data(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Work with data files");
  data->require_subcommand(1);
  auto* inspect = data->add_subcommand("inspect", "Describe IDX files (MNIST format, raw or .gz)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("text");
  inspect->add_option("files", *files, "IDX files")->required();
  inspect->add_option("-o,--output", *output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  inspect->callback([files, output] {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& f : *files) all.push_back(describe(f));
    if (*output == "json") {
      std::printf("%s\n",
                  all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    for (const auto& j : all) {
      std::string dims;
      for (auto& d : j["dims"])
        dims += (dims.empty() ? "" : "×") + std::to_string(d.get<int64_t>());
      std::printf("%s\n  shape: %s (uint8)\n", j["file"].get<std::string>().c_str(), dims.c_str());
      if (j.contains("min"))
        std::printf("  values: min %d, max %d, mean %.3f\n", j["min"].get<int>(),
                    j["max"].get<int>(), j["mean"].get<double>());
      if (j.contains("classes")) {
        std::printf("  classes:");
        int c = 0;
        for (auto& n : j["classes"])
          std::printf(" %d:%lld", c++, static_cast<long long>(n.get<int64_t>()));
        std::printf("\n");
      }
    }
  });
}

}  // namespace glia::cli
