// model.bin: every binary version, dtype, alias rule and refusal (ct2-format.md §1).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "model/model.h"
#include "model/model_bin.h"
#include "support/expect_error.h"
#include "support/model_writer.h"

namespace trd {
namespace {

using test::expect_error;
using test::ModelBinWriter;

ModelFiles parse_bytes(const std::vector<uint8_t>& bytes, const std::string& name = "test/model.bin") {
  model_bin::MemorySource source(bytes.data(), bytes.size());
  return model_bin::parse(source, name);
}

ModelFiles parse(const ModelBinWriter& w) { return parse_bytes(w.bytes()); }

TEST(ModelBin, Version6HeaderVariablesAndAliases) {
  ModelBinWriter w(6, "TransformerSpec", 7);
  w.add_f32("a/weight", {2, 3}, {1, 2, 3, 4, 5, 6}).add_f32("a/weight_scale", {2}, {0.5f, 2.f}).alias("b/weight", "a/weight");
  const ModelFiles m = parse(w);
  EXPECT_EQ(m.binary_version, 6u);
  EXPECT_EQ(m.spec_name, "TransformerSpec");
  EXPECT_EQ(m.spec_revision, 7u);
  ASSERT_EQ(m.variables.size(), 2u);
  const Tensor& a = m.get("a/weight");
  EXPECT_EQ(a.name, "a/weight");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.numel(), 6);
  EXPECT_EQ(to_float32(a), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(&m.get("b/weight"), &a);
  // The implied companion: the alias's scale is the target's scale.
  EXPECT_EQ(&m.get("b/weight_scale"), &m.get("a/weight_scale"));
  EXPECT_EQ(m.aliases.size(), 2u);  // b/weight, b/weight_scale; no b/weight_zero (target absent)
  EXPECT_EQ(m.find("b/weight_zero"), nullptr);
}

TEST(ModelBin, ZeroCompanionAndAliasRules) {
  ModelBinWriter w;
  w.add_f32("x", {1}, {1}).add_f32("x_zero", {1}, {7}).add_f32("y", {1}, {2}).add_f32("y_scale", {1}, {3});
  w.alias("x2", "x");           // gets x2_zero -> x_zero
  w.alias("x3", "x2");          // chain: resolves to x
  w.alias("y", "x");            // never replaces a variable
  w.alias("missing2", "nope");  // target absent: dropped, as CTranslate2 does
  w.alias("y2", "y");
  w.alias("y2", "x");  // an alias is never re-pointed
  const ModelFiles m = parse(w);
  EXPECT_EQ(m.aliases.at("x2"), "x");
  EXPECT_EQ(m.aliases.at("x2_zero"), "x_zero");
  EXPECT_EQ(m.aliases.at("x3"), "x");
  EXPECT_EQ(m.aliases.at("x3_zero"), "x_zero");
  EXPECT_EQ(m.get("y").scalar_value(), 2);
  EXPECT_EQ(m.find("missing2"), nullptr);
  EXPECT_EQ(m.aliases.at("y2"), "y");
  EXPECT_EQ(m.aliases.at("y2_scale"), "y_scale");
  expect_error([&] { m.get("missing2"); }, TRD_INVALID_MODEL, {"missing variable 'missing2'"});
}

TEST(ModelBin, EveryDtypeRoundTrips) {
  ModelBinWriter w;
  w.add_f32("f32", {3}, {1.5f, -2.f, 0.f});
  w.add<int8_t>("i8", DType::Int8, {3}, {-128, 0, 127});
  w.add<int16_t>("i16", DType::Int16, {2}, {-32768, 1024});
  w.add<int32_t>("i32", DType::Int32, {2}, {-2147483647, 123456});
  // 1.0, -2.0, smallest subnormal 2^-24, 65504 (max), +inf.
  w.add<uint16_t>("f16", DType::Float16, {5}, {0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00});
  // 1.0, -0.5, 3.140625 (pi rounded to bf16).
  w.add<uint16_t>("bf16", DType::BFloat16, {3}, {0x3F80, 0xBF00, 0x4049});
  w.add<uint16_t>("f16nan", DType::Float16, {}, {0x7E00});
  const ModelFiles m = parse(w);
  EXPECT_EQ(to_float32(m.get("f32")), (std::vector<float>{1.5f, -2.f, 0.f}));
  EXPECT_EQ(to_float32(m.get("i8")), (std::vector<float>{-128, 0, 127}));
  EXPECT_EQ(to_float32(m.get("i16")), (std::vector<float>{-32768, 1024}));
  EXPECT_EQ(to_float32(m.get("i32")), (std::vector<float>{-2147483647.f, 123456}));
  EXPECT_EQ(to_float32(m.get("f16")), (std::vector<float>{1.f, -2.f, std::ldexp(1.f, -24), 65504.f, std::numeric_limits<float>::infinity()}));
  EXPECT_EQ(to_float32(m.get("bf16")), (std::vector<float>{1.f, -0.5f, 3.140625f}));
  EXPECT_TRUE(std::isnan(m.get("f16nan").scalar_value()));
  for (auto [name, dtype] : std::initializer_list<std::pair<const char*, DType>>{
           {"f32", DType::Float32}, {"i8", DType::Int8}, {"i16", DType::Int16}, {"i32", DType::Int32}, {"f16", DType::Float16}, {"bf16", DType::BFloat16}})
    EXPECT_EQ(m.get(name).dtype, dtype) << name;
  EXPECT_EQ(dtype_size(DType::BFloat16), 2u);
  EXPECT_EQ(dtype_size(DType::Int32), 4u);
  EXPECT_STREQ(dtype_name(DType::Float16), "float16");
  EXPECT_STREQ(dtype_name(DType::BFloat16), "bfloat16");
  EXPECT_EQ(dtype_from_id(5), DType::BFloat16);
  EXPECT_EQ(dtype_from_id(6), std::nullopt);
}

TEST(ModelBin, HalfConversionCoversEverySubnormalAndNormalExponent) {
  // Every finite half value must widen to the float that rounds back to it exactly.
  for (uint32_t bits = 0; bits < 0x7C00; ++bits) {
    const float f = half_to_float(static_cast<uint16_t>(bits));
    const float expected = (bits < 0x400) ? std::ldexp(static_cast<float>(bits), -24)
                                          : std::ldexp(1.f + (bits & 0x3FF) / 1024.f, static_cast<int>(bits >> 10) - 15);
    ASSERT_EQ(f, expected) << bits;
    ASSERT_EQ(half_to_float(static_cast<uint16_t>(bits | 0x8000)), -expected) << bits;
  }
}

TEST(ModelBin, ScalarsConvertFromAnyDtype) {
  ModelBinWriter w;
  w.add_scalar<int16_t>("heads", DType::Int16, 16);
  w.add_scalar<int8_t>("flag", DType::Int8, 1);
  w.add_scalar<float>("scale", DType::Float32, 32.f);
  w.add_scalar<int16_t>("layer", DType::Int16, -1);
  w.add_scalar<uint16_t>("half", DType::Float16, 0x3800);  // 0.5
  w.add<float>("one_element_vector", DType::Float32, {1}, {4.f});
  w.add<float>("vector", DType::Float32, {2}, {1.f, 2.f});
  w.add_string("name", "h\xC3\xA9llo");
  const ModelFiles m = parse(w);
  EXPECT_EQ(m.get("heads").scalar_value(), 16);
  EXPECT_TRUE(m.get("heads").shape.empty());
  EXPECT_EQ(m.get("heads").numel(), 1);
  EXPECT_EQ(m.get("flag").scalar_value(), 1);
  EXPECT_EQ(m.get("scale").scalar_value(), 32);
  EXPECT_EQ(m.get("layer").scalar_value(), -1);
  EXPECT_EQ(m.get("half").scalar_value(), 0.5);
  EXPECT_EQ(m.get("one_element_vector").scalar_value(), 4);
  expect_error([&] { m.get("vector").scalar_value(); }, TRD_INVALID_MODEL, {"'vector'", "scalar", "2 elements"});
  EXPECT_EQ(tensor_string_value(m.get("name")), "h\xC3\xA9llo");
  expect_error([&] { tensor_string_value(m.get("scale")); }, TRD_INVALID_MODEL, {"'scale'", "string"});
}

TEST(ModelBin, EmptyTensorsAreAllowed) {
  ModelBinWriter w;
  w.add_f32("empty", {0, 4}, {});
  const ModelFiles m = parse(w);
  EXPECT_EQ(m.get("empty").numel(), 0);
  EXPECT_TRUE(to_float32(m.get("empty")).empty());
}

TEST(ModelBin, Versions4And5DifferOnlyInTheirNumber) {
  for (uint32_t version : {4u, 5u}) {
    ModelBinWriter w(version, "TransformerSpec", 6);
    w.add<uint16_t>("h", DType::Float16, {1}, {0x3C00}).alias("g", "h");
    const ModelFiles m = parse(w);
    EXPECT_EQ(m.binary_version, version);
    EXPECT_EQ(m.get("g").dtype, DType::Float16);
    EXPECT_EQ(m.get("g").scalar_value(), 1);
  }
}

TEST(ModelBin, Version3UsesItemSizesAndElementCounts) {
  ModelBinWriter w(3, "TransformerSpec", 4);
  w.add_f32("f", {2}, {1.f, 2.f}).add<int16_t>("s", DType::Int16, {3}, {1, 2, 3}).add<int8_t>("b", DType::Int8, {}, {5});
  w.alias("f2", "f");
  const auto bytes = w.bytes();
  // Record of "f": name (2 + 2), rank, one dim, item size 4, element count 2.
  const size_t record = 4 + 2 + 16 + 4 + 4;
  EXPECT_EQ(bytes[record + 4 + 1 + 4], 4);
  EXPECT_EQ(bytes[record + 4 + 1 + 4 + 1], 2);
  const ModelFiles m = parse_bytes(bytes);
  EXPECT_EQ(m.get("f").dtype, DType::Float32);
  EXPECT_EQ(m.get("s").dtype, DType::Int16);
  EXPECT_EQ(to_float32(m.get("s")), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(m.get("b").dtype, DType::Int8);
  EXPECT_EQ(&m.get("f2"), &m.get("f"));
  // Revision 4 < 5: the per-scope flags alias the top-level ones.
  EXPECT_EQ(m.find("encoder/num_heads"), nullptr);  // no top-level num_heads in this file
}

TEST(ModelBin, Version2HasASpecButNoAliasSection) {
  ModelBinWriter w(2, "TransformerBig", 2);
  w.add_scalar<int8_t>("pre_norm", DType::Int8, 0).add_f32("f", {1}, {3});
  w.alias("ignored", "f");  // not written for version 2
  const auto bytes = w.bytes();
  const ModelFiles m = parse_bytes(bytes);
  EXPECT_EQ(m.spec_name, "TransformerBig");
  EXPECT_EQ(m.spec_revision, 2u);
  EXPECT_EQ(m.find("ignored"), nullptr);
  // Revision < 3 injects num_heads from the spec name (16 for TransformerBig) as int8 ...
  EXPECT_EQ(m.get("num_heads").dtype, DType::Int8);
  EXPECT_EQ(m.get("num_heads").scalar_value(), 16);
  // ... and revision < 5 points the per-scope flags at the top-level ones.
  EXPECT_EQ(m.get("encoder/num_heads").scalar_value(), 16);
  EXPECT_EQ(m.get("decoder/num_heads").scalar_value(), 16);
  EXPECT_EQ(m.get("encoder/pre_norm").scalar_value(), 0);
  EXPECT_EQ(m.find("decoder/alignment_layer"), nullptr);
}

TEST(ModelBin, Revision3And4KeepStoredHeadsButAliasScopes) {
  ModelBinWriter w(3, "TransformerSpec", 4);
  w.add<int8_t>("num_heads", DType::Int8, {}, {4}).add<int8_t>("activation", DType::Int8, {}, {1});
  w.add<int8_t>("decoder/activation", DType::Int8, {}, {3});  // an explicit per-scope value wins
  const ModelFiles m = parse(w);
  EXPECT_EQ(m.get("encoder/num_heads").scalar_value(), 4);
  EXPECT_EQ(m.get("encoder/activation").scalar_value(), 1);
  EXPECT_EQ(m.get("decoder/activation").scalar_value(), 3);
  ModelBinWriter current(6, "TransformerSpec", 5);
  current.add<int8_t>("num_heads", DType::Int8, {}, {4});
  EXPECT_EQ(parse(current).find("encoder/num_heads"), nullptr);  // revision >= 5: no compatibility aliases
}

TEST(ModelBin, Version1MapsOpenNmtTfNames) {
  ModelBinWriter w(1);
  const std::pair<const char*, const char*> names[] = {
      {"transformer/encoder/w_embs", "encoder/embeddings/weight"},
      {"transformer/decoder/w_embs", "decoder/embeddings/weight"},
      {"transformer/encoder/LayerNorm/gamma", "encoder/layer_norm/gamma"},
      {"transformer/encoder/layer_0/multi_head/conv1d/kernel", "encoder/layer_0/self_attention/linear_0/weight"},
      {"transformer/encoder/layer_0/multi_head/conv1d_1/bias", "encoder/layer_0/self_attention/linear_1/bias"},
      {"transformer/encoder/layer_0/multi_head/LayerNorm/beta", "encoder/layer_0/self_attention/layer_norm/beta"},
      {"transformer/encoder/layer_0/ffn/conv1d/kernel", "encoder/layer_0/ffn/linear_0/weight"},
      {"transformer/encoder/layer_0/ffn/conv1d_1/kernel", "encoder/layer_0/ffn/linear_1/weight"},
      {"transformer/decoder/layer_1/masked_multi_head/conv1d/kernel", "decoder/layer_1/self_attention/linear_0/weight"},
      {"transformer/decoder/layer_1/multi_head/conv1d_2/kernel", "decoder/layer_1/attention/linear_2/weight"},
      {"transformer/decoder/dense/kernel", "decoder/projection/weight"},
      {"transformer/decoder/dense/bias:0", "decoder/projection/bias"},
  };
  float value = 0;
  for (auto [old_name, new_name] : names) w.add_f32(old_name, {1}, {value++});
  const ModelFiles m = parse(w);
  EXPECT_EQ(m.binary_version, 1u);
  EXPECT_EQ(m.spec_name, "");
  EXPECT_EQ(m.spec_revision, 1u);
  value = 0;
  for (auto [old_name, new_name] : names) {
    const Tensor* t = m.find(new_name);
    ASSERT_NE(t, nullptr) << new_name;
    EXPECT_EQ(t->scalar_value(), value++) << new_name;
    EXPECT_EQ(m.find(old_name), nullptr);
  }
  EXPECT_EQ(m.get("num_heads").scalar_value(), 8);  // "" is TransformerBase: 8 heads
  EXPECT_EQ(m.get("decoder/num_heads").scalar_value(), 8);
}

TEST(ModelBin, TrailingBytesAfterTheAliasSectionAreIgnored) {
  ModelBinWriter w;
  w.add_f32("f", {1}, {1});
  auto bytes = w.bytes();
  bytes.insert(bytes.end(), {1, 2, 3, 4, 5});
  EXPECT_EQ(parse_bytes(bytes).get("f").scalar_value(), 1);
}

TEST(ModelBin, RefusesLaterVersionsAndUnknownSpecs) {
  expect_error([] { parse(ModelBinWriter(7)); }, TRD_UNSUPPORTED, {"test/model.bin", "Unsupported model binary version 7", "later version"});
  expect_error([] { parse(ModelBinWriter(6, "TransformerSpec", 8)); }, TRD_UNSUPPORTED, {"TransformerSpec revision 8", "later version"});
  expect_error([] { parse(ModelBinWriter(6, "FancySpec", 1)); }, TRD_UNSUPPORTED, {"Unknown model 'FancySpec'"});
  expect_error([] { parse(ModelBinWriter(6, "WhisperSpec", 3)); }, TRD_UNSUPPORTED, {"'WhisperSpec'", "not a sequence-to-sequence"});
  expect_error([] { parse(ModelBinWriter(0)); }, TRD_INVALID_MODEL, {"binary version 0"});
  for (const char* spec : {"TransformerBase", "TransformerBig", "TransformerSpec"}) EXPECT_EQ(parse(ModelBinWriter(6, spec, 7)).spec_name, spec);
}

TEST(ModelBin, CorruptRecordsNameTheVariableAndOffset) {
  {  // dtype id outside the table
    ModelBinWriter w;
    w.add_raw({"bad", static_cast<DType>(6), {1}, {0, 0}});
    expect_error([&] { parse(w); }, TRD_INVALID_MODEL, {"unknown dtype id 6", "variable 'bad'", "byte offset"});
  }
  {  // byte count disagrees with the shape
    ModelBinWriter w;
    w.add_f32("ok", {1}, {1});
    w.add_raw({"short", DType::Float32, {2, 2}, std::vector<uint8_t>(12)});
    expect_error([&] { parse(w); }, TRD_INVALID_MODEL, {"'short'", "invalid payload size", "byte count 12", "record 1 of 2"});
  }
  {  // dims whose product overflows 64 bits
    ModelBinWriter w;
    w.add_raw({"huge", DType::Float32, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}});
    expect_error([&] { parse(w); }, TRD_INVALID_MODEL, {"'huge'", "invalid payload size"});
  }
  {  // a zero dim makes the tensor empty, but the other dims must still be sane
    ModelBinWriter w;
    w.add_raw({"wide", DType::Float32, {0xFFFFFFFFu, 0xFFFFFFFFu, 0}, {}});
    expect_error([&] { parse(w); }, TRD_INVALID_MODEL, {"'wide'", "invalid payload size"});
    ModelBinWriter ok;
    ok.add_raw({"empty", DType::Float32, {0xFFFFFFFFu, 0}, {}});
    EXPECT_EQ(parse(ok).get("empty").numel(), 0);
  }
  {  // version 3: item size without a dtype
    ModelBinWriter w(3);
    w.add_raw({"odd", DType::Int32, {1}, std::vector<uint8_t>(4)});
    auto bytes = w.bytes();
    const size_t item = 4 + 2 + 16 + 4 + 4 + 2 + 4 + 1 + 4;
    ASSERT_EQ(bytes[item], 4);
    bytes[item] = 3;
    expect_error([&] { parse_bytes(bytes); }, TRD_INVALID_MODEL, {"invalid item size 3", "variable 'odd'", "byte offset " + std::to_string(item)});
  }
  {  // version 3: element count disagrees with the shape
    ModelBinWriter w(3);
    w.add_raw({"count", DType::Float32, {2}, std::vector<uint8_t>(4)});
    expect_error([&] { parse(w); }, TRD_INVALID_MODEL, {"'count'", "element count 1"});
  }
  {  // same name twice
    ModelBinWriter w;
    w.add_f32("twice", {1}, {1}).add_f32("twice", {1}, {2});
    expect_error([&] { parse(w); }, TRD_INVALID_MODEL, {"duplicate name: a second record of variable 'twice' (record 1 of 2"});
  }
  {  // string length 0
    ModelBinWriter w;
    w.add_f32("f", {1}, {1});
    auto bytes = w.bytes();
    const size_t name = 4 + 2 + 16 + 4 + 4;
    bytes[name] = 0;
    bytes[name + 1] = 0;
    expect_error([&] { parse_bytes(bytes); }, TRD_INVALID_MODEL, {"invalid string length 0", "byte offset " + std::to_string(name)});
  }
}

TEST(ModelBin, AbsurdCountsFailBeforeAllocating) {
  {  // variable count 2^32 - 1 in a tiny file
    std::vector<uint8_t> bytes;
    ModelBinWriter::u32(bytes, 6);
    ModelBinWriter::str(bytes, "TransformerSpec");
    ModelBinWriter::u32(bytes, 7);
    ModelBinWriter::u32(bytes, 0xFFFFFFFFu);
    expect_error([&] { parse_bytes(bytes); }, TRD_INVALID_MODEL, {"truncated at byte offset 30", "variable record 0 of 4294967295"});
  }
  {  // version 3: a 16 GiB payload announced by a consistent shape and element count
    ModelBinWriter w(3);
    w.add_raw({"big", DType::Float32, {0xFFFFFFFFu}, {}});
    auto bytes = w.bytes();
    const size_t count = bytes.size() - 4 - 4;  // element count precedes the (empty) payload and the alias count
    for (int i = 0; i < 4; ++i) bytes[count + i] = 0xFF;
    expect_error([&] { parse_bytes(bytes); }, TRD_INVALID_MODEL, {"truncated", "payload of variable 'big'", "needs 17179869180 bytes"});
  }
  {  // alias count far beyond the file
    ModelBinWriter w;
    auto bytes = w.bytes();
    for (int i = 0; i < 4; ++i) bytes[bytes.size() - 1 - i] = 0x7F;
    expect_error([&] { parse_bytes(bytes); }, TRD_INVALID_MODEL, {"truncated at byte offset", "alias record 0 of 2139062143"});
  }
}

TEST(ModelBin, FilesAreNamedInErrors) {
  test::TempDir dir;
  expect_error([&] { read_model_bin((dir / "model.bin").string()); }, TRD_NOT_FOUND, {(dir / "model.bin").string(), "No such file"});
  expect_error([&] { read_model_bin(dir.path().string()); }, TRD_INVALID_MODEL, {dir.path().string(), "not a regular file"});
  auto bytes = test::tiny_transformer().bytes();
  bytes.resize(bytes.size() / 2);
  std::ofstream(dir / "model.bin", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  expect_error([&] { read_model_bin((dir / "model.bin").string()); }, TRD_INVALID_MODEL,
               {(dir / "model.bin").string() + ": truncated at byte offset", "of variable", "remain (file size " + std::to_string(bytes.size()) + ")"});
}

}  // namespace
}  // namespace trd
