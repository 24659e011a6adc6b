// Image-shaped model inputs fed from MNIST-layout images: datasets shaped as the model's input,
// and the scoring service's rows (flat, nested as the input, or without its channel axis).
#include <gtest/gtest.h>

#include "error_of.hpp"
#include "glia/data.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/serving/seed_format.hpp"
#include "idx_fixtures.hpp"

namespace glia {
namespace {

using testing_util::error_of;

std::shared_ptr<Model> image_model() {
  auto m = std::make_shared<Sequential>();
  auto* s = dynamic_cast<Sequential*>(m.get());
  s->add(std::make_shared<InputLayer>(Shape{6, 5, 1}));
  s->add(std::make_shared<Flatten>());
  s->add(std::make_shared<Dense>(3));
  m->initialize_weights(5);
  return m;
}

TEST(ImageInputs, DatasetShapedAsTheModelInput) {
  using fixtures::make_images;
  using fixtures::make_labels;
  ImageClassDataset d(make_images(3, 4, 5), make_labels(3), 10, 1.0f / 255.0f, Shape{4, 5, 1});
  EXPECT_EQ(d.x_shape(), (Shape{4, 5, 1}));
  Tensor x, y;
  const int64_t idx[] = {2};
  d.gather(idx, x, y);
  EXPECT_EQ(x.shape(), (Shape{1, 4, 5, 1}));
  EXPECT_FLOAT_EQ(x[1], static_cast<float>((2 * 31 + 1) % 256) / 255.0f);
  EXPECT_EQ(ImageClassDataset(make_images(3, 4, 5), make_labels(3), 10).x_shape(), (Shape{20}));
  EXPECT_EQ(ImageClassDataset(make_images(3, 4, 5), make_labels(3), 10, 1.0f, false).x_shape(),
            (Shape{4, 5}));
  EXPECT_EQ(error_of([&] {
              ImageClassDataset(make_images(3, 4, 5), make_labels(3), 10, 1.0f, Shape{5, 5, 1});
            }),
            "ImageClassDataset: images of shape (4, 5) (20 values) cannot be shaped as samples "
            "of (5, 5, 1)");
}

TEST(ImageInputs, ScoringRowsFlatNestedOrWithoutTheChannelAxis) {
  auto m = image_model();
  const serving::Signature sig = serving::signature_of(*m, "m", 1);
  std::string flat = "[", nested = "[", squeezed = "[";
  for (int i = 0; i < 6; ++i) {
    nested += i ? ",[" : "[";
    squeezed += i ? ",[" : "[";
    for (int j = 0; j < 5; ++j) {
      const std::string v = std::to_string(i * 5 + j);
      flat += (i + j ? "," : "") + v;
      nested += (j ? ",[" : "[") + v + "]";
      squeezed += (j ? "," : "") + v;
    }
    nested += "]";
    squeezed += "]";
  }
  flat += "]", nested += "]", squeezed += "]";
  std::vector<float> want(30);
  for (int i = 0; i < 30; ++i) want[i] = static_cast<float>(i);
  for (const std::string& row : {flat, nested, squeezed})
    EXPECT_EQ(serving::parse_seed_request("{\"data\": [" + row + "]}", sig, 4).rows.values, want)
        << row;
  EXPECT_NE(error_of([&] {
              serving::parse_seed_request(R"({"data": [[[1, 2], [3, 4]]]})", sig, 4);
            }).find("data[0]: expected 6 items"),
            std::string::npos);
}

}  // namespace
}  // namespace glia
