#include "app/hub/download_job.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "app/hub/atomic_file.h"
#include "app/hub/library.h"
#include "app/hub/progress_text.h"
#include "app/hub/repo_path.h"
#include "app/hub/sha256.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace pagoda::hub {
namespace {

// "bytes 100-199/1000" -> start 100, total 1000 (-1 for "*").
bool parse_content_range(const std::string& v, int64_t& start, int64_t& total) {
  long long a = 0, b = 0;
  char tot[32] = {0};
  if (std::sscanf(v.c_str(), "bytes %lld-%lld/%31s", &a, &b, tot) != 3) return false;
  start = a;
  total = std::string(tot) == "*" ? -1 : std::atoll(tot);
  return true;
}

std::string write_error(const fs::path& path, int err) {
  if (err == EFBIG)
    return path.string() +
           ": file too large (the file system or the process's file size limit, ulimit -f, "
           "does not allow it)";
  if (err == ENOSPC) return path.string() + ": the disk is full";
  return path.string() + ": write failed: " + std::strerror(err);
}

int64_t part_size(const fs::path& part, int64_t listed) {
  std::error_code ec;
  auto sz = fs::file_size(part, ec);
  if (ec) return 0;
  return listed >= 0 ? std::min<int64_t>(static_cast<int64_t>(sz), listed)
                     : static_cast<int64_t>(sz);
}

}  // namespace

std::string listing_problem(const std::vector<DownloadQueue::Entry::File>& files,
                            const fs::path& staging) {
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(f.path);
  return download_paths_problem(paths, staging, kMarkerName);
}

bool ConnectionSlots::acquire(const std::function<bool()>& stopped) {
  std::unique_lock lock(mutex_);
  while (used_ >= limit_) {
    if (stopped()) return false;
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  ++used_;
  return true;
}

void ConnectionSlots::release() {
  {
    std::lock_guard lock(mutex_);
    --used_;
  }
  cv_.notify_one();
}

DownloadJob::DownloadJob(DownloadQueue& queue, std::shared_ptr<Entry> entry)
    : queue_(queue), options_(queue.options_), entry_(std::move(entry)) {
  {
    std::lock_guard lock(queue_.mutex_);
    request_ = entry_->request;
  }
  std::string token = options_.token_for ? options_.token_for(request_.endpoint) : std::string();
  client_ = HubClient(request_.endpoint, token, options_.http);
  staging_ = queue_.staging_root_ / entry_->id;
}

void DownloadJob::run() {
  queue_.notify_state(entry_);
  std::string failure;
  try {
    list();
    fs::create_directories(staging_);
    // Bytes already here (verified files, partial files) and the space for the rest.
    int64_t have = 0, remaining = 0;
    for (const File& f : entry_->files) {
      bytes_total_ += std::max<int64_t>(f.size, 0);
      int64_t on_disk = f.done ? std::max<int64_t>(f.size, 0)
                               : part_size(staging_ / (f.path + ".part"), f.size);
      have += on_disk;
      remaining += std::max<int64_t>(f.size - on_disk, 0);
    }
    entry_->bytes_done = have;
    check_space(remaining);
    report(true);
    fetch_all();
    if (!stopped()) install();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  finish(failure);
}

// 1. The file list, kept in the state file so that a restart does not need the hub's listing
//    to stay the same (the verified files keep their hashes).
void DownloadJob::list() {
  {
    std::lock_guard lock(queue_.mutex_);
    if (entry_->listed) return;
  }
  std::string commit;
  std::vector<RepoFile> all = client_.list_files(request_.model_id, request_.revision, &commit);
  if (commit.empty() && request_.endpoint.kind == HubKind::HuggingFace) {
    try {
      commit = client_.model_info(request_.model_id, request_.revision, false, false).commit;
    } catch (const HubError&) {
    }
  }
  const fs::path target =
      DownloadQueue::model_folder(options_.library_dir, request_.model_id, request_.revision);
  std::optional<DownloadMarker> existing;
  if (fs::exists(target)) {
    existing = DownloadMarker::read(target);
    if (!existing || existing->model_id != request_.model_id)
      throw Error(request_.model_id + ": " + target.string() +
                  " already exists in the library and is not a download of this model; "
                  "remove it to download again");
  }
  // A file the library copy already has, byte for byte as the hub lists it, is not fetched.
  auto in_library = [&](const RepoFile& f) {
    if (!existing) return false;
    for (const RepoFile& e : existing->files)
      if (e.path == f.path && e.size == f.size && e.sha256 == f.sha256) {
        std::error_code ec;
        auto size = fs::file_size(target / f.path, ec);
        return !ec && static_cast<int64_t>(size) == f.size;
      }
    return false;
  };
  std::vector<File> files;
  bool complete_after = true;
  for (const RepoFile& f : all) {
    bool wanted = request_.include.empty() ||
                  std::any_of(request_.include.begin(), request_.include.end(),
                              [&](const std::string& g) { return glob_match(g, f.path); });
    bool have = in_library(f);
    if (wanted) files.push_back({f.path, f.size, f.sha256, have, have});
    if (!wanted && !have) complete_after = false;
  }
  if (std::string problem = listing_problem(files, staging_); !problem.empty())
    throw Error(request_.model_id + ": " + problem + "; refusing to download this model");
  if (files.empty())
    throw Error(request_.model_id + ": no files" +
                (request_.include.empty() ? std::string(" in the repository")
                                          : " match the --include patterns"));
  std::lock_guard lock(queue_.mutex_);
  entry_->files = std::move(files);
  entry_->commit = commit;
  entry_->complete_after = complete_after;
  entry_->listed = true;
  queue_.save_locked();
}

// 2. Everything still to download plus the reserve must fit.
void DownloadJob::check_space(int64_t need) const {
  int64_t free = free_disk_bytes(staging_.parent_path());
  if (free >= 0 && free < need + options_.disk_reserve_bytes)
    throw Error(request_.model_id + ": not enough disk space in " +
                options_.library_dir.string() + ": " + format_bytes(double(need)) +
                " still to download and " + format_bytes(double(options_.disk_reserve_bytes)) +
                " kept free (the reserve), but only " + format_bytes(double(free)) + " free");
}

// 3. The files, a few at a time; the first failure stops the others.
void DownloadJob::fetch_all() {
  std::vector<size_t> pending;
  for (size_t i = 0; i < entry_->files.size(); ++i)
    if (!entry_->files[i].done) pending.push_back(i);
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::string first_error;
  auto worker = [&] {
    for (;;) {
      size_t k = next.fetch_add(1);
      if (k >= pending.size() || stopped()) return;
      if (!queue_.slots_->acquire([this] { return stopped(); })) return;
      try {
        fetch_file(pending[k]);
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex);
        if (first_error.empty()) first_error = e.what();
        abort_ = true;
      }
      queue_.slots_->release();
    }
  };
  size_t threads = std::clamp<size_t>(static_cast<size_t>(std::max(1, options_.files_per_model)),
                                      1, std::max<size_t>(1, pending.size()));
  std::vector<std::thread> helpers;
  for (size_t i = 1; i < threads; ++i) helpers.emplace_back(worker);
  worker();
  for (auto& t : helpers) t.join();
  if (!first_error.empty()) throw Error(first_error);
}

// One file: ranged GETs with retries and backoff until it is verified, or a clear error.
void DownloadJob::fetch_file(size_t index) {
  const File f = entry_->files[index];  // metadata is fixed once listed
  const fs::path final_path = staging_ / f.path;
  const fs::path part_path = staging_ / (f.path + ".part");
  fs::create_directories(final_path.parent_path());
  set_active(f.path, true);
  struct Inactive {
    DownloadJob* job;
    const std::string& path;
    ~Inactive() { job->set_active(path, false); }
  } inactive{this, f.path};
  int64_t counted = part_size(part_path, f.size);  // this file's share of bytes_done

  bool done = false;
  // A crash between the rename and the state save leaves a complete file: verify it.
  if (fs::exists(final_path) && !fs::exists(part_path)) {
    if (verify(f, final_path, "").empty())
      done = true;
    else
      fs::remove(final_path);
  }
  int failures = 0, checksum_failures = 0;
  while (!done && !stopped()) {
    int64_t offset = part_size(part_path, -1);
    if (f.size >= 0 && offset > f.size) {
      fs::resize_file(part_path, 0);
      offset = 0;
    }
    count(counted, offset);
    Attempt a;
    a.complete = f.size >= 0 && offset == f.size;
    if (!a.complete) {
      a = attempt(f, part_path, offset, counted);
      if (stopped()) break;
      if (a.fatal) throw Error(request_.model_id + ": " + a.local_error);
    }
    if (a.complete) {
      std::string problem = verify(f, part_path, a.sha256);
      if (problem == "stopped") break;
      if (problem.empty()) {
        fs::rename(part_path, final_path);
        done = true;
        break;
      }
      fs::remove(part_path);
      count(counted, 0);
      // One clean re-download before giving up: the hub's listing or the wire may be wrong.
      if (++checksum_failures >= 2) throw Error(request_.model_id + ": " + problem);
      set_status(problem + "; downloading it again");
      continue;
    }
    std::chrono::milliseconds delay = retry_delay(a, f, failures);
    std::string why = !a.local_error.empty() ? a.local_error : a.result.describe();
    set_status("retrying in " + std::to_string((delay.count() + 999) / 1000) + " s: " + why);
    if (!sleep_for(delay)) break;
    set_status("");
  }
  if (!done) return;
  count(counted, std::max<int64_t>(f.size, 0));
  std::lock_guard lock(queue_.mutex_);
  entry_->files[index].done = true;
  queue_.save_locked();
}

DownloadJob::Attempt DownloadJob::attempt(const File& f, const fs::path& part_path,
                                          int64_t offset, int64_t& counted) {
  Attempt a;
  check_space(f.size >= 0 ? f.size - offset : 0);
  int fd = ::open(part_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(part_path.string() + ": cannot write: " + std::strerror(errno));
  // Hashed while receiving, so that verification does not read the file again.
  auto hash = std::make_unique<Sha256>();
  bool hash_valid = !f.sha256.empty();
  if (hash_valid && offset > 0) {
    // Feed the prefix already on disk into the running hash.
    int rfd = ::open(part_path.c_str(), O_RDONLY | O_CLOEXEC);
    std::vector<char> buf(1 << 20);
    int64_t left = offset;
    hash_valid = rfd >= 0;
    while (hash_valid && left > 0 && !stopped()) {
      ssize_t n = ::read(rfd, buf.data(), static_cast<size_t>(std::min<int64_t>(left, buf.size())));
      if (n <= 0) hash_valid = false;
      if (n > 0) hash->update(buf.data(), static_cast<size_t>(n)), left -= n;
    }
    if (rfd >= 0) ::close(rfd);
  }
  HttpRequest req;
  req.url = client_.file_url(request_.model_id, request_.revision, f.path);
  if (offset > 0) req.headers.emplace("Range", "bytes=" + std::to_string(offset) + "-");
  req.should_stop = [this] { return stopped(); };
  int64_t write_pos = offset;
  req.on_headers = [&](int status, const HttpHeaders& h) {
    int64_t start = 0, total = -1;
    auto cr = h.find("Content-Range");
    if (status == 206) {
      if (cr == h.end() || !parse_content_range(cr->second, start, total) || start != offset) {
        a.local_error = f.path + ": the server answered a different range (" +
                        (cr == h.end() ? std::string("no Content-Range") : cr->second) + ")";
        if (::ftruncate(fd, 0) == 0) write_pos = 0;
        return false;
      }
      if (total >= 0 && f.size >= 0 && total != f.size) {
        a.local_error = f.path + ": the server's file has " + std::to_string(total) +
                        " bytes but the hub lists " + std::to_string(f.size);
        a.fatal = true;
        return false;
      }
    } else if (offset > 0) {
      write_pos = 0;  // Range ignored: start the file over
      hash = std::make_unique<Sha256>();
      hash_valid = !f.sha256.empty();
    }
    if (::ftruncate(fd, write_pos) != 0 || ::lseek(fd, write_pos, SEEK_SET) < 0) {
      a.local_error = write_error(part_path, errno);
      a.fatal = true;
      return false;
    }
    count(counted, write_pos);
    return true;
  };
  // libcurl hands over small pieces; write them in 1 MiB batches.
  std::string pending;
  bool discard = false;
  auto flush = [&]() -> bool {
    size_t off = 0;
    while (off < pending.size()) {
      ssize_t w = ::write(fd, pending.data() + off, pending.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        a.local_error = write_error(part_path, errno);
        a.fatal = true;
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
      a.local_error = f.path + ": the server sent more bytes than the hub lists";
      discard = true;
      return false;
    }
    pending.append(data, n);
    if (hash_valid) hash->update(data, n);
    if (pending.size() >= (1u << 20) && !flush()) return false;
    write_pos += static_cast<int64_t>(n);
    a.received += static_cast<int64_t>(n);
    count(counted, write_pos);
    report(false);
    return true;
  };
  a.result = client_.http().send(req);
  if (discard) {
    pending.clear();
    if (::ftruncate(fd, 0) == 0) write_pos = 0;
  } else if (!pending.empty() && !flush()) {
    write_pos = offset;  // unknown on disk; the next attempt reads the size back
  }
  if (a.result.ok()) ::fsync(fd);
  ::close(fd);
  if (a.fatal || stopped()) return a;
  const HttpResult& r = a.result;
  if (r.ok() && a.local_error.empty()) {
    a.complete = f.size < 0 || write_pos == f.size;  // unknown size: a finished 2xx is the file
    if (!a.complete) a.local_error = f.path + ": the transfer ended early";
    if (a.complete && hash_valid) a.sha256 = hash->hex();
  } else if (r.status == 416 && f.size >= 0 && offset == f.size) {
    a.complete = true;
  } else if (r.status == 416) {
    fs::resize_file(part_path, 0);
    a.local_error = f.path + ": HTTP 416 for a resumed range; starting the file over";
  }
  return a;
}

// How long to wait before the next attempt; throws when the failure is final.
std::chrono::milliseconds DownloadJob::retry_delay(const Attempt& a, const File& f,
                                                   int& failures) const {
  const HttpResult& r = a.result;
  std::string why = !a.local_error.empty() ? a.local_error : r.describe();
  bool retryable = !a.local_error.empty() ||
                   (r.transport != TransportError::None && r.transport != TransportError::Tls) ||
                   r.status >= 500 || r.status == 429 || r.status == 408;
  if (!retryable) {
    try {
      throw_http_error(r, request_.model_id + ": " + f.path);
    } catch (const HubError& e) {
      throw Error(e.what());
    }
  }
  if (a.received > 0) failures = 0;  // progress was made: a flaky link, not a dead one
  if (++failures > options_.max_attempts)
    throw Error(request_.model_id + ": " + f.path + ": giving up after " +
                std::to_string(failures) + " failed attempts: " + why);
  auto delay = std::min(options_.backoff_max,
                        options_.backoff_initial * (1 << std::min(failures - 1, 16)));
  if (std::string ra = r.header("Retry-After");
      !ra.empty() && std::isdigit(static_cast<unsigned char>(ra[0])))
    delay = std::min(options_.backoff_max,
                     std::chrono::milliseconds(std::atoll(ra.c_str()) * 1000));
  return delay;
}

// 4. Size, and sha256 where the hub lists one; "" when good, "stopped", or the problem.
std::string DownloadJob::verify(const File& f, const fs::path& p,
                                const std::string& known_sha256) const {
  std::error_code ec;
  auto sz = fs::file_size(p, ec);
  if (ec) return "cannot read " + p.string();
  if (f.size >= 0 && static_cast<int64_t>(sz) != f.size)
    return f.path + ": size " + std::to_string(sz) + " but the hub lists " +
           std::to_string(f.size);
  if (!f.sha256.empty()) {
    std::string got =
        known_sha256.empty() ? sha256_file(p, [this] { return stopped(); }) : known_sha256;
    if (got.empty()) return "stopped";
    if (got != f.sha256)
      return f.path + ": sha256 mismatch (hub lists " + f.sha256 + ", downloaded file has " +
             got + ")";
  }
  return {};
}

// 5. Everything verified: into the library in one rename, or merged into its copy.
void DownloadJob::install() {
  const fs::path target =
      DownloadQueue::model_folder(options_.library_dir, request_.model_id, request_.revision);
  DownloadMarker marker;
  marker.model_id = request_.model_id;
  marker.hub = request_.endpoint.str();
  marker.revision = request_.revision;
  {
    std::lock_guard lock(queue_.mutex_);
    marker.commit = entry_->commit;
    marker.complete = entry_->complete_after;
  }
  marker.include = marker.complete ? std::vector<std::string>{} : request_.include;
  for (const File& f : entry_->files) marker.files.push_back({f.path, f.size, f.sha256});
  if (!fs::exists(target)) {
    write_file_atomically(staging_ / kMarkerName, marker.to_json());
    fs::rename(staging_, target);
    fsync_path(options_.library_dir, true);
  } else {
    merge_into(target);
    if (auto old = DownloadMarker::read(target)) {
      // Files of the old copy that this download did not touch stay listed (partial + more).
      for (const RepoFile& o : old->files)
        if (std::none_of(marker.files.begin(), marker.files.end(),
                         [&](const RepoFile& n) { return n.path == o.path; }) &&
            !request_.update && fs::exists(target / o.path))
          marker.files.push_back(o);
    }
    write_file_atomically(target / kMarkerName, marker.to_json());
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
  std::lock_guard lock(queue_.mutex_);
  entry_->model_dir = target;
  entry_->state = DownloadState::Completed;
  entry_->status_message.clear();
  entry_->active_files.clear();
}

// Completes a partial copy or updates an outdated one. The folder is marked incomplete first,
// so a crash halfway never leaves it looking complete; a rerun finishes the moves.
void DownloadJob::merge_into(const fs::path& target) {
  std::optional<DownloadMarker> old = DownloadMarker::read(target);
  if (!old || old->model_id != request_.model_id)
    throw Error(request_.model_id + ": " + target.string() +
                " already exists in the library; remove it to download again");
  DownloadMarker interim = *old;
  interim.complete = false;
  write_file_atomically(target / kMarkerName, interim.to_json());
  for (const File& f : entry_->files) {
    if (f.in_library) continue;
    fs::path src = staging_ / f.path, dst = target / f.path;
    std::error_code ec;
    if (fs::exists(src)) {
      fs::create_directories(dst.parent_path());
      fs::rename(src, dst);
    } else if (static_cast<int64_t>(fs::file_size(dst, ec)) != f.size || ec) {
      throw Error(request_.model_id + ": " + f.path + " vanished while installing");
    }
  }
  if (request_.update) {
    for (const RepoFile& o : old->files)
      if (std::none_of(entry_->files.begin(), entry_->files.end(),
                       [&](const File& n) { return n.path == o.path; })) {
        std::error_code ec;
        fs::remove(target / o.path, ec);  // gone from the hub's new revision
      }
  }
  fsync_path(target, true);
}

void DownloadJob::finish(const std::string& failure) {
  report(true);
  {
    std::lock_guard lock(queue_.mutex_);
    if (!failure.empty() && !entry_->stop) {
      entry_->state = DownloadState::Failed;
      entry_->error = failure;
    }
    if (entry_->state == DownloadState::Canceled) {
      std::error_code ec;
      fs::remove_all(staging_, ec);
      entry_->bytes_done = 0;
      entry_->listed = false;
      entry_->files.clear();
    }
    entry_->status_message.clear();
    entry_->active_files.clear();
    entry_->worker_active = false;
    entry_->stop = false;
    if (!queue_.shutting_down_) {
      try {
        queue_.save_locked();
      } catch (...) {
      }
    }
    queue_.changed_.notify_all();
    queue_.pump_locked();
  }
  if (!queue_.shutting_down_) queue_.notify_state(entry_);
}

bool DownloadJob::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(queue_.mutex_);
  return !queue_.changed_.wait_for(lock, d, [&] { return stopped(); });
}

void DownloadJob::set_status(const std::string& message) {
  {
    std::lock_guard lock(queue_.mutex_);
    entry_->status_message = message;
  }
  queue_.notify_state(entry_);
}

void DownloadJob::set_active(const std::string& path, bool active) {
  std::lock_guard lock(queue_.mutex_);
  auto& list = entry_->active_files;
  if (active)
    list.push_back(path);
  else
    std::erase(list, path);
}

void DownloadJob::count(int64_t& counted, int64_t now) {
  entry_->bytes_done += now - counted;
  counted = now;
}

// Progress with a 5-second sliding window for the speed.
void DownloadJob::report(bool force) {
  std::unique_lock guard(report_mutex_, std::defer_lock);
  if (force)
    guard.lock();
  else if (!guard.try_lock())
    return;  // another file thread is reporting right now
  auto now = Clock::now();
  if (!force && now - last_report_ < options_.progress_interval) return;
  last_report_ = now;
  int64_t done = entry_->bytes_done.load();
  samples_.emplace_back(now, done);
  while (samples_.size() > 2 && now - samples_.front().first > std::chrono::seconds(5))
    samples_.pop_front();
  double dt = std::chrono::duration<double>(now - samples_.front().first).count();
  double rate = dt > 0.2 ? (done - samples_.front().second) / dt : 0;
  DownloadQueue::ProgressCallback cb;
  DownloadProgress p;
  {
    std::lock_guard lock(queue_.mutex_);
    entry_->rate = std::max(0.0, rate);
    entry_->eta = entry_->rate > 0 && bytes_total_ > 0 ? (bytes_total_ - done) / entry_->rate : -1;
    cb = queue_.on_progress_;
    p = queue_.info_locked(*entry_).progress;
  }
  if (cb) cb(entry_->id, p);
}

}  // namespace pagoda::hub
