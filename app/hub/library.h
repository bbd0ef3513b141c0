#pragma once
// The model library on disk, without Qt: what `pagoda-cli list` prints, what `pagoda-cli rm`
// deletes, and what the GUI's model library and Discover page read (hub id, revision, size,
// architecture, complete or partial). Every downloaded folder carries a marker file
// (.pagoda-download.json) written by the download queue; folders without one (copied in by
// hand) are listed by folder name.
//
// Threading: plain functions on the file system; call them off the GUI thread.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/hub/hub_client.h"

namespace pagoda::hub {

inline constexpr const char* kMarkerName = ".pagoda-download.json";

// The marker of a downloaded model folder.
struct DownloadMarker {
  std::string model_id;  // owner/name
  std::string hub;       // HubEndpoint::str()
  std::string revision;  // branch or tag asked for
  std::string commit;    // the hub's commit id when it says
  std::vector<std::string> include;  // --include globs of the download; empty: every file
  bool complete = true;              // false: only the files matching include are here
  std::vector<RepoFile> files;       // the files that are here

  std::string to_json() const;
  // nullopt when dir has no readable marker.
  static std::optional<DownloadMarker> read(const std::filesystem::path& dir);
};

struct LibraryModel {
  std::filesystem::path dir;
  std::string folder;    // the folder's name (relative to the library)
  std::string model_id;  // hub id from the marker; empty for folders without one
  std::string hub, revision, commit;
  std::vector<std::string> include;
  bool has_marker = false;
  bool complete = false;  // every file of the model is here (and the marker says so)
  std::string problem;    // why it is not complete, for people
  int64_t size_bytes = 0;
  int file_count = 0;
  std::string architecture;  // config.json architectures[0]

  std::string display_name() const { return model_id.empty() ? folder : model_id; }
};

// Every model folder under library (direct children, and owner/name one level deeper), sorted
// by display name. The queue's own folder (.downloads) is skipped.
std::vector<LibraryModel> list_library(const std::filesystem::path& library);

// One folder; nullopt when it does not look like a model folder (no config.json, no marker).
std::optional<LibraryModel> inspect_model_folder(const std::filesystem::path& dir,
                                                 const std::filesystem::path& library = {});

// The library's copy of a hub model (by its folder name, else by the markers' ids).
std::optional<LibraryModel> find_in_library(const std::filesystem::path& library,
                                            const std::string& model_id,
                                            const std::string& revision = "");

// A model of the library named by hub id ("owner/name") or folder name. Throws
// InvalidArgument when there is none, or when the name points outside the library.
LibraryModel library_model_for(const std::filesystem::path& library, const std::string& name);

// Deletes a model folder of the library; returns the bytes freed. Refuses (InvalidArgument)
// anything that is not a model folder strictly inside the library, symlinks included.
int64_t remove_from_library(const std::filesystem::path& library, const LibraryModel& model);

}  // namespace pagoda::hub
