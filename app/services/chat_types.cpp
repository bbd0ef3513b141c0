#include "app/services/chat_types.h"

#include <QRegularExpression>

#include "engine/chat/reasoning_parser.h"

namespace pagoda::app {

QJsonObject SamplingSettings::toJson() const {
  return {{"temperature", temperature},
          {"top_p", top_p},
          {"top_k", top_k},
          {"max_tokens", max_tokens},
          {"repetition_penalty", repetition_penalty},
          {"seed", seed}};
}

SamplingSettings SamplingSettings::fromJson(const QJsonObject& json) {
  SamplingSettings s;
  s.temperature = json.value("temperature").toDouble(s.temperature);
  s.top_p = json.value("top_p").toDouble(s.top_p);
  s.top_k = json.value("top_k").toInt(s.top_k);
  s.max_tokens = json.value("max_tokens").toInt(s.max_tokens);
  s.repetition_penalty = json.value("repetition_penalty").toDouble(s.repetition_penalty);
  s.seed = static_cast<qint64>(json.value("seed").toDouble(static_cast<double>(s.seed)));
  return s;
}

QStringList SamplingSettings::presetNames() {
  return {"precise", "balanced", "creative"};
}

SamplingSettings SamplingSettings::preset(const QString& name) {
  SamplingSettings s;
  if (name == "precise") {
    s.temperature = 0.0;
    s.top_p = 1.0;
    s.top_k = 0;
    s.repetition_penalty = 1.0;
  } else if (name == "creative") {
    s.temperature = 1.0;
    s.top_p = 0.95;
    s.top_k = 0;
    s.repetition_penalty = 1.05;
  }  // balanced: the defaults above
  return s;
}

QJsonObject GenerationStats::toJson() const {
  return {{"prompt_tokens", prompt_tokens},
          {"cached_tokens", cached_tokens},
          {"completion_tokens", completion_tokens},
          {"tokens_per_s", tokens_per_s},
          {"ttft_s", ttft_s}};
}

GenerationStats GenerationStats::fromJson(const QJsonObject& json) {
  GenerationStats s;
  s.prompt_tokens = json.value("prompt_tokens").toInt();
  s.cached_tokens = json.value("cached_tokens").toInt();
  s.completion_tokens = json.value("completion_tokens").toInt();
  s.tokens_per_s = json.value("tokens_per_s").toDouble();
  s.ttft_s = json.value("ttft_s").toDouble();
  return s;
}

ThinkSplit splitThink(const QString& text) {
  // The server's reasoning_content split (engine/chat/reasoning_parser.h); a reply that only
  // closes </think> had it opened by the template (Qwen3).
  const ReasoningSplit split = split_reasoning_guess(text.toStdString());
  ThinkSplit out;
  out.reasoning = QString::fromStdString(split.reasoning);
  out.answer = QString::fromStdString(split.content);
  out.reasoning_open = split.reasoning_open;
  out.reasoning = out.reasoning.trimmed();
  out.answer = out.answer.trimmed();
  return out;
}

QStringList codeBlocks(const QString& markdown) {
  static const QRegularExpression fence(QStringLiteral("```[^\\n]*\\n(.*?)```"),
                                        QRegularExpression::DotMatchesEverythingOption);
  QStringList blocks;
  for (auto it = fence.globalMatch(markdown); it.hasNext();) {
    QString code = it.next().captured(1);
    if (code.endsWith('\n')) code.chop(1);
    blocks << code;
  }
  return blocks;
}

}  // namespace pagoda::app
