// The endpoint's wire formats (seed /score, MLflow /invocations, KServe v2): what they accept,
// what they refuse (the row and width named), and the replies' exact shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/serving/mlflow_format.hpp"
#include "glia/serving/seed_format.hpp"
#include "glia/serving/v2_format.hpp"

namespace glia::serving {
namespace {

using nlohmann::json;

Signature flat_sig() {
  Signature s;
  s.model_name = "mnist";
  s.model_version = 3;
  s.input_name = "dense_input";
  s.input_shape = {4};
  s.output_shape = {3};
  return s;
}

Signature matrix_sig() {
  Signature s = flat_sig();
  s.input_shape = {2, 2};
  return s;
}

// The message of the glia::Error `f` throws (InvalidArgument), or "" when it does not throw.
template <class F>
std::string refusal(F f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    return e.what();
  }
  return "";
}

TEST(ServingSeedFormat, ParsesRowsAndProbabilitiesFlag) {
  const auto r =
      parse_seed_request(R"({"data": [[1, 2, 3, 4], [0.5, -1e-3, 7, 1e10]]})", flat_sig(), 100);
  ASSERT_EQ(r.rows.count, 2);
  EXPECT_EQ(r.rows.values, (std::vector<float>{1, 2, 3, 4, 0.5f, -1e-3f, 7, 1e10f}));
  EXPECT_FALSE(r.probabilities);
  EXPECT_TRUE(parse_seed_request(R"({"probabilities": true, "data": [[1,2,3,4]]})", flat_sig(), 1)
                  .probabilities);
}

TEST(ServingSeedFormat, RefusesWhatMustNeverReachTheModel) {
  const Signature s = flat_sig();
  EXPECT_NE(
      refusal([&] { parse_seed_request("{\"data\": [[1,2,3,4]", s, 10); }).find("not valid JSON"),
      std::string::npos);
  // The row and the width expected are named.
  EXPECT_EQ(refusal([&] { parse_seed_request(R"({"data": [[1,2,3,4],[1,2,3]]})", s, 10); }),
            "data[1]: expected 4 numbers (the model's input), got 3");
  EXPECT_NE(refusal([&] {
              parse_seed_request(R"({"data": [[1,2,"x",4]]})", s, 10);
            }).find("data[0][2]: expected a number, got the string 'x'"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_seed_request(R"({"data": [[1,2,"NaN",4]]})", s, 10);
            }).find("data[0][2]"),
            std::string::npos);
  EXPECT_NE(
      refusal([&] { parse_seed_request(R"({"data": [[1,2,null,4]]})", s, 10); }).find("got null"),
      std::string::npos);
  // Larger than float32 can hold: refused, never an infinity in the model.
  EXPECT_NE(refusal([&] {
              parse_seed_request(R"({"data": [[1,2,1e39,4]]})", s, 10);
            }).find("does not fit in float32"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_seed_request(R"({"data": [[1,2,-1e300,4]]})", s, 10);
            }).find("does not fit in float32"),
            std::string::npos);
  EXPECT_NE(refusal([&] { parse_seed_request(R"({"data": [[1,2,1e400,4]]})", s, 10); }), "");
  EXPECT_EQ(refusal([&] { parse_seed_request(R"({"data": [[1,2,3,4],[1,2,3,4]]})", s, 1); }),
            "data: 2 rows, more than the 1 a request may hold here (max_rows)");
  EXPECT_NE(refusal([&] { parse_seed_request(R"({"data": []})", s, 10); }).find("at least one"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_seed_request(R"({"data": [1,2,3,4]})", s, 10);
            }).find("data[0]: expected a row"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_seed_request(R"({"rows": [[1,2,3,4]]})", s, 10);
            }).find("unknown key 'rows'"),
            std::string::npos);
  EXPECT_NE(refusal([&] { parse_seed_request(R"([[1,2,3,4]])", s, 10); }).find("expected"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_seed_request(R"({"data": [[1,2,3,4]], "probabilities": 1})", s, 10);
            }).find("probabilities"),
            std::string::npos);
}

TEST(ServingSeedFormat, MatrixInputsFlatOrNested) {
  const Signature s = matrix_sig();
  EXPECT_EQ(parse_seed_request(R"({"data": [[1,2,3,4]]})", s, 10).rows.values,
            (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(parse_seed_request(R"({"data": [[[1,2],[3,4]]]})", s, 10).rows.values,
            (std::vector<float>{1, 2, 3, 4}));
  EXPECT_NE(refusal([&] {
              parse_seed_request(R"({"data": [[[1,2],[3,4,5]]]})", s, 10);
            }).find("data[0][1]: expected 2 items"),
            std::string::npos);
}

TEST(ServingSeedFormat, Replies) {
  const float out[] = {0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.25f};
  EXPECT_EQ(seed_reply(out, 2, flat_sig(), false), "[1,0]");
  const json j = json::parse(seed_reply(out, 2, flat_sig(), true));
  EXPECT_EQ(j["classes"], json::parse("[1,0]"));
  ASSERT_EQ(j["probabilities"].size(), 2u);
  EXPECT_FLOAT_EQ(j["probabilities"][0][1].get<float>(), 0.7f);
  EXPECT_FLOAT_EQ(j["probabilities"][1][2].get<float>(), 0.25f);
}

TEST(ServingMlflowFormat, EveryInputShape) {
  const Signature s = flat_sig();
  const std::vector<float> want{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(parse_invocations(R"({"inputs": [[1,2,3,4],[5,6,7,8]]})", s, 10).values, want);
  EXPECT_EQ(parse_invocations(R"({"instances": [[1,2,3,4],[5,6,7,8]]})", s, 10).values, want);
  EXPECT_EQ(parse_invocations(R"({"dataframe_split": {"columns": ["a","b","c","d"],
                                  "index": [0, 1], "data": [[1,2,3,4],[5,6,7,8]]}})",
                              s, 10)
                .values,
            want);
  EXPECT_EQ(
      parse_invocations(R"({"dataframe_split": {"data": [[1,2,3,4],[5,6,7,8]]}})", s, 10).values,
      want);
  // Records: the first record's key order is the column order; later ones in any order.
  EXPECT_EQ(parse_invocations(R"({"dataframe_records": [{"a":1,"b":2,"c":3,"d":4},
                                  {"d":8,"c":7,"a":5,"b":6}]})",
                              s, 10)
                .values,
            want);
  EXPECT_EQ(parse_invocations(R"({"inputs": [[1,2,3,4]], "params": {}})", s, 10).count, 1);
}

TEST(ServingMlflowFormat, Refusals) {
  const Signature s = flat_sig();
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"inputs": [[1,2,3,4]], "instances": [[1,2,3,4]]})", s, 10);
            }).find("expected exactly one"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"data": [[1,2,3,4]]})", s, 10);
            }).find("unknown key 'data'"),
            std::string::npos);
  EXPECT_NE(refusal([&] { parse_invocations(R"({"params": {}})", s, 10); }).find("one of"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"inputs": [[1,2,3,4]], "params": {"t": 1}})", s, 10);
            }).find("params"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"dataframe_split": {"columns": ["a"],
                                               "data": [[1,2,3,4]]}})",
                                s, 10);
            }).find("expected 4 columns"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"dataframe_split": {"data": [[1,2,3,4]],
                                               "index": [0, 1]}})",
                                s, 10);
            }).find("index"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"dataframe_records": [{"a":1,"b":2,"c":3,"d":4},
                                               {"a":1,"b":2,"c":3,"e":4}]})",
                                s, 10);
            }).find("dataframe_records[1]: column 'e' is not one of the first record's"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"dataframe_records": [{"a":1,"b":2,"c":3}]})", s, 10);
            }).find("expected 4 columns"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"dataframe_records": [{"a":1,"b":2,"c":3,"d":"x"}]})", s, 10);
            }).find("dataframe_records[0].d: expected a number"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"inputs": {"dense_input": [[1,2,3,4]]}})", s, 10);
            }).find("named tensors"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_invocations(R"({"instances": [[1,2,3,4],[1,2]]})", s, 10);
            }).find("instances[1]: expected 4 numbers"),
            std::string::npos);
}

TEST(ServingMlflowFormat, ReplyIsTheOutputRows) {
  const float out[] = {0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.25f};
  const json j = json::parse(invocations_reply(out, 2, flat_sig()));
  ASSERT_EQ(j.size(), 1u);
  ASSERT_EQ(j["predictions"].size(), 2u);
  ASSERT_EQ(j["predictions"][0].size(), 3u);
  EXPECT_FLOAT_EQ(j["predictions"][1][0].get<float>(), 0.5f);
}

TEST(ServingV2Format, InferRequestAndReply) {
  const Signature s = flat_sig();
  const auto r = parse_v2_request(
      R"({"id": "r1", "inputs": [{"name": "dense_input", "shape": [2, 4], "datatype": "FP32",
          "data": [1,2,3,4,5,6,7,8]}]})",
      s, 10);
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(r.rows.count, 2);
  EXPECT_EQ(r.rows.values, (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(r.want_predictions && r.want_classes);
  const float out[] = {0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.25f};
  const json j = json::parse(v2_reply(r, out, s));
  EXPECT_EQ(j["model_name"], "mnist");
  EXPECT_EQ(j["model_version"], "3");
  EXPECT_EQ(j["id"], "r1");
  ASSERT_EQ(j["outputs"].size(), 2u);
  EXPECT_EQ(j["outputs"][0]["name"], "predictions");
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP32");
  EXPECT_EQ(j["outputs"][0]["shape"], json::parse("[2,3]"));
  EXPECT_EQ(j["outputs"][0]["data"].size(), 6u);
  EXPECT_EQ(j["outputs"][1]["name"], "classes");
  EXPECT_EQ(j["outputs"][1]["datatype"], "INT64");
  EXPECT_EQ(j["outputs"][1]["shape"], json::parse("[2]"));
  EXPECT_EQ(j["outputs"][1]["data"], json::parse("[1,0]"));
  // Nested data, integer types, one output asked for, no id.
  const auto n = parse_v2_request(
      R"({"inputs": [{"name": "dense_input", "shape": [1, 4], "datatype": "INT32",
          "data": [[1,2,3,4]]}], "outputs": [{"name": "classes", "parameters": {"binary_data": false}}]})",
      s, 10);
  EXPECT_EQ(n.rows.values, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_FALSE(n.want_predictions);
  const json k = json::parse(v2_reply(n, out, s));
  EXPECT_FALSE(k.contains("id"));
  ASSERT_EQ(k["outputs"].size(), 1u);
  EXPECT_EQ(k["outputs"][0]["name"], "classes");
}

TEST(ServingV2Format, Refusals) {
  const Signature s = flat_sig();
  const auto infer = [&](const std::string& input, const std::string& extra = "") {
    return refusal([&] { parse_v2_request("{\"inputs\": [" + input + "]" + extra + "}", s, 10); });
  };
  EXPECT_NE(infer(R"({"name": "x", "shape": [1,4], "datatype": "FP32", "data": [1,2,3,4]})")
                .find("the model's input is 'dense_input'"),
            std::string::npos);
  EXPECT_NE(
      infer(R"({"name": "dense_input", "shape": [1,4], "datatype": "BYTES", "data": [1,2,3,4]})")
          .find("datatype"),
      std::string::npos);
  EXPECT_NE(
      infer(R"({"name": "dense_input", "shape": [1,5], "datatype": "FP32", "data": [1,2,3,4,5]})")
          .find("inputs[0].shape"),
      std::string::npos);
  EXPECT_NE(
      infer(R"({"name": "dense_input", "shape": [2,4], "datatype": "FP32", "data": [1,2,3,4]})")
          .find("expected 8 values"),
      std::string::npos);
  EXPECT_NE(
      infer(R"({"name": "dense_input", "shape": [1,4], "datatype": "INT8", "data": [1,2,3,400]})")
          .find("out of INT8's range"),
      std::string::npos);
  EXPECT_NE(
      infer(R"({"name": "dense_input", "shape": [1,4], "datatype": "INT32", "data": [1,2,3,4.5]})")
          .find("whole number"),
      std::string::npos);
  EXPECT_NE(
      infer(R"({"name": "dense_input", "shape": [1,4], "datatype": "FP32", "data": [1,2,"3",4]})")
          .find("inputs[0].data[2]: expected a number"),
      std::string::npos);
  EXPECT_NE(infer(R"({"name": "dense_input", "shape": [11,4], "datatype": "FP32", "data": []})")
                .find("max_rows"),
            std::string::npos);
  EXPECT_NE(
      infer(R"({"name": "dense_input", "shape": [1,4], "datatype": "FP32", "data": [1,2,3,4]})",
            R"(, "outputs": [{"name": "logits"}])")
          .find("outputs[0].name 'logits'"),
      std::string::npos);
  EXPECT_NE(
      infer(R"({"name": "dense_input", "shape": [1,4], "datatype": "FP32", "data": [1,2,3,4]})",
            R"(, "parameters": {"priority": 1})")
          .find("parameter 'priority' is not supported"),
      std::string::npos);
  EXPECT_NE(refusal([&] { parse_v2_request(R"({"inputs": []})", s, 10); }).find("one input"),
            std::string::npos);
}

TEST(ServingV2Format, Metadata) {
  const json m = json::parse(v2_model_metadata(flat_sig()));
  EXPECT_EQ(m["name"], "mnist");
  EXPECT_EQ(m["versions"], json::parse(R"(["3"])"));
  EXPECT_EQ(m["inputs"][0]["name"], "dense_input");
  EXPECT_EQ(m["inputs"][0]["shape"], json::parse("[-1,4]"));
  EXPECT_EQ(m["outputs"][0]["shape"], json::parse("[-1,3]"));
  const json server = json::parse(v2_server_metadata());
  EXPECT_EQ(server["name"], "glia");
  EXPECT_TRUE(server["extensions"].is_array());
}

}  // namespace
}  // namespace glia::serving

namespace glia::serving {
namespace {

// Mutated bodies (bytes flipped, inserted, cut) end in a glia::Error or in rows that are all
// there and finite: never a crash, another exception type or a value the model must not see.
TEST(ServingFormatsRobustness, MutatedBodiesAreRefusedCleanly) {
  const Signature flat = flat_sig(), matrix = matrix_sig();
  const std::vector<std::string> seeds = {
      R"({"data": [[1, 2, 3, 4], [0.5, -1e-3, 7, 1e10]], "probabilities": true})",
      R"({"data": [[[1,2],[3,4]]]})",
      R"({"dataframe_split": {"columns": ["a","b","c","d"], "index": [0], "data": [[1,2,3,4]]}})",
      R"({"dataframe_records": [{"a":1,"b":2,"c":3,"d":4}, {"d":8,"c":7,"a":5,"b":6}]})",
      R"({"instances": [[1,2,3,4]], "params": {}})",
      R"({"id": "r", "inputs": [{"name": "dense_input", "shape": [2, 4], "datatype": "INT16",
          "data": [[1,2,3,4],[5,6,7,8]]}], "outputs": [{"name": "classes"}]})",
  };
  const char* pieces[] = {"[",        "]",          "{",    "}",       ",",    ":",  "\"",
                          "1e39",     "-",          "NaN",  "null",    "[[",   "]]", "0",
                          "\"data\"", "\"inputs\"", "true", "\\u0000", "1e400"};
  uint64_t state = 42;
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int accepted = 0, refused = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string body = seeds[next() % seeds.size()];
    for (int m = 1 + static_cast<int>(next() % 4); m > 0; --m) {
      const size_t at = next() % (body.size() + 1);
      switch (next() % 4) {
        case 0:
          if (at < body.size()) body[at] = static_cast<char>(next() & 0xff);
          break;
        case 1:
          body.insert(at, pieces[next() % (sizeof pieces / sizeof *pieces)]);
          break;
        case 2:
          body.erase(at, next() % 8);
          break;
        default:
          body.resize(at);
      }
    }
    for (const Signature* sig : {&flat, &matrix}) {
      const auto check = [&](const Rows& rows) {
        ASSERT_EQ(static_cast<int64_t>(rows.values.size()), rows.count * sig->row_in()) << body;
        ASSERT_GE(rows.count, 1) << body;
        ASSERT_LE(rows.count, 3) << body;
        for (float v : rows.values) ASSERT_TRUE(std::isfinite(v)) << body;
        ++accepted;
      };
      try {
        check(parse_seed_request(body, *sig, 3).rows);
      } catch (const Error&) {
        ++refused;
      }
      try {
        check(parse_invocations(body, *sig, 3));
      } catch (const Error&) {
        ++refused;
      }
      try {
        check(parse_v2_request(body, *sig, 3).rows);
      } catch (const Error&) {
        ++refused;
      }
    }
  }
  EXPECT_GT(accepted, 100);  // the mutations leave many bodies valid: the check ran on them
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace glia::serving
