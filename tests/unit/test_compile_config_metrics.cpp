// Compile configs' metrics and losses as Keras writes them: names, metric objects with their
// arguments (honoured and written back, anything else refused naming the class and option) and
// metric/loss functions ({"class_name": "function"}).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "error_of.hpp"
#include "glia/glia.hpp"
#include "glia/saving.hpp"
#include "temp_dir.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing_util::error_of;

std::shared_ptr<Model> small() {
  auto m = std::make_shared<Sequential>("small");
  m->add(std::make_shared<InputLayer>(Shape{4}, "in"));
  m->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  m->initialize_weights(1);
  m->compile({.optimizer = make_optimizer("sgd", 0.01),
              .loss = Loss::parse("categorical_crossentropy"),
              .metrics = {"accuracy"}});
  return m;
}

/// A .keras-style config of `small()` with this compile config, loaded (no weights needed).
std::shared_ptr<Model> with_compile_config(const json& compile) {
  json cfg = json::parse(model_to_json(*small(), ConfigStyle::keras3));
  cfg["compile_config"] = compile;
  LoadOptions o;
  o.require_weights = false;
  return load_model_from_memory(cfg.dump(), ModelFormat::json_pair, o, "c.json").model;
}

json compile_with(const json& metrics, const json& loss = "categorical_crossentropy") {
  return {{"optimizer", "sgd"}, {"loss", loss}, {"metrics", metrics}};
}

json keras_object(const std::string& cls, const json& config) {
  return {{"module", "keras.metrics"},
          {"class_name", cls},
          {"config", config},
          {"registered_name", nullptr}};
}

json keras_function(const std::string& name) {
  return {{"module", "builtins"},
          {"class_name", "function"},
          {"config", name},
          {"registered_name", "function"}};
}

TEST(CompileConfigMetrics, ObjectArgumentsAreHonouredAndNamed) {
  auto m = with_compile_config(compile_with(
      {keras_object("TopKCategoricalAccuracy",
                    {{"name", "top_k_categorical_accuracy"}, {"dtype", "float32"}, {"k", 3}}),
       keras_object("BinaryAccuracy",
                    {{"name", "binary_accuracy"}, {"dtype", "float32"}, {"threshold", 0.1}}),
       keras_object("Accuracy", {{"name", "accuracy"}, {"dtype", "float32"}}),
       keras_object("MeanSquaredError", {{"name", "my_mse"}, {"dtype", "float32"}})}));
  const auto& ms = m->compile_options().metrics;
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[0].kind, MetricKind::top_k_categorical_accuracy);
  EXPECT_EQ(ms[0].k, 3);
  EXPECT_EQ(ms[1].kind, MetricKind::binary_accuracy);
  EXPECT_DOUBLE_EQ(ms[1].threshold, 0.1);
  EXPECT_EQ(ms[2].kind, MetricKind::accuracy);  // Keras' Accuracy class, not "accuracy"
  EXPECT_EQ(ms[3].kind, MetricKind::mean_squared_error);
  EXPECT_EQ(ms[3].name, "my_mse");  // resolved by class, the name kept (the logs' key)
  Tensor x({2, 4}), y = Tensor::from({2, 3}, {1, 0, 0, 0, 1, 0});
  const Logs logs = m->evaluate(x, y);
  EXPECT_TRUE(logs.count("my_mse"));
  EXPECT_TRUE(logs.count("top_k_categorical_accuracy"));
}

// Regression: "accuracy" and Keras' Accuracy class both log as "accuracy"; the logs kept one of
// them. Keras names repeats name_1, name_2, ... in the order compiled.
TEST(CompileConfigMetrics, MetricsOfOneNameLogAsKerasNamesThem) {
  auto m = with_compile_config(compile_with(
      {"accuracy", keras_object("Accuracy", {{"name", "accuracy"}, {"dtype", "float32"}}),
       "accuracy"}));
  // Predictions are one-hot rows that never equal the targets' values: categorical accuracy 1/2,
  // Keras' Accuracy (y_true == y_pred, element-wise) differs from it.
  Tensor x({2, 4}), y = Tensor::from({2, 3}, {1, 0, 0, 0, 1, 0});
  const Logs logs = m->evaluate(x, y);
  ASSERT_TRUE(logs.count("accuracy") && logs.count("accuracy_1") && logs.count("accuracy_2"))
      << logs.size();
  EXPECT_EQ(logs.at("accuracy"), logs.at("accuracy_2"));  // the same metric twice
  EXPECT_NE(logs.at("accuracy"), logs.at("accuracy_1"));  // the class: another computation
}

TEST(CompileConfigMetrics, EveryClassRoundTripsInEveryFormat) {
  // Derived from metric_classes(): each with a custom name and non-default arguments.
  auto m = small();
  CompileOptions o = m->compile_options();
  o.metrics.clear();
  for (const MetricClass& c : metric_classes()) {
    MetricSpec s = MetricSpec::object(c.kind, std::string("my_") + c.default_name);
    s.k = 2;
    s.threshold = 0.25;
    o.metrics.push_back(s);
    if (c.kind != MetricKind::accuracy) o.metrics.push_back(MetricSpec::function(c.default_name));
  }
  o.metrics.push_back("acc");
  m->compile(o);
  const fs::path dir = testing_util::fresh_test_dir("compile_metrics");
  fs::create_directories(dir);
  for (const char* file : {"m.keras", "m.h5"}) {
    const std::string path = (dir / file).string();
    save_model(*m, path);
    const auto back = load_model(path).model->compile_options().metrics;
    ASSERT_EQ(back.size(), o.metrics.size()) << file;
    for (size_t i = 0; i < back.size(); ++i) {
      const MetricSpec& want = o.metrics[i];
      EXPECT_EQ(back[i].name, want.name) << file << " " << i;
      EXPECT_EQ(back[i].kind, want.kind) << file << " " << want.name;
      const auto& args = want.form == MetricSpec::Form::object ? metric_class(want.kind)->arguments
                                                               : std::vector<const char*>{};
      for (const char* a : args) {
        if (std::string(a) == "k") {
          EXPECT_EQ(back[i].k, 2) << file << " " << want.name;
        } else if (std::string(a) == "threshold") {
          EXPECT_EQ(back[i].threshold, 0.25) << file;
        }
      }
    }
  }
  fs::remove_all(dir);
  // The .keras config writes objects as Keras does: class, name, dtype and the arguments.
  const json cfg = json::parse(model_to_json(*m, ConfigStyle::keras3));
  const json& first = cfg["compile_config"]["metrics"][0];
  EXPECT_EQ(first["class_name"], "Accuracy");
  EXPECT_EQ(first["config"]["name"], "my_accuracy");
  EXPECT_EQ(first["config"]["dtype"], "float32");
}

TEST(CompileConfigMetrics, FunctionsAreReadByName) {
  auto m = with_compile_config(compile_with(json::array({keras_function("categorical_accuracy")}),
                                            keras_function("categorical_crossentropy")));
  EXPECT_EQ(m->loss().kind, LossKind::categorical_crossentropy);
  ASSERT_EQ(m->compile_options().metrics.size(), 1u);
  EXPECT_EQ(m->compile_options().metrics[0].kind, MetricKind::categorical_accuracy);
  EXPECT_EQ(m->compile_options().metrics[0].form, MetricSpec::Form::function);
  const std::string loss =
      error_of([] { with_compile_config(compile_with(json::array(), keras_function("huber"))); });
  EXPECT_NE(loss.find("loss: loss 'huber' is not supported"), std::string::npos) << loss;
  const std::string metric = error_of([] {
    with_compile_config(compile_with({"accuracy", keras_function("hinge")}));
  });
  EXPECT_NE(metric.find("metrics: [1]: metric function 'hinge' is not supported"),
            std::string::npos)
      << metric;
}

TEST(CompileConfigMetrics, UnsupportedClassesAndArgumentsAreRefused) {
  auto refused = [](const json& metric) {
    return error_of([&] { with_compile_config(compile_with(json::array({metric}))); });
  };
  std::string e = refused(keras_object("F1Score", {{"name", "f1"}}));
  EXPECT_NE(e.find("metrics: [0]: metric class 'F1Score' is not supported (supported: Accuracy,"),
            std::string::npos)
      << e;
  e = refused(keras_object("BinaryAccuracy", {{"name", "b"}, {"dtype", "float16"}}));
  EXPECT_NE(e.find("[0]: dtype: BinaryAccuracy: metric dtype \"float16\" is not supported"),
            std::string::npos)
      << e;
  e = refused(keras_object("SparseTopKCategoricalAccuracy", {{"from_sorted_ids", true}}));
  EXPECT_NE(e.find("from_sorted_ids: SparseTopKCategoricalAccuracy: metric option "
                   "'from_sorted_ids' = true is not supported"),
            std::string::npos)
      << e;
  e = refused(keras_object("CategoricalAccuracy", {{"k", 3}}));  // not an argument of its class
  EXPECT_NE(e.find("k: CategoricalAccuracy: metric option 'k' = 3 is not supported"),
            std::string::npos)
      << e;
  e = refused(keras_object("TopKCategoricalAccuracy", {{"k", 2.5}}));
  EXPECT_NE(e.find("k must be a positive integer"), std::string::npos) << e;
  e = refused("f1_score");
  EXPECT_NE(e.find("unknown metric 'f1_score'"), std::string::npos) << e;
}

}  // namespace
}  // namespace glia
