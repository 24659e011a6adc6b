// Guards around libhdf5 (see h5_check.hpp).
#include "formats/h5_check.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "glia/error.hpp"

namespace glia::formats::h5 {

namespace {

/// Bytes as libhdf5's in-memory driver reads them: zeros past the end.
struct Bytes {
  const unsigned char* data;
  size_t size;
  unsigned char at(uint64_t i) const { return i < size ? data[i] : 0; }
  /// A little-endian unsigned number of `width` bytes (at most 8).
  uint64_t number(uint64_t i, int width) const {
    uint64_t v = 0;
    for (int k = width - 1; k >= 0; --k) v = (v << 8) | at(i + static_cast<uint64_t>(k));
    return v;
  }
};

/// The superblock's "size of lengths" (8 in every file h5py writes).
int lengths_size(const Bytes& b) {
  static const unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (uint64_t at = 0; at + 16 <= b.size; at = at == 0 ? 512 : at * 2) {
    if (std::memcmp(b.data + at, kSignature, 8) != 0) continue;
    const unsigned version = b.at(at + 8);
    return version < 2 ? b.at(at + 14) : b.at(at + 10);
  }
  return 8;
}

void check_width(int width, const std::string& name) {
  if (width != 2 && width != 4 && width != 8)
    throw Error(name + ": unsupported HDF5 layout (lengths of " + std::to_string(width) +
                " bytes)");
}

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

/// Closes an HDF5 identifier when it goes out of scope.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
};

/// Reads byte ranges of the file libhdf5 has open (the in-memory image or the file on disk).
class Source {
 public:
  Source(hid_t file, const std::string& where) : where_(where) {
    Id fapl{H5Fget_access_plist(file), H5Pclose};
    hsize_t size = 0;
    void* handle = nullptr;
    if (fapl.id < 0 || H5Fget_filesize(file, &size) < 0 ||
        H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || !handle)
      throw Error(where + ": cannot read the file's strings");
    size_ = size;
    const hid_t driver = H5Pget_driver(fapl.id);
    if (driver == H5FD_CORE)
      memory_ = *static_cast<const unsigned char**>(handle);
    else if (driver == H5FD_SEC2)
      fd_ = *static_cast<const int*>(handle);
    else
      throw Error(where + ": unsupported HDF5 file driver");
  }
  uint64_t size() const { return size_; }
  /// `n` bytes at `offset` (zeros past the end of the file).
  std::vector<unsigned char> read(uint64_t offset, uint64_t n) const {
    std::vector<unsigned char> out(static_cast<size_t>(n), 0);
    if (n == 0 || offset >= size_) return out;
    const uint64_t have = std::min(n, size_ - offset);
    if (memory_) {
      std::memcpy(out.data(), memory_ + offset, static_cast<size_t>(have));
    } else if (::pread(fd_, out.data(), static_cast<size_t>(have), static_cast<off_t>(offset)) !=
               static_cast<ssize_t>(have)) {
      throw Error(where_ + ": cannot read the file");
    }
    return out;
  }

 private:
  std::string where_;
  uint64_t size_ = 0;
  const unsigned char* memory_ = nullptr;
  int fd_ = -1;
};

struct Collection {
  std::vector<unsigned char> bytes;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> objects;  // index → (offset, size)
};

/// Where object headers are read from: the sizes of addresses and lengths, the address all
/// others count from (after a user block), and the bytes.
struct Layout {
  int address_size = 8, length_size = 8;
  uint64_t base = 0, file_size = 0;
  std::function<std::vector<unsigned char>(uint64_t, uint64_t)> read;  // (file offset, count)
};

/// The Layout of the file an open HDF5 object lives in.
class FileView {
 public:
  FileView(hid_t object, const std::string& where) : file_{H5Iget_file_id(object), H5Fclose} {
    Id fcpl{file_.id < 0 ? -1 : H5Fget_create_plist(file_.id), H5Pclose};
    size_t address_size = 0, length_size = 0;
    hsize_t userblock = 0;
    if (fcpl.id < 0 || H5Pget_sizes(fcpl.id, &address_size, &length_size) < 0 ||
        H5Pget_userblock(fcpl.id, &userblock) < 0 || address_size < 2 || address_size > 8)
      throw Error(where + ": cannot read the file's layout");
    check_width(static_cast<int>(length_size), where);
    source_.emplace(file_.id, where);
    layout_.address_size = static_cast<int>(address_size);
    layout_.length_size = static_cast<int>(length_size);
    layout_.base = userblock;
    layout_.file_size = source_->size();
    layout_.read = [this](uint64_t offset, uint64_t n) { return source_->read(offset, n); };
  }
  FileView(const FileView&) = delete;
  FileView& operator=(const FileView&) = delete;
  const Layout& layout() const { return layout_; }
  /// Open for writing: Glia's own file, whose newest metadata may not be in its bytes yet.
  bool writable() const {
    unsigned intent = 0;
    return H5Fget_intent(file_.id, &intent) >= 0 && (intent & H5F_ACC_RDWR);
  }
  const Source& source() const { return *source_; }

 private:
  Id file_;
  std::optional<Source> source_;
  Layout layout_;
};

// ---- attribute messages ----

/// Datatype classes an attribute may have here: integers, floats, strings (fixed or variable
/// length), bitfields and opaque bytes. libhdf5 1.10 decodes the others (compound, enum, array,
/// reference, time) without bounds checks; Keras writes none of them.
/// Returns the encoded length of the datatype at `at` (at most `room` bytes) and its element
/// size in `element`.
uint64_t check_datatype(const Bytes& b, uint64_t at, uint64_t room, uint64_t& element, int depth,
                        const std::function<void(const std::string&)>& fail) {
  if (room < 8 || depth > 4) fail("a datatype does not fit its message");
  const unsigned cls = b.at(at) & 0x0f, version = b.at(at) >> 4;
  if (version < 1 || version > 3) fail("unknown datatype version " + std::to_string(version));
  element = b.number(at + 4, 4);
  uint64_t length = 8;
  switch (cls) {
    case 0:  // fixed-point
    case 4:  // bitfield
      length += 4;
      break;
    case 1:  // floating-point
      length += 12;
      break;
    case 3:  // string
      break;
    case 5:  // opaque: a NUL-padded ASCII tag, the length in the class bits
      length += b.at(at + 1);
      break;
    case 9: {  // variable-length sequence or string: the base type follows
      uint64_t base_element = 0;
      length += check_datatype(b, at + 8, room - 8, base_element, depth + 1, fail);
      break;
    }
    default:
      fail("an attribute's datatype class (" + std::to_string(cls) +
           ") is not one Glia reads (integer, float, string, bitfield, opaque)");
  }
  if (length > room) fail("a datatype does not fit its message");
  return length;
}

/// The number of elements of the dataspace at `at` (encoded in at most `room` bytes).
uint64_t check_dataspace(const Bytes& b, uint64_t at, uint64_t room, int width,
                         const std::function<void(const std::string&)>& fail) {
  if (room < 4) fail("a dataspace does not fit its message");
  const unsigned version = b.at(at), rank = b.at(at + 1), flags = b.at(at + 2);
  if (version < 1 || version > 2) fail("unknown dataspace version " + std::to_string(version));
  if (rank > 32) fail("a dataspace of rank " + std::to_string(rank));
  if (flags & ~1u) fail("a dataspace with permutations");
  const uint64_t header = version == 1 ? 8 : 4;
  const uint64_t need = header + (flags & 1 ? 2 : 1) * rank * static_cast<uint64_t>(width);
  if (need > room) fail("a dataspace does not fit its message");
  if (version == 2 && b.at(at + 3) == 2) return 0;  // null dataspace
  uint64_t points = 1;
  for (unsigned i = 0; i < rank; ++i) {
    const uint64_t d = b.number(at + header + i * static_cast<uint64_t>(width), width);
    if (d != 0 && points > (uint64_t{1} << 40) / d) fail("a dataspace too large for an attribute");
    points *= d;
  }
  return points;
}

/// One attribute message (H5O_attr_decode in libhdf5 1.10 trusts every size in it).
void check_attribute_message(const Bytes& b, uint64_t at, uint64_t size, int address_size,
                             int width, const std::function<void(const std::string&)>& fail) {
  if (size < 8) fail("an attribute message is too short");
  const unsigned version = b.at(at);
  if (version < 1 || version > 3) fail("unknown attribute message version");
  if (version >= 2 && (b.at(at + 1) & 3)) fail("shared attribute datatypes are not supported");
  const uint64_t name = b.number(at + 2, 2), dt = b.number(at + 4, 2), ds = b.number(at + 6, 2);
  auto padded = [&](uint64_t n) { return version == 1 ? (n + 7) / 8 * 8 : n; };
  uint64_t offset = version >= 3 ? 9 : 8;
  if (name == 0 || offset + padded(name) > size) fail("an attribute name does not fit");
  for (uint64_t i = 0; i + 1 < name; ++i)
    if (b.at(at + offset + i) == 0) fail("an attribute name is shorter than recorded");
  if (b.at(at + offset + name - 1) != 0) fail("an attribute name is not terminated");
  offset += padded(name);
  if (offset + padded(dt) > size) fail("an attribute datatype does not fit");
  uint64_t element = 0;
  check_datatype(b, at + offset, dt, element, 0, fail);
  // libhdf5 sizes the data by the recorded element size but reads variable-length values as
  // descriptors (length, heap address, index): the two must agree.
  if ((b.at(at + offset) & 0x0f) == 9 && element != 8 + static_cast<uint64_t>(address_size))
    fail("a variable-length attribute's element size is wrong");
  offset += padded(dt);
  if (offset + padded(ds) > size) fail("an attribute dataspace does not fit");
  const uint64_t points = check_dataspace(b, at + offset, ds, width, fail);
  offset += padded(ds);
  if (points > 0 && (element == 0 || points > (size - offset) / element))
    fail("an attribute's data does not fit its message");
}

/// True when `n` bytes at `address` (relative to layout.base) lie inside the file.
bool inside(const Layout& layout, uint64_t address, uint64_t n) {
  return address <= layout.file_size && layout.base <= layout.file_size - address &&
         n <= layout.file_size - address - layout.base;
}

/// A group's local heap (its link names): libhdf5 1.10 allocates and reads the data segment
/// its header records without checking it against the file.
void check_local_heap(const Layout& layout, uint64_t address,
                      const std::function<void(const std::string&)>& fail) {
  const auto a = static_cast<uint64_t>(layout.address_size);
  const auto l = static_cast<uint64_t>(layout.length_size);
  if (!inside(layout, address, 8 + 2 * l + a)) fail("a local heap lies past the end of the file");
  std::vector<unsigned char> head = layout.read(layout.base + address, 8 + 2 * l + a);
  const Bytes h{head.data(), head.size()};
  if (std::memcmp(head.data(), "HEAP", 4) != 0 || h.at(4) != 0) fail("a bad local heap");
  const uint64_t size = h.number(8, static_cast<int>(l));
  const uint64_t data = h.number(8 + 2 * l, static_cast<int>(a));
  if (!inside(layout, data, size)) fail("a local heap's data lies past the end of the file");
}

/// The messages in [start, end) of an object header chunk: attribute messages are checked,
/// continuation messages add the chunks they point at.
void check_messages(const Bytes& b, uint64_t start, uint64_t end, bool v2, bool creation_order,
                    const Layout& layout, std::vector<std::pair<uint64_t, uint64_t>>& chunks,
                    const std::function<void(const std::string&)>& fail) {
  const uint64_t header = v2 ? (creation_order ? 6 : 4) : 8;
  const int a = layout.address_size, l = layout.length_size;
  for (uint64_t p = start; p + header <= end;) {
    const uint64_t type = v2 ? b.at(p) : b.number(p, 2);
    const uint64_t size = v2 ? b.number(p + 1, 2) : b.number(p + 2, 2);
    const unsigned flags = v2 ? b.at(p + 3) : b.at(p + 4);
    const uint64_t body = p + header;
    if (size > end - body) fail("a message runs past its chunk");
    if (type == 0x0c) {  // attribute
      if (flags & 2) fail("shared attribute messages are not supported");
      check_attribute_message(b, body, size, a, l, fail);
    } else if (type == 0x10) {  // continuation
      if (size < static_cast<uint64_t>(a + l)) fail("a continuation message is too short");
      chunks.emplace_back(b.number(body, a), b.number(body + static_cast<uint64_t>(a), l));
    } else if (type == 0x11) {  // symbol table (an old-style group): B-tree, local heap
      if (size < static_cast<uint64_t>(2 * a)) fail("a symbol table message is too short");
      check_local_heap(layout, b.number(body + static_cast<uint64_t>(a), a), fail);
    } else if (type == 0x15) {  // attribute info: a fractal heap means dense storage
      const uint64_t heap = body + 2 + (b.at(body + 1) & 1 ? 2 : 0);
      if (size < heap - body + static_cast<uint64_t>(a))
        fail("an attribute info message is too short");
      const uint64_t undefined = a == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * a)) - 1;
      if (b.number(heap, a) != undefined) fail("attributes in dense storage are not supported");
    }
    p = body + size;
  }
}

/// The object header at `address` (relative to layout.base), before libhdf5 loads it: every
/// chunk lies inside the file (libhdf5 1.10 allocates whatever size a header records before it
/// reads), every message inside its chunk, and the attribute messages hold together.
void check_object_header(const Layout& layout, uint64_t address,
                         const std::function<void(const std::string&)>& fail) {
  auto inside = [&](uint64_t at, uint64_t n) { return h5::inside(layout, at, n); };
  if (!inside(address, 16)) fail("it lies past the end of the file");
  std::vector<unsigned char> prefix = layout.read(layout.base + address, 48);
  const Bytes h{prefix.data(), prefix.size()};
  bool v2 = false, creation_order = false;
  uint64_t first = 0, length = 0;  // the first chunk's messages
  if (std::memcmp(prefix.data(), "OHDR", 4) == 0) {
    v2 = true;
    const unsigned flags = h.at(5);
    creation_order = flags & 0x04;
    const uint64_t p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const int width = 1 << (flags & 3);
    length = h.number(p, width);
    first = address + p + static_cast<uint64_t>(width);
  } else if (h.at(0) == 1) {
    length = h.number(8, 4);
    first = address + 16;
  } else {
    fail("unknown version " + std::to_string(h.at(0)));
  }
  std::vector<std::pair<uint64_t, uint64_t>> chunks = {{first, length}};  // still to walk
  std::set<uint64_t> seen;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const auto [at, size] = chunks[i];
    if (!seen.insert(at).second) fail("its chunks form a loop");
    if (seen.size() > 4096) fail("too many chunks");
    // A first v2 chunk is followed by its checksum; the others include theirs.
    if (!inside(at, v2 && i == 0 ? size + 4 : size)) fail("a chunk lies past the end of the file");
    std::vector<unsigned char> chunk = layout.read(layout.base + at, size);
    const Bytes c{chunk.data(), chunk.size()};
    uint64_t start = 0, end = size;
    if (v2 && i > 0) {  // "OCHK", messages, checksum
      if (size < 8 || std::memcmp(chunk.data(), "OCHK", 4) != 0) fail("a bad continuation chunk");
      start = 4;
      end = size - 4;
    }
    check_messages(c, start, end, v2, creation_order, layout, chunks, fail);
  }
}

/// The superblock's object headers (the root group's, the superblock extension's).
void check_superblock_headers(const Bytes& b, const std::string& name) {
  static const unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  uint64_t at = 0;
  while (at + 64 <= b.size && std::memcmp(b.data + at, kSignature, 8) != 0)
    at = at == 0 ? 512 : at * 2;
  if (at + 64 > b.size) return;  // libhdf5 refuses it itself
  Layout layout;
  const unsigned version = b.at(at + 8);
  uint64_t root = 0, extension = 0;
  if (version <= 1) {
    layout.address_size = b.at(at + 13);
    layout.length_size = b.at(at + 14);
  } else if (version <= 3) {
    layout.address_size = b.at(at + 9);
    layout.length_size = b.at(at + 10);
  } else {
    return;  // libhdf5 refuses other versions
  }
  const int a = layout.address_size;
  if (a != 2 && a != 4 && a != 8) throw Error(name + ": unsupported HDF5 layout (addresses)");
  if (version <= 1) {  // fields, 4 addresses (base, free space, end of file, driver), root entry
    const uint64_t fields = at + 24 + (version == 1 ? 4 : 0);
    root = b.number(fields + 5 * static_cast<uint64_t>(a), a);
  } else {  // base, extension, end of file, root
    extension = b.number(at + 12 + static_cast<uint64_t>(a), a);
    root = b.number(at + 12 + 3 * static_cast<uint64_t>(a), a);
  }
  layout.base = at;  // libhdf5 counts from the superblock whatever its base address field says
  layout.file_size = b.size;
  layout.read = [&b](uint64_t offset, uint64_t n) {
    std::vector<unsigned char> out(static_cast<size_t>(n), 0);
    for (uint64_t i = 0; i < n && offset + i < b.size; ++i) out[i] = b.data[offset + i];
    return out;
  };
  auto fail = [&](const std::string& what) {
    throw Error(name + ": corrupt HDF5 object header (" + what + ")");
  };
  const uint64_t undefined = a == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * a)) - 1;
  check_object_header(layout, root, fail);
  if (version >= 2 && extension != undefined) check_object_header(layout, extension, fail);
}

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

void check_link(hid_t location, const std::string& path, const std::string& where) {
  H5L_info_t info;
  if (H5Lget_info(location, path.c_str(), &info, H5P_DEFAULT) < 0)
    throw Error(where + ": unreadable link");
  if (info.type != H5L_TYPE_HARD)
    throw Error(where + ": soft and external links are not supported");
  const FileView view(location, where);
  if (view.writable()) return;
  check_object_header(view.layout(), info.u.address, [&](const std::string& what) {
    throw Error(where + ": corrupt HDF5 object header (" + what + ")");
  });
}

void check_image(const unsigned char* data, size_t size, const std::string& name) {
  check_global_heaps(Bytes{data, size}, name);
  check_superblock_headers(Bytes{data, size}, name);
}

void check_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return;  // libhdf5 reports what is wrong with it
  }
  const auto size = static_cast<size_t>(st.st_size);
  // Populated up front: one pass over the page cache instead of a fault per page.
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw Error(path + ": cannot map the file to check it");
  try {
    check_image(static_cast<const unsigned char*>(map), size, path);
  } catch (...) {
    ::munmap(map, size);
    throw;
  }
  ::munmap(map, size);
}

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
