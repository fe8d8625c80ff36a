// The reader against the five golden CTranslate2 model directories (../shared/golden/models).
#include <gtest/gtest.h>

#include <cmath>

#include "model/model.h"
#include "support/model_writer.h"

namespace trd {
namespace {

struct GoldenModel {
  const char* name;
  int encoder_layers, decoder_layers, d_model, heads, ffn, positions;
  bool int8;
  const char* vocabulary_file;
};

const GoldenModel kGoldenModels[] = {
    {"tiny-f32", 2, 2, 64, 4, 256, 1024, false, "shared_vocabulary.json"},
    {"tiny-int8", 2, 2, 64, 4, 256, 1024, true, "shared_vocabulary.json"},
    {"tiny-txtvocab-f32", 2, 2, 64, 4, 256, 1024, false, "shared_vocabulary.txt"},
    {"small-f32", 3, 2, 128, 8, 512, 1026, false, "shared_vocabulary.json"},
    {"small-int8", 3, 2, 128, 8, 512, 1026, true, "shared_vocabulary.json"},
};

class GoldenModelTest : public ::testing::TestWithParam<GoldenModel> {};

TEST_P(GoldenModelTest, LoadsWithTheConverterLayout) {
  const GoldenModel& g = GetParam();
  const auto models = test::shared_dir() / "golden" / "models";
  TRD_REQUIRE_GOLDEN_DIR(models);
  const ModelFiles m = load_model_directory((models / g.name).string());

  EXPECT_EQ(m.binary_version, 6u);
  EXPECT_EQ(m.spec_name, "TransformerSpec");
  EXPECT_EQ(m.spec_revision, 7u);
  size_t expected = 12 * g.encoder_layers + 20 * g.decoder_layers + 22;
  if (g.int8) expected += 4 * g.encoder_layers + 7 * g.decoder_layers + 1;
  EXPECT_EQ(m.variables.size(), expected);

  // Three written aliases; int8 adds the two implied `_scale` companions of the aliased embedding.
  EXPECT_EQ(m.aliases.size(), g.int8 ? 5u : 3u);
  EXPECT_EQ(m.aliases.at("decoder/projection/weight"), "decoder/embeddings/weight");
  EXPECT_EQ(m.aliases.at("encoder/embeddings_0/weight"), "decoder/embeddings/weight");
  EXPECT_EQ(m.aliases.at("encoder/position_encodings/encodings"), "decoder/position_encodings/encodings");
  if (g.int8) {
    EXPECT_EQ(m.aliases.at("decoder/projection/weight_scale"), "decoder/embeddings/weight_scale");
    EXPECT_EQ(m.aliases.at("encoder/embeddings_0/weight_scale"), "decoder/embeddings/weight_scale");
    EXPECT_EQ(&m.get("decoder/projection/weight_scale"), &m.get("decoder/embeddings/weight_scale"));
  } else {
    EXPECT_EQ(m.find("decoder/projection/weight_scale"), nullptr);
  }

  const size_t vocab = 8005;
  const Tensor& embeddings = m.get("decoder/embeddings/weight");
  EXPECT_EQ(embeddings.dtype, g.int8 ? DType::Int8 : DType::Float32);
  EXPECT_EQ(embeddings.shape, (std::vector<int64_t>{static_cast<int64_t>(vocab), g.d_model}));
  EXPECT_EQ(&m.get("encoder/embeddings_0/weight"), &embeddings);
  EXPECT_EQ(m.get("decoder/position_encodings/encodings").shape, (std::vector<int64_t>{g.positions, g.d_model}));
  EXPECT_EQ(m.get("decoder/position_encodings/encodings").dtype, DType::Float32);

  const Tensor& qkv = m.get("encoder/layer_0/self_attention/linear_0/weight");
  EXPECT_EQ(qkv.shape, (std::vector<int64_t>{3 * g.d_model, g.d_model}));
  EXPECT_EQ(qkv.dtype, g.int8 ? DType::Int8 : DType::Float32);
  EXPECT_EQ(m.get("decoder/layer_1/ffn/linear_0/weight").shape, (std::vector<int64_t>{g.ffn, g.d_model}));
  EXPECT_EQ(m.get("decoder/layer_1/attention/linear_1/bias").dtype, DType::Float32);
  if (g.int8) {
    const Tensor& scale = m.get("decoder/layer_1/ffn/linear_0/weight_scale");
    EXPECT_EQ(scale.dtype, DType::Float32);
    EXPECT_EQ(scale.shape, (std::vector<int64_t>{g.ffn}));
    // 127 / max|row| of the dequantized row must reproduce the stored int8 maximum of 127.
    const Tensor& w = m.get("decoder/layer_1/ffn/linear_0/weight");
    int amax = 0;
    for (int64_t c = 0; c < g.d_model; ++c) amax = std::max(amax, std::abs(static_cast<int>(w.as<int8_t>()[c])));
    EXPECT_EQ(amax, 127);
  }

  EXPECT_EQ(m.get("encoder/num_heads").dtype, DType::Int16);
  EXPECT_EQ(m.get("encoder/num_heads").scalar_value(), g.heads);
  EXPECT_EQ(m.get("decoder/pre_norm").scalar_value(), 1);
  EXPECT_EQ(m.get("decoder/activation").scalar_value(), 0);
  EXPECT_EQ(m.get("decoder/alignment_layer").scalar_value(), -1);
  EXPECT_EQ(m.get("decoder/scale_embeddings").dtype, DType::Float32);
  EXPECT_FLOAT_EQ(m.get("decoder/scale_embeddings").scalar_value(), std::sqrt(static_cast<float>(g.d_model)));
  EXPECT_EQ(m.find("decoder/projection/bias"), nullptr);

  EXPECT_EQ(m.config.unk_token, "<unk>");
  EXPECT_EQ(m.config.decoder_start_token, std::optional<std::string>("</s>"));
  EXPECT_FALSE(m.config.layer_norm_epsilon.has_value());
  EXPECT_FALSE(m.vocabulary_map.has_value());

  ASSERT_TRUE(m.source_vocabulary);
  EXPECT_EQ(m.source_vocabulary, m.target_vocabulary);
  const Vocabulary& v = *m.target_vocabulary;
  EXPECT_EQ(v.size(), vocab);
  EXPECT_EQ(v.to_token(0), "<s>");
  EXPECT_EQ(v.to_token(3), "<unk>");
  EXPECT_EQ(v.to_token(4), "\xE2\x96\x81" "de");  // "\u2581de"
  EXPECT_EQ(v.to_token(8001), "spa_Latn");
  EXPECT_EQ(v.to_token(8002), "dan_Latn");
  EXPECT_EQ(v.to_token(8004), "<mask>");
  EXPECT_EQ(v.bos_id(), 0);
  EXPECT_EQ(v.eos_id(), 2);
  EXPECT_EQ(v.unk_id(), 3);
  EXPECT_EQ(v.to_id("dan_Latn"), 8002);
  EXPECT_EQ(v.to_id("no-such-token"), 3);
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenModelTest, ::testing::ValuesIn(kGoldenModels),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (auto& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// The text vocabulary of tiny-txtvocab-f32 was made from tiny-f32's JSON file; both must agree.
TEST(GoldenModel, TextAndJsonVocabulariesAgree) {
  const auto models = test::shared_dir() / "golden" / "models";
  TRD_REQUIRE_GOLDEN_DIR(models);
  const ModelFiles json = load_model_directory((models / "tiny-f32").string());
  const ModelFiles text = load_model_directory((models / "tiny-txtvocab-f32").string());
  ASSERT_EQ(json.target_vocabulary->size(), text.target_vocabulary->size());
  for (size_t i = 0; i < json.target_vocabulary->size(); ++i)
    ASSERT_EQ(json.target_vocabulary->to_token(static_cast<int32_t>(i)), text.target_vocabulary->to_token(static_cast<int32_t>(i))) << i;
  // And model.bin is byte-identical, so every tensor must be too.
  for (const auto& [name, tensor] : json.variables) ASSERT_EQ(text.get(name).data, tensor.data) << name;
}

// The int8 files hold the float32 weights quantized: w_q / scale must be close to w.
TEST(GoldenModel, Int8WeightsDequantizeToTheFloatWeights) {
  const auto models = test::shared_dir() / "golden" / "models";
  TRD_REQUIRE_GOLDEN_DIR(models);
  const ModelFiles f32 = read_model_bin((models / "tiny-f32" / "model.bin").string());
  const ModelFiles i8 = read_model_bin((models / "tiny-int8" / "model.bin").string());
  for (const char* name : {"decoder/embeddings/weight", "encoder/layer_1/ffn/linear_1/weight"}) {
    const std::vector<float> reference = to_float32(f32.get(name));
    const std::vector<float> quantized = to_float32(i8.get(name));
    const std::vector<float> scale = to_float32(i8.get(std::string(name) + "_scale"));
    const size_t cols = static_cast<size_t>(f32.get(name).shape[1]);
    ASSERT_EQ(reference.size(), quantized.size());
    for (size_t i = 0; i < reference.size(); ++i) {
      const float s = scale[i / cols];
      ASSERT_NEAR(quantized[i] / s, reference[i], 0.5f / s + 1e-6f) << name << " element " << i;
    }
  }
}

}  // namespace
}  // namespace trd
