// Guards around libhdf5 (see h5_check.hpp): object headers, attribute messages and the
// superblock, checked before libhdf5 parses them. Variable-length strings and global heaps are in
// h5_strings.cpp.
#include "formats/h5_check.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>

#include "formats/h5_layout.hpp"
#include "glia/error.hpp"

namespace glia::formats::h5 {

namespace {

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
}  // namespace glia::formats::h5
