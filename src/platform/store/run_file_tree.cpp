#include "glia/platform/run_file_tree.hpp"

#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::platform {

std::string RunFileClash::describe() const {
  return quote_bytes(file) + " would be a file and a folder (holding " + quote_bytes(inside) + ")";
}

std::optional<RunFileClash> run_file_clash(const std::set<std::string>& paths,
                                           const std::string& path) {
  // A folder above `path` that is a file.
  for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    if (paths.count(path.substr(0, slash))) return RunFileClash{path.substr(0, slash), path};
  // A file below `path`, which is then a folder.
  const std::string folder = path + "/";
  if (auto it = paths.lower_bound(folder); it != paths.end() && it->starts_with(folder))
    return RunFileClash{path, *it};
  return std::nullopt;
}

void check_run_file_tree(const std::string& run_id, const std::vector<std::string>& existing,
                         const std::vector<RunFile>& added) {
  if (added.empty()) return;
  std::set<std::string> paths(existing.begin(), existing.end());
  for (const RunFile& f : added) paths.insert(f.path);
  for (const RunFile& f : added)
    if (auto clash = run_file_clash(paths, f.path))
      throw Error(ErrorKind::Conflict, "run '" + run_id + "': " + clash->describe() +
                                           "; a path of a run is a file or a folder, not both");
}

std::vector<std::pair<std::string, std::string>> drop_run_file_clashes(
    Store& store, const std::string& run_id, std::vector<RunFile>& files) {
  std::vector<std::pair<std::string, std::string>> dropped;  // path, why
  if (files.empty()) return dropped;
  std::set<std::string> paths;
  for (const RunFile& f : store.run_files(run_id)) paths.insert(f.path);
  std::erase_if(files, [&](const RunFile& f) {
    if (auto clash = run_file_clash(paths, f.path)) {
      dropped.emplace_back(f.path,
                           "file " + quote_bytes(f.path) + " not stored: " + clash->describe());
      return true;
    }
    paths.insert(f.path);
    return false;
  });
  return dropped;
}

void check_new_run_file(Store& store, const std::string& run_id, const std::string& path) {
  std::vector<std::string> existing;
  for (const RunFile& f : store.run_files(run_id)) existing.push_back(f.path);
  check_run_file_tree(run_id, existing, {{path, "", 0, 0}});
}

}  // namespace glia::platform
