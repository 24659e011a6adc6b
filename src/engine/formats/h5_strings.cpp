// Variable-length strings in HDF5 files Glia reads (see h5_check.hpp): the global heaps they
// live in are walked and checked here, and the strings are read by Glia rather than by libhdf5
// 1.10, which follows their lengths and heap indices unchecked.
#include <map>

#include "formats/h5_check.hpp"
#include "formats/h5_layout.hpp"
#include "glia/error.hpp"

namespace glia::formats::h5 {

/// Walks the global heap collection ("GCOL", where variable-length strings live) at `at` the
/// way libhdf5 does (H5HG__cache_heap_deserialize), calling `object(index, offset, size)` for
/// each object (offset of its data from `at`). libhdf5 1.10 checks none of the recorded sizes,
/// nor, in release builds, the collection's own: a free-space object of size 0 loops forever,
/// and sizes past the collection's end walk off the buffer. Returns the collection's length.
uint64_t walk_collection(const Bytes& b, uint64_t at, int width, const std::string& name,
                         const std::function<void(uint64_t, uint64_t, uint64_t)>& object) {
  const uint64_t header = 8 + static_cast<uint64_t>(width);  // also each object's header size
  auto corrupt = [&] {
    throw Error(name + ": corrupt HDF5 data (the global heap at byte " + std::to_string(at) +
                " does not hold together)");
  };
  if (b.at(at + 4) != 1) corrupt();  // the only version there is
  const uint64_t length = b.number(at + 8, width);
  if (length < header) corrupt();  // libhdf5 would read its header past its end
  uint64_t offset = header;
  while (offset < length) {
    const uint64_t left = length - offset;
    if (left < header) break;  // too small for an object: free space
    const uint64_t index = b.number(at + offset, 2);
    const uint64_t size = b.number(at + offset + 8, width);
    uint64_t need = size;
    if (index > 0) {
      if (size > left - header) corrupt();
      need = header + (size + 7) / 8 * 8;
      object(index, offset + header, size);
    }
    if (need == 0 || need > left) corrupt();
    offset += need;
  }
  return length;
}

/// Every collection in the image, before libhdf5 sees any. A collection that holds together is
/// skipped as a whole (the strings inside it may spell "GCOL").
void check_global_heaps(const Bytes& b, const std::string& name) {
  const int width = lengths_size(b);
  check_width(width, name);
  const unsigned char* p = b.data;
  const unsigned char* end = b.data + b.size;
  while (p < end) {
    // memchr + compare: several times faster than memmem's general search over weights.
    p = static_cast<const unsigned char*>(std::memchr(p, 'G', static_cast<size_t>(end - p)));
    if (!p) break;
    if (end - p < 4 || std::memcmp(p, "GCOL", 4) != 0) {
      ++p;
      continue;
    }
    if (b.at(static_cast<uint64_t>(p - b.data) + 4) != 1) {  // libhdf5 refuses it itself
      ++p;
      continue;
    }
    const uint64_t length =
        walk_collection(b, static_cast<uint64_t>(p - b.data), width, name, [](auto...) {});
    if (length >= static_cast<uint64_t>(end - p)) break;
    p += length;
  }
}

namespace {

// ---- variable-length strings ----

constexpr const char* kDescriptorTag = "glia: variable-length descriptors";

/// A conversion that leaves a variable-length string's on-disk descriptor (length, collection
/// address, object index) as it is, so it can be checked before anything follows it.
herr_t keep_descriptors(hid_t src, hid_t dst, H5T_cdata_t* cdata, size_t, size_t, size_t, void*,
                        void*, hid_t) {
  if (cdata->command != H5T_CONV_INIT) return 0;  // converting is copying, which HDF5 does
  cdata->need_bkg = H5T_BKG_NO;
  if (H5Tis_variable_str(src) <= 0 || H5Tget_class(dst) != H5T_OPAQUE ||
      H5Tget_size(src) != H5Tget_size(dst))
    return -1;
  char* tag = H5Tget_tag(dst);
  const bool ours = tag && std::strcmp(tag, kDescriptorTag) == 0;
  H5free_memory(tag);
  return ours ? 0 : -1;
}

void register_keep_descriptors() {
  static const bool done = [] {
    const hid_t src = H5Tcopy(H5T_C_S1);
    H5Tset_size(src, H5T_VARIABLE);
    const hid_t dst = H5Tcreate(H5T_OPAQUE, 1);
    const herr_t rc =
        H5Tregister(H5T_PERS_SOFT, "glia_keep_descriptors", src, dst, keep_descriptors);
    H5Tclose(src);
    H5Tclose(dst);
    return rc >= 0;
  }();
  if (!done) throw Error("HDF5: cannot register the string descriptor conversion");
}

struct Collection {
  std::vector<unsigned char> bytes;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> objects;  // index → (offset, size)
};

/// libhdf5's own reading, for files Glia is writing.
std::vector<std::string> read_vlen_strings_hdf5(hid_t attribute, size_t count, int64_t max_bytes,
                                                const std::string& where) {
  Id type{H5Aget_type(attribute), H5Tclose};
  Id space{H5Aget_space(attribute), H5Sclose};
  Id mem{H5Tcopy(H5T_C_S1), H5Tclose};
  if (type.id < 0 || space.id < 0 || mem.id < 0) throw Error(where + ": unreadable");
  H5Tset_size(mem.id, H5T_VARIABLE);
  H5Tset_cset(mem.id, H5Tget_cset(type.id));
  std::vector<char*> pointers(count, nullptr);
  if (count > 0 && H5Aread(attribute, mem.id, pointers.data()) < 0)
    throw Error(where + ": cannot read");
  std::vector<std::string> out;
  int64_t total = 0;
  for (char* p : pointers) {
    out.emplace_back(p ? p : "");
    total += static_cast<int64_t>(out.back().size());
  }
  if (count > 0) H5Dvlen_reclaim(mem.id, space.id, H5P_DEFAULT, pointers.data());
  if (total > max_bytes)
    throw Error(where + ": larger than " + std::to_string(max_bytes) + " bytes");
  return out;
}

}  // namespace

std::vector<std::string> read_vlen_strings(hid_t attribute, size_t count, int64_t max_bytes,
                                           const std::string& where) {
  register_keep_descriptors();
  const FileView view(attribute, where);
  if (view.writable()) return read_vlen_strings_hdf5(attribute, count, max_bytes, where);
  const Layout& layout = view.layout();
  const auto address_size = static_cast<size_t>(layout.address_size);
  const auto length_size = static_cast<uint64_t>(layout.length_size);
  const size_t width = 4 + address_size + 4;  // length, collection address, object index
  Id raw{H5Tcreate(H5T_OPAQUE, width), H5Tclose};
  if (raw.id < 0 || H5Tset_tag(raw.id, kDescriptorTag) < 0)
    throw Error(where + ": cannot describe the strings");
  std::vector<unsigned char> descriptors(width * count);
  if (count > 0 && H5Aread(attribute, raw.id, descriptors.data()) < 0)
    throw Error(where + ": cannot read");
  const Bytes d{descriptors.data(), descriptors.size()};
  std::map<uint64_t, Collection> collections;
  std::vector<std::string> out;
  int64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint64_t length = d.number(i * width, 4);
    const uint64_t address = d.number(i * width + 4, static_cast<int>(address_size));
    const uint64_t index = d.number(i * width + 4 + address_size, 4);
    if (length == 0 || address == 0) {  // "" or a null string
      out.emplace_back();
      continue;
    }
    if (static_cast<int64_t>(length) > max_bytes - total)
      throw Error(where + ": larger than " + std::to_string(max_bytes) + " bytes");
    total += static_cast<int64_t>(length);
    auto it = collections.find(address);
    if (it == collections.end()) {
      const uint64_t at = layout.base + address;
      const uint64_t header = 8 + length_size;
      std::vector<unsigned char> head = layout.read(at, header);
      if (std::memcmp(head.data(), "GCOL", 4) != 0)
        throw Error(where + ": corrupt HDF5 data (a string points at byte " + std::to_string(at) +
                    ", where no global heap is)");
      const uint64_t n = Bytes{head.data(), head.size()}.number(8, static_cast<int>(length_size));
      if (n > layout.file_size) throw Error(where + ": corrupt HDF5 data (a global heap's size)");
      Collection c;
      c.bytes = layout.read(at, n);
      walk_collection(Bytes{c.bytes.data(), c.bytes.size()}, 0, static_cast<int>(length_size),
                      where, [&](uint64_t idx, uint64_t offset, uint64_t size) {
                        c.objects[idx] = {offset, size};
                      });
      it = collections.emplace(address, std::move(c)).first;
    }
    const auto object = it->second.objects.find(index);
    if (object == it->second.objects.end() || object->second.second != length)
      throw Error(where + ": corrupt HDF5 data (a string's length or heap index is wrong)");
    const char* p = reinterpret_cast<const char*>(it->second.bytes.data()) + object->second.first;
    std::string s(p, static_cast<size_t>(length));
    s.resize(std::strlen(s.c_str()));  // as the C string libhdf5 would return
    out.push_back(std::move(s));
  }
  return out;
}
}  // namespace glia::formats::h5
