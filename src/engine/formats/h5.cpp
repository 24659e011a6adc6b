// HDF5 access for Keras weight files (see h5.hpp).
#include "formats/h5.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "formats/h5_check.hpp"
#include "glia/error.hpp"

namespace glia::formats::h5 {

namespace {

Handle checked(hid_t id, herr_t (*close)(hid_t), const std::string& what) {
  if (id < 0) throw Error(what);
  return Handle(id, close);
}

void check(herr_t rc, const std::string& what) {
  if (rc < 0) throw Error(what);
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

/// True when every component of `path` exists under `loc` (H5Lexists needs that). Each object
/// header is checked before libhdf5 loads it (h5_check.hpp); `where` names `path` in errors.
bool exists(hid_t loc, const std::string& path, const std::string& where) {
  std::string prefix;
  for (const std::string& part : split(path)) {
    prefix += prefix.empty() ? part : "/" + part;
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    check_link(loc, prefix, where);
    if (H5Oexists_by_name(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return !prefix.empty();
}

H5I_type_t object_type(hid_t loc, const std::string& path, const std::string& where) {
  if (!exists(loc, path, where)) return H5I_BADID;
  hid_t o = H5Oopen(loc, path.c_str(), H5P_DEFAULT);
  if (o < 0) return H5I_BADID;
  H5I_type_t t = H5Iget_type(o);
  H5Oclose(o);
  return t;
}

Handle intermediate_lcpl() {
  Handle p = checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "HDF5: cannot create a property list");
  H5Pset_create_intermediate_group(p.get(), 1);
  return p;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  Shape s(dims.begin(), dims.end());
  return shape_str(s);
}

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0 && close_) close_(id_);
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = -1;
  }
  return *this;
}

Handle::~Handle() {
  if (id_ >= 0 && close_) close_(id_);
}

void quiet() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

std::string Group::where(const std::string& child) const {
  std::string p = path_ == "/" ? "" : path_;
  return file_ + ": " + (child.empty() ? (p.empty() ? "/" : p) : p + "/" + child);
}

bool Group::has(const std::string& name) const {
  return exists(h_.get(), name, where(name));
}
bool Group::has_group(const std::string& name) const {
  return object_type(h_.get(), name, where(name)) == H5I_GROUP;
}
bool Group::has_dataset(const std::string& name) const {
  return object_type(h_.get(), name, where(name)) == H5I_DATASET;
}

Group Group::group(const std::string& name) const {
  if (!has_group(name)) throw Error(where(name) + ": expected a group, found none");
  Handle g = checked(H5Gopen2(h_.get(), name.c_str(), H5P_DEFAULT), H5Gclose,
                     where(name) + ": cannot open the group");
  return Group(std::move(g), file_, (path_ == "/" ? "" : path_) + "/" + name);
}

Group Group::create_group(const std::string& name) const {
  Handle lcpl = intermediate_lcpl();
  Handle g = checked(H5Gcreate2(h_.get(), name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                     H5Gclose, where(name) + ": cannot create the group");
  return Group(std::move(g), file_, (path_ == "/" ? "" : path_) + "/" + name);
}

Group Group::require_group(const std::string& name) const {
  return has_group(name) ? group(name) : create_group(name);
}

std::vector<std::string> Group::children() const {
  H5G_info_t info;
  check(H5Gget_info(h_.get(), &info), where() + ": cannot list the group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks && i < 1000000; ++i) {
    ssize_t n =
        H5Lget_name_by_idx(h_.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0 || n > 65536) throw Error(where() + ": unreadable link name");
    std::string s(static_cast<size_t>(n) + 1, '\0');
    H5Lget_name_by_idx(h_.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size(),
                       H5P_DEFAULT);
    s.resize(static_cast<size_t>(n));
    names.push_back(s);
  }
  return names;
}

void Group::write_floats(const std::string& name, const Shape& shape, const float* data) const {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space =
      checked(dims.empty() ? H5Screate(H5S_SCALAR)
                           : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
              H5Sclose, where(name) + ": cannot describe the dataset");
  Handle lcpl = intermediate_lcpl();
  Handle ds = checked(H5Dcreate2(h_.get(), name.c_str(), H5T_IEEE_F32LE, space.get(), lcpl.get(),
                                 H5P_DEFAULT, H5P_DEFAULT),
                      H5Dclose, where(name) + ": cannot create the dataset");
  if (shape_numel(shape) > 0)
    check(H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
          where(name) + ": cannot write the dataset");
}

void Group::write_int64(const std::string& name, int64_t value) const {
  Handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, where(name) + ": cannot describe");
  Handle lcpl = intermediate_lcpl();
  Handle ds = checked(H5Dcreate2(h_.get(), name.c_str(), H5T_STD_I64LE, space.get(), lcpl.get(),
                                 H5P_DEFAULT, H5P_DEFAULT),
                      H5Dclose, where(name) + ": cannot create the dataset");
  check(H5Dwrite(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value),
        where(name) + ": cannot write the dataset");
}

namespace {

struct OpenDataset {
  Handle ds, space, type;
  std::vector<hsize_t> dims;
};

OpenDataset open_dataset(hid_t loc, const std::string& name, const std::string& where) {
  if (object_type(loc, name, where) != H5I_DATASET)
    throw Error(where + ": expected a dataset, found none");
  OpenDataset d;
  d.ds = checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, where + ": cannot open");
  d.space = checked(H5Dget_space(d.ds.get()), H5Sclose, where + ": unreadable dataspace");
  d.type = checked(H5Dget_type(d.ds.get()), H5Tclose, where + ": unreadable data type");
  const int rank = H5Sget_simple_extent_ndims(d.space.get());
  if (rank < 0 || rank > 32) throw Error(where + ": unreadable dataspace");
  d.dims.resize(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(d.space.get(), d.dims.data(), nullptr) < 0)
    throw Error(where + ": unreadable dataspace");
  return d;
}

void require_float(const OpenDataset& d, const std::string& where) {
  const H5T_class_t cls = H5Tget_class(d.type.get());
  if (cls != H5T_FLOAT)
    throw Error(where + ": expected float32 weights, found " +
                (cls == H5T_INTEGER ? std::string("integers (bfloat16 or quantized weights are "
                                                  "not supported)")
                                    : std::string("a non-numeric type")));
  const size_t size = H5Tget_size(d.type.get());
  if (size != 2 && size != 4 && size != 8)
    throw Error(where + ": unsupported float size " + std::to_string(size) + " bytes");
}

}  // namespace

Shape Group::dataset_shape(const std::string& name) const {
  OpenDataset d = open_dataset(h_.get(), name, where(name));
  return Shape(d.dims.begin(), d.dims.end());
}

void Group::read_floats_into(const std::string& name, const Shape& expected, Tensor& out) const {
  OpenDataset d = open_dataset(h_.get(), name, where(name));
  require_float(d, where(name));
  Shape got(d.dims.begin(), d.dims.end());
  if (got != expected)
    throw Error(where(name) + ": expected shape " + shape_str(expected) + ", found " +
                shape_text(d.dims));
  if (!out.defined() || out.shape() != expected) out = Tensor(expected);
  if (out.size() > 0)
    check(H5Dread(d.ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
          where(name) + ": cannot read the data (truncated or corrupt file)");
}

Tensor Group::read_floats(const std::string& name, int64_t max_elements) const {
  OpenDataset d = open_dataset(h_.get(), name, where(name));
  require_float(d, where(name));
  double n = 1;
  for (hsize_t v : d.dims) n *= static_cast<double>(v);
  if (n > static_cast<double>(max_elements))
    throw Error(where(name) + ": shape " + shape_text(d.dims) + " is larger than the limit of " +
                std::to_string(max_elements) + " values");
  Shape shape(d.dims.begin(), d.dims.end());
  Tensor t(shape);
  if (t.size() > 0)
    check(H5Dread(d.ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data()),
          where(name) + ": cannot read the data (truncated or corrupt file)");
  return t;
}

int64_t Group::read_integer_scalar(const std::string& name) const {
  OpenDataset d = open_dataset(h_.get(), name, where(name));
  if (H5Tget_class(d.type.get()) != H5T_INTEGER) throw Error(where(name) + ": expected an integer");
  if (H5Sget_simple_extent_npoints(d.space.get()) != 1)
    throw Error(where(name) + ": expected a scalar, found shape " + shape_text(d.dims));
  int64_t v = 0;
  check(H5Dread(d.ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v),
        where(name) + ": cannot read the value");
  return v;
}

void Group::set_attr(const std::string& name, std::string_view value) const {
  Handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, where() + ": string type");
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, where() + ": dataspace");
  if (H5Aexists(h_.get(), name.c_str()) > 0) H5Adelete(h_.get(), name.c_str());
  Handle a =
      checked(H5Acreate2(h_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose, where() + ": cannot create attribute '" + name + "'");
  std::string copy(value);
  const char* p = copy.c_str();
  check(H5Awrite(a.get(), type.get(), &p), where() + ": cannot write attribute '" + name + "' (" +
                                               std::to_string(value.size()) +
                                               " bytes; HDF5 limits attributes to 64 KiB)");
}

void Group::set_attr_list(const std::string& name, const std::vector<std::string>& values) const {
  size_t width = 1;
  for (auto& v : values) width = std::max(width, v.size());
  Handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, where() + ": string type");
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  hsize_t n = values.size();
  Handle space = checked(H5Screate_simple(1, &n, nullptr), H5Sclose, where() + ": dataspace");
  if (H5Aexists(h_.get(), name.c_str()) > 0) H5Adelete(h_.get(), name.c_str());
  Handle a =
      checked(H5Acreate2(h_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose, where() + ": cannot create attribute '" + name + "'");
  std::string buf(width * values.size() + 1, '\0');
  for (size_t i = 0; i < values.size(); ++i)
    std::memcpy(buf.data() + i * width, values[i].data(), values[i].size());
  check(H5Awrite(a.get(), type.get(), buf.data()),
        where() + ": cannot write attribute '" + name + "' (HDF5 limits attributes to 64 KiB)");
}

bool Group::has_attr(const std::string& name) const {
  return H5Aexists(h_.get(), name.c_str()) > 0;
}

std::vector<std::string> Group::attr_list(const std::string& name, int64_t max_bytes) const {
  const std::string w = where() + " attribute '" + name + "'";
  if (!has_attr(name)) throw Error(w + ": missing");
  Handle a = checked(H5Aopen(h_.get(), name.c_str(), H5P_DEFAULT), H5Aclose, w + ": unreadable");
  Handle type = checked(H5Aget_type(a.get()), H5Tclose, w + ": unreadable type");
  Handle space = checked(H5Aget_space(a.get()), H5Sclose, w + ": unreadable dataspace");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0 || n > max_bytes) throw Error(w + ": too many values");
  if (H5Tget_class(type.get()) != H5T_STRING) {
    if (n == 0) return {};  // Keras writes an empty float array for "no weights"
    throw Error(w + ": expected strings");
  }
  std::vector<std::string> out;
  // libhdf5 1.10 trusts the length and heap index stored with each variable-length string (a
  // corrupt file crashes it): these are checked and read in h5_check.cpp.
  if (H5Tis_variable_str(type.get()) > 0)
    return read_vlen_strings(a.get(), static_cast<size_t>(n), max_bytes, w);
  const size_t width = H5Tget_size(type.get());
  if (width == 0 ||
      static_cast<double>(width) * static_cast<double>(n) > static_cast<double>(max_bytes))
    throw Error(w + ": larger than " + std::to_string(max_bytes) + " bytes");
  Handle mem = checked(H5Tcopy(H5T_C_S1), H5Tclose, w + ": string type");
  H5Tset_size(mem.get(), width);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  std::string buf(width * static_cast<size_t>(n) + 1, '\0');
  if (n > 0) check(H5Aread(a.get(), mem.get(), buf.data()), w + ": cannot read");
  for (hssize_t i = 0; i < n; ++i) {
    std::string s(buf.data() + static_cast<size_t>(i) * width, width);
    s.resize(std::strlen(s.c_str()));
    out.push_back(std::move(s));
  }
  return out;
}

std::string Group::attr(const std::string& name, int64_t max_bytes) const {
  auto list = attr_list(name, max_bytes);
  if (list.size() != 1)
    throw Error(where() + " attribute '" + name + "': expected one string, found " +
                std::to_string(list.size()));
  return list[0];
}

File File::create(const std::string& path) {
  quiet();
  return File(checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                      path + ": cannot create the HDF5 file"),
              path);
}

File File::create_in_memory(const std::string& name) {
  quiet();
  Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "HDF5: property list");
  check(H5Pset_fapl_core(fapl.get(), size_t{1} << 20, 0), "HDF5: in-memory driver");
  return File(checked(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose,
                      name + ": cannot create the in-memory HDF5 file"),
              name);
}

File File::open(const std::string& path) {
  quiet();
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw Error(path + ": not an HDF5 file (expected a Keras .h5 file)");
  check_file(path);
  return File(checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                      path + ": cannot open the HDF5 file (truncated or corrupt)"),
              path);
}

File File::open_image(const void* data, size_t size, const std::string& name) {
  quiet();
  if (size < 8 || std::memcmp(data, "\x89HDF\r\n\x1a\n", 8) != 0)
    throw Error(name + ": not an HDF5 file (bad signature)");
  check_image(static_cast<const unsigned char*>(data), size, name);
  // The core driver reads the caller's bytes in place: these callbacks hand HDF5 the same
  // buffer wherever it would copy it, and free nothing. (H5LTopen_file_image does the same with
  // DONT_COPY, but leaks its 72-byte bookkeeping struct on every open in HDF5 1.10.)
  H5FD_file_image_callbacks_t callbacks{};
  callbacks.image_malloc = [](size_t, H5FD_file_image_op_t, void* image) { return image; };
  callbacks.image_memcpy = [](void* dest, const void* src, size_t, H5FD_file_image_op_t,
                              void*) -> void* { return dest == src ? dest : nullptr; };
  callbacks.image_realloc = [](void*, size_t, H5FD_file_image_op_t, void*) -> void* {
    return nullptr;  // read-only
  };
  callbacks.image_free = [](void*, H5FD_file_image_op_t, void*) -> herr_t { return 0; };
  callbacks.udata_copy = [](void* image) { return image; };
  callbacks.udata_free = [](void*) -> herr_t { return 0; };
  callbacks.udata = const_cast<void*>(data);
  Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "HDF5: property list");
  check(H5Pset_fapl_core(fapl.get(), size_t{64} << 10, 0), "HDF5: in-memory driver");
  check(H5Pset_file_image_callbacks(fapl.get(), &callbacks), "HDF5: file image callbacks");
  check(H5Pset_file_image(fapl.get(), const_cast<void*>(data), size), "HDF5: file image");
  // The core driver treats two open images with one name as the same file: names are unique.
  static std::atomic<uint64_t> images{0};
  const std::string image_name = "glia-image-" + std::to_string(++images);
  return File(checked(H5Fopen(image_name.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose,
                      name + ": cannot open the HDF5 data (truncated or corrupt)"),
              name);
}

Group File::root() const {
  return Group(checked(H5Gopen2(h_.get(), "/", H5P_DEFAULT), H5Gclose, name_ + ": no root group"),
               name_, "/");
}

void File::flush() const {
  check(H5Fflush(h_.get(), H5F_SCOPE_GLOBAL), name_ + ": cannot flush the HDF5 file");
}

std::string File::image() const {
  flush();
  ssize_t n = H5Fget_file_image(h_.get(), nullptr, 0);
  if (n < 0) throw Error(name_ + ": cannot read the in-memory HDF5 image");
  std::string buf(static_cast<size_t>(n), '\0');
  if (H5Fget_file_image(h_.get(), buf.data(), buf.size()) < 0)
    throw Error(name_ + ": cannot read the in-memory HDF5 image");
  return buf;
}

void File::close() {
  hid_t id = h_.release();
  if (id >= 0) check(H5Fclose(id), name_ + ": cannot finish writing the HDF5 file (disk full?)");
}

}  // namespace glia::formats::h5
