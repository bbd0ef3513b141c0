#include "app/hub/download_queue.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "app/hub/atomic_file.h"
#include "app/hub/download_job.h"
#include "app/hub/library.h"
#include "app/hub/repo_path.h"
#include "engine/util/json.h"

namespace fs = std::filesystem;

namespace pagoda::hub {

namespace {

const char* kStateNames[] = {"queued", "running", "paused", "completed", "failed", "canceled"};

DownloadState state_from_name(const std::string& s) {
  for (int i = 0; i < 6; ++i)
    if (s == kStateNames[i]) return static_cast<DownloadState>(i);
  return DownloadState::Queued;
}

std::string make_id_base(const std::string& model_id) {
  std::string id = model_id;
  size_t slash = id.find('/');
  if (slash != std::string::npos) id.replace(slash, 1, "--");
  return id;
}

}  // namespace

const char* download_state_name(DownloadState s) {
  return kStateNames[static_cast<int>(s)];
}

fs::path DownloadQueue::model_folder(const fs::path& library, const std::string& model_id,
                                     const std::string& revision) {
  std::string name = make_id_base(model_id);
  if (!revision.empty() && revision != "master" && revision != "main") {
    std::string rev = revision;
    for (char& c : rev)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
    name += "@" + rev;
  }
  return library / name;
}

DownloadQueue::DownloadQueue(DownloadQueueOptions options)
    : options_(std::move(options)),
      slots_(std::make_unique<ConnectionSlots>(options_.max_connections)) {
  if (options_.library_dir.empty()) throw InvalidArgument("download queue: no library folder set");
  // A file-size limit (ulimit -f) must give a "file too large" write error, not kill us.
  ::signal(SIGXFSZ, SIG_IGN);
  staging_root_ = options_.library_dir / ".downloads";
  std::error_code ec;
  fs::create_directories(staging_root_, ec);
  if (ec) throw Error(staging_root_.string() + ": cannot create: " + ec.message());
  fs::path lock_path = staging_root_ / "queue.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw Error(lock_path.string() + ": cannot open: " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {0};
    ssize_t n = ::pread(lock_fd_, pid, sizeof pid - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : std::string();
    holder.resize(std::min(holder.size(), holder.find_first_not_of("0123456789")));
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw Error("another Pagoda process" + (holder.empty() ? std::string() : " (pid " + holder + ")") +
                " is downloading into " + options_.library_dir.string() +
                "; wait until it has finished or quit it, then try again (" + lock_path.string() +
                " is locked)");
  }
  // Our pid, for the message another process gets; fixed width, so a reader never sees a
  // half-written number.
  char pid[24];
  std::snprintf(pid, sizeof pid, "%-22d\n", static_cast<int>(::getpid()));
  (void)!::pwrite(lock_fd_, pid, 23, 0);
  load();
  std::lock_guard lock(mutex_);
  pump_locked();
}

DownloadQueue::~DownloadQueue() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    for (auto& j : jobs_) j->stop = true;
    changed_.notify_all();
  }
  auto join_all = [](std::vector<std::shared_ptr<Entry>>& v) {
    for (auto& j : v)
      if (j->worker.joinable()) j->worker.join();
  };
  join_all(jobs_);
  join_all(retired_);
  for (auto& t : finished_threads_) t.join();
  {
    std::lock_guard lock(mutex_);
    try {
      save_locked();
    } catch (...) {
    }
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void DownloadQueue::set_callbacks(StateCallback on_state, ProgressCallback on_progress) {
  std::lock_guard lock(mutex_);
  on_state_ = std::move(on_state);
  on_progress_ = std::move(on_progress);
}

std::shared_ptr<DownloadQueue::Entry> DownloadQueue::find_locked(const std::string& id) const {
  for (auto& j : jobs_)
    if (j->id == id) return j;
  return nullptr;
}

DownloadInfo DownloadQueue::info_locked(const Entry& j) const {
  DownloadInfo info;
  info.id = j.id;
  info.request = j.request;
  info.state = j.state;
  info.error = j.error;
  info.status_message = j.status_message;
  info.model_dir = j.model_dir;
  DownloadProgress& p = info.progress;
  p.files_total = static_cast<int>(j.files.size());
  if (j.listed) {
    p.bytes_total = 0;
    for (auto& f : j.files) {
      p.bytes_total += std::max<int64_t>(f.size, 0);
      p.files_done += f.done;
    }
  }
  p.bytes_done = j.bytes_done.load();
  p.bytes_per_second = j.state == DownloadState::Running ? j.rate : 0;
  p.eta_seconds = j.state == DownloadState::Running ? j.eta : -1;
  for (const auto& path : j.active_files)
    p.current_file += (p.current_file.empty() ? "" : ", ") + path;
  return info;
}

std::vector<DownloadInfo> DownloadQueue::list() const {
  std::lock_guard lock(mutex_);
  std::vector<DownloadInfo> out;
  for (auto& j : jobs_) out.push_back(info_locked(*j));
  return out;
}

std::optional<DownloadInfo> DownloadQueue::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto j = find_locked(id);
  if (!j) return std::nullopt;
  return info_locked(*j);
}

DownloadInfo DownloadQueue::wait(const std::string& id) const {
  std::unique_lock lock(mutex_);
  for (;;) {
    auto j = find_locked(id);
    if (!j) throw InvalidArgument("no download with id '" + id + "'");
    if (j->state != DownloadState::Queued && j->state != DownloadState::Running &&
        !(j->state == DownloadState::Canceled && j->worker_active))
      return info_locked(*j);
    changed_.wait(lock);
  }
}

void DownloadQueue::notify_state(const std::shared_ptr<Entry>& job) {
  StateCallback cb;
  DownloadInfo info;
  {
    std::lock_guard lock(mutex_);
    cb = on_state_;
    info = info_locked(*job);
  }
  if (cb) cb(info);
}

std::string DownloadQueue::enqueue(const DownloadRequest& request_in) {
  DownloadRequest request = request_in;
  if (!is_valid_model_id(request.model_id))
    throw InvalidArgument("not a model id: '" + request.model_id + "' (expected owner/name)");
  if (request.revision.empty()) request.revision = request.endpoint.default_revision();
  if (!request.update) {
    // Said before any byte is transferred; a partial copy is completed instead.
    fs::path dir = model_folder(options_.library_dir, request.model_id, request.revision);
    std::optional<LibraryModel> have = inspect_model_folder(dir, options_.library_dir);
    if (have && have->complete)
      throw AlreadyInLibrary(request.model_id + " is already in the library (" + dir.string() +
                                 ")" + (have->commit.empty() ? "" : ", commit " + have->commit),
                             dir);
  }
  std::shared_ptr<Entry> job;
  {
    std::lock_guard lock(mutex_);
    // A finished entry of the same request is history: the new download replaces it.
    std::erase_if(jobs_, [&](const std::shared_ptr<Entry>& j) {
      bool finished = j->state == DownloadState::Completed ||
                      (j->state == DownloadState::Canceled && !j->worker_active);
      return j->request == request && finished;
    });
    for (auto& j : jobs_) {
      if (j->request == request && j->state != DownloadState::Completed &&
          j->state != DownloadState::Canceled) {
        job = j;
        break;
      }
    }
    if (job) {
      if (job->state == DownloadState::Paused || job->state == DownloadState::Failed) {
        job->state = DownloadState::Queued;
        job->error.clear();
      }
    } else {
      job = std::make_shared<Entry>();
      std::string base = make_id_base(request.model_id);
      job->id = base;
      for (int n = 2; find_locked(job->id) || fs::exists(staging_root_ / job->id); ++n)
        job->id = base + "-" + std::to_string(n);
      job->request = request;
      jobs_.push_back(job);
    }
    save_locked();
    pump_locked();
  }
  notify_state(job);
  return job->id;
}

void DownloadQueue::stop_worker_locked(Entry& job, DownloadState target,
                                       std::unique_lock<std::mutex>&) {
  job.state = target;
  job.status_message.clear();
  if (job.worker_active) job.stop = true;
  changed_.notify_all();
}

void DownloadQueue::pause(const std::string& id) {
  std::shared_ptr<Entry> job;
  {
    std::unique_lock lock(mutex_);
    job = find_locked(id);
    if (!job) throw InvalidArgument("no download with id '" + id + "'");
    if (job->state != DownloadState::Queued && job->state != DownloadState::Running) return;
    stop_worker_locked(*job, DownloadState::Paused, lock);
    save_locked();
  }
  notify_state(job);
}

void DownloadQueue::resume(const std::string& id) {
  std::shared_ptr<Entry> job;
  {
    std::lock_guard lock(mutex_);
    job = find_locked(id);
    if (!job) throw InvalidArgument("no download with id '" + id + "'");
    if (job->state != DownloadState::Paused) return;
    job->state = DownloadState::Queued;
    save_locked();
    pump_locked();
  }
  notify_state(job);
}

void DownloadQueue::retry(const std::string& id) {
  std::shared_ptr<Entry> job;
  {
    std::lock_guard lock(mutex_);
    job = find_locked(id);
    if (!job) throw InvalidArgument("no download with id '" + id + "'");
    if (job->state != DownloadState::Failed && job->state != DownloadState::Canceled &&
        job->state != DownloadState::Paused)
      return;
    if (job->state == DownloadState::Canceled && !job->worker_active) {
      job->listed = false;  // (a worker still stopping keeps them: its file threads read them)
      job->files.clear();
    }
    job->state = DownloadState::Queued;
    job->error.clear();
    save_locked();
    pump_locked();
  }
  notify_state(job);
}

void DownloadQueue::cancel(const std::string& id) {
  std::shared_ptr<Entry> job;
  {
    std::unique_lock lock(mutex_);
    job = find_locked(id);
    if (!job) throw InvalidArgument("no download with id '" + id + "'");
    if (job->state == DownloadState::Completed || job->state == DownloadState::Canceled) return;
    stop_worker_locked(*job, DownloadState::Canceled, lock);
    if (!job->worker_active) {
      std::error_code ec;
      fs::remove_all(staging_root_ / job->id, ec);
      job->bytes_done = 0;
    }
    save_locked();
  }
  notify_state(job);
}

void DownloadQueue::remove(const std::string& id) {
  std::unique_lock lock(mutex_);
  auto job = find_locked(id);
  if (!job) return;
  if (job->state != DownloadState::Completed) {
    stop_worker_locked(*job, DownloadState::Canceled, lock);
    if (!job->worker_active) {
      std::error_code ec;
      fs::remove_all(staging_root_ / job->id, ec);
    }
  }
  std::erase(jobs_, job);
  retired_.push_back(job);
  save_locked();
}

void DownloadQueue::move_to(const std::string& id, size_t index) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](auto& j) { return j->id == id; });
  if (it == jobs_.end()) throw InvalidArgument("no download with id '" + id + "'");
  auto job = *it;
  jobs_.erase(it);
  jobs_.insert(jobs_.begin() + static_cast<std::ptrdiff_t>(std::min(index, jobs_.size())), job);
  save_locked();
}

void DownloadQueue::set_max_concurrent(int n) {
  std::lock_guard lock(mutex_);
  options_.max_concurrent = std::max(1, n);
  pump_locked();
}

void DownloadQueue::pump_locked() {
  if (shutting_down_) return;
  int running = 0;
  for (auto& j : jobs_) running += j->worker_active;
  for (auto& j : jobs_) {
    if (running >= options_.max_concurrent) break;
    if (j->state != DownloadState::Queued || j->worker_active) continue;
    // A finished earlier run: never joined here (under the lock, or from its own thread).
    if (j->worker.joinable()) finished_threads_.push_back(std::move(j->worker));
    j->state = DownloadState::Running;
    j->worker_active = true;
    j->stop = false;
    ++running;
    j->worker = std::thread([this, j] { DownloadJob(*this, j).run(); });
  }
}

void DownloadQueue::save_locked() const {
  Json arr = Json::array();
  for (auto& j : jobs_) {
    Json files = Json::array();
    for (auto& f : j->files)
      files.push_back({{"path", f.path},
                       {"size", f.size},
                       {"sha256", f.sha256},
                       {"done", f.done},
                       {"in_library", f.in_library}});
    // A download that was running resumes on the next start.
    DownloadState s = j->state == DownloadState::Running ? DownloadState::Queued : j->state;
    arr.push_back({{"id", j->id},
                   {"model_id", j->request.model_id},
                   {"hub", j->request.endpoint.str()},
                   {"revision", j->request.revision},
                   {"include", j->request.include},
                   {"update", j->request.update},
                   {"commit", j->commit},
                   {"complete_after", j->complete_after},
                   {"state", download_state_name(s)},
                   {"error", j->error},
                   {"model_dir", j->model_dir.string()},
                   {"listed", j->listed},
                   {"files", files}});
  }
  Json doc = {{"version", 1}, {"downloads", arr}};
  write_file_atomically(staging_root_ / "queue.json", doc.dump(1));
}

void DownloadQueue::load() {
  fs::path path = staging_root_ / "queue.json";
  if (!fs::exists(path)) return;
  Json doc;
  try {
    doc = read_json_file(path);
  } catch (const Error&) {
    // A damaged state file must not block the app: keep it aside and start empty.
    std::error_code ec;
    fs::rename(path, staging_root_ / "queue.json.damaged", ec);
    return;
  }
  if (!doc.contains("downloads") || !doc["downloads"].is_array()) return;
  for (const Json& d : doc["downloads"]) {
    try {
      auto j = std::make_shared<Entry>();
      j->id = d.at("id").get<std::string>();
      if (repo_path_problem(j->id) != "" || j->id.find('/') != std::string::npos) continue;
      j->request.model_id = d.at("model_id").get<std::string>();
      j->request.endpoint = HubEndpoint::parse(d.value("hub", std::string("modelscope")));
      j->request.revision = d.value("revision", std::string());
      j->request.include = d.value("include", std::vector<std::string>{});
      j->request.update = d.value("update", false);
      j->commit = d.value("commit", std::string());
      j->complete_after = d.value("complete_after", j->request.include.empty());
      j->state = state_from_name(d.value("state", std::string("queued")));
      if (j->state == DownloadState::Running) j->state = DownloadState::Queued;
      j->error = d.value("error", std::string());
      j->model_dir = d.value("model_dir", std::string());
      j->listed = d.value("listed", false);
      int64_t done_bytes = 0;
      for (const Json& f : d.value("files", Json::array())) {
        Entry::File file{f.at("path").get<std::string>(), f.value("size", int64_t(-1)),
                         f.value("sha256", std::string()), f.value("done", false),
                         f.value("in_library", false)};
        std::error_code ec;
        if (file.done) {
          done_bytes += std::max<int64_t>(file.size, 0);
        } else if (auto part = fs::file_size(staging_root_ / j->id / (file.path + ".part"), ec);
                   !ec) {
          done_bytes += static_cast<int64_t>(part);  // so that a paused download shows its progress
        }
        j->files.push_back(std::move(file));
      }
      if (j->listed && !listing_problem(j->files, staging_root_ / j->id).empty())
        j->listed = false, j->files.clear();
      j->bytes_done = done_bytes;
      jobs_.push_back(j);
    } catch (const std::exception&) {
      // Skip an entry we cannot read rather than lose the whole queue.
    }
  }
}

}  // namespace pagoda::hub
