#include "hub/download_queue.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <set>
#include <thread>

#include "hub/progress_text.h"
#include "hub/repo_path.h"
#include "hub/sha256.h"
#include "util/json.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace pagoda::hub {

struct DownloadQueue::Job {
  struct File {
    std::string path;
    int64_t size = -1;
    std::string sha256;
    bool done = false;
  };
  std::string id;
  DownloadRequest request;
  DownloadState state = DownloadState::Queued;
  std::string error;
  std::string status_message;
  bool listed = false;
  std::vector<File> files;
  fs::path model_dir;

  // Run time only.
  std::thread worker;
  bool worker_active = false;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> bytes_done{0};
  int files_done = 0;
  std::string current_file;
  double rate = 0;
  double eta = -1;
};

namespace {

const char* kStateNames[] = {"queued", "running", "paused", "completed", "failed", "canceled"};

DownloadState state_from_name(const std::string& s) {
  for (int i = 0; i < 6; ++i)
    if (s == kStateNames[i]) return static_cast<DownloadState>(i);
  return DownloadState::Queued;
}

int64_t free_bytes(const fs::path& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

void fsync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Atomic replace: a reader (or a crash) sees the old file or the new one, never half of one.
void write_file_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(tmp.string() + ": cannot write: " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw Error(tmp.string() + ": write failed: " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw Error(path.string() + ": rename failed: " + std::strerror(errno));
  fsync_path(path.parent_path(), true);
}

std::string make_id_base(const std::string& model_id) {
  std::string id = model_id;
  size_t slash = id.find('/');
  if (slash != std::string::npos) id.replace(slash, 1, "--");
  return id;
}

// "bytes 100-199/1000" -> start 100, total 1000 (-1 for "*").
bool parse_content_range(const std::string& v, int64_t& start, int64_t& total) {
  long long a = 0, b = 0;
  char tot[32] = {0};
  if (std::sscanf(v.c_str(), "bytes %lld-%lld/%31s", &a, &b, tot) != 3) return false;
  start = a;
  total = std::string(tot) == "*" ? -1 : std::atoll(tot);
  return true;
}

// Why a listing cannot be downloaded safely, or "" (bad paths, collisions).
std::string listing_problem(const std::vector<DownloadQueue::Job::File>& files) {
  std::set<std::string> paths, dirs;
  for (const auto& f : files) {
    if (std::string p = repo_path_problem(f.path); !p.empty())
      return "unsafe file path '" + f.path + "' in the file list: " + p;
    if (!paths.insert(f.path).second) return "file '" + f.path + "' is listed twice";
    for (size_t s = f.path.find('/'); s != std::string::npos; s = f.path.find('/', s + 1))
      dirs.insert(f.path.substr(0, s));
    if (f.path == ".pagoda-download.json") return "reserved file name '" + f.path + "'";
  }
  for (const auto& p : paths) {
    if (dirs.count(p)) return "'" + p + "' is listed both as a file and as a folder";
    if (p.size() > 5 && p.compare(p.size() - 5, 5, ".part") == 0 &&
        paths.count(p.substr(0, p.size() - 5)))
      return "'" + p + "' collides with the partial file of '" + p.substr(0, p.size() - 5) + "'";
  }
  return {};
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

DownloadQueue::DownloadQueue(DownloadQueueOptions options) : options_(std::move(options)) {
  if (options_.library_dir.empty()) throw InvalidArgument("download queue: no library folder set");
  staging_root_ = options_.library_dir / ".downloads";
  std::error_code ec;
  fs::create_directories(staging_root_, ec);
  if (ec) throw Error(staging_root_.string() + ": cannot create: " + ec.message());
  fs::path lock_path = staging_root_ / "queue.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw Error(lock_path.string() + ": cannot open: " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw Error("another Pagoda process is downloading into " + options_.library_dir.string() +
                " (" + lock_path.string() + " is locked)");
  }
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
  auto join_all = [](std::vector<std::shared_ptr<Job>>& v) {
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

std::shared_ptr<DownloadQueue::Job> DownloadQueue::find_locked(const std::string& id) const {
  for (auto& j : jobs_)
    if (j->id == id) return j;
  return nullptr;
}

DownloadInfo DownloadQueue::info_locked(const Job& j) const {
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
  p.current_file = j.current_file;
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

void DownloadQueue::notify_state(const std::shared_ptr<Job>& job) {
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
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mutex_);
    // A finished entry of the same request is history: the new download replaces it.
    std::erase_if(jobs_, [&](const std::shared_ptr<Job>& j) {
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
      job = std::make_shared<Job>();
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

void DownloadQueue::stop_worker_locked(Job& job, DownloadState target,
                                       std::unique_lock<std::mutex>&) {
  job.state = target;
  job.status_message.clear();
  if (job.worker_active) job.stop = true;
  changed_.notify_all();
}

void DownloadQueue::pause(const std::string& id) {
  std::shared_ptr<Job> job;
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
  std::shared_ptr<Job> job;
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
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mutex_);
    job = find_locked(id);
    if (!job) throw InvalidArgument("no download with id '" + id + "'");
    if (job->state != DownloadState::Failed && job->state != DownloadState::Canceled &&
        job->state != DownloadState::Paused)
      return;
    if (job->state == DownloadState::Canceled) {
      job->listed = false;
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
  std::shared_ptr<Job> job;
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
    j->worker = std::thread([this, j] { run_job(j); });
  }
}

void DownloadQueue::save_locked() const {
  Json arr = Json::array();
  for (auto& j : jobs_) {
    Json files = Json::array();
    for (auto& f : j->files)
      files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"done", f.done}});
    // A download that was running resumes on the next start.
    DownloadState s = j->state == DownloadState::Running ? DownloadState::Queued : j->state;
    arr.push_back({{"id", j->id},
                   {"model_id", j->request.model_id},
                   {"hub", j->request.endpoint.str()},
                   {"revision", j->request.revision},
                   {"include", j->request.include},
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
      auto j = std::make_shared<Job>();
      j->id = d.at("id").get<std::string>();
      if (repo_path_problem(j->id) != "" || j->id.find('/') != std::string::npos) continue;
      j->request.model_id = d.at("model_id").get<std::string>();
      j->request.endpoint = HubEndpoint::parse(d.value("hub", std::string("modelscope")));
      j->request.revision = d.value("revision", std::string());
      j->request.include = d.value("include", std::vector<std::string>{});
      j->state = state_from_name(d.value("state", std::string("queued")));
      if (j->state == DownloadState::Running) j->state = DownloadState::Queued;
      j->error = d.value("error", std::string());
      j->model_dir = d.value("model_dir", std::string());
      j->listed = d.value("listed", false);
      int64_t done_bytes = 0;
      for (const Json& f : d.value("files", Json::array())) {
        Job::File file{f.at("path").get<std::string>(), f.value("size", int64_t(-1)),
                       f.value("sha256", std::string()), f.value("done", false)};
        std::error_code ec;
        if (file.done) {
          done_bytes += std::max<int64_t>(file.size, 0);
        } else if (auto part = fs::file_size(staging_root_ / j->id / (file.path + ".part"), ec);
                   !ec) {
          done_bytes += static_cast<int64_t>(part);  // so that a paused download shows its progress
        }
        j->files.push_back(std::move(file));
      }
      if (j->listed && !listing_problem(j->files).empty()) j->listed = false, j->files.clear();
      j->bytes_done = done_bytes;
      jobs_.push_back(j);
    } catch (const std::exception&) {
      // Skip an entry we cannot read rather than lose the whole queue.
    }
  }
}

// One model, on its own thread. Network and disk work happen without the lock; every change
// that others can see is made under it.
void DownloadQueue::run_job(std::shared_ptr<Job> job) {
  notify_state(job);
  DownloadRequest request;
  {
    std::lock_guard lock(mutex_);
    request = job->request;
  }
  std::string token = options_.token_for ? options_.token_for(request.endpoint) : std::string();
  HubClient client(request.endpoint, token, options_.http);
  const fs::path staging = staging_root_ / job->id;

  auto stopped = [&] { return job->stop.load(); };
  // Sleeps up to d; false when asked to stop meanwhile.
  auto sleep_for = [&](std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return !changed_.wait_for(lock, d, [&] { return job->stop.load(); });
  };
  auto set_status = [&](const std::string& msg) {
    {
      std::lock_guard lock(mutex_);
      job->status_message = msg;
    }
    notify_state(job);
  };

  // Progress: a 5-second sliding window for the speed.
  std::deque<std::pair<Clock::time_point, int64_t>> samples;
  Clock::time_point last_report{};
  int64_t bytes_total = 0;
  auto report = [&](bool force) {
    auto now = Clock::now();
    if (!force && now - last_report < options_.progress_interval) return;
    last_report = now;
    int64_t done = job->bytes_done.load();
    samples.emplace_back(now, done);
    while (samples.size() > 2 && now - samples.front().first > std::chrono::seconds(5))
      samples.pop_front();
    double dt = std::chrono::duration<double>(now - samples.front().first).count();
    double rate = dt > 0.2 ? (done - samples.front().second) / dt : 0;
    ProgressCallback cb;
    DownloadProgress p;
    {
      std::lock_guard lock(mutex_);
      job->rate = std::max(0.0, rate);
      job->eta = job->rate > 0 && bytes_total > 0 ? (bytes_total - done) / job->rate : -1;
      cb = on_progress_;
      p = info_locked(*job).progress;
    }
    if (cb) cb(job->id, p);
  };

  std::string failure;
  try {
    // 1. The file list (kept in the state file, so a restart does not need the hub's listing
    //    to stay the same: the verified files keep their hashes).
    bool listed;
    {
      std::lock_guard lock(mutex_);
      listed = job->listed;
    }
    if (!listed) {
      std::vector<RepoFile> all = client.list_files(request.model_id, request.revision);
      std::vector<Job::File> files;
      for (auto& f : all) {
        bool wanted = request.include.empty() ||
                      std::any_of(request.include.begin(), request.include.end(),
                                  [&](const std::string& g) { return glob_match(g, f.path); });
        if (wanted) files.push_back({f.path, f.size, f.sha256, false});
      }
      if (std::string problem = listing_problem(files); !problem.empty())
        throw Error(request.model_id + ": " + problem + "; refusing to download this model");
      if (files.empty())
        throw Error(request.model_id + ": no files" +
                    (request.include.empty() ? std::string(" in the repository")
                                             : " match the --include patterns"));
      std::lock_guard lock(mutex_);
      job->files = std::move(files);
      job->listed = true;
      save_locked();
    }
    std::vector<Job::File> files;
    {
      std::lock_guard lock(mutex_);
      files = job->files;
    }
    fs::create_directories(staging);

    // 2. Bytes already here (verified files and partial files) and the disk space check.
    int64_t have = 0, remaining = 0;
    for (auto& f : files) {
      bytes_total += std::max<int64_t>(f.size, 0);
      int64_t on_disk = 0;
      std::error_code ec;
      if (f.done) {
        on_disk = std::max<int64_t>(f.size, 0);
      } else {
        auto sz = fs::file_size(staging / (f.path + ".part"), ec);
        if (!ec)
          on_disk = std::min<int64_t>(static_cast<int64_t>(sz), std::max<int64_t>(f.size, 0));
      }
      have += on_disk;
      remaining += std::max<int64_t>(f.size - on_disk, 0);
    }
    job->bytes_done = have;
    auto check_space = [&](int64_t need) {
      int64_t free = free_bytes(staging);
      if (free >= 0 && free < need + options_.disk_reserve_bytes)
        throw Error(request.model_id + ": not enough disk space in " +
                    options_.library_dir.string() + ": " + format_bytes(double(need)) +
                    " still to download, " + format_bytes(double(free)) + " free");
    };
    check_space(remaining);
    report(true);

    // 3. Each file: ranged GET, retries with backoff, checksum, rename.
    for (size_t i = 0; i < files.size() && !stopped(); ++i) {
      Job::File& f = files[i];
      if (f.done) continue;
      {
        std::lock_guard lock(mutex_);
        job->current_file = f.path;
      }
      const fs::path final_path = staging / f.path;
      const fs::path part_path = staging / (f.path + ".part");
      fs::create_directories(final_path.parent_path());
      int64_t base = job->bytes_done.load();  // bytes of the other files
      {
        std::error_code ec;
        auto sz = fs::file_size(part_path, ec);
        if (!ec) base -= std::min<int64_t>(static_cast<int64_t>(sz), std::max<int64_t>(f.size, 0));
      }

      auto verify = [&](const fs::path& p) -> std::string {
        std::error_code ec;
        auto sz = fs::file_size(p, ec);
        if (ec) return "cannot read " + p.string();
        if (f.size >= 0 && static_cast<int64_t>(sz) != f.size)
          return f.path + ": size " + std::to_string(sz) + " but the hub lists " +
                 std::to_string(f.size);
        if (!f.sha256.empty()) {
          std::string got = sha256_file(p, stopped);
          if (got.empty()) return "stopped";
          if (got != f.sha256)
            return f.path + ": sha256 mismatch (hub lists " + f.sha256 + ", downloaded file has " +
                   got + ")";
        }
        return {};
      };

      // A crash between the rename and the state save leaves a complete file: verify it.
      if (fs::exists(final_path) && !fs::exists(part_path)) {
        if (verify(final_path).empty()) {
          f.done = true;
        } else {
          fs::remove(final_path);
        }
      }

      int failures = 0;
      int checksum_failures = 0;
      while (!f.done && !stopped()) {
        std::error_code ec;
        int64_t offset = 0;
        if (auto sz = fs::file_size(part_path, ec); !ec) offset = static_cast<int64_t>(sz);
        if (f.size >= 0 && offset > f.size) {
          fs::resize_file(part_path, 0);
          offset = 0;
        }
        job->bytes_done = base + offset;
        bool complete = f.size >= 0 && offset == f.size;
        HttpResult r;
        int64_t received = 0;
        std::string local_error;  // disk or protocol errors found while receiving
        bool fatal = false;
        if (!complete) {
          check_space(f.size >= 0 ? f.size - offset : 0);
          int fd = ::open(part_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
          if (fd < 0) throw Error(part_path.string() + ": cannot write: " + std::strerror(errno));
          HttpRequest req;
          req.url = client.file_url(request.model_id, request.revision, f.path);
          if (offset > 0) req.headers.emplace("Range", "bytes=" + std::to_string(offset) + "-");
          int64_t write_pos = offset;
          req.on_headers = [&](int status, const HttpHeaders& h) {
            int64_t start = 0, total = -1;
            auto cr = h.find("Content-Range");
            if (status == 206) {
              if (cr == h.end() || !parse_content_range(cr->second, start, total) ||
                  start != offset) {
                local_error = f.path + ": the server answered a different range (" +
                              (cr == h.end() ? std::string("no Content-Range") : cr->second) + ")";
                if (::ftruncate(fd, 0) == 0) write_pos = 0;
                return false;
              }
              if (total >= 0 && f.size >= 0 && total != f.size) {
                local_error = f.path + ": the server's file has " + std::to_string(total) +
                              " bytes but the hub lists " + std::to_string(f.size);
                fatal = true;
                return false;
              }
            } else if (offset > 0) {
              write_pos = 0;  // Range ignored: start the file over
            }
            if (::ftruncate(fd, write_pos) != 0 || ::lseek(fd, write_pos, SEEK_SET) < 0) {
              local_error = part_path.string() + ": " + std::strerror(errno);
              fatal = true;
              return false;
            }
            job->bytes_done = base + write_pos;
            return true;
          };
          // The receiver gets small pieces; write them in 1 MiB batches.
          std::string pending;
          bool discard = false;
          auto flush = [&]() -> bool {
            size_t off = 0;
            while (off < pending.size()) {
              ssize_t w = ::write(fd, pending.data() + off, pending.size() - off);
              if (w < 0 && errno == EINTR) continue;
              if (w < 0) {
                local_error = part_path.string() + ": write failed: " + std::strerror(errno);
                fatal = true;
                return false;
              }
              off += static_cast<size_t>(w);
            }
            pending.clear();
            return true;
          };
          req.on_data = [&](const char* data, size_t n) {
            if (stopped()) return false;
            if (f.size >= 0 && write_pos + static_cast<int64_t>(n) > f.size) {
              local_error = f.path + ": the server sent more bytes than the hub lists";
              discard = true;
              return false;
            }
            pending.append(data, n);
            if (pending.size() >= (1u << 20) && !flush()) return false;
            write_pos += static_cast<int64_t>(n);
            received += static_cast<int64_t>(n);
            job->bytes_done = base + write_pos;
            report(false);
            return true;
          };
          r = client.http().send(req);
          if (discard) {
            pending.clear();
            if (::ftruncate(fd, 0) == 0) write_pos = 0;
          } else if (!pending.empty() && !flush()) {
            write_pos = offset;  // unknown on disk; the next attempt reads the size back
          }
          if (r.ok()) ::fsync(fd);
          ::close(fd);
          if (stopped()) break;
          if (fatal) throw Error(request.model_id + ": " + local_error);
          if (r.ok() && local_error.empty()) {
            if (f.size < 0)
              complete = true;  // unknown size: a finished 2xx answer is the file
            else
              complete = write_pos == f.size;
            if (!complete) local_error = f.path + ": the transfer ended early";
          } else if (r.status == 416 && f.size >= 0 && offset == f.size) {
            complete = true;
          } else if (r.status == 416) {
            fs::resize_file(part_path, 0);
            local_error = f.path + ": HTTP 416 for a resumed range; starting the file over";
          }
        }
        if (complete) {
          std::string problem = verify(part_path);
          if (problem == "stopped") break;
          if (problem.empty()) {
            fs::rename(part_path, final_path);
            f.done = true;
            break;
          }
          fs::remove(part_path);
          // One clean re-download before giving up: the hub's listing or the wire may be wrong.
          if (++checksum_failures >= 2) throw Error(request.model_id + ": " + problem);
          set_status(problem + "; downloading it again");
          job->bytes_done = base;
          continue;
        }
        // Retry or give up.
        std::string why = !local_error.empty() ? local_error : r.describe();
        bool retryable =
            !local_error.empty() ||
            (r.transport != TransportError::None && r.transport != TransportError::Tls) ||
            r.status >= 500 || r.status == 429 || r.status == 408;
        if (!retryable) {
          try {
            throw_http_error(r, request.model_id + ": " + f.path);
          } catch (const HubError& e) {
            throw Error(e.what());
          }
        }
        if (received > 0) failures = 0;  // progress was made: a flaky link, not a dead one
        if (++failures > options_.max_attempts)
          throw Error(request.model_id + ": " + f.path + ": giving up after " +
                      std::to_string(failures) + " failed attempts: " + why);
        auto delay = std::min(options_.backoff_max,
                              options_.backoff_initial * (1 << std::min(failures - 1, 16)));
        if (std::string ra = r.header("Retry-After");
            !ra.empty() && std::isdigit(static_cast<unsigned char>(ra[0])))
          delay = std::min(options_.backoff_max,
                           std::chrono::milliseconds(std::atoll(ra.c_str()) * 1000));
        set_status("retrying in " + std::to_string((delay.count() + 999) / 1000) + " s: " + why);
        if (!sleep_for(delay)) break;
        set_status("");
      }
      if (f.done) {
        std::lock_guard lock(mutex_);
        job->files[i].done = true;
        job->bytes_done = base + std::max<int64_t>(f.size, 0);
        save_locked();
      }
    }

    // 4. Everything verified: move the model into the library in one rename.
    if (!stopped()) {
      Json marker = {{"model_id", request.model_id},
                     {"hub", request.endpoint.str()},
                     {"revision", request.revision}};
      Json listing = Json::array();
      for (auto& f : files)
        listing.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
      marker["files"] = listing;
      write_file_atomically(staging / ".pagoda-download.json", marker.dump(1));
      fs::path target = model_folder(options_.library_dir, request.model_id, request.revision);
      if (fs::exists(target))
        throw Error(request.model_id + ": " + target.string() +
                    " already exists in the library; remove it to download again");
      fs::rename(staging, target);
      fsync_path(options_.library_dir, true);
      std::lock_guard lock(mutex_);
      job->model_dir = target;
      job->state = DownloadState::Completed;
      job->status_message.clear();
      job->current_file.clear();
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }

  report(true);
  {
    std::lock_guard lock(mutex_);
    if (!failure.empty() && !job->stop) {
      job->state = DownloadState::Failed;
      job->error = failure;
    }
    if (job->state == DownloadState::Canceled) {
      std::error_code ec;
      fs::remove_all(staging, ec);
      job->bytes_done = 0;
      job->listed = false;
      job->files.clear();
    }
    job->status_message.clear();
    job->worker_active = false;
    job->stop = false;
    if (!shutting_down_) {
      try {
        save_locked();
      } catch (...) {
      }
    }
    changed_.notify_all();
    pump_locked();
  }
  if (!shutting_down_) notify_state(job);
}

}  // namespace pagoda::hub
