#pragma once
// The download queue: whole models or chosen files, several models at once and a few files of
// each model in parallel, resumable across pauses, network loss, crashes and restarts. Each
// running model is a DownloadJob (download_job.h): list, check space, fetch files, verify,
// install.
//
// Layout under the library folder:
//   <library>/.downloads/queue.json         the queue (written atomically: tmp, fsync, rename)
//   <library>/.downloads/queue.lock         flock: one process drives a library's queue
//   <library>/.downloads/<id>/<file>.part   partial files (resumed with HTTP Range)
//   <library>/.downloads/<id>/<file>        verified files
//   <library>/<owner>--<name>[@<revision>]  finished models, moved in by one rename, so a
//                                           half-downloaded model is never in the library;
//                                           .pagoda-download.json inside (library.h) records
//                                           the origin and whether it is partial (--include)
//
// Threading: every public method is thread-safe. Each running download has its own worker
// thread; callbacks run on those threads with plain values (copy them; a Qt wrapper forwards
// them with queued signals), never with the queue's lock held, so they may call back into the
// queue. Constructing a queue ignores SIGXFSZ for the process, so a file-size limit becomes a
// "file too large" error instead of killing it.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/hub/hub_client.h"

namespace pagoda::hub {

enum class DownloadState { Queued, Running, Paused, Completed, Failed, Canceled };
const char* download_state_name(DownloadState s);  // "queued", "running", ...

struct DownloadRequest {
  std::string model_id;  // owner/name
  HubEndpoint endpoint;
  std::string revision;              // empty: the hub's default branch
  std::vector<std::string> include;  // globs (see glob_match); empty: every file
  // Replace a complete library copy whose hub commit differs (files that did not change are
  // kept, not downloaded again). Without it, a complete copy makes enqueue refuse.
  bool update = false;
  bool operator==(const DownloadRequest&) const = default;
};

struct DownloadProgress {
  int64_t bytes_done = 0;
  int64_t bytes_total = -1;  // -1 until the file list is known
  double bytes_per_second = 0;
  double eta_seconds = -1;  // -1: unknown
  int files_done = 0;
  int files_total = 0;
  std::string current_file;  // the files in flight, comma-separated
};

struct DownloadInfo {
  std::string id;
  DownloadRequest request;
  DownloadState state = DownloadState::Queued;
  DownloadProgress progress;
  std::string error;                // why it failed (state Failed)
  std::string status_message;       // transient detail, e.g. "retrying in 4 s: HTTP 503"
  std::filesystem::path model_dir;  // the library folder, once Completed
};

struct DownloadQueueOptions {
  std::filesystem::path library_dir;
  int max_concurrent = 2;   // models at once
  int files_per_model = 3;  // files of one model at once
  int max_connections = 6;  // file transfers at once, over all models
  // Consecutive failed attempts of one file without progress before the model fails.
  int max_attempts = 8;
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{60000};
  HttpOptions http;  // timeouts, explicit proxy; the token comes from token_for
  // Access token for a hub (empty: anonymous). Called on worker threads; never logged/stored.
  std::function<std::string(const HubEndpoint&)> token_for;
  // Free space to keep beyond the remaining bytes (the error message names it).
  int64_t disk_reserve_bytes = 64ll << 20;
  std::chrono::milliseconds progress_interval{200};
};

class ConnectionSlots;
class DownloadJob;

// enqueue's answer when the library already holds a complete copy (see DownloadRequest::update).
class AlreadyInLibrary : public Error {
 public:
  AlreadyInLibrary(const std::string& message, std::filesystem::path dir)
      : Error(message), dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

class DownloadQueue {
 public:
  // Loads the queue state of the library (downloads that were running resume). Throws
  // pagoda::Error when the folder cannot be created or another process holds the queue.
  explicit DownloadQueue(DownloadQueueOptions options);
  // Stops the workers; partial files stay and resume next time.
  ~DownloadQueue();
  DownloadQueue(const DownloadQueue&) = delete;
  DownloadQueue& operator=(const DownloadQueue&) = delete;

  using StateCallback = std::function<void(const DownloadInfo& info)>;
  using ProgressCallback = std::function<void(const std::string& id, const DownloadProgress& p)>;
  void set_callbacks(StateCallback on_state, ProgressCallback on_progress);

  // Adds a download and returns its id. The same request that is already queued, running,
  // paused or failed is not added twice: its id is returned and it is resumed.
  // Throws InvalidArgument for a malformed model id, and AlreadyInLibrary (before any network
  // access) when the library holds a complete copy and request.update is not set.
  std::string enqueue(const DownloadRequest& request);
  void pause(const std::string& id);                  // keeps partial files
  void resume(const std::string& id);                 // paused -> queued
  void cancel(const std::string& id);                 // deletes partial files
  void retry(const std::string& id);                  // failed/canceled -> queued
  void remove(const std::string& id);                 // cancel if unfinished, then forget it
  void move_to(const std::string& id, size_t index);  // reorder (0 = first)
  void set_max_concurrent(int n);

  std::vector<DownloadInfo> list() const;  // in queue order
  std::optional<DownloadInfo> find(const std::string& id) const;
  // Blocks until the download is completed, failed, canceled or paused; returns its info.
  DownloadInfo wait(const std::string& id) const;

  const std::filesystem::path& library_dir() const { return options_.library_dir; }
  // <library>/<owner>--<name>, with "@<revision>" appended for a non-default revision.
  static std::filesystem::path model_folder(const std::filesystem::path& library,
                                            const std::string& model_id,
                                            const std::string& revision = "");

  struct Entry;  // one download's record (download_job.h)

 private:
  friend class DownloadJob;
  void pump_locked();
  void save_locked() const;
  void load();
  void notify_state(const std::shared_ptr<Entry>& job);
  DownloadInfo info_locked(const Entry& job) const;
  std::shared_ptr<Entry> find_locked(const std::string& id) const;
  void stop_worker_locked(Entry& job, DownloadState target, std::unique_lock<std::mutex>& lock);

  DownloadQueueOptions options_;
  std::filesystem::path staging_root_;
  int lock_fd_ = -1;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::unique_ptr<ConnectionSlots> slots_;
  std::vector<std::shared_ptr<Entry>> jobs_;
  std::vector<std::shared_ptr<Entry>> retired_;  // removed while running; joined at shutdown
  std::vector<std::thread> finished_threads_;  // earlier runs of restarted jobs
  StateCallback on_state_;
  ProgressCallback on_progress_;
  bool shutting_down_ = false;
};

}  // namespace pagoda::hub
