#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/input_limits.hpp"
#include "glia/platform/run_file_tree.hpp"
#include "glia/platform/tracking.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

// Bytes read per batch: bounds memory for huge files, and a chunk with no newline in it holds
// a line longer than the protocol allows (kMaxTrackingLineBytes, its "\n" included).
constexpr size_t kChunk = kMaxTrackingLineBytes;

// simdjson parses each line in place: a line is followed in the chunk by at least
// SIMDJSON_PADDING readable bytes (the chunk is allocated with them).
simdjson::dom::parser& line_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

double number_field(simdjson::dom::element v, const char* what) {
  double d;
  if (v.is_number() && !v.get_double().get(d)) return d;
  std::string_view s;
  if (!v.get_string().get(s)) {
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  throw Error(std::string(what) + " must be a number or \"NaN\"/\"Infinity\"/\"-Infinity\"");
}

std::string string_field(simdjson::dom::object j, const char* key) {
  std::string_view s;
  if (j[key].get_string().get(s) || s.empty())
    throw Error(std::string("'") + key + "' must be a non-empty string");
  return std::string(s);
}

// Drops from `batch` each file that would be a file and a folder at once among the run's files
// (the store refuses such a batch whole, which would stop the run's tracking for good), with the
// image naming it, each described in `problems`.
void drop_clashing_files(Store& store, const std::string& run_id, TrackingBatch& batch,
                         std::vector<std::string>& problems) {
  std::set<std::string> dropped;
  for (auto& [path, why] : drop_run_file_clashes(store, run_id, batch.files)) {
    problems.push_back(why);
    dropped.insert(path);
  }
  std::erase_if(batch.images, [&](const MetricImage& i) { return dropped.count(i.path) > 0; });
}

std::string image_file_name(const std::string& name) {
  std::string out;
  for (char c : name)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
            c == ' ')
               ? c
               : '_';
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

// The position of the first '\n' at or after `pos`, or -1.
int64_t find_newline(int fd, int64_t pos) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, pos);
    if (n <= 0) return -1;
    if (const void* p = std::memchr(buf, '\n', static_cast<size_t>(n)))
      return pos + (static_cast<const char*>(p) - buf);
    pos += n;
  }
}

int64_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

}  // namespace

TrackingReader::TrackingReader(fs::path file, fs::path work_dir, ArtifactStore& artifacts)
    : file_(std::move(file)), work_dir_(std::move(work_dir)), artifacts_(artifacts) {}

std::vector<std::string> TrackingReader::take_problems() {
  return std::exchange(problems_, {});
}

void TrackingReader::parse_line(std::string_view line, TrackingBatch& batch) {
  simdjson::dom::element doc;
  if (line_parser().parse(line.data(), line.size(), false).get(doc)) throw Error("not valid JSON");
  simdjson::dom::object j;
  if (doc.get_object().get(j)) throw Error("a record must be a JSON object");
  const std::string kind = string_field(j, "kind");
  simdjson::dom::element field;
  const double time = j["time"].get(field) ? now_seconds() : number_field(field, "'time'");
  const bool has_step = !j["step"].get(field) && !field.is_null();
  auto step_of = [&](int64_t fallback) {
    if (!has_step) return fallback;
    int64_t step;
    if (field.get_int64().get(step)) throw Error("'step' must be an integer");
    return step;
  };
  auto local_file = [&](const std::string& p) {
    fs::path path(p);
    if (path.is_relative()) path = work_dir_ / path;
    if (!fs::is_regular_file(path)) throw Error("no file at '" + p + "'");
    return path;
  };
  if (kind == "metric") {
    simdjson::dom::element value;
    if (j["value"].get(value)) throw Error("'value' is missing");
    batch.metrics.push_back({string_field(j, "name"), step_of(MetricPoint::kNextStep),
                             number_field(value, "'value'"), time});
  } else if (kind == "list") {
    const std::string name = string_field(j, "name");
    simdjson::dom::array values;
    if (j["values"].get_array().get(values)) throw Error("'values' must be a list");
    for (simdjson::dom::element v : values)
      batch.metrics.push_back({name, MetricPoint::kNextStep, number_field(v, "each value"), time});
  } else if (kind == "row") {
    simdjson::dom::object row;
    if (j["row"].get_object().get(row)) throw Error("'row' must be an object");
    batch.rows.push_back({string_field(j, "name"), simdjson::minify(row), time});
  } else if (kind == "image") {
    const std::string name = string_field(j, "name");
    const fs::path src = local_file(string_field(j, "path"));
    const int64_t step = step_of(0);
    std::string ext = src.extension().string();
    if (ext.empty()) ext = ".png";
    std::string path = "images/" + image_file_name(name);
    if (has_step) path += "_" + std::to_string(step);
    path += ext;
    uint64_t size = 0;
    const std::string hash = artifacts_.put_file(src, &size);
    batch.files.push_back({path, hash, static_cast<int64_t>(size), time});
    batch.images.push_back({name, step, path, time});
  } else if (kind == "file") {
    const std::string name = safe_relative_path(string_field(j, "name"), "file name");
    const fs::path src = local_file(string_field(j, "path"));
    uint64_t size = 0;
    const std::string hash = artifacts_.put_file(src, &size);
    batch.files.push_back({name, hash, static_cast<int64_t>(size), time});
  } else if (kind == "tag") {
    const std::string key = string_field(j, "key");
    std::string_view value;
    if (j["value"].get_string().get(value)) throw Error("'value' must be a string");
    batch.tags[key] = std::string(value);
  } else {
    throw Error("unknown kind '" + kind + "' (expected metric, list, row, image, file or tag)");
  }
}

int64_t TrackingReader::ingest(Store& store, const std::string& run_id, bool final,
                               int64_t max_bytes, bool* more) {
  int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;  // nothing logged yet
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  int64_t offset = store.tracking_offset(run_id);
  if (line_base_offset_ != offset) {  // (re)count the lines before the offset, for messages
    line_number_ = 0;
    std::string buf(1 << 16, '\0');
    for (int64_t pos = 0; pos < offset;) {
      ssize_t n = ::pread(fd, buf.data(), std::min<int64_t>(buf.size(), offset - pos), pos);
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) line_number_ += buf[static_cast<size_t>(i)] == '\n';
      pos += n;
    }
    line_base_offset_ = offset;
  }
  int64_t applied = 0, consumed = 0;
  std::string chunk(kChunk + simdjson::SIMDJSON_PADDING, '\0');  // padding: see line_parser
  while (consumed < max_bytes) {
    const int64_t from = offset;  // the batch applies only if the store is still here
    const size_t problems_before = problems_.size();
    ssize_t n = ::pread(fd, chunk.data(), kChunk, offset);
    if (n <= 0) break;
    size_t end = std::string_view(chunk.data(), static_cast<size_t>(n)).rfind('\n');
    if (end == std::string_view::npos) {
      if (static_cast<size_t>(n) < kChunk) {  // the last line, not yet complete
        if (!final) break;                    // wait for the rest of it
        ++line_number_;
        problems_.push_back("tracking file line " + std::to_string(line_number_) +
                            ": incomplete last line (no newline)");
        offset += n;
      } else {  // a line longer than the limit: skip to its end (or wait for it)
        const int64_t nl = find_newline(fd, offset + n);
        if (nl < 0 && !final) break;
        ++line_number_;
        problems_.push_back("tracking file line " + std::to_string(line_number_) +
                            ": longer than " + std::to_string(kMaxTrackingLineBytes >> 20) +
                            " MiB; skipped");
        offset = nl < 0 ? file_size(fd) : nl + 1;
      }
      if (!store.apply_tracking(run_id, {}, offset, from)) {
        line_base_offset_ = -1;  // another reader moved on: recount next time
        break;
      }
      line_base_offset_ = offset;
      continue;
    }
    TrackingBatch batch;
    int64_t records = 0;
    for (size_t start = 0; start <= end;) {
      const size_t nl = std::string_view(chunk.data(), end + 1).find('\n', start);
      const std::string_view line(chunk.data() + start, nl - start);
      ++line_number_;
      if (!line.empty()) {
        try {
          parse_line(line, batch);
          ++records;
        } catch (const std::exception& e) {
          const std::string why = e.what();
          problems_.push_back("tracking file line " + std::to_string(line_number_) + ": " + why);
        }
      }
      start = nl + 1;
    }
    offset += static_cast<int64_t>(end + 1);
    consumed += static_cast<int64_t>(end + 1);
    drop_clashing_files(store, run_id, batch, problems_);
    if (!store.apply_tracking(run_id, batch, offset, from)) {  // applied by another reader
      line_base_offset_ = -1;
      problems_.resize(problems_before);  // the other reader reports them
      break;
    }
    line_base_offset_ = offset;
    applied += records;
  }
  if (more) *more = consumed >= max_bytes;
  return applied;
}

}  // namespace glia::platform
