// Reading a job's tracking file: the JSON Lines its clients append (docs/tracking-protocol.md).
// The agent reads complete lines from the offset the store has recorded and applies them with
// the new offset in one transaction, so every acknowledged record lands exactly once — also when
// the agent was killed and a later one picks the file up.
#pragma once

#include <climits>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "glia/platform/artifact_store.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform {

class TrackingReader {
 public:
  /// `work_dir` resolves relative paths in image/file records; their bytes go to `artifacts`.
  TrackingReader(std::filesystem::path file, std::filesystem::path work_dir,
                 ArtifactStore& artifacts);

  /// Applies the complete lines after the run's recorded offset, in batches of bounded size,
  /// until about `max_bytes` were read (then *more says whether the file holds more). With
  /// `final` (the job has ended), a last line without its newline is reported and skipped.
  /// Bad lines, and lines over 4 MiB, are skipped; each is described in take_problems()
  /// ("tracking file line N: ..."). Returns the number of records applied.
  int64_t ingest(Store& store, const std::string& run_id, bool final = false,
                 int64_t max_bytes = INT64_MAX, bool* more = nullptr);
  /// Problems found since the last call, then cleared.
  std::vector<std::string> take_problems();

 private:
  // `line` must be followed by simdjson::SIMDJSON_PADDING readable bytes.
  void parse_line(std::string_view line, TrackingBatch& batch);
  std::filesystem::path file_, work_dir_;
  ArtifactStore& artifacts_;
  int64_t line_base_offset_ = -1, line_number_ = 0;  // lines counted up to line_base_offset_
  std::vector<std::string> problems_;
};

}  // namespace glia::platform
