// How everything inside a workspace's .glia/ folder is created. Sharing is a property of the
// workspace, not of each caller's umask: `glia workspace init` makes .glia (02770 & ~umask) with
// the setgid bit, from the initializer's umask, and that is the only place the umask counts.
// Every folder created later under .glia gets the mode of the folder it is created in (its
// permission bits and setgid bit), so the whole tree follows the workspace; every file gets its
// folder's mode without execute bits and without setgid (02770 -> 0660), blobs also without
// write bits (02770 -> 0440), whatever the caller's umask. An existing file is never chmod-ed
// narrower than it is: only the bits its folder's mode gives are added. Files Glia writes
// outside a workspace (downloads, exports) follow the umask and do not use these; an artifact
// store made outside a workspace, in a folder other users may reach, gets 02770 & ~umask.
// Every part of the platform that creates a file or folder in a workspace goes through these,
// except copies materialized from the store (ArtifactStore::materialize: a job's working folder
// made from its code snapshot, the model cache), which follow the umask of who materializes them,
// and what a job itself writes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

namespace glia::platform {

/// The mode of a new workspace's .glia folder, under the initializer's umask.
constexpr mode_t kSharedFolderMode = 02770;

/// `mode & ~umask` (the bits a new file or folder of that mode gets from open/mkdir).
mode_t under_umask(mode_t mode);

/// The mode what is created in the folder `dir` follows: its permission bits and setgid bit
/// (`st_mode & 02777`); for a folder that gives other users access (so not a workspace's: a
/// store made outside one, under /tmp or a home) `02770 & ~umask`, never other users.
/// Throws glia::Error (os_error) naming the folder when it cannot be read.
mode_t folder_mode(const std::filesystem::path& dir);

/// The mode a file created in `dir` gets: folder_mode(dir) without execute bits and setgid,
/// with glia::io::kExactMode set (for the io:: writers: not under the umask).
mode_t shared_file_mode(const std::filesystem::path& dir);

/// The mode a blob created in `dir` gets: shared_file_mode(dir) without write bits.
mode_t blob_mode(const std::filesystem::path& dir);

/// Creates a workspace's .glia folder `meta` (02770 & ~umask, setgid); one that exists is left
/// as it is. Throws glia::Error (os_error) naming the folder.
void create_workspace_folder(const std::filesystem::path& meta);

/// Creates `dir` and any missing parents; each new folder gets the mode of the folder it is
/// created in (folder_mode of its parent); folders that exist are left as they are. Throws
/// glia::Error (os_error) naming the folder that could not be created.
void create_shared_folders(const std::filesystem::path& dir);

/// Opens `file` with `flags` (O_CLOEXEC added); with O_CREAT a new file gets
/// shared_file_mode(its folder), and one the caller owns gains the bits of that mode it lacks.
/// Returns the descriptor; throws glia::Error (os_error) naming the file.
int open_shared_file(const std::filesystem::path& file, int flags);

/// Creates the FIFO `file` with shared_file_mode(its folder) unless it exists (then as
/// share_file). Throws glia::Error naming it.
void create_shared_fifo(const std::filesystem::path& file);

/// Gives a file that a library created with its own mode (SQLite's database files), when the
/// caller owns it, the bits of shared_file_mode(its folder) it lacks; never removes a bit. A
/// missing file is ignored. Throws glia::Error when chmod fails.
void share_file(const std::filesystem::path& file);

/// Tightens a folder made by an older Glia (0755): when the caller owns it and it gives other
/// users any access, it gets `mode` (when `mode` itself gives them none). Silent; never fails.
void tighten_folder(const std::filesystem::path& dir, mode_t mode);

/// Appends `text` to `file`, created as by open_shared_file. Throws glia::Error (os_error).
void append_shared_file(const std::filesystem::path& file, std::string_view text);

/// Replaces `file` atomically and durably (glia::io::write_file_atomically) with
/// shared_file_mode(its folder).
void write_shared_file(const std::filesystem::path& file, std::string_view bytes);

}  // namespace glia::platform
