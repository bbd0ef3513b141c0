#pragma once
// Crash-safe file writes for the download queue and the library: a reader (or a crash) sees
// the old file or the new one, never half of one. Plain functions; safe on any thread.
#include <filesystem>
#include <string>

namespace pagoda::hub {

// Writes text to path.tmp, fsyncs it, renames it over path and fsyncs the folder.
// Throws pagoda::Error naming the file.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

// fsync of a file or folder (best effort: errors are ignored).
void fsync_path(const std::filesystem::path& path, bool directory);

// Bytes available to an unprivileged user on the file system of dir; -1 when unknown.
int64_t free_disk_bytes(const std::filesystem::path& dir);

}  // namespace pagoda::hub
