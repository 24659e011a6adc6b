// Job files: reading one, bounded, and load_job_file, which parses it by its type (a command job
// or a sweep).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "glia/error.hpp"
#include "glia/platform/input_limits.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "job_file.hpp"
#include "job_spec_detail.hpp"

namespace glia::platform {
namespace job_spec_detail {

namespace fs = std::filesystem;

JobFileText read_job_file(const fs::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (!fs::exists(status)) throw Error(ErrorKind::NotFound, one_line(name + ": no such job file"));
  if (fs::is_directory(status)) {
    throw Error(one_line(name + ": is a folder (expected a job YAML file)"));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw os_error(one_line(name + ": cannot read the job file"), errno);
  // At most one byte more than the limit is read (a FIFO or /dev/zero ends here too); the
  // parser refuses the text when it is over.
  std::string text(kMaxJobFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw os_error(one_line(name + ": cannot read the job file"), errno);
  text.resize(static_cast<std::size_t>(in.gcount()));
  return {name, fs::absolute(file).lexically_normal(), std::move(text)};
}

}  // namespace job_spec_detail

JobFile parse_job_file(const std::string& yaml_text, const std::string& source_name,
                       const std::filesystem::path& base_dir) {
  using namespace job_spec_detail;
  const YamlReader yaml(source_name, base_dir);
  const YAML::Node root = load_document(yaml, yaml_text);
  return with_yaml_errors(yaml, [&]() -> JobFile {
    if (job_type(yaml, root).name == "sweep") return parse_sweep(yaml, root);
    return parse_command_job(yaml, root);  // refuses the other types
  });
}

JobFile load_job_file(const std::filesystem::path& file) {
  const job_spec_detail::JobFileText text = job_spec_detail::read_job_file(file);
  JobFile parsed = parse_job_file(text.text, text.name, text.absolute.parent_path());
  if (auto* sweep = std::get_if<SweepSpec>(&parsed))
    sweep->trial.source = text.absolute;
  else
    std::get<JobSpec>(parsed).source = text.absolute;
  return parsed;
}

}  // namespace glia::platform
