// `--set` accepts every scalar key of a job file, with the file's checks: the keys come from the
// one table apply_override matches with (override_keys()) and the parser's own key list
// (command_job_keys()), never from a list written here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/job_spec.hpp"
#include "jobs/job_spec_yaml.hpp"

namespace glia::platform {
namespace {

// Values tried for every key: each key takes at least one of them.
const std::vector<std::string> kCandidates{"2", "mpi", "echo hi", "local", "x:1", "1.5"};

// "tags.KEY" -> "tags.k": a name for each upper-case part.
std::string instance(const std::string& name) {
  std::string out, part;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') {
      part += name[i];
      continue;
    }
    if (!out.empty()) out += '.';
    out += !part.empty() && std::isupper(static_cast<unsigned char>(part[0])) ? "k" : part;
    part.clear();
  }
  return out;
}

// "a.b.c" and "v" -> "a: {b: {c: 'v'}}" (quoted: a string, as --set's value is text; a number
// where one is expected is written plain).
std::string yaml_of(const std::string& key, const std::string& value, bool quoted) {
  // The file requires distribution.type (docs/jobs.md), which --set takes as mpi.
  if (key.starts_with("distribution.") && key != "distribution.type")
    return "distribution: {type: mpi, " + yaml_of(key.substr(13), value, quoted) + "}\n";
  std::string out, close;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
    out += key.substr(start, dot - start) + ": {";
    close += "}";
  }
  return out + key.substr(start) + ": " + (quoted ? "'" + value + "'" : value) + close + "\n";
}

std::optional<JobSpec> parsed(const std::string& yaml) {
  try {
    return parse_job_spec(yaml, "j.yml", ".");
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::optional<JobSpec> overridden(const std::string& base, const std::string& assignment) {
  JobSpec spec = parse_job_spec(base, "j.yml", ".");
  try {
    apply_override(spec, assignment);
  } catch (const Error&) {
    return std::nullopt;
  }
  return spec;
}

TEST(OverrideKeys, EveryKeyOfTheTableSetsWhatTheSameKeyInTheFileWould) {
  const std::string base = "command: echo base\n";
  for (const std::string& name : override_keys()) {
    if (name.starts_with("inputs.")) continue;  // they need a declared input: test_job_spec.cpp
    const std::string key = instance(name);
    int accepted = 0;
    for (const std::string& value : kCandidates) {
      const auto by_set = overridden(base, key + "=" + value);
      // The file's value: plain or quoted, whichever it takes (a number is written plain).
      auto by_file = key == "command" ? parsed(yaml_of(key, value, true))
                                      : parsed(base + yaml_of(key, value, true));
      if (!by_file) by_file = parsed(base + yaml_of(key, value, false));
      EXPECT_EQ(by_set.has_value(), by_file.has_value()) << key << "=" << value;
      if (by_set && by_file) {
        EXPECT_EQ(to_json(*by_set), to_json(*by_file)) << key << "=" << value;
        ++accepted;
      }
    }
    EXPECT_GT(accepted, 0) << name << ": no value accepted";
  }
}

TEST(OverrideKeys, AnUnknownKeyIsRefusedListingExactlyTheTable) {
  JobSpec spec = parse_job_spec("command: echo hi\n", "j.yml", ".");
  std::string list;
  for (const std::string& name : override_keys()) list += (list.empty() ? "" : ", ") + name;
  try {
    apply_override(spec, "nope.nothing=1");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("(expected one of: " + list + ")"), std::string::npos)
        << e.what();
  }
}

TEST(OverrideKeys, NoKeyOfTheJobFileIsUnknownToSet) {
  for (const std::string& key : job_spec_detail::command_job_keys()) {
    for (const std::string& value : kCandidates) {
      // A key the file takes a scalar for (not a mapping such as limits:).
      const std::string file = key == "command" ? "" : "command: echo hi\n";
      if (!parsed(file + yaml_of(key, value, false))) continue;
      JobSpec spec = parse_job_spec("command: echo hi\n", "j.yml", ".");
      try {
        apply_override(spec, key + "=" + value);
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).find("unknown key"), std::string::npos) << e.what();
      }
    }
  }
  // Regression: resources.threads was an unknown key to --set.
  JobSpec spec = parse_job_spec("command: echo hi\nresources: {threads: 1}\n", "j.yml", ".");
  apply_override(spec, "resources.threads=2");
  EXPECT_EQ(spec.threads, 2);
}

}  // namespace
}  // namespace glia::platform
