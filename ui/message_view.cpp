#include "ui/message_view.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/message_text.h"
#include "ui/ui_util.h"

namespace pagoda::ui {

MessageView::MessageView(const app::ChatMessage& message, bool is_last_reply, QWidget* parent)
    : QFrame(parent), message_(message) {
  const bool user = message.role == "user";
  setObjectName(user ? "UserBubble" : "AssistantBubble");
  setProperty("messageId", message.id);
  setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(16, 10, 16, 10);
  layout->setSpacing(6);

  buildHeader(layout, user);

  reasoning_toggle_ = new QToolButton;
  reasoning_toggle_->setObjectName("Small");
  reasoning_toggle_->setCheckable(true);
  reasoning_toggle_->setToolButtonStyle(Qt::ToolButtonTextOnly);
  reasoning_label_ = new QLabel;
  reasoning_label_->setObjectName("Reasoning");
  reasoning_label_->setWordWrap(true);
  reasoning_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  reasoning_label_->setVisible(false);  // collapsed by default
  connect(reasoning_toggle_, &QToolButton::toggled, reasoning_label_, &QWidget::setVisible);
  layout->addWidget(reasoning_toggle_, 0, Qt::AlignLeft);
  layout->addWidget(reasoning_label_);

  body_ = new MessageText;
  body_->setObjectName("MessageBody");
  body_->setContextMenuPolicy(Qt::ActionsContextMenu);
  auto* copy_all = new QAction(tr("Copy message"), body_);
  connect(copy_all, &QAction::triggered, this,
          [this] { QApplication::clipboard()->setText(answer_); });
  auto* copy_code = new QAction(tr("Copy code blocks"), body_);
  connect(copy_code, &QAction::triggered, this,
          [this] { QApplication::clipboard()->setText(app::codeBlocks(answer_).join("\n\n")); });
  body_->addActions({copy_all, copy_code});
  layout->addWidget(body_);

  buildEditor(layout);
  buildActions(layout, user, is_last_reply, copy_all, copy_code);
  setText(message.content, message.state);
  setStats(message.stats);
}

// The role, the state and "< 2/3 >", the versions of this message.
void MessageView::buildHeader(QVBoxLayout* layout, bool user) {
  auto* header = new QHBoxLayout;
  auto* role = new QLabel(user ? tr("You") : tr("Assistant"));
  role->setObjectName("Role");
  state_ = new QLabel;
  state_->setObjectName("Muted");
  header->addWidget(role);
  header->addWidget(state_);
  header->addStretch();
  // "< 2/3 >": the versions of this message.
  versions_ = new QWidget;
  auto* versions = new QHBoxLayout(versions_);
  versions->setContentsMargins(0, 0, 0, 0);
  versions->setSpacing(0);
  auto* previous = new QToolButton;
  previous->setObjectName("Small");
  previous->setProperty("role", "previousVersion");
  previous->setText(QStringLiteral("<"));
  previous->setAccessibleName(tr("Previous version"));
  previous->setToolTip(tr("Previous version"));
  version_label_ = new QLabel;
  version_label_->setObjectName("Muted");
  auto* next = new QToolButton;
  next->setObjectName("Small");
  next->setProperty("role", "nextVersion");
  next->setText(QStringLiteral(">"));
  next->setAccessibleName(tr("Next version"));
  next->setToolTip(tr("Next version"));
  versions->addWidget(previous);
  versions->addWidget(version_label_);
  versions->addWidget(next);
  previous->setEnabled(message_.sibling_index > 0);
  next->setEnabled(message_.sibling_index + 1 < message_.sibling_count);
  version_label_->setText(
      QStringLiteral("%1/%2").arg(message_.sibling_index + 1).arg(message_.sibling_count));
  connect(previous, &QToolButton::clicked, this,
          [this] { emit versionRequested(message_.id, -1); });
  connect(next, &QToolButton::clicked, this, [this] { emit versionRequested(message_.id, 1); });
  header->addWidget(versions_);
  layout->addLayout(header);
  versions_->setVisible(message_.sibling_count > 1);  // once parented: never a window of its own
}

  // The editor replaces the body while editing (hidden otherwise, so it takes no room).
void MessageView::buildEditor(QVBoxLayout* layout) {
  edit_page_ = new QWidget;
  auto* edit_page = edit_page_;
  edit_page->hide();
  auto* edit_layout = new QVBoxLayout(edit_page);
  edit_layout->setContentsMargins(0, 0, 0, 0);
  editor_ = new SubmitEdit;  // Enter saves and resends, Shift+Enter: a new line (as the composer)
  editor_->setObjectName("EditBox");
  editor_->setMinimumHeight(80);
  auto* edit_buttons = new QHBoxLayout;
  auto* resend = new QPushButton(tr("Send"));
  resend->setObjectName("Primary");
  auto* cancel = new QPushButton(tr("Cancel"));
  edit_buttons->addStretch();
  edit_buttons->addWidget(cancel);
  edit_buttons->addWidget(resend);
  edit_layout->addWidget(editor_);
  edit_layout->addLayout(edit_buttons);
  layout->addWidget(edit_page);
  connect(cancel, &QPushButton::clicked, this, [this] { showEditor(false); });
  auto submit = [this] {
    if (editor_->toPlainText().trimmed().isEmpty()) return;
    showEditor(false);
    emit editSubmitted(message_.id, editor_->toPlainText());
  };
  connect(resend, &QPushButton::clicked, this, submit);
  connect(editor_, &SubmitEdit::submitted, this, submit);
  resend->setToolTip(tr("Send the edited message (Enter)"));
}

// Under the bubble: Copy, Code, Edit (a question) or Regenerate (the last reply), the stats.
void MessageView::buildActions(QVBoxLayout* layout, bool user, bool is_last_reply,
                               QAction* copy_all, QAction* copy_code) {
  actions_ = new QWidget;
  auto* actions = new QHBoxLayout(actions_);
  actions->setContentsMargins(0, 0, 0, 0);
  actions->setSpacing(2);
  auto* copy = makeIconButton("copy", tr("Copy"), tr("Copy message"), actions_);
  connect(copy, &QToolButton::clicked, copy_all, &QAction::trigger);
  actions->addWidget(copy);
  copy_code_ = makeIconButton("copy", tr("Code"), tr("Copy code"), actions_);
  copy_code_->setToolButtonStyle(copy_code_->icon().pixmap(15, 15).isNull()
                                     ? Qt::ToolButtonTextOnly
                                     : Qt::ToolButtonTextBesideIcon);
  connect(copy_code_, &QToolButton::clicked, copy_code, &QAction::trigger);
  actions->addWidget(copy_code_);
  if (user) {
    auto* edit = makeIconButton("edit", tr("Edit"), tr("Edit and resend"), actions_);
    edit->setProperty("role", "edit");
    connect(edit, &QToolButton::clicked, this, &MessageView::startEdit);
    actions->addWidget(edit);
  } else if (is_last_reply) {
    auto* again = makeIconButton("regenerate", tr("Regenerate"),
                              tr("Regenerate (the current reply stays as a version)"), actions_);
    again->setProperty("role", "regenerate");
    connect(again, &QToolButton::clicked, this, &MessageView::regenerateRequested);
    actions->addWidget(again);
  }
  actions->addStretch();
  stats_ = new QLabel;
  stats_->setObjectName("MessageStats");
  actions->addWidget(stats_);
  layout->addWidget(actions_);
}

void MessageView::setText(const QString& text, const QString& state) {
  message_.content = text;
  message_.state = state;
  render();
}

void MessageView::render() {
  const bool user = message_.role == "user";
  const app::ThinkSplit split =
      user ? app::ThinkSplit{{}, message_.content, false} : app::splitThink(message_.content);
  answer_ = split.answer;
  reasoning_ = split.reasoning;
  reasoning_toggle_->setVisible(!reasoning_.isEmpty() || split.reasoning_open);
  reasoning_toggle_->setText(split.reasoning_open ? tr("Thinking…") : tr("Show reasoning"));
  reasoning_label_->setText(reasoning_);
  const bool streaming = message_.state == app::kStateStreaming;
  QString shown = answer_;
  if (shown.isEmpty() && streaming) shown = QStringLiteral("…");
  body_->setMarkdownText(shown);
  copy_code_->setVisible(!app::codeBlocks(answer_).isEmpty());
  QString state;
  if (message_.state == app::kStateStopped)
    state = tr("· stopped");
  else if (message_.state == app::kStateInterrupted)
    state = tr("· interrupted");
  else if (message_.state == app::kStateError)
    state = tr("· failed");
  state_->setText(state);
  actions_->setVisible(!streaming);
}

void MessageView::setStats(const app::GenerationStats& stats) {
  message_.stats = stats;
  QString text;
  if (message_.role == "assistant" && stats.completion_tokens > 0) {
    text = tr("%n tokens", nullptr, stats.completion_tokens) + QStringLiteral(" · ") +
           tr("%1 tok/s").arg(stats.tokens_per_s, 0, 'f', 1) + QStringLiteral(" · ") +
           tr("first token %1 s").arg(stats.ttft_s, 0, 'f', 2);
    if (stats.prompt_tokens > 0)
      text += QStringLiteral(" · ") +
              (stats.cached_tokens > 0
                   ? tr("prompt %1 (%2 cached)").arg(stats.prompt_tokens).arg(stats.cached_tokens)
                   : tr("prompt %1").arg(stats.prompt_tokens));
  }
  stats_->setText(text);
  stats_->setToolTip(text.isEmpty() ? QString()
                                    : tr("Reply tokens · generation speed · time to first token "
                                         "· prompt tokens (served from the prefix cache)"));
}

QString MessageView::statsText() const {
  return stats_->text();
}

bool MessageView::reasoningExpanded() const {
  return reasoning_label_->isVisible();
}

void MessageView::startEdit() {
  editor_->setPlainText(message_.content);
  showEditor(true);
  editor_->setFocus();
}

void MessageView::showEditor(bool editing) {
  body_->setVisible(!editing);
  edit_page_->setVisible(editing);
  actions_->setVisible(!editing && message_.state != app::kStateStreaming);
}

void MessageView::setActionsEnabled(bool enabled) {
  actions_->setEnabled(enabled);
  versions_->setEnabled(enabled);
}

QString MessageView::versionText() const {
  return versions_->isHidden() ? QString() : version_label_->text();
}

}  // namespace pagoda::ui
