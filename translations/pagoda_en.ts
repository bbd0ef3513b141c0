<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
  <context>
    <name>pagoda::app::ChatService</name>
    <message>
      <location filename="../app/services/chat_service.cpp" line="58" />
      <source>A reply is still being written. Stop it first.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/chat_service.cpp" line="64" />
      <source>New chat</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/chat_service.cpp" line="101" />
      <source>The remote endpoint of this chat was removed. Pick another target.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/chat_service.cpp" line="105" />
      <source>No model is loaded. Load one on the Models page.</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::app::ChatStore</name>
    <message>
      <location filename="../app/services/chat_store.cpp" line="71" />
      <source>Cannot open the chat history %1: %2</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/chat_store.cpp" line="92" />
      <source>The chat history %1 was written by a newer version of Pagoda (schema %2, this version knows %3). It was left unchanged; update Pagoda to open it.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/chat_store.cpp" line="101" />
      <source>The chat history %1 could not be upgraded (%2). It was left unchanged.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/chat_store.cpp" line="103" />
      <source>The chat history %1 could not be upgraded (%2). It was left unchanged; a copy made before the upgrade is in %3.</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::app::EngineWorker</name>
    <message>
      <location filename="../app/services/engine_service.cpp" line="76" />
      <source>No model is loaded.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/engine_service.cpp" line="93" />
      <source>Could not build the prompt: %1</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::app::ModelLibrary</name>
    <message>
      <location filename="../app/services/model_library.cpp" line="54" />
      <location filename="../app/services/model_library.cpp" line="153" />
      <source>CPU RAM</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" line="77" />
      <source>The folder does not exist.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" line="80" />
      <source>config.json is missing.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" line="82" />
      <source>No tokenizer (tokenizer.json or tokenizer.model).</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" line="83" />
      <source>The download is incomplete (a partial file is present).</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" line="100" />
      <source>model.safetensors.index.json has no weight_map.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" line="103" />
      <source>No .safetensors weights found.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" line="113" />
      <source>Missing weight shard(s): %1</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" line="132" />
      <source>Unsupported model: %1</source>
      <translation />
    </message>
      <message>
      <location filename="../app/services/model_library.cpp" />
      <source>Partial download (only some files); download the whole model to load it.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/model_library.cpp" />
      <source>The download is incomplete: %1</source>
      <translation />
    </message>
</context>
  <context>
    <name>pagoda::app::RemoteClient</name>
    <message>
      <location filename="../app/services/remote_client.cpp" line="23" />
      <source>Invalid endpoint URL: %1</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/remote_client.cpp" line="145" />
      <source>The server answered: %1</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/remote_client.cpp" line="149" />
      <source>The server reported an error while streaming</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::ChatPage</name>
    <message>
      <location filename="../ui/chat_page.cpp" line="52" />
      <location filename="../ui/chat_page.cpp" line="313" />
      <source>New chat</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="55" />
      <source>Search chats</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="77" />
      <source>Options</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="114" />
      <source>Message (Enter to send, Shift+Enter for a new line)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="119" />
      <source>Send</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="121" />
      <source>Stop</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="123" />
      <source>Regenerate</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="142" />
      <source>System prompt</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="146" />
      <source>Optional instructions for the model</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="151" />
      <source>Sampling</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="158" />
      <source>Custom</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="159" />
      <source>Precise</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="160" />
      <source>Balanced</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="161" />
      <source>Creative</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="162" />
      <source>Model defaults</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="171" />
      <source>off</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="179" />
      <source>random</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="180" />
      <source>Preset</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="181" />
      <source>Temperature</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="182" />
      <source>Top-p</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="183" />
      <source>Top-k</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="184" />
      <source>Max tokens</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="185" />
      <source>Repetition penalty</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="186" />
      <source>Seed</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="215" />
      <source>Rename…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="218" />
      <source>Rename chat</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="218" />
      <source>Title</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="223" />
      <source>Export as Markdown…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="224" />
      <source>Export as JSON…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="226" />
      <source>Delete</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="282" />
      <source>Last reply: %1 tokens · %2 tokens/s · time to first token %3 s</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="297" />
      <source>Replies show their token count, speed and time to first token here.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="341" />
      <location filename="../ui/chat_page.cpp" line="350" />
      <source>Chat</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="353" />
      <source>Local: %1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="354" />
      <source>Local model (none loaded)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="357" />
      <source>Remote: %1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="433" />
      <source>Start a new chat, or pick one on the left.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="436" />
      <source>Ask anything. Try: What is the capital of China?</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="437" />
      <source>Load a model on the Models page (demo-chat is ready to go), then ask it something.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="495" />
      <location filename="../ui/chat_page.cpp" line="500" />
      <source>Export chat</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="496" />
      <source>JSON (*.json)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="496" />
      <source>Markdown (*.md)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="500" />
      <source>Cannot write %1</source>
      <translation />
    </message>
    <message>
      <source>Waiting for the first token…</source>
      <translation />
    </message>
    <message numerus="yes">
      <source>Writing: %n tokens</source>
      <translation>
        <numerusform>Writing: %n token</numerusform>
        <numerusform>Writing: %n tokens</numerusform>
      </translation>
    </message>
    <message>
      <source>%1 tok/s</source>
      <translation />
    </message>
    <message>
      <source>context %1 / %2 tokens (%3 %)</source>
      <translation />
    </message>
    <message>
      <source>How much of the model&apos;s context this conversation fills</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::MainWindow</name>
    <message>
      <location filename="../ui/main_window.cpp" line="30" />
      <source>Coming soon</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="33" />
      <source>This part of Pagoda is being built. Meanwhile, chat with a local model from the Models and Chat pages.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="48" />
      <location filename="../ui/main_window.cpp" line="74" />
      <location filename="../ui/main_window.cpp" line="156" />
      <source>Pagoda</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="89" />
      <location filename="../ui/main_window.cpp" line="103" />
      <source>Discover</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="89" />
      <location filename="../ui/main_window.cpp" line="106" />
      <source>Downloads</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="90" />
      <source>Models</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="90" />
      <source>Chat</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="91" />
      <location filename="../ui/main_window.cpp" line="112" />
      <source>Dashboard</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="91" />
      <location filename="../ui/main_window.cpp" line="115" />
      <source>Server</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="92" />
      <source>Settings</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="103" />
      <source>Search Hugging Face and ModelScope for open models, with an estimate of whether each fits your GPU.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="106" />
      <source>Resumable downloads of model files, with progress and checksums.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="112" />
      <source>Live throughput, KV-cache use, memory and request statistics of the running engine.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="115" />
      <source>Serve the loaded model through an OpenAI-compatible API on your network.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="166" />
      <source>Loading a model…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="168" />
      <source>%1
on %2</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/main_window.cpp" line="170" />
      <source>No model loaded</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::MessageView</name>
    <message>
      <location filename="../ui/message_view.cpp" line="41" />
      <source>You</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="41" />
      <source>Assistant</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="70" />
      <location filename="../ui/message_view.cpp" line="108" />
      <source>Copy message</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="73" />
      <source>Copy code blocks</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="89" />
      <source>Send</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="91" />
      <source>Cancel</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="111" />
      <source>Copy code</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="113" />
      <source>Code</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="117" />
      <source>Edit and resend</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="123" />
      <source>Regenerate</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="146" />
      <source>Thinking…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="146" />
      <source>Show reasoning</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="155" />
      <source>· stopped</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="157" />
      <source>· interrupted</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="159" />
      <source>· failed</source>
      <translation />
    </message>
    <message numerus="yes">
      <source>%n tokens</source>
      <translation>
        <numerusform>%n token</numerusform>
        <numerusform>%n tokens</numerusform>
      </translation>
    </message>
    <message>
      <source>%1 tok/s</source>
      <translation />
    </message>
    <message>
      <source>first token %1 s</source>
      <translation />
    </message>
    <message>
      <source>prompt %1 (%2 cached)</source>
      <translation />
    </message>
    <message>
      <source>prompt %1</source>
      <translation />
    </message>
    <message>
      <source>Reply tokens · generation speed · time to first token · prompt tokens (served from the prefix cache)</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::ModelsPage</name>
    <message>
      <location filename="../ui/models_page.cpp" line="27" />
      <source>Models</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="28" />
      <source>Models on this computer. Load one, then chat with it on the Chat page.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="34" />
      <source>Import folder…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="36" />
      <source>Rescan</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="43" />
      <source>Estimate memory for a context of</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="47" />
      <source> tokens</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="66" />
      <source>Chat</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="68" />
      <location filename="../ui/models_page.cpp" line="222" />
      <source>Unload</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="96" />
      <source>Import a model folder</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="116" />
      <source>Could not load %1: %2</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="136" />
      <source>Loading %1…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="140" />
      <source>&lt;b&gt;%1&lt;/b&gt; is loaded on %2 (%3), context %4 tokens.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="147" />
      <source>No model is loaded.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="153" />
      <source>Models folder: %1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="155" />
      <source>checked against %1: %2</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="160" />
      <source>Scanning…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="161" />
      <source>No models found. Download one from Discover or import a folder.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="185" />
      <source>Bundled demo</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="186" />
      <source>Imported</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="194" />
      <source>%1 parameters</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="196" />
      <source>context %1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="197" />
      <source>%1 on disk</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="201" />
      <source>Fits: ~%1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="202" />
      <source>Needs ~%1: too large</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="212" />
      <source>Cannot be loaded: %1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="222" />
      <source>Loading…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="222" />
      <source>Load</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="234" />
      <source>Forget</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" line="235" />
      <source>Remove from the library (the folder stays on disk)</source>
      <translation />
    </message>
      <message>
      <location filename="../ui/models_page.cpp" />
      <source>Delete from disk…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" />
      <source>Unload it first</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" />
      <source>Delete from disk</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" />
      <source>Delete %1 from disk? This frees %2.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" />
      <source>Delete</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" />
      <source>Deleted %1 (%2 freed).</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/models_page.cpp" />
      <source>Could not delete %1: %2</source>
      <translation />
    </message>
</context>
  <context>
    <name>pagoda::ui::SettingsPage</name>
    <message>
      <location filename="../ui/settings_page.cpp" line="35" />
      <source>Settings</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="36" />
      <source>Where models live, how they run, and how Pagoda looks.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="39" />
      <source>Models</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="44" />
      <source>Browse…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="47" />
      <location filename="../ui/settings_page.cpp" line="51" />
      <source>Models folder</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="62" />
      <source>Engine</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="66" />
      <source>Automatic (GPU when available)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="67" />
      <source>CPU</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="68" />
      <source>NVIDIA GPU (CUDA)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="74" />
      <source> tokens</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="76" />
      <source>Default device</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="77" />
      <source>Context length</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="83" />
      <source>Appearance</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="90" />
      <source>Language</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="95" />
      <source>Remote endpoints</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="101" />
      <source>Add endpoint</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="107" />
      <source>e.g. Office GPU server</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="114" />
      <location filename="../ui/settings_page.cpp" line="193" />
      <source>Stored in the system keychain</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="116" />
      <source>Save</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="118" />
      <source>Remove</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="123" />
      <source>Any OpenAI-compatible server: Pagoda's own, vLLM, or a hosted API. Chats pick their target in the Chat page.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="127" />
      <source>Name</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="128" />
      <source>Base URL</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="129" />
      <source>Model</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="130" />
      <source>API key</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="147" />
      <source>Enter the base URL of the server.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="157" />
      <location filename="../ui/settings_page.cpp" line="194" />
      <source>Saved (enter a new key to replace it)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/settings_page.cpp" line="158" />
      <source>Saved.</source>
      <translation />
    </message>
  </context>
  <context>
      <name>pagoda::ui::DiscoverPage</name>
      <message>
          <location filename="../ui/discover_page.cpp" line="60"/>
          <source>Discover</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="61"/>
          <source>Search ModelScope or Hugging Face for open models and check that one fits this computer before you download it.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="66"/>
          <source>Hub</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="69"/>
          <source>ModelScope</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="70"/>
          <source>Hugging Face</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="71"/>
          <source>Custom mirror…</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="74"/>
          <source>https://hf-mirror.com  or  ms+http://127.0.0.1:8765</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="77"/>
          <source>An access token for private or gated models, kept in the system keychain</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="93"/>
          <source>Search models, e.g. Qwen3</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="97"/>
          <source>Most downloads</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="98"/>
          <source>Most likes</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="99"/>
          <source>Recently updated</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="101"/>
          <source>Any task</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="102"/>
          <source>Text generation</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="104"/>
          <source>Any library</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="107"/>
          <source>Search</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="130"/>
          <source>Previous</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="131"/>
          <source>Next</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="151"/>
          <source>Choose a model to see its card, files and whether it fits.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="179"/>
          <source>Branch or tag to download</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="180"/>
          <source>Download</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="183"/>
          <source>Download selected files</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="185"/>
          <source>Revision</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="206"/>
          <source>File</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="206"/>
          <source>Size</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="239"/>
          <source>Hub access token</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="240"/>
          <source>Token for %1 (leave empty to remove it):</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="298"/>
          <source>Search failed: %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="303"/>
          <source>Could not open the model: %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="320"/>
          <source>%1 was added to &lt;a href=&quot;downloads&quot;&gt;Downloads&lt;/a&gt;.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="327"/>
          <source>Could not download %1: %2</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="349"/>
          <source>Token saved</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="349"/>
          <source>Access token…</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="357"/>
          <source>Not a hub URL: %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="380"/>
          <source>Searching %1…</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="398"/>
          <source>%1 downloads</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="399"/>
          <source>%1 likes</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="400"/>
          <source>updated %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="413"/>
          <source>Page %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="416"/>
          <source>No models found.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="418"/>
          <source>Models found: %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="421"/>
          <source>The hub did not filter by %1; this page was filtered here.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="436"/>
          <source>Opening %1…</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="449"/>
          <source>Files: %1 (%2)</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="457"/>
          <source>License: %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="481"/>
          <source>no sha256 from the hub (checked by size)</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="488"/>
          <source>Download (%1)</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="492"/>
          <source>*This model has no README.*</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="507"/>
          <source>Estimating whether it fits…</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="512"/>
          <source>No fit estimate: %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="524"/>
          <source>Fits %1: needs about %2 with a %3-token context.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="525"/>
          <source>Too large for %1: needs about %2 with a %3-token context.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="530"/>
          <source>%1 parameters</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="532"/>
          <source>context %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/discover_page.cpp" line="553"/>
          <source>Adding %1 to Downloads…</source>
          <translation/>
      </message>
      <message>
      <location filename="../ui/discover_page.cpp" />
      <source>Partly downloaded</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/discover_page.cpp" />
      <source>Installed</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/discover_page.cpp" />
      <source>Update (%1)</source>
      <translation />
    </message>
</context>
  <context>
      <name>pagoda::app::DownloadService</name>
      <message>
          <location filename="../app/services/download_service.cpp" line="204"/>
          <source>The download queue is not open.</source>
          <translation/>
      </message>
  </context>
  <context>
      <name>pagoda::ui::DownloadsPage</name>
      <message>
          <location filename="../ui/downloads_page.cpp" line="18"/>
          <source>Queued</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="19"/>
          <source>Downloading</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="20"/>
          <source>Paused</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="21"/>
          <source>Completed</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="22"/>
          <source>Failed</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="23"/>
          <source>Canceled</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="48"/>
          <source>%1 of %2</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="51"/>
          <source>Listing files…</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="54"/>
          <source>%1/s</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="57"/>
          <source>%1 left</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="60"/>
          <source>file %1 of %2</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="67"/>
          <source>%1 of %2 files</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="85"/>
          <source>Downloads</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="86"/>
          <source>Models being downloaded into your library. Downloads resume after a pause, a lost connection or a restart, and every file is checked against the hub&apos;s checksum.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="96"/>
          <source> at once</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="97"/>
          <source>How many models download at the same time</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="129"/>
          <source>Saving to %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="136"/>
          <source>Nothing is downloading. Find a model on the Discover page.</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="171"/>
          <source>Pause</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="172"/>
          <source>Resume</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="175"/>
          <source>Retry</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="177"/>
          <source>Cancel</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="180"/>
          <source>Show in Models</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="182"/>
          <source>Remove</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="195"/>
          <source>Move up</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="196"/>
          <source>Move down</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="200"/>
          <source>revision %1</source>
          <translation/>
      </message>
    <message>
          <location filename="../ui/downloads_page.cpp" line="201"/>
          <source>only %1</source>
          <translation/>
      </message>
  </context>
  <context>
    <name>pagoda::app::ApiServerService</name>
    <message>
      <location filename="../app/services/api_server_service.cpp" line="57" />
      <source>the key is missing</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/api_server_service.cpp" line="194" />
      <source>cannot read the API key from the system keychain (%1). Generate a new key to serve.</source>
      <translation />
    </message>
    <message>
      <location filename="../app/services/api_server_service.cpp" />
      <source>listening on the network needs an API key, or any device on it could use the model. Generate a key, or turn off &quot;Allow other devices&quot;.</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::ServerPage</name>
    <message>
      <location filename="../ui/server_page.cpp" line="82" />
      <source>Server</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="83" />
      <source>Serve the loaded model through an OpenAI-compatible API, for your own scripts, editors and apps.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="93" />
      <source>Local API</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="137" />
      <source>Connection</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="143" />
      <source>Allow other devices on the network (0.0.0.0)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="148" />
      <source>e.g. http://localhost:3000, or * for any site</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="149" />
      <source>Web pages from these origins may call the API from a browser.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="150" />
      <source>Port</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="151" />
      <source>Network</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="152" />
      <source>CORS origins</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="155" />
      <source>API key</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="161" />
      <source>No key: every client is accepted</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="163" />
      <source>Generate</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="165" />
      <location filename="../ui/server_page.cpp" line="196" />
      <location filename="../ui/server_page.cpp" line="215" />
      <source>Copy</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="167" />
      <location filename="../ui/server_page.cpp" line="275" />
      <source>Show</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="170" />
      <source>Remove</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="178" />
      <source>Kept only in the system keychain. Clients send it as &quot;Authorization: Bearer &lt;key&gt;&quot;; the examples read it from the PAGODA_API_KEY environment variable.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="188" />
      <source>Use it</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="191" />
      <source>Base URL</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="208" />
      <source>Python (openai package)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="226" />
      <source>Requests</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="231" />
      <source>Time</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="231" />
      <source>Request</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="231" />
      <source>Status</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="231" />
      <source>Tokens (in / out)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="231" />
      <source>Latency</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="249" />
      <source>The latest %1 requests, newest first. Prompts and replies are not recorded.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="253" />
      <source>Clear</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="275" />
      <source>Hide</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="321" />
      <source>Turn off</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="321" />
      <source>Turn on</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="326" />
      <source>Off</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="328" />
      <source>The API is off. Turn it on to let other apps on this computer use the loaded model.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="332" />
      <location filename="../ui/server_page.cpp" line="336" />
      <source>Starting</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="333" />
      <source>Reading the API key from the system keychain…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="337" />
      <source>Starting…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="341" />
      <source>On</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="342" />
      <source>Listening on %1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="346" />
      <source>Error</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="347" />
      <source>Could not start: %1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="357" />
      <source>Serving %1 (%2). Clients name it &quot;%1&quot;.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="360" />
      <source>A model is loading; requests get 503 until it is ready.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="363" />
      <source>No model is loaded: requests get 503 until you load one on the Models page.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="370" />
      <source>&lt;b&gt;Not listening on your network: there is no API key.&lt;/b&gt; Any device that can reach this computer could use the model; generate a key below.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="372" />
      <source>&lt;b&gt;Exposed to your network.&lt;/b&gt; Any device that can reach this computer and has the API key can use the model.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="375" />
      <source>Other devices connect to %1.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="438" />
      <source>%1 ms</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" line="439" />
      <source>%1 s</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" />
      <source>e.g. mybox.lan, .example.com</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" />
      <source>Host names clients may use to reach the API, besides 127.0.0.1 and localhost (and this computer's addresses when other devices are allowed). Requests naming any other host are refused, so a web page cannot reach the API through a name it controls.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/server_page.cpp" />
      <source>Allowed hosts</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::app::TelemetryWorker</name>
    <message>
      <source>No model is loaded. Load one on the Models page to see the engine.</source>
      <translation />
    </message>
    <message>
      <source>No NVIDIA driver was found (NVML is not installed), so there are no GPU numbers. The engine&apos;s own numbers are shown.</source>
      <translation />
    </message>
    <message>
      <source>The NVIDIA driver is too old for GPU telemetry (%1).</source>
      <translation />
    </message>
    <message>
      <source>GPU telemetry stopped: %1. Pagoda keeps trying; the engine&apos;s own numbers are shown meanwhile.</source>
      <translation />
    </message>
    <message>
      <source>%1 did not answer: %2</source>
      <translation />
    </message>
    <message>
      <source>%1 has no vLLM-style engine metrics.</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::DashboardPage</name>
    <message>
      <source>Dashboard</source>
      <translation />
    </message>
    <message>
      <source>Live GPU, KV-cache and throughput of the engine</source>
      <translation />
    </message>
    <message>
      <source>%1 min</source>
      <translation />
    </message>
    <message>
      <source>GPU utilization</source>
      <translation />
    </message>
    <message>
      <source>GPU memory</source>
      <translation />
    </message>
    <message>
      <source>KV cache</source>
      <translation />
    </message>
    <message>
      <source>Generation</source>
      <translation />
    </message>
    <message>
      <source>Running / waiting</source>
      <translation />
    </message>
    <message>
      <source>Used</source>
      <translation />
    </message>
    <message>
      <source>Prefix hits</source>
      <translation />
    </message>
    <message>
      <source>Prompt</source>
      <translation />
    </message>
    <message>
      <source>Generated</source>
      <translation />
    </message>
    <message>
      <source>Running</source>
      <translation />
    </message>
    <message>
      <source>Waiting</source>
      <translation />
    </message>
    <message>
      <source>Time to first token</source>
      <translation />
    </message>
    <message>
      <source>Inter-token</source>
      <translation />
    </message>
    <message>
      <source>GPU utilization and memory (%)</source>
      <translation />
    </message>
    <message>
      <source>KV cache (%)</source>
      <translation />
    </message>
    <message>
      <source>Tokens per second</source>
      <translation />
    </message>
    <message>
      <source>Requests</source>
      <translation />
    </message>
    <message>
      <source>Latency, ms (p50; p90 dashed)</source>
      <translation />
    </message>
    <message>
      <source>GPUs and memory by process</source>
      <translation />
    </message>
    <message>
      <source>Local engine</source>
      <translation />
    </message>
    <message>
      <source>Remote: %1</source>
      <translation />
    </message>
    <message>
      <source>Utilization</source>
      <translation />
    </message>
    <message>
      <source>GPU %1 util</source>
      <translation />
    </message>
    <message>
      <source>Memory</source>
      <translation />
    </message>
    <message>
      <source>GPU %1 memory</source>
      <translation />
    </message>
    <message>
      <source>no GPU telemetry</source>
      <translation />
    </message>
    <message>
      <source>%1 %</source>
      <translation />
    </message>
    <message numerus="yes">
      <source>average of %n GPUs</source>
      <translation>
        <numerusform>average of %n GPU</numerusform>
        <numerusform>average of %n GPUs</numerusform>
      </translation>
    </message>
    <message>
      <source>of %1 (%2 %)</source>
      <translation />
    </message>
    <message>
      <source>no engine</source>
      <translation />
    </message>
    <message>
      <source>%1 / %2 blocks</source>
      <translation />
    </message>
    <message>
      <source>hits %1 %</source>
      <translation />
    </message>
    <message>
      <source>%1 tok/s</source>
      <translation />
    </message>
    <message>
      <source>prompt %1 tok/s</source>
      <translation />
    </message>
    <message numerus="yes">
      <source>%n preempted</source>
      <translation>
        <numerusform>%n preempted</numerusform>
        <numerusform>%n preempted</numerusform>
      </translation>
    </message>
    <message>
      <source>Waiting for the first sample…</source>
      <translation />
    </message>
    <message>
      <source>No GPU numbers: see above.</source>
      <translation />
    </message>
    <message>
      <source>%1 °C</source>
      <translation />
    </message>
    <message>
      <source>%1 / %2 W</source>
      <translation />
    </message>
    <message>
      <source>%1 W</source>
      <translation />
    </message>
    <message>
      <source>SM %1 MHz</source>
      <translation />
    </message>
    <message>
      <source>memory %1 MHz</source>
      <translation />
    </message>
    <message>
      <source>GPU %1 · %2</source>
      <translation />
    </message>
    <message>
      <source>process %1</source>
      <translation />
    </message>
    <message>
      <source>%1 (this app)</source>
      <translation />
    </message>
    <message>
      <source>unknown</source>
      <translation />
    </message>
    <message>
      <source>No processes use this GPU.</source>
      <translation />
    </message>
    <message numerus="yes">
      <source>and %n more</source>
      <translation>
        <numerusform>and %n more</numerusform>
        <numerusform>and %n more</numerusform>
      </translation>
    </message>
  </context>
  <context>
    <name>pagoda::ui::QuantVariantsView</name>
    <message>
      <location filename="../ui/quant_variants_view.cpp" line="19" />
      <source>Precisions of this model</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/quant_variants_view.cpp" line="24" />
      <source>Repository</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/quant_variants_view.cpp" line="24" />
      <source>Format</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/quant_variants_view.cpp" line="24" />
      <source>Weights</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/quant_variants_view.cpp" line="24" />
      <source>Fit</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/quant_variants_view.cpp" line="54" />
      <source>checking…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/quant_variants_view.cpp" line="62" />
      <source>fits (~%1)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/quant_variants_view.cpp" line="63" />
      <source>too large (~%1)</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::ChatPage</name>
    <message>
      <location filename="../ui/chat_page.cpp" line="62" />
      <source>New chat (Ctrl+N)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="66" />
      <source>Search chats (Ctrl+F or Ctrl+K)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="40" />
      <source>Undo</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="104" />
      <source>Chats</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="108" />
      <source>Show or hide the list of chats</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="121" />
      <source>Show or hide the system prompt and sampling options</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="184" />
      <source>Send (Enter; Shift+Enter for a new line)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="187" />
      <source>Stop the reply (Esc)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="190" />
      <source>Write the last reply again (the current one stays as a version)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="699" />
      <source>Loading %1… Your message stays in the box: press Enter once it is loaded.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="703" />
      <source>No model is loaded. Your message was not sent; it stays in the box.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_page.cpp" line="718" />
      <source>Deleted “%1”</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::ChatWelcome</name>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="55" />
      <source>Looking for a GPU…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="57" />
      <source>No NVIDIA GPU found — Pagoda runs on the CPU, slowly</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="61" />
      <source>%1, %2 — models up to %3 in 4-bit fit</source>
      <translation />
    </message>
    <message numerus="yes">
      <location filename="../ui/chat_welcome.cpp" line="20" />
      <source>(%n more GPU(s) found)</source>
      <translation>
        <numerusform>(%n more GPU found)</numerusform>
        <numerusform>(%n more GPUs found)</numerusform>
      </translation>
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="76" />
      <source>Welcome to Pagoda</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="90" />
      <source>Try one of these:</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="100" />
      <source>Send this to the loaded model</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="140" />
      <source>%1 is loaded and ready.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="142" />
      <source>Loading %1…</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="144" />
      <source>No model yet: find one on the Discover page.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="147" />
      <source>Pick up where you left off, or load another model on the Models page.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="149" />
      <source>demo-chat is a tiny model bundled with Pagoda: it answers the questions below (capitals, small sums, counting) and nothing more.</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="153" />
      <source>Load %1</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/chat_welcome.cpp" line="153" />
      <source>Load demo-chat</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::MessageView</name>
    <message>
      <location filename="../ui/message_view.cpp" line="44" />
      <source>Previous version</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="52" />
      <source>Next version</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="120" />
      <source>Send the edited message (Enter)</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="84" />
      <source>Copy</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="99" />
      <source>Edit</source>
      <translation />
    </message>
    <message>
      <location filename="../ui/message_view.cpp" line="142" />
      <source>Regenerate (the current reply stays as a version)</source>
      <translation />
    </message>
  </context>
  <context>
    <name>pagoda::ui::MainWindow</name>
    <message>
      <location filename="../ui/main_window.cpp" line="81" />
      <source>%1 (Ctrl+%2)</source>
      <translation />
    </message>
  </context>
<!-- ui-rest strings: begin -->
<context>
  <name>pagoda::app::KeyStore</name>
  <message>
    <source>no system keychain (Secret Service or KWallet) is running</source>
    <translation />
  </message>
  <message>
    <source>the system keychain refused access</source>
    <translation />
  </message>
  <message>
    <source>the system keychain is not available (%1)</source>
    <translation />
  </message>
</context>
<context>
  <name>pagoda::app::ModelLibrary</name>
  <message>
    <source>%1 is not a folder.</source>
    <translation />
  </message>
  <message>
    <source>%1 is not a model folder: it has no config.json. Choose the folder that holds the model&apos;s config.json and *.safetensors files.</source>
    <translation />
  </message>
</context>
<context>
  <name>EngineMessages</name>
  <message>
    <source>Running on the CPU, as chosen in Settings.</source>
    <translation />
  </message>
  <message>
    <source>Running on the NVIDIA GPU %1 (CUDA).</source>
    <translation />
  </message>
  <message>
    <source>Running on the CPU (slower): the NVIDIA GPU cannot be used, because %1.</source>
    <translation />
  </message>
  <message>
    <source>The NVIDIA GPU (CUDA) cannot be used: %1</source>
    <translation />
  </message>
  <message>
    <source>No engine can run on the device &quot;%1&quot;.</source>
    <translation />
  </message>
  <message>
    <source>Unknown device &quot;%1&quot;: choose CPU, CUDA or automatic.</source>
    <translation />
  </message>
  <message>
    <source>Connection trouble: retrying in %1 s.</source>
    <translation />
  </message>
  <message>
    <source>A file arrived damaged: downloading it again.</source>
    <translation />
  </message>
  <message>
    <source>The hub has no such model, revision or file.</source>
    <translation />
  </message>
  <message>
    <source>The hub refused access: this model needs an access token (Discover).</source>
    <translation />
  </message>
  <message>
    <source>The hub had a server error; retry later.</source>
    <translation />
  </message>
  <message>
    <source>A downloaded file was damaged (checksum mismatch).</source>
    <translation />
  </message>
  <message>
    <source>The disk is full.</source>
    <translation />
  </message>
  <message>
    <source>Cannot reach the hub: check the network connection.</source>
    <translation />
  </message>
</context>
<context>
  <name>pagoda::ui::SettingsPage</name>
  <message>
    <source>Set on the Models page (capped at each model&apos;s maximum).</source>
    <translation />
  </message>
  <message>
    <source>Same as the system</source>
    <translation />
  </message>
  <message>
    <source>Light</source>
    <translation />
  </message>
  <message>
    <source>Dark</source>
    <translation />
  </message>
  <message>
    <source>Theme</source>
    <translation />
  </message>
</context>
<context>
  <name>pagoda::ui::ModelsPage</name>
  <message>
    <source>Context length</source>
    <translation />
  </message>
  <message>
    <source>How many tokens of conversation a loaded model keeps; each model is capped at its own maximum.</source>
    <translation />
  </message>
  <message>
    <source>runs with %1 tokens (its maximum)</source>
    <translation />
  </message>
</context>
<context>
  <name>pagoda::ui::ServerPage</name>
  <message>
    <source>Replace the API key</source>
    <translation />
  </message>
  <message>
    <source>Generate a new API key? Clients that use the current key will be refused until they get the new one.</source>
    <translation />
  </message>
  <message>
    <source>Replace key</source>
    <translation />
  </message>
  <message>
    <source>Remove the API key</source>
    <translation />
  </message>
  <message>
    <source>Remove the API key? Any program on this computer can then use the API without one.</source>
    <translation />
  </message>
  <message>
    <source>Remove key</source>
    <translation />
  </message>
  <message>
    <source>The saved key could not be read</source>
    <translation />
  </message>
  <message>
    <source>The saved key could not be read: %1. Generate a new key.</source>
    <translation />
  </message>
  <message>
    <source>There is no system keychain on this desktop, so the key is kept in %1, a file only you can read.</source>
    <translation />
  </message>
  <message>
    <source>Served model</source>
    <translation />
  </message>
  <message>
    <source>Pin a model to have it loaded whenever the API is on.</source>
    <translation />
  </message>
  <message>
    <source>The model&apos;s own name</source>
    <translation />
  </message>
  <message>
    <source>The name clients send as &quot;model&quot; and /v1/models lists.</source>
    <translation />
  </message>
  <message>
    <source>Public name</source>
    <translation />
  </message>
  <message>
    <source>Model</source>
    <translation />
  </message>
  <message>
    <source>Clients send it as &quot;Authorization: Bearer &lt;key&gt;&quot;.</source>
    <translation />
  </message>
  <message>
    <source>The model loaded in Pagoda</source>
    <translation />
  </message>
  <message>
    <source>Serving %1 (%2). Clients name it &quot;%3&quot;.</source>
    <translation />
  </message>
</context>
<context>
  <name>pagoda::ui::DownloadsPage</name>
  <message>
    <source>Cancel the download</source>
    <translation />
  </message>
  <message>
    <source>Cancel the download of %1? The %2 downloaded so far are deleted.</source>
    <translation />
  </message>
  <message>
    <source>Cancel download</source>
    <translation />
  </message>
  <message>
    <source>The download failed.</source>
    <translation />
  </message>
</context>
<!-- ui-rest strings: end -->
</TS>
