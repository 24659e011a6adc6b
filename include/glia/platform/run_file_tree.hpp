// A run's files form a tree: a path is a file or a folder, never both ("outputs/a.txt" and
// "outputs/a.txt/b.txt" cannot both be files of one run). The stores check it whenever files are
// recorded, so both APIs, the tracking reader and every local writer share the one rule.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "glia/platform/store.hpp"

namespace glia::platform {

/// Two paths that cannot both be files: `file`, and `inside`, a path below it.
struct RunFileClash {
  std::string file, inside;
  /// "'outputs/a.txt' would be a file and a folder (holding 'outputs/a.txt/b.txt')".
  std::string describe() const;
};

/// The clash `path` makes among `paths` (every file path of the run; `path` itself and the other
/// files being added may be in it), if any. Only clashes involving `path` count.
std::optional<RunFileClash> run_file_clash(const std::set<std::string>& paths,
                                           const std::string& path);

/// Throws glia::Error (Conflict) naming the clash when one of `added` would be a file and a folder
/// at once among the run's `existing` paths and the rest of `added`. A path already there as a
/// file may be given again (it is replaced).
void check_run_file_tree(const std::string& run_id, const std::vector<std::string>& existing,
                         const std::vector<RunFile>& added);

/// Takes out of `files` (to be added to the run) each that would make a path a file and a folder
/// among the run's stored files and the files kept before it, and returns why for each: what
/// the writers that must not fail whole (a job's collected outputs, the tracking reader) store
/// instead of the batch the store would refuse.
std::vector<std::pair<std::string, std::string>> drop_run_file_clashes(Store& store,
                                                                       const std::string& run_id,
                                                                       std::vector<RunFile>& files);

/// check_run_file_tree for one path against the run's stored files: what an upload checks before
/// it reads a byte, so a clash is refused at once (the store checks again as it records it).
void check_new_run_file(Store& store, const std::string& run_id, const std::string& path);

}  // namespace glia::platform
