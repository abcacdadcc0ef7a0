// The pass manager: ordering, timings, dumps, stop-after, verification after each pass, env options.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "ir/verifier.h"
#include "passes/pass_manager.h"
#include "test_util.h"

namespace keraunos {
namespace {

const char* kTrace = R"(def f(a: "cpu f32[2]"):
  t0 = prims.exp(a)  # t0: "cpu f32[2]"
  t1 = prims.exp(a)  # t1: "cpu f32[2]"
  t2 = prims.sin(a)  # t2: "cpu f32[2]"
  return (t0, t1)
)";

TEST(PassManager, RunsInOrderWithTimings) {
  Trace t = testing::parse(kTrace);
  auto res = make_pipeline({"dce", "cse", "dce"}).run(t, {});
  ASSERT_EQ(res.timings.size(), 3u);
  EXPECT_EQ(res.timings[0].name, "dce");
  EXPECT_EQ(res.timings[1].name, "cse");
  EXPECT_GE(res.timings[1].ms, 0.0);
  EXPECT_EQ(t.bsyms.size(), 1u);
  EXPECT_EQ(res.notes.size(), 2u);
}

TEST(PassManager, DumpsSelectedPasses) {
  Trace t = testing::parse(kTrace);
  std::ostringstream os;
  PipelineOptions o;
  o.dump = {"cse"};
  o.dump_stream = &os;
  make_pipeline({"dce", "cse"}).run(t, o);
  EXPECT_NE(os.str().find("# after cse (pass 2)"), std::string::npos) << os.str();
  EXPECT_EQ(os.str().find("# after dce"), std::string::npos);
  std::ostringstream all;
  o.dump = {"all"};
  o.dump_stream = &all;
  Trace t2 = testing::parse(kTrace);
  make_pipeline({"dce", "cse"}).run(t2, o);
  EXPECT_NE(all.str().find("# after dce (pass 1)"), std::string::npos);
}

TEST(PassManager, StopAfterCountAndName) {
  Trace t = testing::parse(kTrace);
  PipelineOptions o;
  o.stop_after_count = 1;
  auto res = make_pipeline({"dce", "cse"}).run(t, o);
  EXPECT_TRUE(res.stopped_early);
  EXPECT_EQ(res.timings.size(), 1u);
  EXPECT_EQ(t.bsyms.size(), 2u);  // cse did not run
  Trace t2 = testing::parse(kTrace);
  PipelineOptions o2;
  o2.stop_after_name = "cse";
  auto res2 = make_pipeline({"cse", "dce"}).run(t2, o2);
  EXPECT_EQ(res2.timings.size(), 1u);
}

TEST(PassManager, VerifyEachCatchesABrokenPass) {
  Trace t = testing::parse(kTrace);
  PassManager pm;
  pm.add(Pass{"break",
              [](Trace& tr, PassContext&) {
                std::swap(tr.bsyms[0], tr.bsyms[2]);
                tr.bsyms[2].outputs = tr.bsyms[0].outputs;
              },
              ""});
  PipelineOptions o;
  o.verify_each = true;
  try {
    pm.run(t, o);
    FAIL();
  } catch (const VerifyError& e) {
    EXPECT_NE(std::string(e.what()).find("after pass 'break'"), std::string::npos) << e.what();
  }
}

TEST(PassManager, HistoryKeepsSnapshots) {
  Trace t = testing::parse(kTrace);
  PipelineOptions o;
  o.keep_history = true;
  auto res = make_pipeline({"dce", "cse"}).run(t, o);
  ASSERT_EQ(res.history.size(), 2u);
  EXPECT_EQ(res.history[0].second.bsyms.size(), 2u);
  EXPECT_EQ(res.history[1].second.bsyms.size(), 1u);
}

TEST(PassManager, UnknownPassListsKnownOnes) {
  try {
    make_pipeline({"dce", "nope"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown pass 'nope' (known passes: cse, dce, verify)"), std::string::npos) << e.what();
  }
}

TEST(PassManager, OptionsFromEnvironment) {
  setenv("KERAUNOS_DUMP", "dce, cse", 1);
  setenv("KERAUNOS_STOP_AFTER", "3", 1);
  setenv("KERAUNOS_VERIFY", "1", 1);
  auto o = PipelineOptions::from_env();
  EXPECT_EQ(o.dump, (std::vector<std::string>{"dce", "cse"}));
  EXPECT_EQ(o.stop_after_count, 3);
  EXPECT_TRUE(o.verify_each);
  setenv("KERAUNOS_STOP_AFTER", "cse", 1);
  EXPECT_EQ(PipelineOptions::from_env().stop_after_name, "cse");
  unsetenv("KERAUNOS_DUMP");
  unsetenv("KERAUNOS_STOP_AFTER");
  unsetenv("KERAUNOS_VERIFY");
}

}  // namespace
}  // namespace keraunos
