// The dashboard's Qt-free telemetry: the Prometheus text reader, percentiles from histograms, the
// recorder's rates and windows, NVML through the fake driver library (including the driver
// vanishing), and the project's own server's /metrics read back into the same series.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <thread>

#include "engine/core/engine.h"
#include "tests/app/fake_engine_counters.h"
#include "tests/app/fake_nvml_control.h"
#include "app/server/api_server.h"
#include "app/server/metrics.h"
#include "app/telemetry/engine_metrics.h"
#include "app/telemetry/nvml.h"
#include "app/telemetry/prometheus_text.h"
#include "app/telemetry/ring_buffer.h"

namespace pagoda::telemetry {
namespace {

TEST(PrometheusText, SamplesLabelsEscapesAndSpecialValues) {
  const auto t = parse_prometheus_text(
      "# HELP a_total Things.\n"
      "# TYPE a_total counter\n"
      "a_total{model_name=\"m \\\"q\\\" \\\\ x\\ny\",engine=\"0\"} 12 1700000000000\n"
      "\n"
      "  b 3.5e2\r\n"
      "c{le=\"+Inf\"} +Inf\n"
      "d{} NaN\n"
      "e -Inf\n"
      "# a comment\n"
      "broken{x=\"1\" 3\n"
      "f{x=\"1\"} notanumber\n"
      "g 1 2 3\n"
      "name:with:colons{a=\"1\",} 7\n");
  ASSERT_EQ(t.samples.size(), 6u);
  EXPECT_EQ(t.samples[0].name, "a_total");
  EXPECT_EQ(t.samples[0].label("model_name"), "m \"q\" \\ x\ny");
  EXPECT_EQ(t.samples[0].label("engine"), "0");
  EXPECT_DOUBLE_EQ(t.samples[0].value, 12);
  EXPECT_DOUBLE_EQ(t.samples[1].value, 350);
  EXPECT_TRUE(std::isinf(t.samples[2].value) && t.samples[2].value > 0);
  EXPECT_TRUE(std::isnan(t.samples[3].value));
  EXPECT_TRUE(std::isinf(t.samples[4].value) && t.samples[4].value < 0);
  EXPECT_EQ(t.samples[5].name, "name:with:colons");
  EXPECT_EQ(t.skipped_lines, 3);
  EXPECT_EQ(t.type_of("a_total"), "counter");
}

TEST(Histogram, QuantileInterpolatesInsideBuckets) {
  HistogramCounts h{{1, 2, 4}, {10, 20, 30, 40}, 0, 40};
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.25), 1.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.625), 3.0);
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.95), 4.0);  // in +Inf: the last finite bound
  EXPECT_FALSE(histogram_quantile(HistogramCounts{{1}, {0, 0}, 0, 0}, 0.5));
  const HistogramCounts before{{1, 2, 4}, {10, 10, 10, 10}, 0, 10};
  const HistogramCounts d = histogram_delta(h, before);
  EXPECT_EQ(d.cumulative, (std::vector<double>{0, 10, 20, 30}));
  EXPECT_DOUBLE_EQ(*histogram_quantile(d, 0.5), 3.0);  // rank 15 of 30: half-way into (2, 4]
  // A reset (fewer observations than before) counts from zero.
  EXPECT_EQ(histogram_delta(before, h).cumulative, before.cumulative);
}

TEST(RingBuffer, KeepsTheNewest) {
  RingBuffer<int> r(3);
  for (int i = 1; i <= 5; ++i) r.push(i);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], 3);
  EXPECT_EQ(r[2], 5);
  EXPECT_EQ(r.back(), 5);
}

TEST(TelemetryRecorder, RatesWindowsAndResets) {
  TelemetryRecorder rec(10);
  testing::FakeEngineCounters engine;
  TelemetryPoint p;
  for (int t = 0; t <= 30; ++t) {
    const bool slow = t > 20;  // the last 10 s are slower
    engine.ttft_s = slow ? 0.5 : 0.05;
    engine.itl_s = slow ? 0.2 : 0.02;
    const EngineCounters c = engine.at(t, t);
    p = rec.record(1000 * t, nullptr, &c);
  }
  EXPECT_TRUE(p.engine.present);
  EXPECT_NEAR(p.engine.generation_tokens_per_s, 50, 1e-9);
  EXPECT_NEAR(p.engine.prompt_tokens_per_s, 150, 1e-9);
  EXPECT_NEAR(p.engine.kv_usage_percent, 25, 1e-9);
  EXPECT_NEAR(p.engine.kv_blocks_used, 100, 1e-9);
  EXPECT_NEAR(p.engine.prefix_hit_rate_percent, 40, 1e-9);
  // Only the window's (slow) requests count: within one bucket (ratio 1.25) of the truth.
  EXPECT_NEAR(p.engine.ttft_p50_s, 0.5, 0.5 * 0.25);
  EXPECT_NEAR(p.engine.itl_p90_s, 0.2, 0.2 * 0.25);
  // The same snapshot again (no fresher stats yet) repeats the figures instead of a zero rate.
  const EngineCounters again = engine.at(30, 30);
  EXPECT_NEAR(rec.record(31000, nullptr, &again).engine.generation_tokens_per_s, 50, 1e-9);
  // An engine reloaded: counters restart; no negative rate.
  testing::FakeEngineCounters reloaded;
  const EngineCounters fresh = reloaded.at(31, 0.2);
  p = rec.record(32000, nullptr, &fresh);
  EXPECT_EQ(p.engine.generation_tokens_per_s, 0);
  EXPECT_TRUE(std::isnan(p.engine.ttft_p50_s));
  // No engine: no engine figures.
  EXPECT_FALSE(rec.record(33000, nullptr, nullptr).engine.present);
}

TEST(Nvml, MissingLibraryExplainsWhy) {
  Nvml nvml("/nonexistent/libnvidia-ml.so.1");
  EXPECT_FALSE(nvml.available());
  EXPECT_NE(nvml.error().find("no NVIDIA driver"), std::string::npos) << nvml.error();
  std::vector<GpuSample> out;
  EXPECT_FALSE(nvml.sample(out));
  EXPECT_TRUE(out.empty());
}

TEST(Nvml, SamplesTheFakeDriverAndSurvivesItVanishing) {
  testing::FakeNvml fake;
  fake.set_gpu_count(2);
  fake.set_gpu(0, "NVIDIA H200", 141ull << 30);
  fake.set_load(0, 87, 100ull << 30, 612, 71, 1980);
  fake.set_load(1, 3, 2ull << 30, 80, 35, 345);
  fake.clear_processes();
  fake.add_process(0, static_cast<unsigned>(getpid()), "pagoda", 90ull << 30);
  fake.add_process(0, 4242, "Xorg", 300ull << 20);
  for (unsigned pid = 5000; pid < 5020; ++pid)  // more than a first guess of 16 entries
    fake.add_process(1, pid, "python3", (pid - 4990ull) << 20);
  Nvml nvml(PAGODA_FAKE_NVML);
  ASSERT_TRUE(nvml.available()) << nvml.error();
  EXPECT_EQ(fake.init_count(), 1);
  std::vector<GpuSample> gpus;
  ASSERT_TRUE(nvml.sample(gpus)) << nvml.error();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].name, "NVIDIA H200");
  EXPECT_EQ(gpus[0].uuid, "GPU-fake-0");
  EXPECT_EQ(*gpus[0].utilization_percent, 87);
  EXPECT_EQ(gpus[0].memory_used_bytes, 100ull << 30);
  EXPECT_EQ(gpus[0].memory_total_bytes, 141ull << 30);
  EXPECT_EQ(*gpus[0].temperature_c, 71);
  EXPECT_DOUBLE_EQ(*gpus[0].power_w, 612);
  EXPECT_DOUBLE_EQ(*gpus[0].power_limit_w, 350);
  EXPECT_EQ(*gpus[0].sm_clock_mhz, 1980u);
  EXPECT_EQ(*gpus[0].sm_clock_max_mhz, 1980u);
  ASSERT_EQ(gpus[0].processes.size(), 2u);  // compute and graphics
  EXPECT_TRUE(gpus[0].processes[0].is_self);
  EXPECT_EQ(*gpus[0].processes[0].used_bytes, 90ull << 30);
  EXPECT_EQ(gpus[0].processes[1].name, "Xorg");
  ASSERT_EQ(gpus[1].processes.size(), 20u);
  EXPECT_EQ(gpus[1].processes[0].pid, 5019u);  // largest first
  EXPECT_EQ(gpus[1].processes[0].name, "python3");

  fake.vanish(15);
  EXPECT_FALSE(nvml.sample(gpus));
  EXPECT_FALSE(nvml.available());
  EXPECT_NE(nvml.error().find("GPU is lost"), std::string::npos) << nvml.error();
  EXPECT_FALSE(nvml.reopen());
  EXPECT_NE(nvml.error().find("Driver Not Loaded"), std::string::npos) << nvml.error();
  fake.vanish(0);
  ASSERT_TRUE(nvml.reopen()) << nvml.error();
  EXPECT_TRUE(nvml.sample(gpus));
  EXPECT_EQ(gpus.size(), 2u);
  fake.set_gpu_count(1);
  fake.clear_processes();
}

std::string get_metrics(int port) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/metrics");
  EXPECT_TRUE(r);
  return r ? r->body : std::string{};
}

// The project's own server: /metrics after real generations on demo-chat, parsed into the
// counters and then the series the dashboard charts.
TEST(ServerMetricsPage, ParsesIntoTheDashboardSeries) {
  EngineConfig config;
  config.model_dir = std::filesystem::path(PAGODA_TEST_DATA) / "models/demo-chat";
  config.device = "cpu";
  config.cpu_kv_cache_bytes = 64ull << 20;
  std::shared_ptr<Engine> engine = Engine::load(config);
  server::ServerOptions o;
  o.port = 0;
  server::ApiServer server(o);
  server.set_engine(engine);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60, 0);
  auto ask = [&](const char* question) {
    const std::string body = std::string(R"({"messages":[{"role":"user","content":")") +
                             question + R"("}],"temperature":0,"stream":true})";
    auto r = c.Post("/v1/chat/completions", body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  };
  TelemetryRecorder rec(60);
  const auto t0 = std::chrono::steady_clock::now();
  auto snapshot = [&] {
    const std::string text = get_metrics(server.port());
    auto counters = engine_counters_from_prometheus(parse_prometheus_text(text));
    EXPECT_TRUE(counters) << text;
    counters->time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return *counters;
  };
  ask("Hello!");
  const EngineCounters first = snapshot();
  rec.record(0, nullptr, &first);
  ask("What is the capital of China?");
  ask("What is the capital of China?");  // the second one hits the prefix cache
  const EngineCounters second = snapshot();
  const EngineStats stats = engine->stats();
  EXPECT_EQ(second.generation_tokens, stats.generation_tokens_total);
  EXPECT_EQ(second.prompt_tokens, stats.prompt_tokens_total);
  EXPECT_EQ(second.prefix_cache_queries, stats.prefix_cache_queries);
  EXPECT_EQ(second.prefix_cache_hits, stats.prefix_cache_hits);
  EXPECT_GT(second.prefix_cache_hits, first.prefix_cache_hits);
  EXPECT_EQ(second.running, 0);
  EXPECT_EQ(second.ttft.count, 3);
  EXPECT_EQ(second.ttft.cumulative.back(), 3);
  EXPECT_EQ(second.ttft.bounds.front(), 0.001);  // vLLM's buckets
  EXPECT_GT(second.itl.count, 3);

  const TelemetryPoint p = rec.record(1000, nullptr, &second);
  ASSERT_TRUE(p.engine.present);
  const double dt = second.time_s - first.time_s;
  EXPECT_NEAR(p.engine.generation_tokens_per_s,
              (second.generation_tokens - first.generation_tokens) / dt, 1e-6);
  EXPECT_GT(p.engine.generation_tokens_per_s, 0);
  EXPECT_GT(p.engine.prompt_tokens_per_s, 0);
  EXPECT_NEAR(p.engine.prefix_hit_rate_percent,
              100 * (second.prefix_cache_hits - first.prefix_cache_hits) /
                  (second.prefix_cache_queries - first.prefix_cache_queries),
              1e-9);
  // Two requests in the window: their TTFTs lie in (0, the slowest observed].
  EXPECT_GT(p.engine.ttft_p50_s, 0);
  EXPECT_LE(p.engine.ttft_p50_s, p.engine.ttft_p90_s);
  EXPECT_GT(p.engine.itl_p50_s, 0);
  server.stop();
}

}  // namespace
}  // namespace pagoda::telemetry
