<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>pagoda::app::ChatService</name>
    <message>
        <location filename="../app/services/chat_service.cpp" line="58"/>
        <source>A reply is still being written. Stop it first.</source>
        <translation>回复仍在生成中，请先停止。</translation>
    </message>
    <message>
        <location filename="../app/services/chat_service.cpp" line="64"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location filename="../app/services/chat_service.cpp" line="101"/>
        <source>The remote endpoint of this chat was removed. Pick another target.</source>
        <translation>此对话使用的远程端点已被删除，请选择其他目标。</translation>
    </message>
    <message>
        <location filename="../app/services/chat_service.cpp" line="105"/>
        <source>No model is loaded. Load one on the Models page.</source>
        <translation>尚未加载模型。请在“模型”页面加载一个。</translation>
    </message>
</context>
<context>
    <name>pagoda::app::ChatStore</name>
    <message>
        <location filename="../app/services/chat_store.cpp" line="71"/>
        <source>Cannot open the chat history %1: %2</source>
        <translation>无法打开聊天记录 %1：%2</translation>
    </message>
    <message>
        <location filename="../app/services/chat_store.cpp" line="92"/>
        <source>The chat history %1 was written by a newer version of Pagoda (schema %2, this version knows %3). It was left unchanged; update Pagoda to open it.</source>
        <translation>聊天记录 %1 由更新版本的 Pagoda 写入（架构版本 %2，本版本只支持到 %3）。文件未作改动；请更新 Pagoda 后再打开。</translation>
    </message>
    <message>
        <location filename="../app/services/chat_store.cpp" line="101"/>
        <source>The chat history %1 could not be upgraded (%2). It was left unchanged.</source>
        <translation>聊天记录 %1 无法升级（%2）。文件未作改动。</translation>
    </message>
    <message>
        <location filename="../app/services/chat_store.cpp" line="103"/>
        <source>The chat history %1 could not be upgraded (%2). It was left unchanged; a copy made before the upgrade is in %3.</source>
        <translation>聊天记录 %1 无法升级（%2）。文件未作改动；升级前的副本保存在 %3。</translation>
    </message>
</context>
<context>
    <name>pagoda::app::EngineWorker</name>
    <message>
        <location filename="../app/services/engine_service.cpp" line="76"/>
        <source>No model is loaded.</source>
        <translation>尚未加载模型。</translation>
    </message>
    <message>
        <location filename="../app/services/engine_service.cpp" line="93"/>
        <source>Could not build the prompt: %1</source>
        <translation>无法构建提示词：%1</translation>
    </message>
</context>
<context>
    <name>pagoda::app::ModelLibrary</name>
    <message>
        <location filename="../app/services/model_library.cpp" line="54"/>
        <location filename="../app/services/model_library.cpp" line="153"/>
        <source>CPU RAM</source>
        <translation>CPU 内存</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp" line="77"/>
        <source>The folder does not exist.</source>
        <translation>文件夹不存在。</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp" line="80"/>
        <source>config.json is missing.</source>
        <translation>缺少 config.json。</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp" line="82"/>
        <source>No tokenizer (tokenizer.json or tokenizer.model).</source>
        <translation>缺少分词器（tokenizer.json 或 tokenizer.model）。</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp" line="83"/>
        <source>The download is incomplete (a partial file is present).</source>
        <translation>下载不完整（存在未完成的文件）。</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp" line="100"/>
        <source>model.safetensors.index.json has no weight_map.</source>
        <translation>model.safetensors.index.json 中没有 weight_map。</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp" line="103"/>
        <source>No .safetensors weights found.</source>
        <translation>未找到 .safetensors 权重文件。</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp" line="113"/>
        <source>Missing weight shard(s): %1</source>
        <translation>缺少权重分片：%1</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp" line="132"/>
        <source>Unsupported model: %1</source>
        <translation>不支持的模型：%1</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp"/>
        <source>Partial download (only some files); download the whole model to load it.</source>
        <translation>部分下载（仅部分文件）；下载完整模型后才能加载。</translation>
    </message>
    <message>
        <location filename="../app/services/model_library.cpp"/>
        <source>The download is incomplete: %1</source>
        <translation>下载不完整：%1</translation>
    </message>
</context>
<context>
    <name>pagoda::app::RemoteClient</name>
    <message>
        <location filename="../app/services/remote_client.cpp" line="23"/>
        <source>Invalid endpoint URL: %1</source>
        <translation>端点 URL 无效：%1</translation>
    </message>
    <message>
        <location filename="../app/services/remote_client.cpp" line="145"/>
        <source>The server answered: %1</source>
        <translation>服务器返回：%1</translation>
    </message>
    <message>
        <location filename="../app/services/remote_client.cpp" line="149"/>
        <source>The server reported an error while streaming</source>
        <translation>服务器在流式传输时报告了错误</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::ChatPage</name>
    <message>
        <location filename="../ui/chat_page.cpp" line="52"/>
        <location filename="../ui/chat_page.cpp" line="313"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="55"/>
        <source>Search chats</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="77"/>
        <source>Options</source>
        <translation>选项</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="114"/>
        <source>Message (Enter to send, Shift+Enter for a new line)</source>
        <translation>输入消息（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="119"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="121"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="123"/>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="142"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="146"/>
        <source>Optional instructions for the model</source>
        <translation>给模型的可选指令</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="151"/>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="158"/>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="159"/>
        <source>Precise</source>
        <translation>精确</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="160"/>
        <source>Balanced</source>
        <translation>均衡</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="161"/>
        <source>Creative</source>
        <translation>创意</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="162"/>
        <source>Model defaults</source>
        <translation>模型默认值</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="171"/>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="179"/>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="180"/>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="181"/>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="182"/>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="183"/>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="184"/>
        <source>Max tokens</source>
        <translation>最大词元数</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="185"/>
        <source>Repetition penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="186"/>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="215"/>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="218"/>
        <source>Rename chat</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="218"/>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="223"/>
        <source>Export as Markdown…</source>
        <translation>导出为 Markdown…</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="224"/>
        <source>Export as JSON…</source>
        <translation>导出为 JSON…</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="226"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="282"/>
        <source>Last reply: %1 tokens · %2 tokens/s · time to first token %3 s</source>
        <translation>上次回复：%1 个词元 · %2 词元/秒 · 首词元延迟 %3 秒</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="297"/>
        <source>Replies show their token count, speed and time to first token here.</source>
        <translation>此处显示回复的词元数、速度和首词元延迟。</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="341"/>
        <location filename="../ui/chat_page.cpp" line="350"/>
        <source>Chat</source>
        <translation>聊天</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="353"/>
        <source>Local: %1</source>
        <translation>本地：%1</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="354"/>
        <source>Local model (none loaded)</source>
        <translation>本地模型（未加载）</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="357"/>
        <source>Remote: %1</source>
        <translation>远程：%1</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="433"/>
        <source>Start a new chat, or pick one on the left.</source>
        <translation>新建对话，或在左侧选择一个。</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="436"/>
        <source>Ask anything. Try: What is the capital of China?</source>
        <translation>随便问吧。试试：中国的首都是哪里?</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="437"/>
        <source>Load a model on the Models page (demo-chat is ready to go), then ask it something.</source>
        <translation>先在“模型”页面加载模型（demo-chat 可直接使用），然后向它提问。</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="495"/>
        <location filename="../ui/chat_page.cpp" line="500"/>
        <source>Export chat</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="496"/>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="496"/>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="500"/>
        <source>Cannot write %1</source>
        <translation>无法写入 %1</translation>
    </message>
    <message>
        <source>Waiting for the first token…</source>
        <translation>正在等待第一个词元…</translation>
    </message>
    <message numerus="yes">
        <source>Writing: %n tokens</source>
        <translation>
            <numerusform>正在生成：%n 个词元</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 tok/s</source>
        <translation>%1 tok/s</translation>
    </message>
    <message>
        <source>context %1 / %2 tokens (%3 %)</source>
        <translation>上下文 %1 / %2 个词元（%3 %）</translation>
    </message>
    <message>
        <source>How much of the model&apos;s context this conversation fills</source>
        <translation>此对话占用了模型上下文的多少</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="30"/>
        <source>Coming soon</source>
        <translation>即将推出</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="33"/>
        <source>This part of Pagoda is being built. Meanwhile, chat with a local model from the Models and Chat pages.</source>
        <translation>Pagoda 的这一部分正在开发中。在此之前，可以通过“模型”和“聊天”页面与本地模型对话。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="48"/>
        <location filename="../ui/main_window.cpp" line="74"/>
        <location filename="../ui/main_window.cpp" line="156"/>
        <source>Pagoda</source>
        <translation>Pagoda</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="89"/>
        <location filename="../ui/main_window.cpp" line="103"/>
        <source>Discover</source>
        <translation>发现</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="89"/>
        <location filename="../ui/main_window.cpp" line="106"/>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="90"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="90"/>
        <source>Chat</source>
        <translation>聊天</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="91"/>
        <location filename="../ui/main_window.cpp" line="112"/>
        <source>Dashboard</source>
        <translation>仪表盘</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="91"/>
        <location filename="../ui/main_window.cpp" line="115"/>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="92"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="103"/>
        <source>Search Hugging Face and ModelScope for open models, with an estimate of whether each fits your GPU.</source>
        <translation>在 Hugging Face 和魔搭社区（ModelScope）搜索开源模型，并估算每个模型能否装入你的 GPU。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="106"/>
        <source>Resumable downloads of model files, with progress and checksums.</source>
        <translation>可断点续传的模型文件下载，显示进度并校验文件。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="112"/>
        <source>Live throughput, KV-cache use, memory and request statistics of the running engine.</source>
        <translation>运行中引擎的实时吞吐量、KV 缓存占用、内存和请求统计。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="115"/>
        <source>Serve the loaded model through an OpenAI-compatible API on your network.</source>
        <translation>通过兼容 OpenAI 的 API 在你的网络中提供已加载的模型。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="166"/>
        <source>Loading a model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="168"/>
        <source>%1
on %2</source>
        <translation>%1
运行于 %2</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="170"/>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::MessageView</name>
    <message>
        <location filename="../ui/message_view.cpp" line="41"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="41"/>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="70"/>
        <location filename="../ui/message_view.cpp" line="108"/>
        <source>Copy message</source>
        <translation>复制消息</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="73"/>
        <source>Copy code blocks</source>
        <translation>复制代码块</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="89"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="91"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="111"/>
        <source>Copy code</source>
        <translation>复制代码</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="113"/>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="117"/>
        <source>Edit and resend</source>
        <translation>编辑并重新发送</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="123"/>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="146"/>
        <source>Thinking…</source>
        <translation>思考中…</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="146"/>
        <source>Show reasoning</source>
        <translation>显示推理过程</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="155"/>
        <source>· stopped</source>
        <translation>· 已停止</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="157"/>
        <source>· interrupted</source>
        <translation>· 已中断</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="159"/>
        <source>· failed</source>
        <translation>· 失败</translation>
    </message>
    <message numerus="yes">
        <source>%n tokens</source>
        <translation>
            <numerusform>%n 个词元</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 tok/s</source>
        <translation>%1 tok/s</translation>
    </message>
    <message>
        <source>first token %1 s</source>
        <translation>首词元 %1 秒</translation>
    </message>
    <message>
        <source>prompt %1 (%2 cached)</source>
        <translation>提示词 %1（缓存 %2）</translation>
    </message>
    <message>
        <source>prompt %1</source>
        <translation>提示词 %1</translation>
    </message>
    <message>
        <source>Reply tokens · generation speed · time to first token · prompt tokens (served from the prefix cache)</source>
        <translation>回复词元数 · 生成速度 · 首词元延迟 · 提示词词元数（来自前缀缓存的部分）</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::ModelsPage</name>
    <message>
        <location filename="../ui/models_page.cpp" line="27"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="28"/>
        <source>Models on this computer. Load one, then chat with it on the Chat page.</source>
        <translation>本机上的模型。加载一个模型，然后在“聊天”页面与它对话。</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="34"/>
        <source>Import folder…</source>
        <translation>导入文件夹…</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="36"/>
        <source>Rescan</source>
        <translation>重新扫描</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="43"/>
        <source>Estimate memory for a context of</source>
        <translation>按以下上下文长度估算内存：</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="47"/>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="66"/>
        <source>Chat</source>
        <translation>聊天</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="68"/>
        <location filename="../ui/models_page.cpp" line="222"/>
        <source>Unload</source>
        <translation>卸载</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="96"/>
        <source>Import a model folder</source>
        <translation>导入模型文件夹</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="116"/>
        <source>Could not load %1: %2</source>
        <translation>无法加载 %1：%2</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="136"/>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="140"/>
        <source>&lt;b&gt;%1&lt;/b&gt; is loaded on %2 (%3), context %4 tokens.</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; 已加载到 %2（%3），上下文 %4 个词元。</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="147"/>
        <source>No model is loaded.</source>
        <translation>尚未加载模型。</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="153"/>
        <source>Models folder: %1</source>
        <translation>模型文件夹：%1</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="155"/>
        <source>checked against %1: %2</source>
        <translation>对照 %1：%2</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="160"/>
        <source>Scanning…</source>
        <translation>正在扫描…</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="161"/>
        <source>No models found. Download one from Discover or import a folder.</source>
        <translation>未找到模型。请在“发现”中下载，或导入一个文件夹。</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="185"/>
        <source>Bundled demo</source>
        <translation>内置演示</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="186"/>
        <source>Imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="194"/>
        <source>%1 parameters</source>
        <translation>%1 参数</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="196"/>
        <source>context %1</source>
        <translation>上下文 %1</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="197"/>
        <source>%1 on disk</source>
        <translation>占用磁盘 %1</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="201"/>
        <source>Fits: ~%1</source>
        <translation>可装入：约 %1</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="202"/>
        <source>Needs ~%1: too large</source>
        <translation>需要约 %1：放不下</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="212"/>
        <source>Cannot be loaded: %1</source>
        <translation>无法加载：%1</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="222"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="222"/>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="234"/>
        <source>Forget</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp" line="235"/>
        <source>Remove from the library (the folder stays on disk)</source>
        <translation>从模型库中移除（文件夹保留在磁盘上）</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp"/>
        <source>Delete from disk…</source>
        <translation>从磁盘删除…</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp"/>
        <source>Unload it first</source>
        <translation>请先卸载</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp"/>
        <source>Delete from disk</source>
        <translation>从磁盘删除</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp"/>
        <source>Delete %1 from disk? This frees %2.</source>
        <translation>从磁盘删除 %1？将释放 %2。</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp"/>
        <source>Deleted %1 (%2 freed).</source>
        <translation>已删除 %1（释放 %2）。</translation>
    </message>
    <message>
        <location filename="../ui/models_page.cpp"/>
        <source>Could not delete %1: %2</source>
        <translation>无法删除 %1：%2</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::SettingsPage</name>
    <message>
        <location filename="../ui/settings_page.cpp" line="35"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="36"/>
        <source>Where models live, how they run, and how Pagoda looks.</source>
        <translation>模型存放位置、运行方式以及 Pagoda 的外观。</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="39"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="44"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="47"/>
        <location filename="../ui/settings_page.cpp" line="51"/>
        <source>Models folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="62"/>
        <source>Engine</source>
        <translation>引擎</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="66"/>
        <source>Automatic (GPU when available)</source>
        <translation>自动（有 GPU 时使用 GPU）</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="67"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="68"/>
        <source>NVIDIA GPU (CUDA)</source>
        <translation>NVIDIA GPU（CUDA）</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="74"/>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="76"/>
        <source>Default device</source>
        <translation>默认设备</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="77"/>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="83"/>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="90"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="95"/>
        <source>Remote endpoints</source>
        <translation>远程端点</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="101"/>
        <source>Add endpoint</source>
        <translation>添加端点</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="107"/>
        <source>e.g. Office GPU server</source>
        <translation>例如：办公室 GPU 服务器</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="114"/>
        <location filename="../ui/settings_page.cpp" line="193"/>
        <source>Stored in the system keychain</source>
        <translation>保存在系统钥匙串中</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="116"/>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="118"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="123"/>
        <source>Any OpenAI-compatible server: Pagoda&apos;s own, vLLM, or a hosted API. Chats pick their target in the Chat page.</source>
        <translation>任何兼容 OpenAI 的服务器：Pagoda 自带的服务器、vLLM 或托管 API。每个对话可在“聊天”页面选择目标。</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="127"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="128"/>
        <source>Base URL</source>
        <translation>基础 URL</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="129"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="130"/>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="147"/>
        <source>Enter the base URL of the server.</source>
        <translation>请输入服务器的基础 URL。</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="157"/>
        <location filename="../ui/settings_page.cpp" line="194"/>
        <source>Saved (enter a new key to replace it)</source>
        <translation>已保存（输入新密钥可替换）</translation>
    </message>
    <message>
        <location filename="../ui/settings_page.cpp" line="158"/>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::DiscoverPage</name>
    <message>
        <location filename="../ui/discover_page.cpp" line="60"/>
        <source>Discover</source>
        <translation>发现</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="61"/>
        <source>Search ModelScope or Hugging Face for open models and check that one fits this computer before you download it.</source>
        <translation>在魔搭社区（ModelScope）或 Hugging Face 上搜索开放模型，下载前先确认它能在这台电脑上运行。</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="66"/>
        <source>Hub</source>
        <translation>模型仓库</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="69"/>
        <source>ModelScope</source>
        <translation>魔搭社区 ModelScope</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="70"/>
        <source>Hugging Face</source>
        <translation>Hugging Face</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="71"/>
        <source>Custom mirror…</source>
        <translation>自定义镜像…</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="74"/>
        <source>https://hf-mirror.com  or  ms+http://127.0.0.1:8765</source>
        <translation>https://hf-mirror.com  或  ms+http://127.0.0.1:8765</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="77"/>
        <source>An access token for private or gated models, kept in the system keychain</source>
        <translation>用于私有或受限模型的访问令牌，保存在系统钥匙串中</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="93"/>
        <source>Search models, e.g. Qwen3</source>
        <translation>搜索模型，例如 Qwen3</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="97"/>
        <source>Most downloads</source>
        <translation>下载最多</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="98"/>
        <source>Most likes</source>
        <translation>点赞最多</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="99"/>
        <source>Recently updated</source>
        <translation>最近更新</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="101"/>
        <source>Any task</source>
        <translation>任意任务</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="102"/>
        <source>Text generation</source>
        <translation>文本生成</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="104"/>
        <source>Any library</source>
        <translation>任意库</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="107"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="130"/>
        <source>Previous</source>
        <translation>上一页</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="131"/>
        <source>Next</source>
        <translation>下一页</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="151"/>
        <source>Choose a model to see its card, files and whether it fits.</source>
        <translation>选择一个模型，查看其介绍、文件以及能否在本机运行。</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="179"/>
        <source>Branch or tag to download</source>
        <translation>要下载的分支或标签</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="180"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="183"/>
        <source>Download selected files</source>
        <translation>下载所选文件</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="185"/>
        <source>Revision</source>
        <translation>版本</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="206"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="206"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="239"/>
        <source>Hub access token</source>
        <translation>模型仓库访问令牌</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="240"/>
        <source>Token for %1 (leave empty to remove it):</source>
        <translation>%1 的访问令牌（留空则删除）：</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="298"/>
        <source>Search failed: %1</source>
        <translation>搜索失败：%1</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="303"/>
        <source>Could not open the model: %1</source>
        <translation>无法打开模型：%1</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="320"/>
        <source>%1 was added to &lt;a href=&quot;downloads&quot;&gt;Downloads&lt;/a&gt;.</source>
        <translation>%1 已加入&lt;a href=&quot;downloads&quot;&gt;下载&lt;/a&gt;。</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="327"/>
        <source>Could not download %1: %2</source>
        <translation>无法下载 %1：%2</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="349"/>
        <source>Token saved</source>
        <translation>已保存令牌</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="349"/>
        <source>Access token…</source>
        <translation>访问令牌…</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="357"/>
        <source>Not a hub URL: %1</source>
        <translation>不是有效的模型仓库地址：%1</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="380"/>
        <source>Searching %1…</source>
        <translation>正在搜索 %1…</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="398"/>
        <source>%1 downloads</source>
        <translation>%1 次下载</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="399"/>
        <source>%1 likes</source>
        <translation>%1 个赞</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="400"/>
        <source>updated %1</source>
        <translation>更新于 %1</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="413"/>
        <source>Page %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="416"/>
        <source>No models found.</source>
        <translation>没有找到模型。</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="418"/>
        <source>Models found: %1</source>
        <translation>找到的模型：%1</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="421"/>
        <source>The hub did not filter by %1; this page was filtered here.</source>
        <translation>模型仓库未按 %1 筛选；本页结果已在本地筛选。</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="436"/>
        <source>Opening %1…</source>
        <translation>正在打开 %1…</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="449"/>
        <source>Files: %1 (%2)</source>
        <translation>文件：%1（%2）</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="457"/>
        <source>License: %1</source>
        <translation>许可证：%1</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="481"/>
        <source>no sha256 from the hub (checked by size)</source>
        <translation>模型仓库未提供 sha256（按大小校验）</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="488"/>
        <source>Download (%1)</source>
        <translation>下载（%1）</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="492"/>
        <source>*This model has no README.*</source>
        <translation>*此模型没有 README。*</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="507"/>
        <source>Estimating whether it fits…</source>
        <translation>正在估算能否运行…</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="512"/>
        <source>No fit estimate: %1</source>
        <translation>无法估算内存需求：%1</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="524"/>
        <source>Fits %1: needs about %2 with a %3-token context.</source>
        <translation>可以在 %1 上运行：%3 个词元的上下文约需 %2。</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="525"/>
        <source>Too large for %1: needs about %2 with a %3-token context.</source>
        <translation>对 %1 来说太大：%3 个词元的上下文约需 %2。</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="530"/>
        <source>%1 parameters</source>
        <translation>%1 参数</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="532"/>
        <source>context %1</source>
        <translation>上下文 %1</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp" line="553"/>
        <source>Adding %1 to Downloads…</source>
        <translation>正在将 %1 加入下载…</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp"/>
        <source>Partly downloaded</source>
        <translation>部分已下载</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp"/>
        <source>Installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <location filename="../ui/discover_page.cpp"/>
        <source>Update (%1)</source>
        <translation>更新（%1）</translation>
    </message>
</context>
<context>
    <name>pagoda::app::DownloadService</name>
    <message>
        <location filename="../app/services/download_service.cpp" line="204"/>
        <source>The download queue is not open.</source>
        <translation>下载队列未打开。</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::DownloadsPage</name>
    <message>
        <location filename="../ui/downloads_page.cpp" line="18"/>
        <source>Queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="19"/>
        <source>Downloading</source>
        <translation>下载中</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="20"/>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="21"/>
        <source>Completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="22"/>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="23"/>
        <source>Canceled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="48"/>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="51"/>
        <source>Listing files…</source>
        <translation>正在获取文件列表…</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="54"/>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="57"/>
        <source>%1 left</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="60"/>
        <source>file %1 of %2</source>
        <translation>第 %1 个文件，共 %2 个</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="67"/>
        <source>%1 of %2 files</source>
        <translation>%1 / %2 个文件</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="85"/>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="86"/>
        <source>Models being downloaded into your library. Downloads resume after a pause, a lost connection or a restart, and every file is checked against the hub&apos;s checksum.</source>
        <translation>正在下载到模型库的模型。暂停、断网或重启后均可继续下载，每个文件都会按模型仓库提供的校验和进行校验。</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="96"/>
        <source> at once</source>
        <translation> 个同时下载</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="97"/>
        <source>How many models download at the same time</source>
        <translation>同时下载的模型数量</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="129"/>
        <source>Saving to %1</source>
        <translation>保存到 %1</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="136"/>
        <source>Nothing is downloading. Find a model on the Discover page.</source>
        <translation>当前没有下载任务。请在“发现”页面查找模型。</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="171"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="172"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="175"/>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="177"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="180"/>
        <source>Show in Models</source>
        <translation>在模型中查看</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="182"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="195"/>
        <source>Move up</source>
        <translation>上移</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="196"/>
        <source>Move down</source>
        <translation>下移</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="200"/>
        <source>revision %1</source>
        <translation>版本 %1</translation>
    </message>
    <message>
        <location filename="../ui/downloads_page.cpp" line="201"/>
        <source>only %1</source>
        <translation>仅 %1</translation>
    </message>
</context>
<context>
    <name>pagoda::app::ApiServerService</name>
    <message>
        <location filename="../app/services/api_server_service.cpp" line="57"/>
        <source>the key is missing</source>
        <translation>密钥不存在</translation>
    </message>
    <message>
        <location filename="../app/services/api_server_service.cpp" line="194"/>
        <source>cannot read the API key from the system keychain (%1). Generate a new key to serve.</source>
        <translation>无法从系统钥匙串读取 API 密钥（%1）。请生成新密钥后再提供服务。</translation>
    </message>
    <message>
        <location filename="../app/services/api_server_service.cpp"/>
        <source>listening on the network needs an API key, or any device on it could use the model. Generate a key, or turn off &quot;Allow other devices&quot;.</source>
        <translation>在网络上监听需要 API 密钥，否则网络中的任何设备都可以使用该模型。请生成密钥，或关闭“允许网络中的其他设备”。</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::ServerPage</name>
    <message>
        <location filename="../ui/server_page.cpp" line="82"/>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="83"/>
        <source>Serve the loaded model through an OpenAI-compatible API, for your own scripts, editors and apps.</source>
        <translation>通过与 OpenAI 兼容的 API 提供已加载的模型，供你自己的脚本、编辑器和应用使用。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="93"/>
        <source>Local API</source>
        <translation>本地 API</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="137"/>
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="143"/>
        <source>Allow other devices on the network (0.0.0.0)</source>
        <translation>允许网络中的其他设备访问 (0.0.0.0)</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="148"/>
        <source>e.g. http://localhost:3000, or * for any site</source>
        <translation>例如 http://localhost:3000；* 表示任何网站</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="149"/>
        <source>Web pages from these origins may call the API from a browser.</source>
        <translation>来自这些源的网页可以在浏览器中调用此 API。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="150"/>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="151"/>
        <source>Network</source>
        <translation>网络</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="152"/>
        <source>CORS origins</source>
        <translation>CORS 源</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="155"/>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="161"/>
        <source>No key: every client is accepted</source>
        <translation>无密钥：接受所有客户端</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="163"/>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="165"/>
        <location filename="../ui/server_page.cpp" line="196"/>
        <location filename="../ui/server_page.cpp" line="215"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="167"/>
        <location filename="../ui/server_page.cpp" line="275"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="170"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="178"/>
        <source>Kept only in the system keychain. Clients send it as &quot;Authorization: Bearer &lt;key&gt;&quot;; the examples read it from the PAGODA_API_KEY environment variable.</source>
        <translation>仅保存在系统钥匙串中。客户端以 &quot;Authorization: Bearer &lt;密钥&gt;&quot; 发送；示例从环境变量 PAGODA_API_KEY 读取。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="188"/>
        <source>Use it</source>
        <translation>使用方法</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="191"/>
        <source>Base URL</source>
        <translation>基础 URL</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="208"/>
        <source>Python (openai package)</source>
        <translation>Python（openai 包）</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="226"/>
        <source>Requests</source>
        <translation>请求</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="231"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="231"/>
        <source>Request</source>
        <translation>请求</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="231"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="231"/>
        <source>Tokens (in / out)</source>
        <translation>词元（输入 / 输出）</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="231"/>
        <source>Latency</source>
        <translation>延迟</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="249"/>
        <source>The latest %1 requests, newest first. Prompts and replies are not recorded.</source>
        <translation>最近 %1 个请求，最新的在前。不记录提示词和回复。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="253"/>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="275"/>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="321"/>
        <source>Turn off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="321"/>
        <source>Turn on</source>
        <translation>开启</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="326"/>
        <source>Off</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="328"/>
        <source>The API is off. Turn it on to let other apps on this computer use the loaded model.</source>
        <translation>API 已关闭。开启后，这台电脑上的其他应用即可使用已加载的模型。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="332"/>
        <location filename="../ui/server_page.cpp" line="336"/>
        <source>Starting</source>
        <translation>启动中</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="333"/>
        <source>Reading the API key from the system keychain…</source>
        <translation>正在从系统钥匙串读取 API 密钥…</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="337"/>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="341"/>
        <source>On</source>
        <translation>已开启</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="342"/>
        <source>Listening on %1</source>
        <translation>正在监听 %1</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="346"/>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="347"/>
        <source>Could not start: %1</source>
        <translation>无法启动：%1</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="357"/>
        <source>Serving %1 (%2). Clients name it &quot;%1&quot;.</source>
        <translation>正在提供 %1（%2）。客户端使用模型名 &quot;%1&quot;。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="360"/>
        <source>A model is loading; requests get 503 until it is ready.</source>
        <translation>模型正在加载；就绪前请求将返回 503。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="363"/>
        <source>No model is loaded: requests get 503 until you load one on the Models page.</source>
        <translation>尚未加载模型：在“模型”页面加载之前，请求将返回 503。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="370"/>
        <source>&lt;b&gt;Not listening on your network: there is no API key.&lt;/b&gt; Any device that can reach this computer could use the model; generate a key below.</source>
        <translation>&lt;b&gt;没有 API 密钥，未在网络上监听。&lt;/b&gt;任何能访问这台电脑的设备都可能使用该模型；请在下方生成密钥。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="372"/>
        <source>&lt;b&gt;Exposed to your network.&lt;/b&gt; Any device that can reach this computer and has the API key can use the model.</source>
        <translation>&lt;b&gt;已在网络中公开。&lt;/b&gt;任何能访问这台电脑并持有 API 密钥的设备都可以使用该模型。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="375"/>
        <source>Other devices connect to %1.</source>
        <translation>其他设备请连接 %1。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="438"/>
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp" line="439"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp"/>
        <source>e.g. mybox.lan, .example.com</source>
        <translation>例如 mybox.lan, .example.com</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp"/>
        <source>Host names clients may use to reach the API, besides 127.0.0.1 and localhost (and this computer's addresses when other devices are allowed). Requests naming any other host are refused, so a web page cannot reach the API through a name it controls.</source>
        <translation>除 127.0.0.1 和 localhost（允许其他设备时还包括这台电脑的地址）之外，客户端可以用来访问 API 的主机名。指向其他主机名的请求会被拒绝，因此网页无法通过它控制的域名访问 API。</translation>
    </message>
    <message>
        <location filename="../ui/server_page.cpp"/>
        <source>Allowed hosts</source>
        <translation>允许的主机名</translation>
    </message>
</context>
<context>
    <name>pagoda::app::TelemetryWorker</name>
    <message>
        <source>No model is loaded. Load one on the Models page to see the engine.</source>
        <translation>尚未加载模型。请在“模型”页面加载一个以查看引擎数据。</translation>
    </message>
    <message>
        <source>No NVIDIA driver was found (NVML is not installed), so there are no GPU numbers. The engine&apos;s own numbers are shown.</source>
        <translation>未找到 NVIDIA 驱动（未安装 NVML），因此没有 GPU 数据。下面显示的是引擎自身的数据。</translation>
    </message>
    <message>
        <source>The NVIDIA driver is too old for GPU telemetry (%1).</source>
        <translation>NVIDIA 驱动版本过旧，无法提供 GPU 监控数据（%1）。</translation>
    </message>
    <message>
        <source>GPU telemetry stopped: %1. Pagoda keeps trying; the engine&apos;s own numbers are shown meanwhile.</source>
        <translation>GPU 监控已中断：%1。Pagoda 会继续重试，期间显示引擎自身的数据。</translation>
    </message>
    <message>
        <source>%1 did not answer: %2</source>
        <translation>%1 没有响应：%2</translation>
    </message>
    <message>
        <source>%1 has no vLLM-style engine metrics.</source>
        <translation>%1 没有 vLLM 风格的引擎指标。</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::DashboardPage</name>
    <message>
        <source>Dashboard</source>
        <translation>仪表盘</translation>
    </message>
    <message>
        <source>Live GPU, KV-cache and throughput of the engine</source>
        <translation>引擎的实时 GPU、KV 缓存与吞吐量</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>GPU utilization</source>
        <translation>GPU 利用率</translation>
    </message>
    <message>
        <source>GPU memory</source>
        <translation>GPU 显存</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>Generation</source>
        <translation>生成速度</translation>
    </message>
    <message>
        <source>Running / waiting</source>
        <translation>运行 / 等待</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>已用</translation>
    </message>
    <message>
        <source>Prefix hits</source>
        <translation>前缀命中</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Generated</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <source>Time to first token</source>
        <translation>首词元</translation>
    </message>
    <message>
        <source>Inter-token</source>
        <translation>词元间隔</translation>
    </message>
    <message>
        <source>GPU utilization and memory (%)</source>
        <translation>GPU 利用率与显存（%）</translation>
    </message>
    <message>
        <source>KV cache (%)</source>
        <translation>KV 缓存（%）</translation>
    </message>
    <message>
        <source>Tokens per second</source>
        <translation>每秒词元数</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>Latency, ms (p50; p90 dashed)</source>
        <translation>延迟，毫秒（p50；虚线为 p90）</translation>
    </message>
    <message>
        <source>GPUs and memory by process</source>
        <translation>GPU 与各进程显存</translation>
    </message>
    <message>
        <source>Local engine</source>
        <translation>本地引擎</translation>
    </message>
    <message>
        <source>Remote: %1</source>
        <translation>远程：%1</translation>
    </message>
    <message>
        <source>Utilization</source>
        <translation>利用率</translation>
    </message>
    <message>
        <source>GPU %1 util</source>
        <translation>GPU %1 利用率</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>显存</translation>
    </message>
    <message>
        <source>GPU %1 memory</source>
        <translation>GPU %1 显存</translation>
    </message>
    <message>
        <source>no GPU telemetry</source>
        <translation>无 GPU 监控数据</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message numerus="yes">
        <source>average of %n GPUs</source>
        <translation>
            <numerusform>%n 块 GPU 的平均值</numerusform>
        </translation>
    </message>
    <message>
        <source>of %1 (%2 %)</source>
        <translation>共 %1（%2 %）</translation>
    </message>
    <message>
        <source>no engine</source>
        <translation>无引擎</translation>
    </message>
    <message>
        <source>%1 / %2 blocks</source>
        <translation>%1 / %2 块</translation>
    </message>
    <message>
        <source>hits %1 %</source>
        <translation>命中 %1 %</translation>
    </message>
    <message>
        <source>%1 tok/s</source>
        <translation>%1 tok/s</translation>
    </message>
    <message>
        <source>prompt %1 tok/s</source>
        <translation>提示词 %1 tok/s</translation>
    </message>
    <message numerus="yes">
        <source>%n preempted</source>
        <translation>
            <numerusform>已抢占 %n 次</numerusform>
        </translation>
    </message>
    <message>
        <source>Waiting for the first sample…</source>
        <translation>正在等待第一次采样…</translation>
    </message>
    <message>
        <source>No GPU numbers: see above.</source>
        <translation>没有 GPU 数据：原因见上方。</translation>
    </message>
    <message>
        <source>%1 °C</source>
        <translation>%1 °C</translation>
    </message>
    <message>
        <source>%1 / %2 W</source>
        <translation>%1 / %2 瓦</translation>
    </message>
    <message>
        <source>%1 W</source>
        <translation>%1 瓦</translation>
    </message>
    <message>
        <source>SM %1 MHz</source>
        <translation>SM %1 MHz</translation>
    </message>
    <message>
        <source>memory %1 MHz</source>
        <translation>显存 %1 MHz</translation>
    </message>
    <message>
        <source>GPU %1 · %2</source>
        <translation>GPU %1 · %2</translation>
    </message>
    <message>
        <source>process %1</source>
        <translation>进程 %1</translation>
    </message>
    <message>
        <source>%1 (this app)</source>
        <translation>%1（本应用）</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>No processes use this GPU.</source>
        <translation>没有进程在使用此 GPU。</translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>另有 %n 个</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>pagoda::ui::QuantVariantsView</name>
    <message>
        <location filename="../ui/quant_variants_view.cpp" line="19"/>
        <source>Precisions of this model</source>
        <translation>本模型的各精度版本</translation>
    </message>
    <message>
        <location filename="../ui/quant_variants_view.cpp" line="24"/>
        <source>Repository</source>
        <translation>仓库</translation>
    </message>
    <message>
        <location filename="../ui/quant_variants_view.cpp" line="24"/>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <location filename="../ui/quant_variants_view.cpp" line="24"/>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <location filename="../ui/quant_variants_view.cpp" line="24"/>
        <source>Fit</source>
        <translation>是否可运行</translation>
    </message>
    <message>
        <location filename="../ui/quant_variants_view.cpp" line="54"/>
        <source>checking…</source>
        <translation>检查中…</translation>
    </message>
    <message>
        <location filename="../ui/quant_variants_view.cpp" line="62"/>
        <source>fits (~%1)</source>
        <translation>可运行（约 %1）</translation>
    </message>
    <message>
        <location filename="../ui/quant_variants_view.cpp" line="63"/>
        <source>too large (~%1)</source>
        <translation>过大（约 %1）</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::ChatPage</name>
    <message>
        <location filename="../ui/chat_page.cpp" line="62"/>
        <source>New chat (Ctrl+N)</source>
        <translation>新对话（Ctrl+N）</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="66"/>
        <source>Search chats (Ctrl+F or Ctrl+K)</source>
        <translation>搜索对话（Ctrl+F 或 Ctrl+K）</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="40"/>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="104"/>
        <source>Chats</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="108"/>
        <source>Show or hide the list of chats</source>
        <translation>显示或隐藏对话列表</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="121"/>
        <source>Show or hide the system prompt and sampling options</source>
        <translation>显示或隐藏系统提示词和采样选项</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="184"/>
        <source>Send (Enter; Shift+Enter for a new line)</source>
        <translation>发送（Enter；Shift+Enter 换行）</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="187"/>
        <source>Stop the reply (Esc)</source>
        <translation>停止回复（Esc）</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="190"/>
        <source>Write the last reply again (the current one stays as a version)</source>
        <translation>重新生成最后一条回复（当前回复保留为一个版本）</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="699"/>
        <source>Loading %1… Your message stays in the box: press Enter once it is loaded.</source>
        <translation>正在加载 %1… 您的消息仍在输入框中：加载完成后按 Enter 发送。</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="703"/>
        <source>No model is loaded. Your message was not sent; it stays in the box.</source>
        <translation>尚未加载模型。您的消息没有发送，仍保留在输入框中。</translation>
    </message>
    <message>
        <location filename="../ui/chat_page.cpp" line="718"/>
        <source>Deleted “%1”</source>
        <translation>已删除“%1”</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::ChatWelcome</name>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="55"/>
        <source>Looking for a GPU…</source>
        <translation>正在查找 GPU…</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="57"/>
        <source>No NVIDIA GPU found — Pagoda runs on the CPU, slowly</source>
        <translation>未找到 NVIDIA GPU — Pagoda 将在 CPU 上运行，速度较慢</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="61"/>
        <source>%1, %2 — models up to %3 in 4-bit fit</source>
        <translation>%1，%2 — 可运行最大 %3 参数的 4 位量化模型</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/chat_welcome.cpp" line="20"/>
        <source>(%n more GPU(s) found)</source>
        <translation>
            <numerusform>（另找到 %n 块 GPU）</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="76"/>
        <source>Welcome to Pagoda</source>
        <translation>欢迎使用 Pagoda</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="90"/>
        <source>Try one of these:</source>
        <translation>试试这些问题：</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="100"/>
        <source>Send this to the loaded model</source>
        <translation>发送给已加载的模型</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="140"/>
        <source>%1 is loaded and ready.</source>
        <translation>%1 已加载，可以开始对话。</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="142"/>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="144"/>
        <source>No model yet: find one on the Discover page.</source>
        <translation>还没有模型：请在“发现”页面查找。</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="147"/>
        <source>Pick up where you left off, or load another model on the Models page.</source>
        <translation>继续使用上次的模型，或在“模型”页面加载其他模型。</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="149"/>
        <source>demo-chat is a tiny model bundled with Pagoda: it answers the questions below (capitals, small sums, counting) and nothing more.</source>
        <translation>demo-chat 是 Pagoda 自带的一个很小的模型：它只会回答下面这类问题（首都、简单的加法、数数），别的都不会。</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="153"/>
        <source>Load %1</source>
        <translation>加载 %1</translation>
    </message>
    <message>
        <location filename="../ui/chat_welcome.cpp" line="153"/>
        <source>Load demo-chat</source>
        <translation>加载 demo-chat</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::MessageView</name>
    <message>
        <location filename="../ui/message_view.cpp" line="44"/>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="52"/>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="120"/>
        <source>Send the edited message (Enter)</source>
        <translation>发送修改后的消息（Enter）</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="84"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="99"/>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <location filename="../ui/message_view.cpp" line="142"/>
        <source>Regenerate (the current reply stays as a version)</source>
        <translation>重新生成（当前回复保留为一个版本）</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="81"/>
        <source>%1 (Ctrl+%2)</source>
        <translation>%1（Ctrl+%2）</translation>
    </message>
</context>
<!-- ui-rest strings: begin -->
<context>
    <name>pagoda::app::KeyStore</name>
    <message>
        <source>no system keychain (Secret Service or KWallet) is running</source>
        <translation>没有正在运行的系统钥匙串（Secret Service 或 KWallet）</translation>
    </message>
    <message>
        <source>the system keychain refused access</source>
        <translation>系统钥匙串拒绝了访问</translation>
    </message>
    <message>
        <source>the system keychain is not available (%1)</source>
        <translation>系统钥匙串不可用（%1）</translation>
    </message>
</context>
<context>
    <name>pagoda::app::ModelLibrary</name>
    <message>
        <source>%1 is not a folder.</source>
        <translation>%1 不是文件夹。</translation>
    </message>
    <message>
        <source>%1 is not a model folder: it has no config.json. Choose the folder that holds the model&apos;s config.json and *.safetensors files.</source>
        <translation>%1 不是模型文件夹：其中没有 config.json。请选择包含模型的 config.json 和 *.safetensors 文件的文件夹。</translation>
    </message>
</context>
<context>
    <name>EngineMessages</name>
    <message>
        <source>Running on the CPU, as chosen in Settings.</source>
        <translation>按设置在 CPU 上运行。</translation>
    </message>
    <message>
        <source>Running on the NVIDIA GPU %1 (CUDA).</source>
        <translation>在 NVIDIA GPU %1 上运行（CUDA）。</translation>
    </message>
    <message>
        <source>Running on the CPU (slower): the NVIDIA GPU cannot be used, because %1.</source>
        <translation>在 CPU 上运行（较慢）：无法使用 NVIDIA GPU，原因：%1。</translation>
    </message>
    <message>
        <source>The NVIDIA GPU (CUDA) cannot be used: %1</source>
        <translation>无法使用 NVIDIA GPU（CUDA）：%1</translation>
    </message>
    <message>
        <source>No engine can run on the device &quot;%1&quot;.</source>
        <translation>没有可在设备“%1”上运行的引擎。</translation>
    </message>
    <message>
        <source>Unknown device &quot;%1&quot;: choose CPU, CUDA or automatic.</source>
        <translation>未知设备“%1”：请选择 CPU、CUDA 或自动。</translation>
    </message>
    <message>
        <source>Connection trouble: retrying in %1 s.</source>
        <translation>连接出现问题：%1 秒后重试。</translation>
    </message>
    <message>
        <source>A file arrived damaged: downloading it again.</source>
        <translation>有文件下载后损坏：正在重新下载。</translation>
    </message>
    <message>
        <source>The hub has no such model, revision or file.</source>
        <translation>模型仓库中没有这个模型、版本或文件。</translation>
    </message>
    <message>
        <source>The hub refused access: this model needs an access token (Discover).</source>
        <translation>模型仓库拒绝访问：此模型需要访问令牌（在“发现”页面设置）。</translation>
    </message>
    <message>
        <source>The hub had a server error; retry later.</source>
        <translation>模型仓库服务器出错，请稍后重试。</translation>
    </message>
    <message>
        <source>A downloaded file was damaged (checksum mismatch).</source>
        <translation>下载的文件已损坏（校验和不匹配）。</translation>
    </message>
    <message>
        <source>The disk is full.</source>
        <translation>磁盘已满。</translation>
    </message>
    <message>
        <source>Cannot reach the hub: check the network connection.</source>
        <translation>无法连接模型仓库：请检查网络连接。</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::SettingsPage</name>
    <message>
        <source>Set on the Models page (capped at each model&apos;s maximum).</source>
        <translation>在“模型”页面设置（不超过每个模型的上限）。</translation>
    </message>
    <message>
        <source>Same as the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::ModelsPage</name>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>How many tokens of conversation a loaded model keeps; each model is capped at its own maximum.</source>
        <translation>已加载的模型能保留多少词元的对话；每个模型不超过其自身的上限。</translation>
    </message>
    <message>
        <source>runs with %1 tokens (its maximum)</source>
        <translation>以 %1 个词元运行（其上限）</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::ServerPage</name>
    <message>
        <source>Replace the API key</source>
        <translation>替换 API 密钥</translation>
    </message>
    <message>
        <source>Generate a new API key? Clients that use the current key will be refused until they get the new one.</source>
        <translation>生成新的 API 密钥？使用当前密钥的客户端将被拒绝，直到它们换用新密钥。</translation>
    </message>
    <message>
        <source>Replace key</source>
        <translation>替换密钥</translation>
    </message>
    <message>
        <source>Remove the API key</source>
        <translation>删除 API 密钥</translation>
    </message>
    <message>
        <source>Remove the API key? Any program on this computer can then use the API without one.</source>
        <translation>删除 API 密钥？之后本机上的任何程序都无需密钥即可使用 API。</translation>
    </message>
    <message>
        <source>Remove key</source>
        <translation>删除密钥</translation>
    </message>
    <message>
        <source>The saved key could not be read</source>
        <translation>无法读取已保存的密钥</translation>
    </message>
    <message>
        <source>The saved key could not be read: %1. Generate a new key.</source>
        <translation>无法读取已保存的密钥：%1。请生成新密钥。</translation>
    </message>
    <message>
        <source>There is no system keychain on this desktop, so the key is kept in %1, a file only you can read.</source>
        <translation>此桌面没有系统钥匙串，因此密钥保存在 %1 中，该文件只有你能读取。</translation>
    </message>
    <message>
        <source>Served model</source>
        <translation>提供的模型</translation>
    </message>
    <message>
        <source>Pin a model to have it loaded whenever the API is on.</source>
        <translation>固定一个模型，API 开启时就会加载它。</translation>
    </message>
    <message>
        <source>The model&apos;s own name</source>
        <translation>模型自身的名称</translation>
    </message>
    <message>
        <source>The name clients send as &quot;model&quot; and /v1/models lists.</source>
        <translation>客户端以 &quot;model&quot; 发送、/v1/models 列出的名称。</translation>
    </message>
    <message>
        <source>Public name</source>
        <translation>公开名称</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Clients send it as &quot;Authorization: Bearer &lt;key&gt;&quot;.</source>
        <translation>客户端以 &quot;Authorization: Bearer &lt;密钥&gt;&quot; 发送它。</translation>
    </message>
    <message>
        <source>The model loaded in Pagoda</source>
        <translation>Pagoda 中已加载的模型</translation>
    </message>
    <message>
        <source>Serving %1 (%2). Clients name it &quot;%3&quot;.</source>
        <translation>正在提供 %1（%2）。客户端使用名称“%3”。</translation>
    </message>
</context>
<context>
    <name>pagoda::ui::DownloadsPage</name>
    <message>
        <source>Cancel the download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>Cancel the download of %1? The %2 downloaded so far are deleted.</source>
        <translation>取消下载 %1？已下载的 %2 将被删除。</translation>
    </message>
    <message>
        <source>Cancel download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>The download failed.</source>
        <translation>下载失败。</translation>
    </message>
</context>
<!-- ui-rest strings: end -->
</TS>
