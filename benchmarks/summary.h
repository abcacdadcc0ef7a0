// A console reporter that also keeps each benchmark's CPU time per iteration, so a benchmark can
// print its baseline comparison (ratios, overheads, targets) after the table.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>

namespace keraunos::bench {

class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration || r.aggregate_name == "median")
        cpu_us[r.run_name.str()] = r.GetAdjustedCPUTime() * unit_to_us(r.time_unit);
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> cpu_us;  // benchmark name -> CPU time per iteration, microseconds

 private:
  static double unit_to_us(benchmark::TimeUnit u) {
    switch (u) {
      case benchmark::kNanosecond:
        return 1e-3;
      case benchmark::kMicrosecond:
        return 1.0;
      case benchmark::kMillisecond:
        return 1e3;
      default:
        return 1e6;
    }
  }
};

}  // namespace keraunos::bench
