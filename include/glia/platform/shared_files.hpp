// How everything inside a workspace's .glia/ folder is created: shared by the owner and the
// workspace's group, never by other users, and following the umask. Folders are
// (02770 & ~umask) with the setgid bit, so what is created in them gets the workspace's group;
// blobs are (0440 & ~umask), every other file (0660 & ~umask). Nothing is ever chmod-ed wider.
// Every part of the platform that creates a file or folder in a workspace goes through these.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

namespace glia::platform {

constexpr mode_t kSharedFolderMode = 02770;
constexpr mode_t kSharedFileMode = 0660;
constexpr mode_t kBlobMode = 0440;

/// `mode & ~umask` (the bits a new file or folder of that mode gets).
mode_t under_umask(mode_t mode);

/// Creates `dir` and any missing parents as shared folders; folders that exist are left as they
/// are. Throws glia::Error (os_error) naming the folder that could not be created.
void create_shared_folders(const std::filesystem::path& dir);

/// Opens `file` with `flags` (O_CLOEXEC added), creating it (0660 & ~umask) when `flags` hold
/// O_CREAT. Returns the descriptor; throws glia::Error (os_error) naming the file.
int open_shared_file(const std::filesystem::path& file, int flags);

/// Creates the FIFO `file` (0660 & ~umask) unless it exists. Throws glia::Error naming it.
void create_shared_fifo(const std::filesystem::path& file);

/// Gives a file that a library created with its own mode (SQLite's 0644) the shared file mode,
/// when the caller owns it; a missing file is ignored. Throws glia::Error when chmod fails.
void share_file(const std::filesystem::path& file);

/// Tightens a folder made by an older Glia (0755): when the caller owns it and it gives other
/// users any access, it becomes a shared folder. Silent; never fails.
void tighten_folder(const std::filesystem::path& dir);

/// Replaces `file` atomically and durably (glia::io::write_file_atomically) with the shared
/// file mode.
void write_shared_file(const std::filesystem::path& file, std::string_view bytes);

}  // namespace glia::platform
