// Tools and reasoning through the official `openai` npm client, unmodified, against a server
// whose fake engine writes what a real model writes: the last user message "REPLY:<text>" makes
// it write <text> (tests/app/test_server_tools.cpp). The model's template is Qwen3's own.
// Usage: node tools.mjs BASE_URL MODEL. Exits non-zero on the first failed check.
import assert from "node:assert/strict";
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 60000 });
let checks = 0;
const check = (name, fn) => fn().then(() => { checks++; console.log("ok", name); });

const tools = [
  { type: "function", function: { name: "get_weather", description: "Weather of a city",
    parameters: { type: "object", properties: { city: { type: "string" },
      unit: { type: "string", enum: ["celsius", "fahrenheit"] } }, required: ["city"] } } },
  { type: "function", function: { name: "get_time", description: "Time in a zone",
    parameters: { type: "object", properties: { tz: { type: "string" } } } } },
];
const call = (name, args) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
const reply = (text) => [{ role: "user", content: "REPLY:" + text }];

const checkCall = (c, name, args) => {
  assert.match(c.id, /^call_[A-Za-z0-9]+$/);
  assert.equal(c.type, "function");
  assert.equal(c.function.name, name);
  assert.equal(typeof c.function.arguments, "string");
  assert.deepEqual(JSON.parse(c.function.arguments), args);
};

// A streamed choice assembled from its deltas by hand, checking each delta's shape.
async function assemble(stream) {
  const out = { content: "", reasoning: "", calls: [], finish: null, role: null };
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    for (const c of chunk.choices) {
      const d = c.delta;
      if (d.role) out.role = d.role;
      if (d.content) out.content += d.content;
      if (d.reasoning_content) out.reasoning += d.reasoning_content;
      for (const t of d.tool_calls ?? []) {
        if (t.index === out.calls.length) {
          assert.match(t.id, /^call_/);
          assert.equal(t.type, "function");
          assert.equal(typeof t.function.name, "string");
          assert.equal(t.function.arguments, "");
          out.calls.push({ id: t.id, type: t.type, function: { name: t.function.name, arguments: "" } });
        } else {
          assert.ok(t.index < out.calls.length, "a delta for a call that was never opened");
          assert.equal(t.id, undefined);
          out.calls[t.index].function.arguments += t.function.arguments;
        }
      }
      if (c.finish_reason) out.finish = c.finish_reason;
    }
  }
  return out;
}

await check("tools non-streamed", async () => {
  const r = await client.chat.completions.create({
    model, tools, messages: reply("Let me look.\n" + call("get_weather", { city: "Beijing", unit: "celsius" })),
  });
  const c = r.choices[0];
  assert.equal(c.finish_reason, "tool_calls");
  assert.equal(c.message.role, "assistant");
  assert.equal(c.message.content, "Let me look.");
  assert.equal(c.message.tool_calls.length, 1);
  checkCall(c.message.tool_calls[0], "get_weather", { city: "Beijing", unit: "celsius" });
});

await check("tools streamed (deltas assembled)", async () => {
  const text = call("get_weather", { city: "北京 \"center\"" }) + "\n" + call("get_time", { tz: "Asia/Shanghai" });
  const s = await assemble(await client.chat.completions.create({ model, tools, messages: reply(text), stream: true }));
  assert.equal(s.role, "assistant");
  assert.equal(s.finish, "tool_calls");
  assert.equal(s.content, "");
  assert.equal(s.calls.length, 2);
  checkCall(s.calls[0], "get_weather", { city: "北京 \"center\"" });
  checkCall(s.calls[1], "get_time", { tz: "Asia/Shanghai" });
  assert.notEqual(s.calls[0].id, s.calls[1].id);
});

await check("tools streamed (the client's own stream helper)", async () => {
  const runner = client.chat.completions.stream({
    model, tools, messages: reply(call("get_time", { tz: "UTC" })),
  });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].finish_reason, "tool_calls");
  checkCall(final.choices[0].message.tool_calls[0], "get_time", { tz: "UTC" });
});

await check("tool_choice auto with a plain answer", async () => {
  const r = await client.chat.completions.create({ model, tools, tool_choice: "auto", messages: reply("It is sunny.") });
  assert.equal(r.choices[0].finish_reason, "stop");
  assert.equal(r.choices[0].message.content, "It is sunny.");
  assert.deepEqual(r.choices[0].message.tool_calls ?? [], []);
});

await check("tool_choice none", async () => {
  const text = call("get_time", { tz: "UTC" });
  const r = await client.chat.completions.create({ model, tools, tool_choice: "none", messages: reply(text) });
  assert.equal(r.choices[0].finish_reason, "stop");
  assert.equal(r.choices[0].message.content, text);
});

await check("tool_choice required", async () => {
  const r = await client.chat.completions.create({
    model, tools, tool_choice: "required",
    messages: reply(JSON.stringify([{ name: "get_weather", parameters: { city: "Paris" } }])),
  });
  assert.equal(r.choices[0].finish_reason, "tool_calls");
  assert.equal(r.choices[0].message.tool_calls.length, 1);
  checkCall(r.choices[0].message.tool_calls[0], "get_weather", { city: "Paris" });
});

await check("tool_choice named function", async () => {
  const tool_choice = { type: "function", function: { name: "get_weather" } };
  const r = await client.chat.completions.create({
    model, tools, tool_choice, messages: reply(JSON.stringify({ city: "Oslo" })),
  });
  checkCall(r.choices[0].message.tool_calls[0], "get_weather", { city: "Oslo" });
  const s = await assemble(await client.chat.completions.create({
    model, tools, tool_choice, stream: true, messages: reply(JSON.stringify({ city: "Oslo" })),
  }));
  assert.equal(s.calls.length, 1);
  checkCall(s.calls[0], "get_weather", { city: "Oslo" });
});

await check("tool-result round trip", async () => {
  const messages = [{ role: "user", content: "REPLY:" + call("get_weather", { city: "Beijing" }) }];
  const first = await client.chat.completions.create({ model, tools, messages });
  const assistant = first.choices[0].message;
  assert.equal(assistant.content, null);
  messages.push(assistant);  // sent back as the client got it: arguments as a string, content null
  messages.push({ role: "tool", tool_call_id: assistant.tool_calls[0].id, content: '{"temperature": 21}' });
  const second = await client.chat.completions.create({ model, tools, messages });
  // The fake echoes the last user turn of the prompt: the template rendered the tool result there.
  assert.equal(second.choices[0].message.content,
    'You said: <tool_response>\n{"temperature": 21}\n</tool_response>');
  assert.equal(second.choices[0].finish_reason, "stop");
});

await check("reasoning_content", async () => {
  const text = "<think>\nThe user wants a greeting.\n</think>\n\nHello!";
  const r = await client.chat.completions.create({ model, messages: reply(text) });
  assert.equal(r.choices[0].message.reasoning_content, "The user wants a greeting.");
  assert.equal(r.choices[0].message.content, "Hello!");
  const s = await assemble(await client.chat.completions.create({ model, messages: reply(text), stream: true }));
  assert.equal(s.reasoning, "The user wants a greeting.");
  assert.equal(s.content, "Hello!");
  assert.equal(s.finish, "stop");
});

await check("reasoning then a tool call", async () => {
  const r = await client.chat.completions.create({
    model, tools, messages: reply("<think>\nNeed data.\n</think>\n\n" + call("get_time", { tz: "UTC" })),
  });
  assert.equal(r.choices[0].message.reasoning_content, "Need data.");
  checkCall(r.choices[0].message.tool_calls[0], "get_time", { tz: "UTC" });
  assert.equal(r.choices[0].finish_reason, "tool_calls");
});

await check("enable_thinking false", async () => {
  const r = await client.chat.completions.create({
    model, messages: reply("Just the answer."), chat_template_kwargs: { enable_thinking: false },
  });
  assert.equal(r.choices[0].message.content, "Just the answer.");
  assert.equal(r.choices[0].message.reasoning_content, null);
});

await check("malformed call stays content", async () => {
  const text = '<tool_call>\n{"name": "get_weather", "arguments": {"city": }\n</tool_call>';
  const r = await client.chat.completions.create({ model, tools, messages: reply(text) });
  assert.equal(r.choices[0].message.content, text);
  assert.equal(r.choices[0].finish_reason, "stop");
});

const expect400 = async (param, body) => {
  try { await client.chat.completions.create({ model, ...body }); } catch (e) {
    assert.ok(e instanceof OpenAI.BadRequestError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.param ?? e.error?.param, param);
    return;
  }
  assert.fail("expected HTTP 400");
};

await check("error: bad tool", () => expect400("tools", { messages: reply("x"), tools: [{ type: "function" }] }));
await check("error: unknown named function", () => expect400("tool_choice", {
  messages: reply("x"), tools, tool_choice: { type: "function", function: { name: "nope" } } }));

console.log(`PASS ${checks} checks`);
