#include "app/services/model_library.h"

#include <unistd.h>

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSet>
#include <exception>

#include "app/hub/library.h"
#include "app/hub/model_fit.h"
#include "app/services/app_settings.h"
#include "engine/model/dtype.h"
#include "engine/model/model_config.h"

namespace pagoda::app {
namespace {

// Download tools leave these while a model is incomplete.
bool hasPartialMarker(const QDir& dir) {
  if (QFileInfo::exists(dir.filePath(".incomplete")) || QFileInfo::exists(dir.filePath(".partial")))
    return true;
  const QStringList partial = dir.entryList({"*.incomplete", "*.part", "*.partial", "*.download"},
                                            QDir::Files | QDir::Hidden);
  return !partial.isEmpty();
}

QStringList candidateFolders(const QString& root) {
  // A model folder directly under the root, or one level deeper (org/name, as hubs lay it out).
  QStringList out;
  const QDir dir(root);
  for (const QFileInfo& child : dir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
    if (QFileInfo::exists(child.filePath() + "/config.json")) {
      out << child.absoluteFilePath();
      continue;
    }
    for (const QFileInfo& grand :
         QDir(child.filePath()).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
      if (QFileInfo::exists(grand.filePath() + "/config.json")) out << grand.absoluteFilePath();
    }
  }
  return out;
}

}  // namespace

ModelLibrary::ModelLibrary(AppSettings* settings, QStringList bundled_dirs, QObject* parent)
    : QObject(parent), settings_(settings), bundled_dirs_(std::move(bundled_dirs)) {
  device_bytes_ = totalRamBytes();
  device_label_ = tr("CPU RAM");
  connect(settings_, &AppSettings::modelsFoldersChanged, this, &ModelLibrary::rescan);
}

ModelLibrary::~ModelLibrary() = default;  // tasks_ joins a running scan

ModelEntry ModelLibrary::inspect(const QString& path, const QString& source) {
  ModelEntry e;
  const QDir dir(path);
  e.path = dir.absolutePath();
  e.name = dir.dirName();
  e.source = source;
  for (QDirIterator it(path, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
       it.hasNext();)
    e.disk_bytes += it.nextFileInfo().size();

  auto fail = [&e](const QString& why) {
    e.loadable = false;
    if (e.problem.isEmpty()) e.problem = why;
  };
  if (!dir.exists()) {
    fail(tr("The folder does not exist."));
    return e;
  }
  // Pagoda's own marker: the hub id, and whether only some files were downloaded.
  if (auto lib = hub::inspect_model_folder(dir.absolutePath().toStdString())) {
    if (lib->has_marker) {
      e.model_id = QString::fromStdString(lib->model_id);
      e.revision = QString::fromStdString(lib->revision);
      e.commit = QString::fromStdString(lib->commit);
      if (!e.model_id.isEmpty()) e.name = e.model_id;
    }
    if (!lib->complete) {
      e.partial = lib->problem.rfind("partial", 0) == 0;
      fail(e.partial
               ? tr("Partial download (only some files); download the whole model to "
                    "load it.")
               : tr("The download is incomplete: %1").arg(QString::fromStdString(lib->problem)));
    }
  }

  if (!dir.exists("config.json")) fail(tr("config.json is missing."));
  if (!dir.exists("tokenizer.json") && !dir.exists("tokenizer.model"))
    fail(tr("No tokenizer (tokenizer.json or tokenizer.model)."));
  if (hasPartialMarker(dir)) fail(tr("The download is incomplete (a partial file is present)."));

  // Every shard named by the index must be present; without an index, one safetensors file.
  QStringList shards;
  // Like transformers (and the engine), a single model.safetensors wins over an index.
  if (dir.exists("model.safetensors")) {
    shards << "model.safetensors";
  } else if (dir.exists("model.safetensors.index.json")) {
    QFile index(dir.filePath("model.safetensors.index.json"));
    if (index.open(QIODevice::ReadOnly)) {
      const QJsonObject map =
          QJsonDocument::fromJson(index.readAll()).object().value("weight_map").toObject();
      QSet<QString> unique;
      for (auto it = map.begin(); it != map.end(); ++it) unique.insert(it.value().toString());
      shards = unique.values();
      shards.sort();
    }
    if (shards.isEmpty()) fail(tr("model.safetensors.index.json has no weight_map."));
  } else {
    shards = dir.entryList({"*.safetensors"}, QDir::Files);
    if (shards.isEmpty()) fail(tr("No .safetensors weights found."));
  }
  QStringList missing;
  for (const QString& shard : shards) {
    const QFileInfo info(dir.filePath(shard));
    if (!info.exists())
      missing << shard;
    else
      e.weights_bytes += info.size();
  }
  if (!missing.isEmpty()) fail(tr("Missing weight shard(s): %1").arg(missing.join(", ")));

  if (dir.exists("config.json")) {
    try {
      const ModelConfig config = ModelConfig::from_dir(dir.absolutePath().toStdString());
      e.architecture = QString::fromStdString(config.architecture);
      e.dtype =
          QString::fromLatin1(dtype_name(config.dtype).data(), dtype_name(config.dtype).size());
      e.quantization = QString::fromStdString(config.quant.describe());
      e.parameters = config.num_parameters();
      e.context_length = config.max_position_embeddings;
      e.kv_bytes_per_token =
          static_cast<qint64>(config.kv_bytes_per_token(dtype_size(config.dtype)));
    } catch (const std::exception& ex) {
      // Unknown architectures and bad fields land here, with the field named.
      QFile file(dir.filePath("config.json"));
      if (file.open(QIODevice::ReadOnly)) {
        const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
        e.architecture = json.value("architectures").toArray().first().toString();
      }
      fail(tr("Unsupported model: %1").arg(QString::fromStdString(ex.what())));
    }
  }
  if (e.problem.isEmpty()) e.loadable = true;
  return e;
}

QString ModelLibrary::importRefusal(const QString& dir) {
  const QFileInfo info(dir);
  if (!info.isDir()) return tr("%1 is not a folder.").arg(QDir::toNativeSeparators(dir));
  if (!QFileInfo(QDir(dir).filePath(QStringLiteral("config.json"))).isFile())
    return tr("%1 is not a model folder: it has no config.json. Choose the folder that holds "
              "the model's config.json and *.safetensors files.")
        .arg(QDir::toNativeSeparators(dir));
  return {};
}

int ModelLibrary::cappedContext(const ModelEntry& entry, int requested) {
  return entry.context_length > 0 ? std::min(requested, entry.context_length) : requested;
}

qint64 ModelLibrary::estimateBytes(const ModelEntry& entry, int context_length) {
  const qint64 weights = entry.weights_bytes;
  const qint64 kv = entry.kv_bytes_per_token * std::max(0, cappedContext(entry, context_length));
  return weights + kv + weights / 10 + (256ll << 20);  // activations, workspace, runtime
}

qint64 ModelLibrary::largestFitting4Bit(qint64 memory_bytes, int context_length) {
  // A typical 4-bit checkpoint of P parameters, from published ones: Qwen2.5-7B-Instruct-AWQ
  // is 5.58 GB for 7.62B parameters and Llama-3.1-8B AWQ 5.73 GB for 8.03B (4-bit decoder
  // linears with their scales, embeddings and lm_head in bf16): ~0.72 bytes per parameter. Its
  // bf16 KV cache per token: Llama-3.1-8B 128 KiB, Qwen2.5-7B 56 KiB; 16 KiB per billion
  // parameters errs on the large side.
  constexpr double kBytesPerParameter = 0.72;
  constexpr double kKvBytesPerTokenPerParameter = 16.0 * 1024 / 1e9;
  auto fits_in_memory = [&](qint64 parameters) {
    ModelEntry entry;
    entry.weights_bytes = static_cast<qint64>(kBytesPerParameter * parameters);
    entry.kv_bytes_per_token = static_cast<qint64>(kKvBytesPerTokenPerParameter * parameters);
    return estimateBytes(entry, context_length) <= memory_bytes;
  };
  // The same estimate as every model card's fit (estimateBytes), in steps of 100M parameters.
  constexpr qint64 kStep = 100'000'000;
  qint64 low = 0, high = std::max<qint64>(0, memory_bytes) / kStep;
  while (low < high) {
    const qint64 mid = low + (high - low + 1) / 2;
    if (fits_in_memory(mid * kStep))
      low = mid;
    else
      high = mid - 1;
  }
  return low * kStep;
}

qint64 ModelLibrary::totalRamBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<qint64>(pages) * page_size : 0;
}

void ModelLibrary::setDeviceMemory(qint64 bytes, const QString& label) {
  device_bytes_ = bytes > 0 ? bytes : totalRamBytes();
  device_label_ = bytes > 0 ? label : tr("CPU RAM");
  emit deviceMemoryChanged();
}

bool ModelLibrary::fits(const ModelEntry& entry, int context_length) const {
  return device_bytes_ <= 0 || estimateBytes(entry, context_length) <= device_bytes_;
}

ModelEntry ModelLibrary::model(const QString& path) const {
  for (const ModelEntry& e : models_)
    if (e.path == QDir(path).absolutePath()) return e;
  return {};
}

ModelEntry ModelLibrary::installed(const QString& model_id) const {
  for (const ModelEntry& e : models_)
    if (e.source == "library" && e.model_id == model_id) return e;
  return {};
}

void ModelLibrary::removeFromDisk(const QString& path) {
  tasks_.run(
      [path, folder = settings_->modelsFolder()] {
        std::pair<qint64, QString> freed_or_error{-1, {}};
        try {
          const auto model = hub::library_model_for(folder.toStdString(), path.toStdString());
          freed_or_error.first = hub::remove_from_library(folder.toStdString(), model);
        } catch (const std::exception& ex) {
          freed_or_error.second = QString::fromStdString(ex.what());
        }
        return freed_or_error;
      },
      [this, path](const std::pair<qint64, QString>& r) {
        if (r.second.isEmpty())
          emit removed(path, r.first);
        else
          emit removeFailed(path, r.second);
        rescan();
      });
}

void ModelLibrary::rescan() {
  if (scanning_) {
    rescan_again_ = true;
    return;
  }
  scanning_ = true;
  emit scanStarted();
  const QString folder = settings_->modelsFolder();
  const QStringList imported = settings_->importedFolders();
  const QStringList bundled = bundled_dirs_;
  tasks_.run(
      [folder, imported, bundled] {
        QList<ModelEntry> found;
        QSet<QString> seen;
        auto add = [&](const QString& dir, const QString& source) {
          const QString abs = QDir(dir).absolutePath();
          if (seen.contains(abs)) return;
          seen.insert(abs);
          found << inspect(abs, source);
        };
        for (const QString& dir : bundled) {
          if (QFileInfo::exists(dir + "/config.json")) {
            add(dir, "bundled");
            break;
          }
        }
        for (const QString& dir : candidateFolders(folder)) add(dir, "library");
        for (const QString& dir : imported) add(dir, "imported");
        return found;
      },
      [this](const QList<ModelEntry>& found) {
        models_ = found;
        scanning_ = false;
        emit modelsChanged();
        if (rescan_again_) {
          rescan_again_ = false;
          rescan();
        }
      });
}

}  // namespace pagoda::app
