// Store contract: Store::search_runs (MLflow's runs/search in the store) — every operator on
// attributes, metrics, params and tags, runs without a value last, ties by start time then id,
// keyset pages that return every run once in order, deleted runs, unknown experiments.
#include <gtest/gtest.h>

#include <cmath>

#include "glia/error.hpp"
#include "store_contract.hpp"

namespace glia::platform::testing_store {
namespace {

class SearchFixture {
 public:
  explicit SearchFixture(Store& store) : store_(store) {
    // r0..r4 start at 1000..1004 (r3 has no acc, r2 no lr); r5 is deleted; x0 is elsewhere.
    add("r0", 1000, {{"acc", 0.5}, {"loss", 2.0}}, {{"lr", "0.1"}}, {{"team", "vision"}});
    add("r1", 1001, {{"acc", 0.9}}, {{"lr", "0.01"}}, {{"team", "Vision"}});
    add("r2", 1002, {{"acc", 0.9}}, {}, {{"team", "audio"}});
    add("r3", 1003, {}, {{"lr", "0.1"}, {"note", "it's 'quoted'"}}, {});
    add("r4", 1004, {{"acc", -1.0}}, {{"lr", "1e-3"}}, {{"team", "a_b"}});
    add("r5", 1005, {{"acc", 0.7}}, {{"lr", "0.1"}}, {});
    store_.set_run_deleted("r5", 2000.0);
    store_.set_status("r0", RunStatus::Completed, 1100.0);
    store_.set_status("r2", RunStatus::Failed, 1200.0);
    store_.create_run({"elsewhere", "x0", "cmd", "local", {}, {}, {}, {}, false, "x0"});
    store_.log_metrics("x0", {{"acc", 0, 0.95, 1.0}});
    exp_ = store_.find_experiment("search")->id;
  }

  RunSearch query(std::vector<RunCondition> conditions = {}, std::vector<RunOrder> order = {}) {
    RunSearch q;
    q.experiment_ids = {exp_};
    q.conditions = std::move(conditions);
    q.order = std::move(order);
    return q;
  }

  // Every page of `q` (page size `limit`), the ids in order.
  std::vector<std::string> ids(RunSearch q, int64_t limit = 1000) {
    q.limit = limit;
    std::vector<std::string> out;
    for (int pages = 0; pages < 100; ++pages) {
      const RunSearchPage page = store_.search_runs(q);
      EXPECT_LE(static_cast<int64_t>(page.runs.size()), limit);
      for (const SearchedRun& r : page.runs) out.push_back(r.run.id);
      if (page.next_page_token.empty()) return out;
      EXPECT_EQ(static_cast<int64_t>(page.runs.size()), limit);
      q.page_token = page.next_page_token;
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }

  int64_t exp_ = 0;

 private:
  void add(const std::string& id, double start, const std::map<std::string, double>& metrics,
           const std::map<std::string, std::string>& params,
           const std::map<std::string, std::string>& tags) {
    store_.create_run({"search", "name-" + id, "cmd", "local", tags, {}, {}, {}, false, id});
    store_.set_status(id, RunStatus::Running, start);
    std::vector<MetricPoint> points;
    for (const auto& [name, value] : metrics) points.push_back({name, 0, value, start});
    if (!points.empty()) store_.log_metrics(id, points);
    if (!params.empty()) store_.log_params(id, params);
  }
  Store& store_;
};

using V = std::vector<std::string>;

RunCondition metric(const std::string& key, SearchOp op, double value) {
  return {SearchField::Metric, key, op, value, std::nullopt, {}};
}
RunCondition text(SearchField field, const std::string& key, SearchOp op, std::string value) {
  return {field, key, op, std::nullopt, std::move(value), {}};
}
RunCondition list(SearchField field, const std::string& key, SearchOp op, V values) {
  return {field, key, op, std::nullopt, std::nullopt, std::move(values)};
}

TEST_P(StoreContract, SearchRunsComparesMetrics) {
  SearchFixture f(*store_);
  // Default order: start_time descending.
  EXPECT_EQ(f.ids(f.query()), (V{"r4", "r3", "r2", "r1", "r0"}));
  EXPECT_EQ(f.ids(f.query({metric("acc", SearchOp::Gt, 0.5)})), (V{"r2", "r1"}));
  EXPECT_EQ(f.ids(f.query({metric("acc", SearchOp::Ge, 0.5)})), (V{"r2", "r1", "r0"}));
  EXPECT_EQ(f.ids(f.query({metric("acc", SearchOp::Lt, 0.5)})), (V{"r4"}));
  EXPECT_EQ(f.ids(f.query({metric("acc", SearchOp::Le, 0.5)})), (V{"r4", "r0"}));
  EXPECT_EQ(f.ids(f.query({metric("acc", SearchOp::Eq, 0.9)})), (V{"r2", "r1"}));
  // A run without the metric fails != too.
  EXPECT_EQ(f.ids(f.query({metric("acc", SearchOp::Ne, 0.9)})), (V{"r4", "r0"}));
  // A conjunction.
  EXPECT_EQ(f.ids(f.query({metric("acc", SearchOp::Ge, 0.5), metric("loss", SearchOp::Gt, 1)})),
            (V{"r0"}));
  EXPECT_THROW(f.ids(f.query({text(SearchField::Metric, "acc", SearchOp::Eq, "x")})), Error);
  // NaN is no value: it fails every comparison and sorts with the runs that have none.
  store_->log_metrics("r3", {{"z", 0, std::nan(""), 1.0}});
  store_->log_metrics("r1", {{"z", 0, 5.0, 1.0}});
  EXPECT_EQ(f.ids(f.query({metric("z", SearchOp::Gt, 0)})), (V{"r1"}));
  EXPECT_EQ(f.ids(f.query({}, {{SearchField::Metric, "z", false}})),
            (V{"r1", "r4", "r3", "r2", "r0"}));
  EXPECT_EQ(f.ids(f.query({}, {{SearchField::Metric, "z", true}})),
            (V{"r1", "r4", "r3", "r2", "r0"}));
}

TEST_P(StoreContract, SearchRunsComparesParamsAndTags) {
  SearchFixture f(*store_);
  const auto P = SearchField::Param;
  const auto T = SearchField::Tag;
  EXPECT_EQ(f.ids(f.query({text(P, "lr", SearchOp::Eq, "0.1")})), (V{"r3", "r0"}));
  EXPECT_EQ(f.ids(f.query({text(P, "lr", SearchOp::Ne, "0.1")})), (V{"r4", "r1"}));
  EXPECT_EQ(f.ids(f.query({text(P, "lr", SearchOp::Like, "0._%")})), (V{"r3", "r1", "r0"}));
  EXPECT_EQ(f.ids(f.query({list(P, "lr", SearchOp::In, {"0.01", "1e-3"})})), (V{"r4", "r1"}));
  EXPECT_EQ(f.ids(f.query({list(P, "lr", SearchOp::NotIn, {"0.01", "1e-3"})})), (V{"r3", "r0"}));
  EXPECT_EQ(f.ids(f.query({{P, "lr", SearchOp::IsNull, {}, {}, {}}})), (V{"r2"}));
  EXPECT_EQ(f.ids(f.query({{P, "lr", SearchOp::IsNotNull, {}, {}, {}}})),
            (V{"r4", "r3", "r1", "r0"}));
  // Values are bound, never spliced: quotes are just characters.
  EXPECT_EQ(f.ids(f.query({text(P, "note", SearchOp::Eq, "it's 'quoted'")})), (V{"r3"}));
  EXPECT_EQ(f.ids(f.query({text(P, "lr", SearchOp::Eq, "0.1' OR '1'='1")})), V{});
  // LIKE is case-sensitive, ILIKE not; _ is one character, and GLOB's * ? [ are literal.
  EXPECT_EQ(f.ids(f.query({text(T, "team", SearchOp::Like, "v%")})), (V{"r0"}));
  EXPECT_EQ(f.ids(f.query({text(T, "team", SearchOp::ILike, "v%")})), (V{"r1", "r0"}));
  EXPECT_EQ(f.ids(f.query({text(T, "team", SearchOp::Like, "a_b")})), (V{"r4"}));
  EXPECT_EQ(f.ids(f.query({text(T, "team", SearchOp::Like, "a*")})), V{});
  EXPECT_EQ(f.ids(f.query({text(T, "team", SearchOp::Eq, "audio")})), (V{"r2"}));
  EXPECT_EQ(f.ids(f.query({{T, "team", SearchOp::IsNull, {}, {}, {}}})), (V{"r3"}));
  EXPECT_EQ(f.ids(f.query({text(T, "mlflow.runName", SearchOp::Eq, "name-r1")})), (V{"r1"}));
}

TEST_P(StoreContract, SearchRunsComparesAttributes) {
  SearchFixture f(*store_);
  const auto A = SearchField::Attribute;
  EXPECT_EQ(f.ids(f.query({text(A, "run_id", SearchOp::Eq, "r2")})), (V{"r2"}));
  EXPECT_EQ(f.ids(f.query({text(A, "run_name", SearchOp::Like, "name-r%")})).size(), 5u);
  EXPECT_EQ(f.ids(f.query({list(A, "status", SearchOp::In, {"Completed", "Failed"})})),
            (V{"r2", "r0"}));
  EXPECT_EQ(f.ids(f.query({text(A, "status", SearchOp::Ne, "Running")})), (V{"r2", "r0"}));
  // Times in milliseconds.
  EXPECT_EQ(f.ids(f.query({{A, "start_time", SearchOp::Ge, 1003000.0, {}, {}}})), (V{"r4", "r3"}));
  EXPECT_EQ(f.ids(f.query({{A, "start_time", SearchOp::Eq, 1001000.0, {}, {}}})), (V{"r1"}));
  EXPECT_EQ(f.ids(f.query({{A, "end_time", SearchOp::Lt, 1150000.0, {}, {}}})), (V{"r0"}));
  EXPECT_THROW(f.ids(f.query({text(A, "nope", SearchOp::Eq, "x")})), Error);
}

TEST_P(StoreContract, SearchRunsOrdersWithMissingValuesLastAndTiesByStartThenId) {
  SearchFixture f(*store_);
  const RunOrder acc_desc{SearchField::Metric, "acc", false};
  const RunOrder acc_asc{SearchField::Metric, "acc", true};
  // r1 and r2 tie on acc: the later start first; r3 has no acc: last either way.
  EXPECT_EQ(f.ids(f.query({}, {acc_desc})), (V{"r2", "r1", "r0", "r4", "r3"}));
  EXPECT_EQ(f.ids(f.query({}, {acc_asc})), (V{"r4", "r0", "r2", "r1", "r3"}));
  EXPECT_EQ(f.ids(f.query({}, {{SearchField::Param, "lr", true}})),
            (V{"r1", "r3", "r0", "r4", "r2"}));
  EXPECT_EQ(f.ids(f.query({}, {{SearchField::Param, "lr", false}, acc_asc})),
            (V{"r4", "r0", "r3", "r1", "r2"}));
  // Text orders by bytes: "Vision" < "a_b" < "audio" < "vision".
  EXPECT_EQ(f.ids(f.query({}, {{SearchField::Tag, "team", true}})),
            (V{"r1", "r4", "r2", "r0", "r3"}));
  EXPECT_EQ(f.ids(f.query({}, {{SearchField::Attribute, "start_time", true}})),
            (V{"r0", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ(f.ids(f.query({}, {{SearchField::Attribute, "end_time", false}})),
            (V{"r2", "r0", "r4", "r3", "r1"}));
}

TEST_P(StoreContract, SearchRunsPagesReturnEveryRunOnceInOrder) {
  SearchFixture f(*store_);
  // Many ties: runs 0..29, acc i % 3 (some none), same start for pairs.
  for (int i = 0; i < 30; ++i) {
    const std::string id = "p" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    store_->create_run({"paged", "", "cmd", "local", {}, {}, {}, {}, false, id});
    store_->set_status(id, RunStatus::Running, 500.0 + i / 2);
    if (i % 4 != 0) store_->log_metrics(id, {{"acc", 0, static_cast<double>(i % 3), 1.0}});
  }
  RunSearch q;
  q.experiment_ids = {store_->find_experiment("paged")->id};
  for (const auto& order : std::vector<std::vector<RunOrder>>{
           {},
           {{SearchField::Metric, "acc", false}},
           {{SearchField::Metric, "acc", true}},
           {{SearchField::Metric, "acc", true}, {SearchField::Attribute, "run_id", false}}}) {
    q.order = order;
    const V all = f.ids(q);
    ASSERT_EQ(all.size(), 30u);
    for (int64_t size : {1, 2, 7, 29, 30}) EXPECT_EQ(f.ids(q, size), all) << "page size " << size;
  }
  // Expected order by acc ascending: values 0, 1, 2 then none; within, start desc then id.
  q.order = {{SearchField::Metric, "acc", true}};
  const V all = f.ids(q, 4);
  EXPECT_EQ(all.front(), "p27");  // acc 0 (27 % 3), the latest start among acc 0 (p26 has none)
  EXPECT_EQ(all.back(), "p00");   // no acc, the earliest start
}

TEST_P(StoreContract, SearchRunsKeepsDeletedRunsApartAndRefusesForeignTokens) {
  SearchFixture f(*store_);
  RunSearch q = f.query();
  q.lifecycle = RunLifecycle::Deleted;
  EXPECT_EQ(f.ids(q), (V{"r5"}));
  q.lifecycle = RunLifecycle::All;
  EXPECT_EQ(f.ids(q), (V{"r5", "r4", "r3", "r2", "r1", "r0"}));
  q.limit = 1;
  const RunSearchPage page = store_->search_runs(q);
  ASSERT_EQ(page.runs.size(), 1u);
  EXPECT_TRUE(page.runs[0].deleted);
  EXPECT_EQ(page.runs[0].experiment_id, f.exp_);
  EXPECT_EQ(page.runs[0].run.display_name, "name-r5");

  // A token for another order, or not the store's, is refused.
  RunSearch other = q;
  other.order = {{SearchField::Metric, "acc", true}};
  other.page_token = page.next_page_token;
  EXPECT_THROW(store_->search_runs(other), Error);
  other.page_token = "zz";
  EXPECT_THROW(store_->search_runs(other), Error);
  other.page_token = "7b7d";  // "{}"
  EXPECT_THROW(store_->search_runs(other), Error);
  q.limit = 0;
  EXPECT_THROW(store_->search_runs(q), Error);

  // Unknown experiments have no runs; several experiments are searched together.
  RunSearch none;
  none.experiment_ids = {f.exp_ + 1000};
  EXPECT_TRUE(store_->search_runs(none).runs.empty());
  none.experiment_ids = {};
  EXPECT_TRUE(store_->search_runs(none).runs.empty());
  RunSearch both = f.query({metric("acc", SearchOp::Gt, 0.8)});
  both.experiment_ids.push_back(store_->find_experiment("elsewhere")->id);
  EXPECT_EQ(f.ids(both), (V{"x0", "r2", "r1"}));  // x0 never started: created later
}

// Store::count_runs: the runs a search matches in all, whatever its order and page.
TEST_P(StoreContract, CountRunsCountsWhatTheSearchMatches) {
  SearchFixture f(*store_);
  const std::vector<RunSearch> queries = {
      f.query(),
      f.query({metric("acc", SearchOp::Ge, 0.5)}),
      f.query({metric("acc", SearchOp::Ne, 0.9)}),
      f.query({text(SearchField::Tag, "team", SearchOp::ILike, "vision")}),
      f.query({text(SearchField::Param, "lr", SearchOp::Eq, "0.1"),
               text(SearchField::Attribute, "status", SearchOp::Eq, "Completed")}),
      f.query({}, {{SearchField::Metric, "acc", false}}),
      f.query({list(SearchField::Attribute, "run_id", SearchOp::In, {})})};
  for (RunSearch q : queries)
    for (const RunLifecycle l : {RunLifecycle::Active, RunLifecycle::Deleted, RunLifecycle::All}) {
      q.lifecycle = l;
      EXPECT_EQ(store_->count_runs(q), static_cast<int64_t>(f.ids(q).size()));
    }
  RunSearch q = f.query();
  EXPECT_EQ(store_->count_runs(q), 5);
  q.limit = 1;  // the page does not change the count
  q.page_token = store_->search_runs(q).next_page_token;
  EXPECT_EQ(store_->count_runs(q), 5);
  RunSearch both = f.query();
  both.experiment_ids.push_back(store_->find_experiment("elsewhere")->id);
  EXPECT_EQ(store_->count_runs(both), 6);
  RunSearch none;
  EXPECT_EQ(store_->count_runs(none), 0);
  EXPECT_THROW(store_->count_runs(f.query({metric("acc", SearchOp::Like, 1)})), Error);
}

}  // namespace
}  // namespace glia::platform::testing_store
