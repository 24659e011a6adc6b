// A command job's `distribution:` and `resources.instance_count` (Azure ML CLI v2): how many
// processes per instance (node) and how many instances. Only `type: mpi` runs (OpenMPI's mpirun on
// the local target, srun on Slurm); `pytorch` and `tensorflow` are Azure's other types, recognised
// and refused with what to use instead. Shared by the parser and `--set` overrides.
#include <string>
#include <vector>

#include "glia/platform/job_spec.hpp"
#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"

namespace glia::platform::job_spec_detail {
namespace {

constexpr int64_t kMaxProcessesPerInstance = 1024;
constexpr int64_t kMaxInstances = 1024;

const std::vector<std::string> kMpiKeys{"type", "process_count_per_instance",
                                        "process_count_per_node"};

}  // namespace

std::string distribution_type_problem(const std::string& type) {
  if (type == "mpi") return "";
  if (type == "pytorch" || type == "tensorflow") {
    return "type " + in_quotes(type) +
           " is not supported: Glia launches distributed jobs with MPI (OpenMPI's mpirun on the "
           "local target, srun on Slurm); use type: mpi with process_count_per_instance, and "
           "read the rank from RANK, WORLD_SIZE and LOCAL_RANK, which every process gets";
  }
  return "unknown type " + in_quotes(type) + " (expected mpi; pytorch and tensorflow are not " +
         "supported)";
}

std::optional<int64_t> parse_count(const std::string& text, int64_t max) {
  const auto n = parse_positive_number(text);
  if (!literal_type_problem("integer", text).empty() || !n || *n > static_cast<double>(max))
    return std::nullopt;
  return static_cast<int64_t>(*n);
}

int64_t process_count(const std::string& text, const std::function<void(const std::string&)>& fail,
                      const std::string& key) {
  const auto n = parse_count(text, kMaxProcessesPerInstance);
  if (!n)
    fail(key + ": expected a positive integer (at most " +
         std::to_string(kMaxProcessesPerInstance) + "), got " + in_quotes(text));
  return *n;
}

int64_t instance_count(const std::string& text, const std::function<void(const std::string&)>& fail,
                       const std::string& key) {
  const auto n = parse_count(text, kMaxInstances);
  if (!n)
    fail(key + ": expected a positive integer (at most " + std::to_string(kMaxInstances) +
         "), got " + in_quotes(text));
  return *n;
}

void parse_distribution(const YamlReader& yaml, JobSpec& spec, const YAML::Node& node) {
  const std::string where = yaml.key("distribution");
  if (!node.IsMap())
    yaml.error(where + ": expected a mapping (type: mpi, process_count_per_instance: N)");
  const auto fail = [&](const std::string& what) { yaml.error(what); };
  // The type first: a pytorch job's keys are not "unknown", its type is.
  const YAML::Node type_node = node["type"];
  if (!type_node) yaml.error(where + ".type: required (expected mpi)");
  const std::string type = yaml.scalar(type_node, where + ".type", "mpi");
  if (const std::string problem = distribution_type_problem(type); !problem.empty())
    yaml.error(where + ".type: " + problem);
  JobDistribution dist;
  dist.type = type;
  bool has_count = false;
  for (const auto& [field, value] : yaml.entries(node, where, &kMpiKeys)) {
    const std::string key = where + "." + field;
    if (field == "type") continue;
    if (has_count)
      yaml.error(key +
                 ": give process_count_per_instance once (process_count_per_node is the "
                 "same key as Azure's SDK v1 spells it)");
    dist.process_count_per_instance =
        process_count(yaml.number(value, key, "a positive integer"), fail, key);
    has_count = true;
  }
  spec.distribution = dist;
}

bool apply_distribution_override(JobSpec& spec, const std::string& where, const std::string& key,
                                 const std::string& value) {
  const auto fail_here = [&](const std::string& what) { fail(where, what); };
  if (key == "resources.instance_count") {
    spec.instance_count = instance_count(value, fail_here, key);
  } else if (key == "distribution.type") {
    if (const std::string problem = distribution_type_problem(value); !problem.empty())
      fail(where, key + ": " + problem);
    if (!spec.distribution) spec.distribution = JobDistribution{};
    spec.distribution->type = value;
  } else if (key == "distribution.process_count_per_instance" ||
             key == "distribution.process_count_per_node") {
    const int64_t n = process_count(value, fail_here, key);
    if (!spec.distribution) spec.distribution = JobDistribution{};
    spec.distribution->process_count_per_instance = n;
  } else {
    return false;
  }
  return true;
}

}  // namespace glia::platform::job_spec_detail
