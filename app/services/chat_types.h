#pragma once
// Plain values shared by the chat services and the UI (they cross threads in queued signals).
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace pagoda::app {

// The sampling settings of a conversation. Unset fields fall back to the model's
// generation_config.json defaults.
struct SamplingSettings {
  double temperature = 0.7;
  double top_p = 0.8;
  int top_k = 20;
  int max_tokens = 1024;
  double repetition_penalty = 1.05;
  qint64 seed = -1;  // -1: random

  QJsonObject toJson() const;
  static SamplingSettings fromJson(const QJsonObject& json);
  // "precise", "balanced", "creative"
  static SamplingSettings preset(const QString& name);
  static QStringList presetNames();
  bool operator==(const SamplingSettings&) const = default;
};

// Message states in the store. "streaming" only while a reply is being written; a store opened
// after a crash turns any left over into "interrupted".
inline constexpr auto kStateComplete = "complete";
inline constexpr auto kStateStreaming = "streaming";
inline constexpr auto kStateInterrupted = "interrupted";
inline constexpr auto kStateError = "error";
inline constexpr auto kStateStopped = "stopped";  // the user pressed Stop

// Per reply, kept with the message (the store's stats JSON; fields missing in older rows read 0).
struct GenerationStats {
  int prompt_tokens = 0;
  int cached_tokens = 0;  // prompt tokens served from the prefix cache
  int completion_tokens = 0;
  double tokens_per_s = 0;
  double ttft_s = 0;
  QJsonObject toJson() const;
  static GenerationStats fromJson(const QJsonObject& json);
};

struct ChatMessage {
  qint64 id = 0;
  qint64 conversation_id = 0;
  QString role;  // system | user | assistant
  QString content;
  QString state = kStateComplete;
  GenerationStats stats;
  QDateTime created;
  qint64 parent_id = 0;  // the message it answers or follows (0: the first of the chat)
  // Its versions (regenerated replies, edited questions): this one is sibling_index of
  // sibling_count (0-based; a count of 1 when it has none).
  int sibling_index = 0;
  int sibling_count = 1;
};

struct ConversationInfo {
  qint64 id = 0;
  QString title;
  QString system_prompt;
  QString target;  // "local" or "remote:<endpoint id>"
  SamplingSettings sampling;
  QDateTime created;
  QDateTime updated;
};

// A reply split into its reasoning (<think>...</think>) and its answer. An unclosed <think> (still
// streaming) puts everything after it in the reasoning.
struct ThinkSplit {
  QString reasoning;
  QString answer;
  bool reasoning_open = false;
};
ThinkSplit splitThink(const QString& text);

// The fenced code blocks (```...```) of a Markdown text, without the fences.
QStringList codeBlocks(const QString& markdown);

}  // namespace pagoda::app

Q_DECLARE_METATYPE(pagoda::app::GenerationStats)
Q_DECLARE_METATYPE(pagoda::app::SamplingSettings)
