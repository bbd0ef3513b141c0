// Drives a running pagoda server with the official `openai` npm client, unmodified.
// Usage: node client.mjs BASE_URL API_KEY MODEL. Exits non-zero on the first failed check.
import assert from "node:assert/strict";
import OpenAI from "openai";

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60000 });
const question = [{ role: "user", content: "What is the capital of China?" }];
const answer = "The capital of China is Beijing.";
let checks = 0;
const check = (name, fn) => fn().then(() => { checks++; console.log("ok", name); });

await check("models.list", async () => {
  const models = await client.models.list();
  assert.equal(models.data.length, 1);
  assert.equal(models.data[0].id, model);
  assert.equal(models.data[0].object, "model");
});

await check("chat", async () => {
  const r = await client.chat.completions.create({ model, messages: question, temperature: 0 });
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, "chat.completion");
  assert.equal(r.model, model);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(r.choices[0].message.content, answer);
  assert.equal(r.choices[0].finish_reason, "stop");
  assert.ok(r.usage.prompt_tokens > 0);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

await check("chat content parts", async () => {
  const r = await client.chat.completions.create({
    model, temperature: 0,
    messages: [{ role: "user", content: [{ type: "text", text: "What is the capital of China?" }] }],
  });
  assert.equal(r.choices[0].message.content, answer);
});

await check("chat stream", async () => {
  const stream = await client.chat.completions.create({
    model, messages: question, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = "", role = null, finish = null, usage = null, id = null, chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, "chat.completion.chunk");
    id ??= chunk.id;
    assert.equal(chunk.id, id);
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta.role) role = c.delta.role;
      if (c.delta.content) text += c.delta.content;
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.ok(chunks > 3);
  assert.equal(role, "assistant");
  assert.equal(text, answer);
  assert.equal(finish, "stop");
  assert.ok(usage && usage.completion_tokens > 0);
});

await check("n=3", async () => {
  const r = await client.chat.completions.create({ model, messages: question, temperature: 0, n: 3 });
  assert.equal(r.choices.length, 3);
  r.choices.forEach((c, i) => { assert.equal(c.index, i); assert.equal(c.message.content, answer); });
});

await check("stop", async () => {
  const r = await client.chat.completions.create({ model, messages: question, temperature: 0, stop: ["Beijing"] });
  assert.equal(r.choices[0].message.content, "The capital of China is ");
  assert.equal(r.choices[0].finish_reason, "stop");
});

await check("max_completion_tokens", async () => {
  const r = await client.chat.completions.create({ model, messages: question, temperature: 0, max_completion_tokens: 2 });
  assert.equal(r.choices[0].finish_reason, "length");
  assert.equal(r.usage.completion_tokens, 2);
});

await check("logprobs", async () => {
  const r = await client.chat.completions.create({ model, messages: question, temperature: 0, logprobs: true, top_logprobs: 3 });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, r.usage.completion_tokens);
  assert.equal(content[0].top_logprobs.length, 3);
  assert.ok(content[0].logprob <= 0);
});

await check("completions", async () => {
  const r = await client.completions.create({ model, prompt: "The capital of", max_tokens: 5, temperature: 0, ignore_eos: true });
  assert.match(r.id, /^cmpl-/);
  assert.equal(r.object, "text_completion");
  assert.equal(r.choices[0].finish_reason, "length");
  assert.equal(r.usage.completion_tokens, 5);
  assert.equal(typeof r.choices[0].text, "string");
});

await check("completions stream", async () => {
  const stream = await client.completions.create({ model, prompt: "Hello", max_tokens: 4, temperature: 0, stream: true, ignore_eos: true });
  let finish = null, pieces = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "text_completion");
    for (const c of chunk.choices) { pieces++; if (c.finish_reason) finish = c.finish_reason; }
  }
  assert.ok(pieces >= 4);
  assert.equal(finish, "length");
});

const expectError = async (status, type, fn) => {
  try { await fn(); } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, status, e.message);
    if (type) assert.equal(e.type ?? e.error?.type, type);
    return;
  }
  assert.fail(`expected HTTP ${status}`);
};

await check("error: unknown model", () => expectError(400, "invalid_request_error", () =>
  client.chat.completions.create({ model: "no-such-model", messages: question })));
await check("error: n out of range", () => expectError(400, "invalid_request_error", () =>
  client.chat.completions.create({ model, messages: question, n: 0 })));
await check("error: bad messages", () => expectError(400, "invalid_request_error", () =>
  client.chat.completions.create({ model, messages: "hello" })));
await check("error: prompt too long", () => expectError(400, "invalid_request_error", () =>
  client.completions.create({ model, prompt: "word ".repeat(100000), max_tokens: 1 })));
await check("error: tools on a template without tool support", async () => {
  try {
    await client.chat.completions.create({ model, messages: question,
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }] });
  } catch (e) {
    assert.ok(e instanceof OpenAI.BadRequestError, String(e));
    assert.equal(e.param ?? e.error?.param, "tools");
    return;
  }
  assert.fail("expected HTTP 400");
});
await check("tool_choice none on that template answers", async () => {
  const r = await client.chat.completions.create({ model, messages: question, temperature: 0, tool_choice: "none",
    tools: [{ type: "function", function: { name: "get_weather" } }] });
  assert.equal(r.choices[0].message.content, answer);
});
await check("error: wrong key", () => expectError(401, "authentication_error", () =>
  new OpenAI({ baseURL, apiKey: "wrong", maxRetries: 0 }).models.list()));

console.log(`PASS ${checks} checks`);
