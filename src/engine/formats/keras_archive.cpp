// .keras archives with libzip.
#include "formats/keras_archive.hpp"

#include <zip.h>

#include <memory>

#include "glia/error.hpp"

namespace glia::formats {

namespace {

struct ZipCloser {
  void operator()(zip_t* z) const {
    if (z) zip_discard(z);
  }
};

std::string zip_message(zip_error_t* e) {
  const char* s = zip_error_strerror(e);
  return s ? s : "unknown error";
}

}  // namespace

void write_archive(const std::string& path, const std::vector<ArchiveEntry>& entries) {
  int err = 0;
  std::unique_ptr<zip_t, ZipCloser> z(zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err));
  if (!z)
    throw Error(path + ": cannot create the archive (libzip error " + std::to_string(err) + ")");
  for (const ArchiveEntry& e : entries) {
    zip_source_t* src = zip_source_buffer(z.get(), e.data.data(), e.data.size(), 0);
    if (!src) throw Error(path + ": cannot add " + e.name + ": " + zip_strerror(z.get()));
    const zip_int64_t idx = zip_file_add(z.get(), e.name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(src);
      throw Error(path + ": cannot add " + e.name + ": " + zip_strerror(z.get()));
    }
    zip_set_file_compression(z.get(), static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
  }
  if (zip_close(z.get()) != 0)
    throw Error(path + ": cannot write the archive: " + zip_strerror(z.get()));
  (void)z.release();
}

ArchiveContents read_archive(std::string_view bytes, const std::string& name,
                             const LoadLimits& limits) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!src) throw Error(name + ": cannot read the archive: " + zip_message(&error));
  std::unique_ptr<zip_t, ZipCloser> z(
      zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!z) {
    zip_source_free(src);
    const std::string msg = zip_message(&error);
    zip_error_fini(&error);
    throw Error(name + ": not a .keras archive (expected a zip file: " + msg + ")");
  }
  zip_error_fini(&error);
  auto read_entry = [&](const char* entry, int64_t limit, bool required) -> std::string {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(z.get(), entry, 0, &st) != 0) {
      if (!required) return {};
      throw Error(name + ": the archive has no " + entry + " (expected a Keras 3 .keras file)");
    }
    if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
      throw Error(name + ": " + entry + " has no recorded size");
    // A stored entry is no bigger than the archive; deflate expands at most ~1032:1.
    const double most =
        static_cast<double>(bytes.size()) * (st.comp_method == ZIP_CM_STORE ? 1 : 1100);
    if (static_cast<double>(st.size) > most || static_cast<int64_t>(st.size) > limit)
      throw Error(name + ": " + entry + " claims " + std::to_string(st.size) +
                  " bytes, more than the archive can hold or the limit of " +
                  std::to_string(limit));
    zip_file_t* f = zip_fopen(z.get(), entry, 0);
    if (!f) throw Error(name + ": cannot open " + entry + ": " + zip_strerror(z.get()));
    std::string data(static_cast<size_t>(st.size), '\0');
    const zip_int64_t got = zip_fread(f, data.data(), data.size());
    char extra;
    const zip_int64_t more =
        got == static_cast<zip_int64_t>(data.size()) ? zip_fread(f, &extra, 1) : 0;
    zip_fclose(f);
    if (got != static_cast<zip_int64_t>(data.size()) || more != 0)
      throw Error(name + ": " + entry + " is truncated or corrupt (CRC or size mismatch)");
    return data;
  };
  ArchiveContents out;
  out.config = read_entry("config.json", limits.max_config_bytes, true);
  if (zip_name_locate(z.get(), "model.weights.npz", 0) >= 0 &&
      zip_name_locate(z.get(), "model.weights.h5", 0) < 0)
    throw Error(name +
                ": model.weights.npz archives are not supported (expected model.weights.h5)");
  out.weights =
      read_entry("model.weights.h5", limits.max_parameters * 4 * 3 + (int64_t{64} << 20), false);
  return out;
}

}  // namespace glia::formats
