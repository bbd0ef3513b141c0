#pragma once
// The model hub for the GUI: search, model details and the fit estimate, run on a worker pool
// (the GUI thread never waits on the network) and delivered as Qt values with a request number,
// so a page can drop answers it no longer wants. The hub endpoint is a preference; its access
// token lives in the KeyStore (system keychain) only.
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "app/services/background_tasks.h"
#include "app/services/model_library.h"

namespace pagoda::hub {
struct HttpOptions;
struct HubEndpoint;
}  // namespace pagoda::hub

namespace pagoda::app {

class AppSettings;
class KeyStore;

struct HubSearchQuery {
  QString text;
  QString sort = "downloads";  // downloads | likes | updated
  QString task;                // e.g. "text-generation"; empty: any
  QString library;             // e.g. "transformers"; empty: any
  int page_size = 20;
  QString page_token;  // from HubSearchResult::next_page_token; empty: first page
};

struct HubModelSummary {
  QString id;
  QString display_name;
  qint64 downloads = 0;
  qint64 likes = 0;
  QString last_modified;
  QStringList tasks;
  QStringList libraries;
  QStringList tags;
  QString license;
  qint64 storage_bytes = -1;
};

struct HubSearchResult {
  QList<HubModelSummary> models;
  qint64 total_count = -1;
  QString next_page_token;
  QStringList filtered_client_side;
};

struct HubFile {
  QString path;
  qint64 size = -1;
  QString sha256;
};

struct HubModelDetail {
  HubModelSummary summary;
  QString description;
  QString card_markdown;
  QString revision;
  QString commit;
  QList<HubFile> files;
  QStringList branches;
  QStringList tags;
  qint64 total_bytes = 0;
};

class HubService : public QObject {
  Q_OBJECT
 public:
  HubService(AppSettings* settings, KeyStore* keys, QObject* parent = nullptr);
  ~HubService() override;

  // "modelscope" (default), "huggingface", or a mirror URL / "ms+URL" / "hf+URL"; kept in the
  // settings file under hub/endpoint.
  QString endpointText() const;
  // Returns false (and changes nothing) when the text is not a valid endpoint.
  bool setEndpointText(const QString& text);
  static bool isValidEndpoint(const QString& text);
  // The access token of the current endpoint, stored in the keychain (empty removes it).
  void setToken(const QString& token);
  bool hasToken() const;
  // Thread-safe: the token for an endpoint string (HubEndpoint::str()); empty when none.
  std::string tokenFor(const std::string& endpoint_str) const;
  // Qt's system proxy for a URL as a libcurl proxy string ("http://host:port"), empty for
  // none; and the HTTP options hub requests use (the hub client reads the environment too).
  static std::string systemProxyFor(const QString& url);
  static hub::HttpOptions httpOptionsFor(const hub::HubEndpoint& endpoint);

  // Each returns a request number carried by the answer signal.
  int search(const HubSearchQuery& query);
  int openModel(const QString& model_id, const QString& revision = {});
  // config.json and the listing, turned into a ModelEntry that ModelLibrary::estimateBytes and
  // ModelLibrary::fits understand.
  int estimateFit(const QString& model_id, const QString& revision = {});
  // The model's repos in its published precisions (hub::quantized_variant_ids); no hub call.
  static QStringList quantizedVariants(const QString& model_id);

 signals:
  void endpointChanged(const QString& endpoint_text);
  void searchFinished(int request, const pagoda::app::HubSearchResult& result);
  void detailFinished(int request, const pagoda::app::HubModelDetail& detail);
  void fitFinished(int request, const pagoda::app::ModelEntry& entry);
  // what: "search" | "detail" | "fit"
  void requestFailed(int request, const QString& what, const QString& error);

 private:
  void loadToken(const QString& endpoint_text);
  // Runs call(client) for the current endpoint on a worker thread; then emits `finished` with
  // the result, or requestFailed(what), on the GUI thread (nothing once this object is gone:
  // quitting never waits for a stalled request). Returns the request number.
  template <class Result, class Call>
  int callHub(const char* what, Call call, void (HubService::*finished)(int, const Result&));

  AppSettings* settings_;
  KeyStore* keys_;
  // Detached: quitting never waits for a request stalled on the network.
  BackgroundTasks tasks_{this, 4, BackgroundTasks::OnDestroy::Detach};
  int next_request_ = 1;
  mutable std::mutex tokens_mutex_;
  std::unordered_map<std::string, std::string> tokens_;  // endpoint str -> token
};

}  // namespace pagoda::app

Q_DECLARE_METATYPE(pagoda::app::HubSearchResult)
Q_DECLARE_METATYPE(pagoda::app::HubModelDetail)
Q_DECLARE_METATYPE(pagoda::app::ModelEntry)
