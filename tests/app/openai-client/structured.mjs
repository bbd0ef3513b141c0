// Structured output through the official `openai` npm client, unmodified, against a running
// pagoda server on a random-weight model (noise unless constrained).
// Usage: node structured.mjs BASE_URL MODEL. Exits non-zero on the first failed check.
import assert from "node:assert/strict";
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0, timeout: 120000 });
let checks = 0;
const check = (name, fn) => fn().then(() => { checks++; console.log("ok", name); });
const messages = [{ role: "user", content: "A city as JSON." }];
const schema = {
  type: "object",
  properties: {
    city: { type: "string", minLength: 1, maxLength: 12 },
    population: { type: "integer", minimum: 0, maximum: 40000000 },
    coastal: { type: "boolean" },
    districts: { type: "array", items: { enum: ["north", "south", "东城"] }, minItems: 1, maxItems: 3 },
  },
  required: ["city", "population", "coastal", "districts"],
  additionalProperties: false,
};
const checkCity = (text) => {
  const v = JSON.parse(text);
  assert.deepEqual(Object.keys(v), ["city", "population", "coastal", "districts"]);  // schema order
  assert.equal(typeof v.city, "string");
  assert.ok([...v.city].length >= 1 && [...v.city].length <= 12);
  assert.ok(Number.isInteger(v.population) && v.population >= 0 && v.population <= 40000000);
  assert.equal(typeof v.coastal, "boolean");
  assert.ok(Array.isArray(v.districts) && v.districts.length >= 1 && v.districts.length <= 3);
  for (const d of v.districts) assert.ok(["north", "south", "东城"].includes(d));
};
const responseFormat = { type: "json_schema", json_schema: { name: "city", schema, strict: true } };

await check("json_schema strict", async () => {
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({
      model, messages, temperature: 1, seed, max_tokens: 300, response_format: responseFormat,
    });
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.object, "chat.completion");
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, "assistant");
    assert.equal(r.choices[0].finish_reason, "stop");
    checkCity(r.choices[0].message.content);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  }
});

await check("json_schema strict, streamed", async () => {
  const stream = await client.chat.completions.create({
    model, messages, temperature: 1, seed: 9, max_tokens: 300, stream: true,
    response_format: responseFormat,
  });
  let text = "", finish = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    const c = chunk.choices[0];
    if (!c) continue;
    text += c.delta.content ?? "";
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.equal(finish, "stop");
  checkCity(text);
});

await check("json_object", async () => {
  const r = await client.chat.completions.create({
    model, messages, temperature: 1, seed: 4, max_tokens: 60,
    response_format: { type: "json_object" },
  });
  const text = r.choices[0].message.content;
  assert.equal(text[0], "{");
  if (r.choices[0].finish_reason === "stop") assert.equal(typeof JSON.parse(text), "object");
  else assert.equal(r.choices[0].finish_reason, "length");
});

await check("unsupported keyword is a 400 with param", async () => {
  await assert.rejects(
    client.chat.completions.create({
      model, messages, response_format: {
        type: "json_schema", json_schema: { name: "x", schema: { type: "object", patternProperties: { "^a": {} } } },
      },
    }),
    (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.param, "response_format");
      assert.equal(e.type, "invalid_request_error");
      assert.match(e.message, /patternProperties/);
      return true;
    });
});

console.log(`PASS ${checks} checks`);
