#include "app/services/hub_service.h"

#include <QNetworkProxyFactory>
#include <QPointer>
#include <QUrl>
#include <exception>

#include "app/hub/hub_client.h"
#include "app/hub/model_fit.h"
#include "app/services/app_settings.h"
#include "app/services/key_store.h"
#include "engine/model/dtype.h"

namespace pagoda::app {
namespace {

constexpr auto kEndpointKey = "hub/endpoint";

QString q(const std::string& s) {
  return QString::fromStdString(s);
}

QStringList qList(const std::vector<std::string>& items) {
  QStringList out;
  for (const std::string& s : items) out << q(s);
  return out;
}

HubModelSummary toQt(const hub::ModelSummary& s) {
  return {q(s.id),        q(s.display_name),  s.downloads,   s.likes,      q(s.last_modified),
          qList(s.tasks), qList(s.libraries), qList(s.tags), q(s.license), s.storage_bytes};
}

hub::SortBy sortFrom(const QString& sort) {
  if (sort == "likes") return hub::SortBy::Likes;
  if (sort == "updated") return hub::SortBy::LastUpdated;
  if (sort == "downloads") return hub::SortBy::Downloads;
  return hub::SortBy::Default;
}

// The keychain entry of a hub's token (distinct from remote endpoint ids, which are UUIDs).
QString tokenKeyId(const std::string& endpoint_str) {
  return QStringLiteral("hub:") + q(endpoint_str);
}

std::string endpointStr(const QString& text) {
  return hub::HubEndpoint::parse(text.toStdString()).str();
}

}  // namespace

HubService::HubService(AppSettings* settings, KeyStore* keys, QObject* parent)
    : QObject(parent), settings_(settings), keys_(keys) {
  qRegisterMetaType<HubSearchResult>();
  qRegisterMetaType<HubModelDetail>();
  qRegisterMetaType<ModelEntry>();
  loadToken(endpointText());
}

HubService::~HubService() = default;

template <class Result, class Call>
int HubService::callHub(const char* what, Call call,
                        void (HubService::*finished)(int, const Result&)) {
  const int request = next_request_++;
  const hub::HubEndpoint endpoint = hub::HubEndpoint::parse(endpointText().toStdString());
  const std::string token = tokenFor(endpoint.str());
  const hub::HttpOptions http = httpOptionsFor(endpoint);
  tasks_.run(
      [endpoint, token, http, call = std::move(call)] {
        std::pair<Result, QString> result_or_error;
        try {
          result_or_error.first = call(hub::HubClient(endpoint, token, http));
        } catch (const std::exception& e) {
          result_or_error.second = q(e.what());
        }
        return result_or_error;
      },
      [this, request, what, finished](const std::pair<Result, QString>& r) {
        if (r.second.isEmpty())
          emit(this->*finished)(request, r.first);
        else
          emit requestFailed(request, QString::fromLatin1(what), r.second);
      });
  return request;
}

QString HubService::endpointText() const {
  const QString text = settings_->value(kEndpointKey, QStringLiteral("modelscope")).toString();
  return isValidEndpoint(text) ? text : QStringLiteral("modelscope");
}

bool HubService::isValidEndpoint(const QString& text) {
  try {
    hub::HubEndpoint::parse(text.trimmed().toStdString());
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool HubService::setEndpointText(const QString& raw) {
  const QString text = raw.trimmed();
  if (!isValidEndpoint(text)) return false;
  if (text == endpointText()) return true;
  settings_->setValue(kEndpointKey, text);
  loadToken(text);
  emit endpointChanged(text);
  return true;
}

void HubService::loadToken(const QString& endpoint_text) {
  const std::string key = endpointStr(endpoint_text);
  QPointer<HubService> self(this);
  keys_->readKey(tokenKeyId(key), [self, key](const QString& token) {
    if (!self) return;
    std::lock_guard lock(self->tokens_mutex_);
    self->tokens_[key] = token.toStdString();
  });
}

void HubService::setToken(const QString& token) {
  const std::string key = endpointStr(endpointText());
  if (token.isEmpty())
    keys_->removeKey(tokenKeyId(key));
  else
    keys_->storeKey(tokenKeyId(key), token);
  std::lock_guard lock(tokens_mutex_);
  tokens_[key] = token.toStdString();
}

bool HubService::hasToken() const {
  return !tokenFor(endpointStr(endpointText())).empty();
}

hub::HttpOptions HubService::httpOptionsFor(const hub::HubEndpoint& endpoint) {
  hub::HttpOptions options;
  options.proxy = systemProxyFor(QString::fromStdString(endpoint.base_url));
  return options;
}

std::string HubService::systemProxyFor(const QString& url) {
  const QList<QNetworkProxy> proxies =
      QNetworkProxyFactory::systemProxyForQuery(QNetworkProxyQuery(QUrl(url)));
  for (const QNetworkProxy& p : proxies) {
    QString scheme;
    if (p.type() == QNetworkProxy::HttpProxy) scheme = "http";
    if (p.type() == QNetworkProxy::Socks5Proxy) scheme = "socks5h";
    if (scheme.isEmpty() || p.hostName().isEmpty()) continue;
    QString auth;
    if (!p.user().isEmpty())
      auth = QUrl::toPercentEncoding(p.user()) + ":" + QUrl::toPercentEncoding(p.password()) + "@";
    return QStringLiteral("%1://%2%3:%4")
        .arg(scheme, auth, p.hostName())
        .arg(p.port())
        .toStdString();
  }
  return {};  // no proxy: libcurl still honours http_proxy / https_proxy / no_proxy
}

std::string HubService::tokenFor(const std::string& endpoint_str) const {
  std::lock_guard lock(tokens_mutex_);
  auto it = tokens_.find(endpoint_str);
  return it == tokens_.end() ? std::string() : it->second;
}

int HubService::search(const HubSearchQuery& query) {
  hub::SearchQuery sq;
  sq.text = query.text.trimmed().toStdString();
  sq.sort = sortFrom(query.sort);
  sq.task = query.task.toStdString();
  sq.library = query.library.toStdString();
  sq.page_size = query.page_size;
  sq.page_token = query.page_token.toStdString();
  return callHub<HubSearchResult>(
      "search",
      [sq](const hub::HubClient& client) {
        HubSearchResult result;
        const hub::SearchPage page = client.search(sq);
        for (const hub::ModelSummary& m : page.models) result.models << toQt(m);
        result.total_count = page.total_count;
        result.next_page_token = q(page.next_page_token);
        result.filtered_client_side = qList(page.filtered_client_side);
        return result;
      },
      &HubService::searchFinished);
}

int HubService::openModel(const QString& model_id, const QString& revision) {
  return callHub<HubModelDetail>(
      "detail",
      [id = model_id.toStdString(), rev = revision.toStdString()](const hub::HubClient& client) {
        const hub::ModelDetail d = client.model_info(id, rev);
        HubModelDetail detail;
        detail.summary = toQt(d.summary);
        detail.description = q(d.description);
        detail.card_markdown = q(d.card_markdown);
        detail.revision = q(d.revision);
        detail.commit = q(d.commit);
        for (const hub::RepoFile& f : d.files)
          detail.files << HubFile{q(f.path), f.size, q(f.sha256)};
        detail.branches = qList(d.revisions.branches);
        detail.tags = qList(d.revisions.tags);
        detail.total_bytes = d.total_bytes();
        return detail;
      },
      &HubService::detailFinished);
}

QStringList HubService::quantizedVariants(const QString& model_id) {
  QStringList out;
  for (const std::string& id : hub::quantized_variant_ids(model_id.toStdString())) out << q(id);
  return out;
}

int HubService::estimateFit(const QString& model_id, const QString& revision) {
  return callHub<ModelEntry>(
      "fit",
      [id = model_id.toStdString(), rev = revision.toStdString()](const hub::HubClient& client) {
        const hub::ModelFootprint fp = hub::fetch_footprint(client, id, rev);
        ModelEntry entry;
        entry.path = q(id);
        entry.name = q(id);
        entry.source = "hub";
        entry.loadable = true;
        entry.architecture = q(fp.config.architecture);
        const std::string_view dtype = dtype_name(fp.config.dtype);
        entry.dtype = QString::fromLatin1(dtype.data(), dtype.size());
        entry.parameters = fp.num_parameters;
        entry.context_length = fp.config.max_position_embeddings;
        entry.kv_bytes_per_token = static_cast<qint64>(fp.kv_bytes_per_token);
        entry.disk_bytes = fp.download_bytes;
        entry.quantization = q(fp.config.quant.describe());
        // Without safetensors sizes in the listing, the estimate from config.json.
        entry.weights_bytes = fp.weight_bytes > 0 ? fp.weight_bytes : fp.estimated_weight_bytes;
        return entry;
      },
      &HubService::fitFinished);
}

}  // namespace pagoda::app
