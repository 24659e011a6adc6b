// The sweep's early termination policies: hand-computed cases from the documented formulas
// (Azure's Bandit, median stopping and truncation selection; Ray Tune's ASHA), the intervals they
// act at, finished trials, ties, order independence, the reasons' numbers, and bad parameters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/sweep_policies.hpp"

namespace glia::platform::sweeps {
namespace {

using testing_util::error_of;

// A running trial whose values are at intervals 1, 2, ...
TrialMetrics trial(const std::string& id, const std::vector<double>& values,
                   bool finished = false) {
  TrialMetrics t{id, {}, finished};
  for (size_t i = 0; i < values.size(); ++i)
    t.series.emplace_back(static_cast<int64_t>(i + 1), values[i]);
  return t;
}

std::vector<std::string> ids(const std::vector<Termination>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) out.push_back(t.trial);
  return out;
}

using Ids = std::vector<std::string>;

BanditPolicy bandit_factor(double f, int64_t interval = 1, int64_t delay = 0) {
  BanditPolicy p;
  p.slack_factor = f;
  p.evaluation_interval = interval;
  p.delay_evaluation = delay;
  return p;
}

BanditPolicy bandit_amount(double a) {
  BanditPolicy p;
  p.slack_amount = a;
  return p;
}

// ---- Bandit ----

TEST(BanditPolicy, MaximizeStopsTrialsBelowBestOverOnePlusSlackFactor) {
  // At interval 2 the best is 0.8; 0.8 / 1.1 = 0.72727: 0.7 is below it, 0.73 is not.
  std::vector<TrialMetrics> trials{trial("a", {0.5, 0.8}), trial("b", {0.6, 0.7}),
                                   trial("c", {0.4, 0.73})};
  const auto out = decide(bandit_factor(0.1), Goal::Maximize, "Accuracy", trials);
  ASSERT_EQ(ids(out), Ids{"b"});
  const auto& reason = out[0].reason;
  EXPECT_NE(reason.find("bandit"), std::string::npos) << reason;
  EXPECT_NE(reason.find("Accuracy 0.7 "), std::string::npos) << reason;
  EXPECT_NE(reason.find("interval 2"), std::string::npos) << reason;
  EXPECT_NE(reason.find("0.8 / (1 + 0.1) = 0.727273"), std::string::npos) << reason;
  EXPECT_EQ(reason.find('\n'), std::string::npos);
}

TEST(BanditPolicy, MaximizeWithSlackAmountStopsBelowBestMinusAmount) {
  // best 0.8, amount 0.05: bound 0.75; 0.74 stops, 0.76 stays.
  std::vector<TrialMetrics> trials{trial("a", {0.8}), trial("b", {0.74}), trial("c", {0.76})};
  const auto out = decide(bandit_amount(0.05), Goal::Maximize, "Accuracy", trials);
  ASSERT_EQ(ids(out), Ids{"b"});
  EXPECT_NE(out[0].reason.find("0.8 - 0.05 = 0.75"), std::string::npos) << out[0].reason;
}

TEST(BanditPolicy, MinimizeStopsAboveBestTimesFactorOrPlusAmount) {
  // best loss 0.5: factor 0.1 -> 0.55, amount 0.05 -> 0.55; 0.56 stops, 0.54 stays.
  std::vector<TrialMetrics> trials{trial("a", {1.0, 0.5}), trial("b", {0.9, 0.56}),
                                   trial("c", {0.8, 0.54})};
  const auto by_factor = decide(bandit_factor(0.1), Goal::Minimize, "loss", trials);
  ASSERT_EQ(ids(by_factor), Ids{"b"});
  EXPECT_NE(by_factor[0].reason.find("0.5 * (1 + 0.1) = 0.55"), std::string::npos)
      << by_factor[0].reason;
  const auto by_amount = decide(bandit_amount(0.05), Goal::Minimize, "loss", trials);
  ASSERT_EQ(ids(by_amount), Ids{"b"});
  EXPECT_NE(by_amount[0].reason.find("0.5 + 0.05 = 0.55"), std::string::npos);
}

TEST(BanditPolicy, TheTrialsBestValueSoFarCountsNotItsLast) {
  // b's last value 0.1 is far below, but its best so far (0.79) is within 0.8 / 1.1.
  std::vector<TrialMetrics> trials{trial("a", {0.5, 0.8}), trial("b", {0.79, 0.1})};
  EXPECT_TRUE(decide(bandit_factor(0.1), Goal::Maximize, "Accuracy", trials).empty());
}

TEST(BanditPolicy, AYoungTrialIsComparedAtItsOwnInterval) {
  // At interval 1 the best is 0.5 (a and c); b's later 0.9 does not count against c yet.
  std::vector<TrialMetrics> trials{trial("a", {0.5, 0.5, 0.5}), trial("b", {0.3, 0.55, 0.9}),
                                   trial("c", {0.5})};
  EXPECT_EQ(ids(decide(bandit_factor(0.1), Goal::Maximize, "Accuracy", trials)), Ids{"a"});
  // And a trial that has not reached an interval does not count there: a is judged at 2,
  // where b (at 1 only) is absent.
  trials = {trial("a", {0.5, 0.5}), trial("b", {0.9})};
  EXPECT_TRUE(decide(bandit_factor(0.1), Goal::Maximize, "Accuracy", trials).empty());
  // Nor does a trial whose first value comes after the interval (its 0.99 is at interval 3).
  TrialMetrics late{"late", {{3, 0.99}}, false};
  trials = {trial("a", {0.5, 0.5}), late};
  EXPECT_TRUE(decide(bandit_factor(0.1, 2), Goal::Maximize, "Accuracy", trials).empty());
}

TEST(BanditPolicy, EvaluationIntervalAndDelayAreHonoured) {
  std::vector<TrialMetrics> trials{trial("a", {0.9, 0.9, 0.9, 0.9}), trial("b", {0.1})};
  // Interval 2: b has reached no evaluation interval yet.
  EXPECT_TRUE(decide(bandit_factor(0.1, 2), Goal::Maximize, "Accuracy", trials).empty());
  trials[1] = trial("b", {0.1, 0.1, 0.1});  // judged at interval 2, as of its third value
  EXPECT_EQ(ids(decide(bandit_factor(0.1, 2), Goal::Maximize, "Accuracy", trials)), Ids{"b"});
  // Delay 4 with interval 2: 2 is too early, 4 is the first evaluation (>= delay, as Azure).
  EXPECT_TRUE(decide(bandit_factor(0.1, 2, 4), Goal::Maximize, "Accuracy", trials).empty());
  trials[1] = trial("b", {0.1, 0.1, 0.1, 0.1});
  EXPECT_EQ(ids(decide(bandit_factor(0.1, 2, 4), Goal::Maximize, "Accuracy", trials)), Ids{"b"});
  // Delay 3 with interval 1: intervals 1 and 2 are skipped, 3 is evaluated.
  trials[1] = trial("b", {0.1, 0.1});
  EXPECT_TRUE(decide(bandit_factor(0.1, 1, 3), Goal::Maximize, "Accuracy", trials).empty());
  trials[1] = trial("b", {0.1, 0.1, 0.1});
  EXPECT_EQ(ids(decide(bandit_factor(0.1, 1, 3), Goal::Maximize, "Accuracy", trials)), Ids{"b"});
}

TEST(BanditPolicy, FinishedTrialsAreNeverStoppedButSetTheBest) {
  std::vector<TrialMetrics> trials{trial("a", {0.9}, true), trial("b", {0.5}, true),
                                   trial("c", {0.5})};
  EXPECT_EQ(ids(decide(bandit_factor(0.1), Goal::Maximize, "Accuracy", trials)), Ids{"c"});
}

TEST(BanditPolicy, ATieWithTheBoundIsNotStopped) {
  std::vector<TrialMetrics> trials{trial("a", {0.8}), trial("b", {0.8}), trial("c", {0.75})};
  EXPECT_EQ(ids(decide(bandit_amount(0), Goal::Maximize, "Accuracy", trials)), Ids{"c"});
  EXPECT_TRUE(decide(bandit_amount(0.05), Goal::Maximize, "Accuracy", trials).empty());
}

TEST(BanditPolicy, ANegativeBestKeepsTheSlackOnTheWorseSide) {
  // Maximize, best -1.0, factor 0.1: bound -1.1.
  std::vector<TrialMetrics> trials{trial("a", {-1.0}), trial("b", {-1.05}), trial("c", {-1.2})};
  EXPECT_EQ(ids(decide(bandit_factor(0.1), Goal::Maximize, "score", trials)), Ids{"c"});
}

TEST(BanditPolicy, IdempotentAndIndependentOfTheTrialsOrder) {
  std::vector<TrialMetrics> trials{trial("d", {0.2, 0.3}), trial("a", {0.5, 0.8}),
                                   trial("b", {0.6, 0.7}), trial("c", {0.4, 0.73})};
  const auto first = decide(bandit_factor(0.1), Goal::Maximize, "Accuracy", trials);
  ASSERT_EQ(ids(first), (Ids{"b", "d"}));
  std::reverse(trials.begin(), trials.end());
  const auto second = decide(bandit_factor(0.1), Goal::Maximize, "Accuracy", trials);
  ASSERT_EQ(ids(second), ids(first));
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].reason, second[i].reason);
  EXPECT_EQ(ids(decide(bandit_factor(0.1), Goal::Maximize, "Accuracy", trials)), ids(first));
}

TEST(BanditPolicy, BadParametersAreRefusedNamingTheKey) {
  BanditPolicy neither;
  EXPECT_NE(error_of([&] { neither.check(); }).find("slack_factor"), std::string::npos);
  BanditPolicy both = bandit_factor(0.1);
  both.slack_amount = 0.1;
  EXPECT_NE(error_of([&] { both.check(); }).find("slack_amount"), std::string::npos);
  EXPECT_NE(error_of([] { bandit_factor(-0.1).check(); }).find("slack_factor"), std::string::npos);
  EXPECT_NE(error_of([] { bandit_factor(std::nan("")).check(); }).find("slack_factor"),
            std::string::npos);
  EXPECT_NE(error_of([] { bandit_amount(-1).check(); }).find("slack_amount"), std::string::npos);
  EXPECT_NE(error_of([] { bandit_factor(0.1, 0).check(); }).find("evaluation_interval"),
            std::string::npos);
  EXPECT_NE(error_of([] { bandit_factor(0.1, 1, -1).check(); }).find("delay_evaluation"),
            std::string::npos);
  // decide refuses a bad policy too.
  EXPECT_NE(error_of([&] { decide(neither, Goal::Maximize, "m", {}); }).find("slack_factor"),
            std::string::npos);
  EXPECT_NO_THROW(bandit_factor(0.1).check());
}

TEST(SweepPolicies, BadSeriesAreRefusedNamingTheTrial) {
  const auto p = bandit_factor(0.1);
  TrialMetrics zero{"z", {{0, 0.5}}, false};
  EXPECT_NE(error_of([&] { decide(p, Goal::Maximize, "m", {zero}); }).find("'z'"),
            std::string::npos);
  TrialMetrics backwards{"w", {{2, 0.5}, {2, 0.6}}, false};
  EXPECT_NE(error_of([&] { decide(p, Goal::Maximize, "m", {backwards}); }).find("'w'"),
            std::string::npos);
  TrialMetrics nan{"n", {{1, std::numeric_limits<double>::quiet_NaN()}}, false};
  EXPECT_NE(error_of([&] { decide(p, Goal::Maximize, "m", {nan}); }).find("'n'"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] {
        decide(MedianStoppingPolicy{}, Goal::Maximize, "m", {trial("x", {1}), trial("x", {2})});
      }).find("'x'"),
      std::string::npos);
}

// ---- Median stopping ----

TEST(MedianStoppingPolicy, MaximizeStopsABestBelowTheMedianOfRunningAverages) {
  // At interval 3: averages a 0.4, b 0.2, c 0.5, d 0.5 -> median 0.45; bests a 0.6, b 0.3,
  // c 0.5, d 0.9: only b (0.3) is below.
  std::vector<TrialMetrics> trials{trial("a", {0.2, 0.4, 0.6}), trial("b", {0.1, 0.2, 0.3}),
                                   trial("c", {0.5, 0.5, 0.5}), trial("d", {0.3, 0.3, 0.9})};
  const auto out = decide(MedianStoppingPolicy{}, Goal::Maximize, "Accuracy", trials);
  ASSERT_EQ(ids(out), Ids{"b"});
  EXPECT_NE(out[0].reason.find("median_stopping: Accuracy 0.3 "), std::string::npos)
      << out[0].reason;
  EXPECT_NE(out[0].reason.find("median 0.45 "), std::string::npos) << out[0].reason;
  EXPECT_NE(out[0].reason.find("4 trials"), std::string::npos) << out[0].reason;
  // Without d: averages 0.2, 0.4, 0.5 -> median 0.4; b still below, c (0.5) not.
  trials.pop_back();
  EXPECT_EQ(ids(decide(MedianStoppingPolicy{}, Goal::Maximize, "Accuracy", trials)), Ids{"b"});
}

TEST(MedianStoppingPolicy, MinimizeAndATieWithTheMedianIsNotStopped) {
  // Averages a 0.8, b 1.8, c 0.9 -> median 0.9; bests a 0.6, b 1.6, c 0.9 (== median: stays).
  std::vector<TrialMetrics> trials{trial("a", {1.0, 0.8, 0.6}), trial("b", {2.0, 1.8, 1.6}),
                                   trial("c", {0.9, 0.9, 0.9})};
  EXPECT_EQ(ids(decide(MedianStoppingPolicy{}, Goal::Minimize, "loss", trials)), Ids{"b"});
}

TEST(MedianStoppingPolicy, IntervalsDelayAndFinishedTrialsAreHonoured) {
  std::vector<TrialMetrics> trials{trial("a", {0.2, 0.4, 0.6}), trial("b", {0.1, 0.2, 0.3}),
                                   trial("c", {0.5, 0.5, 0.5})};
  MedianStoppingPolicy delayed;
  delayed.delay_evaluation = 4;
  EXPECT_TRUE(decide(delayed, Goal::Maximize, "Accuracy", trials).empty());
  MedianStoppingPolicy every2;
  every2.evaluation_interval = 2;
  // At interval 2: averages a 0.3, b 0.15, c 0.5 -> median 0.3; b's best 0.2 is below.
  EXPECT_EQ(ids(decide(every2, Goal::Maximize, "Accuracy", trials)), Ids{"b"});
  EXPECT_NE(decide(every2, Goal::Maximize, "Accuracy", trials)[0].reason.find("interval 2"),
            std::string::npos);
  trials[1].finished = true;
  EXPECT_TRUE(decide(MedianStoppingPolicy{}, Goal::Maximize, "Accuracy", trials).empty());
  // Only the trials that reached the interval count: at 2, a (avg 0.5) and c (0.6) give a
  // median 0.55 above a's best 0.5; b (at 1 only, 0.1) would have pulled it down to 0.5.
  trials = {trial("a", {0.5, 0.5}), trial("b", {0.1}), trial("c", {0.6, 0.6})};
  EXPECT_EQ(ids(decide(MedianStoppingPolicy{}, Goal::Maximize, "Accuracy", trials)),
            (Ids{"a", "b"}));
  // A trial whose first value comes after an interval is neither judged nor counted there.
  MedianStoppingPolicy at2;
  at2.evaluation_interval = 2;
  TrialMetrics late{"late", {{3, 0.0}}, false};
  trials = {trial("a", {0.5, 0.5}), trial("c", {0.6, 0.6}), late};
  EXPECT_EQ(ids(decide(at2, Goal::Maximize, "Accuracy", trials)), Ids{"a"});
  // A trial alone is never below its own running average.
  EXPECT_TRUE(
      decide(MedianStoppingPolicy{}, Goal::Maximize, "Accuracy", {trial("x", {0.9, 0.1, 0.1})})
          .empty());
}

TEST(MedianStoppingPolicy, BadParametersAreRefusedNamingTheKey) {
  MedianStoppingPolicy p;
  p.evaluation_interval = 0;
  EXPECT_NE(error_of([&] { p.check(); }).find("evaluation_interval"), std::string::npos);
  p.evaluation_interval = 1;
  p.delay_evaluation = -2;
  EXPECT_NE(error_of([&] { p.check(); }).find("delay_evaluation"), std::string::npos);
}

// ---- Truncation selection ----

TruncationSelectionPolicy truncation(int pct, bool exclude_finished = false) {
  TruncationSelectionPolicy p;
  p.truncation_percentage = pct;
  p.exclude_finished_jobs = exclude_finished;
  return p;
}

TEST(TruncationSelectionPolicy, StopsTheLowestPercentRoundedDown) {
  std::vector<TrialMetrics> trials{trial("a", {0.5, 0.9}), trial("b", {0.5, 0.8}),
                                   trial("c", {0.5, 0.7}), trial("d", {0.5, 0.6})};
  const auto out = decide(truncation(25), Goal::Maximize, "Accuracy", trials);
  ASSERT_EQ(ids(out), Ids{"d"});  // floor(4 * 25%) = 1
  EXPECT_NE(out[0].reason.find("Accuracy 0.6 "), std::string::npos) << out[0].reason;
  EXPECT_NE(out[0].reason.find("ranks 4 of 4"), std::string::npos) << out[0].reason;
  EXPECT_NE(out[0].reason.find("25%"), std::string::npos) << out[0].reason;
  EXPECT_TRUE(decide(truncation(20), Goal::Maximize, "Accuracy", trials).empty());  // floor 0.8
  EXPECT_EQ(ids(decide(truncation(50), Goal::Maximize, "Accuracy", trials)), (Ids{"c", "d"}));
  // Minimize: the bests (lowest so far) are a 0.9, b 0.8, c 0.7, d 0.6: a is the worst.
  std::vector<TrialMetrics> losses{trial("a", {1.0, 0.9}), trial("b", {1.0, 0.8}),
                                   trial("c", {1.0, 0.7}), trial("d", {1.0, 0.6})};
  EXPECT_EQ(ids(decide(truncation(25), Goal::Minimize, "loss", losses)), Ids{"a"});
}

TEST(TruncationSelectionPolicy, TiesAtTheCutAreKept) {
  std::vector<TrialMetrics> trials{trial("a", {0.9}), trial("b", {0.8}), trial("c", {0.6}),
                                   trial("d", {0.6})};
  EXPECT_TRUE(decide(truncation(25), Goal::Maximize, "Accuracy", trials).empty());
  EXPECT_EQ(ids(decide(truncation(50), Goal::Maximize, "Accuracy", trials)), (Ids{"c", "d"}));
}

TEST(TruncationSelectionPolicy, ExcludeFinishedJobsLeavesThemOutOfTheRanking) {
  std::vector<TrialMetrics> trials{trial("a", {0.9}), trial("b", {0.8}), trial("c", {0.7}),
                                   trial("d", {0.1}, true)};
  // Counted: n = 4, floor(4 * 34%) = 1, the lowest is d, which is finished: nobody stops.
  EXPECT_TRUE(decide(truncation(34), Goal::Maximize, "Accuracy", trials).empty());
  // Excluded: n = 3, floor(3 * 34%) = 1: c stops.
  EXPECT_EQ(ids(decide(truncation(34, true), Goal::Maximize, "Accuracy", trials)), Ids{"c"});
}

TEST(TruncationSelectionPolicy, RanksByTheBestSoFarAtTheSameInterval) {
  // d's best up to interval 2 is 0.95; e is judged at interval 1 among all five there.
  std::vector<TrialMetrics> trials{trial("a", {0.5, 0.9}), trial("b", {0.5, 0.8}),
                                   trial("c", {0.5, 0.7}), trial("d", {0.95, 0.1}),
                                   trial("e", {0.4})};
  // interval 2 (a, b, c, d): floor(4 * 25%) = 1 -> c; interval 1 (all five): e lowest.
  EXPECT_EQ(ids(decide(truncation(25), Goal::Maximize, "Accuracy", trials)), (Ids{"c", "e"}));
  TruncationSelectionPolicy every2 = truncation(25);
  every2.evaluation_interval = 2;
  EXPECT_EQ(ids(decide(every2, Goal::Maximize, "Accuracy", trials)), Ids{"c"});
  every2.delay_evaluation = 3;
  EXPECT_TRUE(decide(every2, Goal::Maximize, "Accuracy", trials).empty());
}

TEST(TruncationSelectionPolicy, BadParametersAreRefusedNamingTheKey) {
  for (int bad : {0, 100, -5})
    EXPECT_NE(error_of([&] { truncation(bad).check(); }).find("truncation_percentage"),
              std::string::npos);
  EXPECT_NO_THROW(truncation(1).check());
  EXPECT_NO_THROW(truncation(99).check());
  auto p = truncation(10);
  p.evaluation_interval = -1;
  EXPECT_NE(error_of([&] { p.check(); }).find("evaluation_interval"), std::string::npos);
}

// ---- ASHA ----

AshaPolicy asha(int64_t grace, int64_t max_t, double rf) {
  AshaPolicy p;
  p.grace_period = grace;
  p.max_t = max_t;
  p.reduction_factor = rf;
  return p;
}

TEST(AshaPolicy, RungsAreGraceTimesFactorPowersUpToMaxT) {
  EXPECT_EQ(asha(1, 100, 4).rungs(), (std::vector<double>{1, 4, 16, 64}));
  EXPECT_EQ(asha(2, 50, 3).rungs(), (std::vector<double>{2, 6, 18}));
  EXPECT_EQ(asha(1, 8, 2).rungs(), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(asha(5, 5, 2).rungs(), (std::vector<double>{5}));
}

TEST(AshaPolicy, KeepsOnlyTheTopFractionAtARung) {
  // Rungs 1, 4, 16; all five at interval 4 with 0.9 .. 0.5. For c: the others 0.5, 0.6, 0.8,
  // 0.9, 75th percentile at position 2.25 -> 0.8 + 0.25 * 0.1 = 0.825; for b: others 0.5, 0.6,
  // 0.7, 0.9 -> 0.7 + 0.25 * 0.2 = 0.75, and 0.8 stays.
  std::vector<TrialMetrics> trials;
  const std::vector<std::pair<std::string, double>> at4{
      {"a", 0.9}, {"b", 0.8}, {"c", 0.7}, {"d", 0.6}, {"e", 0.5}};
  for (const auto& [id, v] : at4) trials.push_back(trial(id, {0.5, 0.5, 0.5, v}));
  const auto out = decide(asha(1, 16, 4), Goal::Maximize, "Accuracy", trials);
  ASSERT_EQ(ids(out), (Ids{"c", "d", "e"}));
  EXPECT_NE(out[0].reason.find("asha: Accuracy 0.7 at rung 4"), std::string::npos) << out[0].reason;
  EXPECT_NE(out[0].reason.find("cutoff 0.825"), std::string::npos) << out[0].reason;
  EXPECT_NE(out[0].reason.find("4 other trials"), std::string::npos) << out[0].reason;
  std::reverse(trials.begin(), trials.end());
  EXPECT_EQ(ids(decide(asha(1, 16, 4), Goal::Maximize, "Accuracy", trials)), ids(out));
}

TEST(AshaPolicy, BetweenRungsATrialIsJudgedAtItsLastRungValue) {
  // a reached rung 4 with 0.1 and has improved since (interval 6 < next rung 16): its rung value
  // counts. b alone at rung 4 with 0.5: the cutoff for a is 0.5.
  std::vector<TrialMetrics> trials{trial("a", {0.5, 0.5, 0.5, 0.1, 0.99, 0.99}),
                                   trial("b", {0.5, 0.5, 0.5, 0.5})};
  EXPECT_EQ(ids(decide(asha(1, 16, 4), Goal::Maximize, "Accuracy", trials)), Ids{"a"});
  // The value at a rung is the first at an interval >= the rung (c skips interval 4).
  TrialMetrics c{"c", {{1, 0.5}, {3, 0.5}, {5, 0.05}}, false};
  trials = {c, trial("b", {0.5, 0.5, 0.5, 0.5})};
  const auto out = decide(asha(1, 16, 4), Goal::Maximize, "Accuracy", trials);
  ASSERT_EQ(ids(out), Ids{"c"});
  EXPECT_NE(out[0].reason.find("0.05 at rung 4"), std::string::npos) << out[0].reason;
}

TEST(AshaPolicy, MinimizeTiesAloneAndFinished) {
  // rf 2, rungs 1, 2, 4, 8; losses at 4: a 0.1, b 0.2, c 0.3. c: others 0.1, 0.2 -> median 0.15,
  // 0.3 is above. b: others 0.1, 0.3 -> 0.2, a tie: stays.
  std::vector<TrialMetrics> trials{trial("a", {1, 1, 1, 0.1}), trial("b", {1, 1, 1, 0.2}),
                                   trial("c", {1, 1, 1, 0.3})};
  EXPECT_EQ(ids(decide(asha(1, 8, 2), Goal::Minimize, "loss", trials)), Ids{"c"});
  trials[2].finished = true;
  EXPECT_TRUE(decide(asha(1, 8, 2), Goal::Minimize, "loss", trials).empty());
  EXPECT_TRUE(decide(asha(1, 8, 2), Goal::Minimize, "loss", {trial("x", {9, 9, 9})}).empty());
  // Below the first rung nobody is judged.
  EXPECT_TRUE(
      decide(asha(2, 8, 2), Goal::Minimize, "loss", {trial("x", {0.1}), trial("y", {9})}).empty());
}

// Regression (bench/sweeps.sh): a trial that passed the last rung alone was stopped once a
// second trial reached that rung, after it had logged its last epoch (max_t): its whole budget.
TEST(AshaPolicy, ATrialThatReachedMaxTIsNotStopped) {
  // Rungs 1, 3, 9 (rf 3, max_t 10): a reached 10 with 0.3 at rung 9, b reaches 9 with 0.9.
  std::vector<TrialMetrics> trials{trial("a", {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3}),
                                   trial("b", {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9})};
  EXPECT_TRUE(decide(asha(1, 10, 3), Goal::Maximize, "Accuracy", trials).empty());
  trials[0].series.pop_back();  // at 9 it is judged as before
  EXPECT_EQ(ids(decide(asha(1, 10, 3), Goal::Maximize, "Accuracy", trials)), Ids{"a"});
}

TEST(AshaPolicy, BadParametersAreRefusedNamingTheKey) {
  EXPECT_NE(error_of([] { asha(0, 10, 2).check(); }).find("grace_period"), std::string::npos);
  EXPECT_NE(error_of([] { asha(5, 4, 2).check(); }).find("max_t"), std::string::npos);
  EXPECT_NE(error_of([] { asha(1, 10, 1).check(); }).find("reduction_factor"), std::string::npos);
  EXPECT_NE(error_of([] { asha(1, 10, std::nan("")).check(); }).find("reduction_factor"),
            std::string::npos);
  EXPECT_NE(error_of([] { asha(1, 1000000, 1.0001).check(); }).find("reduction_factor"),
            std::string::npos);                    // about 138,000 rungs
  EXPECT_NO_THROW(asha(1, 1000000, 1.1).check());  // 145 rungs
  EXPECT_NE(
      error_of([] { decide(asha(1, 10, 0.5), Goal::Maximize, "m", {}); }).find("reduction_factor"),
      std::string::npos);
}

}  // namespace
}  // namespace glia::platform::sweeps
