// Guards around libhdf5 for files Glia reads (internal). libhdf5 1.10 (Debian 12) trusts some
// on-disk structures it should not: a corrupt file can make it loop forever, read or write past
// its buffers, or allocate whatever a length field says. The checks here refuse those structures
// with a glia::Error before libhdf5 acts on them, and variable-length strings are read here
// instead of by libhdf5. docs/fuzzing.md lists what is covered.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace glia::formats::h5 {

/// Checks an HDF5 image in memory; `name` is used in the error.
void check_image(const unsigned char* data, size_t size, const std::string& name);
/// The same for a file on disk (mapped read-only while it is checked).
void check_file(const std::string& path);

/// Checks the object header the hard link `path` under `location` points at, before libhdf5
/// loads it: chunk sizes (libhdf5 1.10 allocates what they say), message bounds, and the sizes in
/// attribute messages, which libhdf5 1.10 trusts when H5Aexists or H5Aopen decode them. Soft and
/// external links are refused. (check_image and check_file check the root group's header.)
void check_link(hid_t location, const std::string& path, const std::string& where);

/// Reads a variable-length string attribute of `count` values (at most `max_bytes` in all):
/// the on-disk descriptors through libhdf5, the strings themselves from the file's global heap
/// with every length and index checked. `where` names the attribute in errors.
std::vector<std::string> read_vlen_strings(hid_t attribute, size_t count, int64_t max_bytes,
                                           const std::string& where);

}  // namespace glia::formats::h5
