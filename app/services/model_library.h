#pragma once
// The local model library: the models folder, folders the user imported in place, and the
// bundled demo-chat model. Scanning reads config.json and lists files, so it runs on a worker
// pool; results arrive with modelsChanged().
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include "app/services/background_tasks.h"

namespace pagoda::app {

class AppSettings;

struct ModelEntry {
  QString path;
  QString name;      // the hub id for downloaded models, else the folder name
  QString model_id;  // hub id from the download marker; empty for other folders
  QString revision;
  QString commit;    // the hub's commit id when the marker records it
  bool partial = false;  // downloaded with --include / selected files only
  QString source;  // "bundled" | "library" | "imported"
  bool loadable = false;
  QString problem;  // why it cannot be loaded
  QString architecture;
  QString dtype;  // "BF16", ...
  QString quantization;  // "AWQ 4-bit, group 128", ... (empty: not quantized)
  qint64 parameters = 0;
  int context_length = 0;  // max_position_embeddings
  qint64 disk_bytes = 0;
  qint64 weights_bytes = 0;  // the safetensors files
  qint64 kv_bytes_per_token = 0;
};

class ModelLibrary : public QObject {
  Q_OBJECT
 public:
  // bundled_dirs: candidate locations of the bundled models (the first that exists is used).
  ModelLibrary(AppSettings* settings, QStringList bundled_dirs, QObject* parent = nullptr);
  ~ModelLibrary() override;

  void rescan();
  bool isScanning() const { return scanning_; }
  QList<ModelEntry> models() const { return models_; }
  ModelEntry model(const QString& path) const;
  // The library's downloaded copy of a hub model (any revision), or an empty entry.
  ModelEntry installed(const QString& model_id) const;

  // Deletes a model folder of the library folder from disk on the worker pool; the answer
  // arrives with removed() (bytes freed) or removeFailed(), then the list is rescanned.
  // Folders outside the library folder (imported, bundled) are refused.
  void removeFromDisk(const QString& path);

  // Why `dir` cannot be imported as a model folder (translated), or empty when it can: it must
  // exist and hold a config.json (a folder that has one but lacks files is listed as broken).
  static QString importRefusal(const QString& dir);
  // Inspects one folder (blocking: call off the GUI thread). Never throws.
  static ModelEntry inspect(const QString& dir, const QString& source);
  // The context a model is loaded and estimated with: the requested one, at most the model's
  // max_position_embeddings (when known).
  static int cappedContext(const ModelEntry& entry, int requested);
  // Weights + KV cache for context_length tokens (capped as above) + a margin for activations.
  static qint64 estimateBytes(const ModelEntry& entry, int context_length);
  static qint64 totalRamBytes();
  // The largest model, in parameters, that fits memory_bytes in 4-bit (AWQ/GPTQ) with a KV
  // cache of context_length tokens by estimateBytes(), for a typical checkpoint's bytes per
  // parameter and KV bytes per token (model_library.cpp says where they come from).
  static qint64 largestFitting4Bit(qint64 memory_bytes, int context_length);

  // The memory the fit estimate is checked against: the loaded engine's device when known,
  // else total RAM for the CPU.
  void setDeviceMemory(qint64 bytes, const QString& label);
  qint64 deviceMemoryBytes() const { return device_bytes_; }
  QString deviceLabel() const { return device_label_; }
  bool fits(const ModelEntry& entry, int context_length) const;

 signals:
  void scanStarted();
  void modelsChanged();
  void deviceMemoryChanged();
  void removed(const QString& path, qint64 bytes_freed);
  void removeFailed(const QString& path, const QString& error);

 private:
  AppSettings* settings_;
  QStringList bundled_dirs_;
  BackgroundTasks tasks_{this, 1};  // scans and deletions, in order; joined on destruction
  QList<ModelEntry> models_;
  bool scanning_ = false;
  bool rescan_again_ = false;
  qint64 device_bytes_ = 0;
  QString device_label_;
};

}  // namespace pagoda::app
