// config.json, vocabularies, vmap.txt and whole model directories (ct2-format.md §2).
#include <gtest/gtest.h>

#include "common/error.h"
#include "model/model.h"
#include "model/model_files.h"
#include "support/expect_error.h"
#include "support/model_writer.h"

namespace trd {
namespace {

using test::expect_error;
using test::ModelBinWriter;
using test::TempDir;

const std::vector<std::string> kTokens = {"<s>", "<pad>", "</s>", "<unk>", "hola", "hej"};

ModelConfig config_of(const std::string& json, bool require = true) { return model_files::parse_config_json(json, "dir/config.json", require); }

TEST(ModelConfig, NllbConfigAndVariants) {
  const ModelConfig nllb = config_of(test::kNllbConfig);
  EXPECT_EQ(nllb.unk_token, "<unk>");
  EXPECT_EQ(nllb.bos_token, "<s>");
  EXPECT_EQ(nllb.eos_token, "</s>");
  EXPECT_EQ(nllb.decoder_start_token, std::optional<std::string>("</s>"));
  EXPECT_FALSE(nllb.add_source_bos);
  EXPECT_FALSE(nllb.add_source_eos);
  EXPECT_FALSE(nllb.layer_norm_epsilon.has_value());

  const ModelConfig other = config_of(R"({"unk_token": "[UNK]", "bos_token": "[B]", "eos_token": "[E]", "decoder_start_token": null,
      "add_source_bos": true, "add_source_eos": true, "layer_norm_epsilon": 1e-6, "traductor_smoke_model": true,
      "quantization_type": 0, "nested": {"ignored": [1, 2]}})");
  EXPECT_EQ(other.unk_token, "[UNK]");
  EXPECT_EQ(other.bos_token, "[B]");
  EXPECT_EQ(other.eos_token, "[E]");
  EXPECT_EQ(other.decoder_start_token, std::nullopt);
  EXPECT_TRUE(other.add_source_bos);
  EXPECT_TRUE(other.add_source_eos);
  ASSERT_TRUE(other.layer_norm_epsilon.has_value());
  EXPECT_FLOAT_EQ(*other.layer_norm_epsilon, 1e-6f);
  // Missing optional keys: no epsilon, flags false.
  const ModelConfig minimal = config_of(R"({"unk_token": "u", "bos_token": "b", "eos_token": "e", "decoder_start_token": "b"})");
  EXPECT_FALSE(minimal.layer_norm_epsilon.has_value());
  EXPECT_FALSE(minimal.add_source_bos);
  EXPECT_EQ(minimal.decoder_start_token, std::optional<std::string>("b"));
}

TEST(ModelConfig, BadContentIsNamed) {
  expect_error([] { config_of("{\"unk_token\": "); }, TRD_INVALID_MODEL, {"dir/config.json", "invalid JSON"});
  expect_error([] { config_of("[]"); }, TRD_INVALID_MODEL, {"dir/config.json", "expected a JSON object"});
  expect_error([] { config_of(R"({"bos_token": "<s>", "eos_token": "</s>", "decoder_start_token": null})"); }, TRD_INVALID_MODEL,
               {"dir/config.json", "missing key \"unk_token\""});
  expect_error([] { config_of(R"({"unk_token": 3, "bos_token": "<s>", "eos_token": "</s>"})"); }, TRD_INVALID_MODEL,
               {"\"unk_token\" must be a string", "number"});
  expect_error([] { config_of(R"({"unk_token": "u", "bos_token": "b", "eos_token": "e"})"); }, TRD_INVALID_MODEL, {"\"decoder_start_token\""});
  expect_error([] { config_of(R"({"unk_token": "u", "bos_token": "b", "eos_token": "e", "decoder_start_token": 2})"); }, TRD_INVALID_MODEL,
               {"\"decoder_start_token\" must be a string or null"});
  expect_error([] { config_of(R"({"add_source_bos": "yes"})", false); }, TRD_INVALID_MODEL, {"\"add_source_bos\" must be true or false"});
  expect_error([] { config_of(R"({"layer_norm_epsilon": "small"})", false); }, TRD_INVALID_MODEL, {"\"layer_norm_epsilon\""});
  expect_error([] { config_of(R"({"layer_norm_epsilon": -1})", false); }, TRD_INVALID_MODEL, {"\"layer_norm_epsilon\""});
  // Without the version-6 requirement, missing tokens keep the defaults.
  EXPECT_EQ(config_of("{}", false).unk_token, "<unk>");
}

TEST(ModelVocabulary, JsonEscapesAndSurrogatePairs) {
  const auto tokens = model_files::parse_vocabulary_json(
      R"(["<s>", "\u2581de", "\u00e6\u00f8\u00e5", "\ud83d\ude00", "a\"b\\c", "tab\there", "\u0000x", "plain ñ"])", "v.json");
  ASSERT_EQ(tokens.size(), 8u);
  EXPECT_EQ(tokens[1], "\xE2\x96\x81" "de");
  EXPECT_EQ(tokens[2], "\xC3\xA6\xC3\xB8\xC3\xA5");
  EXPECT_EQ(tokens[3], "\xF0\x9F\x98\x80");  // U+1F600 from a surrogate pair
  EXPECT_EQ(tokens[4], "a\"b\\c");
  EXPECT_EQ(tokens[5], "tab\there");
  EXPECT_EQ(tokens[6], std::string("\0x", 2));
  EXPECT_EQ(tokens[7], "plain \xC3\xB1");
}

TEST(ModelVocabulary, BadJsonIsNamed) {
  expect_error([] { model_files::parse_vocabulary_json(R"(["\ud83d"])", "v.json"); }, TRD_INVALID_MODEL, {"v.json", "invalid JSON"});
  expect_error([] { model_files::parse_vocabulary_json("[\"\xFF\"]", "v.json"); }, TRD_INVALID_MODEL, {"v.json", "invalid JSON"});
  expect_error([] { model_files::parse_vocabulary_json(R"({"a": 1})", "v.json"); }, TRD_INVALID_MODEL, {"v.json", "expected a JSON array"});
  expect_error([] { model_files::parse_vocabulary_json(R"(["a", "b", 3])", "v.json"); }, TRD_INVALID_MODEL, {"v.json", "element 2 is number"});
  expect_error([] { model_files::parse_vocabulary_json(R"(["a")", "v.json"); }, TRD_INVALID_MODEL, {"v.json", "invalid JSON"});
  // Deep nesting must not exhaust the stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  expect_error([&] { model_files::parse_vocabulary_json(deep, "v.json"); }, TRD_INVALID_MODEL, {"element 0 is array"});
}

TEST(ModelVocabulary, TextLinesAndTheCarriageReturnRule) {
  using model_files::parse_vocabulary_text;
  EXPECT_EQ(parse_vocabulary_text("a\nb\nc\n"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(parse_vocabulary_text("a\nb\nc"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(parse_vocabulary_text("a\r\nb\r\n\r\nc\r\n"), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(parse_vocabulary_text("a\r\nb\r\nc\r"), (std::vector<std::string>{"a", "b", "c"}));
  // Not every line ends with CR: every CR is part of its token.
  EXPECT_EQ(parse_vocabulary_text("a\r\nb\nc\r\n"), (std::vector<std::string>{"a\r", "b", "c\r"}));
  EXPECT_EQ(parse_vocabulary_text("x\n\ny\n"), (std::vector<std::string>{"x", "", "y"}));
  EXPECT_EQ(parse_vocabulary_text("\xE2\x96\x81" "de \t\n"), (std::vector<std::string>{"\xE2\x96\x81" "de \t"}));
  EXPECT_TRUE(parse_vocabulary_text("").empty());
}

TEST(ModelVocabulary, ConstructionRules) {
  ModelConfig config;
  const Vocabulary v({"<s>", "a", "</s>", "a", "<unk>"}, config);
  EXPECT_EQ(v.size(), 5u);
  EXPECT_EQ(v.to_id("a"), 1);  // first id of a duplicate
  EXPECT_EQ(v.to_token(3), "a");
  EXPECT_EQ(v.unk_id(), 4);
  EXPECT_EQ(v.bos_id(), 0);
  EXPECT_EQ(v.eos_id(), 2);
  EXPECT_EQ(v.find("zzz"), -1);
  EXPECT_EQ(v.to_id("zzz"), 4);
  // A missing unknown token is appended; missing bos/eos map to it.
  const Vocabulary w({"x", "y"}, config);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.to_token(2), "<unk>");
  EXPECT_EQ(w.unk_id(), 2);
  EXPECT_EQ(w.bos_id(), 2);
}

TEST(ModelVocabulary, VocabularyMap) {
  const Vocabulary target({"<s>", "<pad>", "</s>", "<unk>", "hej", "verden", "og", "du"}, ModelConfig{});
  const auto map = model_files::parse_vocabulary_map(
      "\tog\nhola\thej\r\nhola mundo\thej verden\n\nhola mundo tú\tdu  nope\nhola\tdu\n", "dir/vmap.txt", target);
  EXPECT_EQ(map.fixed_candidates, (std::vector<int32_t>{0, 2, 3, 6}));
  EXPECT_EQ(map.max_ngram, 3u);
  ASSERT_EQ(map.rules.size(), 3u);
  EXPECT_EQ(map.rules.at("hola"), (std::vector<int32_t>{7}));  // a repeated key replaces the rule
  EXPECT_EQ(map.rules.at("hola mundo"), (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(map.rules.at("hola mundo tú"), (std::vector<int32_t>{7, 3}));  // unknown target token -> <unk>
  expect_error([&] { model_files::parse_vocabulary_map("ok\thej\nbroken line\n", "dir/vmap.txt", target); }, TRD_INVALID_MODEL,
               {"dir/vmap.txt", "line 2", "no TAB"});
}

TEST(ModelDirectory, LoadsASmallModelWithVmap) {
  TempDir dir;
  test::write_model_directory(dir, test::tiny_transformer(), kTokens);
  dir.write("vmap.txt", "hola\thej\n");
  const ModelFiles m = load_model_directory(dir.path().string());
  EXPECT_EQ(m.directory, dir.path().string());
  EXPECT_EQ(m.target_vocabulary->size(), 6u);
  EXPECT_EQ(m.source_vocabulary, m.target_vocabulary);
  ASSERT_TRUE(m.vocabulary_map.has_value());
  EXPECT_EQ(m.vocabulary_map->rules.at("hola"), (std::vector<int32_t>{5}));
  EXPECT_EQ(m.get("encoder/embeddings_0/weight").shape[0], 6);
}

TEST(ModelDirectory, SeparateVocabulariesInEitherFormat) {
  TempDir dir;
  test::tiny_transformer(6, false, 6, 4).write(dir / "model.bin");
  dir.write("config.json", test::kNllbConfig);
  dir.write("target_vocabulary.json", R"(["<s>", "<pad>", "</s>", "<unk>", "hej", "\u00e6bler"])");
  dir.write("source_vocabulary.txt", "<s>\r\n</s>\r\n<unk>\r\nmanzanas\r\n");
  const ModelFiles m = load_model_directory(dir.path().string());
  EXPECT_NE(m.source_vocabulary, m.target_vocabulary);
  EXPECT_EQ(m.source_vocabulary->size(), 4u);
  EXPECT_EQ(m.source_vocabulary->to_token(3), "manzanas");
  EXPECT_EQ(m.source_vocabulary->unk_id(), 2);
  EXPECT_EQ(m.target_vocabulary->to_token(5), "\xC3\xA6" "bler");

  // .json wins over .txt for the same logical name.
  dir.write("source_vocabulary.json", R"(["<s>", "</s>", "<unk>", "from-json"])");
  EXPECT_EQ(load_model_directory(dir.path().string()).source_vocabulary->to_token(3), "from-json");

  // source_1_vocabulary is accepted as the single source vocabulary; a second feature is not.
  std::filesystem::remove(dir / "source_vocabulary.json");
  std::filesystem::remove(dir / "source_vocabulary.txt");
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_NOT_FOUND, {"no source_vocabulary"});
  dir.write("source_1_vocabulary.json", R"(["<s>", "</s>", "<unk>", "feature-1"])");
  EXPECT_EQ(load_model_directory(dir.path().string()).source_vocabulary->to_token(3), "feature-1");
  dir.write("source_2_vocabulary.json", R"(["a"])");
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_UNSUPPORTED, {"several source vocabularies"});
}

TEST(ModelDirectory, VocabularySizeMustMatchTheEmbeddings) {
  TempDir dir;
  test::write_model_directory(dir, test::tiny_transformer(), {"<s>", "<pad>", "</s>", "<unk>", "x"});
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_INVALID_MODEL,
               {"shared_vocabulary.json", "5 tokens", "'decoder/embeddings/weight'", "6 rows"});
  // Six tokens but no <unk>: CTranslate2 appends it, which makes seven.
  test::write_model_directory(dir, test::tiny_transformer(), {"<s>", "<pad>", "</s>", "a", "b", "c"});
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_INVALID_MODEL, {"7 tokens", "6 rows"});
  // Separate source vocabulary checked against the encoder's own embedding.
  TempDir separate;
  test::tiny_transformer(6, false, 6, 4).write(separate / "model.bin");
  separate.write("config.json", test::kNllbConfig);
  separate.write("target_vocabulary.json", R"(["<s>", "<pad>", "</s>", "<unk>", "a", "b"])");
  separate.write("source_vocabulary.json", R"(["<s>", "<pad>", "</s>", "<unk>", "a"])");
  expect_error([&] { load_model_directory(separate.path().string()); }, TRD_INVALID_MODEL,
               {"source_vocabulary.json", "5 tokens", "'encoder/embeddings_0/weight'", "4 rows"});
}

TEST(ModelDirectory, MissingAndBrokenFilesAreNamed) {
  TempDir dir;
  expect_error([&] { load_model_directory((dir / "nope").string()); }, TRD_NOT_FOUND, {"nope", "does not exist"});
  dir.write("file", "x");
  expect_error([&] { load_model_directory((dir / "file").string()); }, TRD_INVALID_MODEL, {"not a directory"});
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_NOT_FOUND, {"model.bin"});
  test::tiny_transformer().write(dir / "model.bin");
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_NOT_FOUND, {"config.json", "binary version 6"});
  dir.write("config.json", "{ not json");
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_INVALID_MODEL, {(dir / "config.json").string(), "invalid JSON"});
  dir.write("config.json", test::kNllbConfig);
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_NOT_FOUND, {"no vocabulary"});
  dir.write("shared_vocabulary.json", "[\"<s>\", ");
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_INVALID_MODEL, {(dir / "shared_vocabulary.json").string(), "invalid JSON"});
  std::filesystem::remove(dir / "shared_vocabulary.json");
  dir.write("shared_vocabulary.txt", "<s>\n<pad>\n</s>\n<unk>\na\nb\n");
  EXPECT_EQ(load_model_directory(dir.path().string()).target_vocabulary->size(), 6u);
  dir.write("vmap.txt", "no tab here\n");
  expect_error([&] { load_model_directory(dir.path().string()); }, TRD_INVALID_MODEL, {(dir / "vmap.txt").string(), "line 1"});
}

TEST(ModelDirectory, LegacyVersionsTakeTheirConfigFromModelBin) {
  // Version 5 with the special tokens and flags as variables, and no config.json at all.
  TempDir dir;
  ModelBinWriter w = test::tiny_transformer(6, false, 5);
  w.add_string("unk_token", "[unk]").add_string("bos_token", "[bos]").add_string("eos_token", "[eos]");
  w.add_scalar<int8_t>("with_source_bos", DType::Int8, 1).add_scalar<int8_t>("with_source_eos", DType::Int8, 1);
  w.add_scalar<int8_t>("with_target_bos", DType::Int8, 0);
  w.write(dir / "model.bin");
  dir.write("shared_vocabulary.txt", "[bos]\n[pad]\n[eos]\n[unk]\na\nb\n");
  ModelFiles m = load_model_directory(dir.path().string());
  EXPECT_EQ(m.config.unk_token, "[unk]");
  EXPECT_EQ(m.config.bos_token, "[bos]");
  EXPECT_EQ(m.config.eos_token, "[eos]");
  EXPECT_TRUE(m.config.add_source_bos);
  EXPECT_TRUE(m.config.add_source_eos);
  EXPECT_EQ(m.config.decoder_start_token, std::optional<std::string>("[eos]"));  // with_target_bos = 0
  EXPECT_EQ(m.target_vocabulary->unk_id(), 3);
  EXPECT_EQ(m.target_vocabulary->bos_id(), 0);

  // user_decoder_start_tokens wins; config.json values are overwritten, its epsilon kept.
  w.add_scalar<int8_t>("user_decoder_start_tokens", DType::Int8, 1);
  w.write(dir / "model.bin");
  dir.write("config.json", R"({"unk_token": "ignored", "layer_norm_epsilon": 0.001})");
  m = load_model_directory(dir.path().string());
  EXPECT_EQ(m.config.decoder_start_token, std::nullopt);
  EXPECT_EQ(m.config.unk_token, "[unk]");
  EXPECT_FLOAT_EQ(m.config.layer_norm_epsilon.value_or(0), 0.001f);

  // Defaults when nothing is stored: <unk>/<s>/</s>, start with BOS.
  TempDir bare;
  test::tiny_transformer(6, false, 4).write(bare / "model.bin");
  bare.write("shared_vocabulary.json", R"(["<s>", "<pad>", "</s>", "<unk>", "a", "b"])");
  m = load_model_directory(bare.path().string());
  EXPECT_EQ(m.config.unk_token, "<unk>");
  EXPECT_EQ(m.config.decoder_start_token, std::optional<std::string>("<s>"));
  EXPECT_FALSE(m.config.add_source_bos);
}

TEST(ModelDirectory, Int8SmallModelGetsImpliedScales) {
  TempDir dir;
  test::write_model_directory(dir, test::tiny_transformer(6, true), kTokens);
  const ModelFiles m = load_model_directory(dir.path().string());
  EXPECT_EQ(m.get("decoder/projection/weight").dtype, DType::Int8);
  EXPECT_EQ(&m.get("decoder/projection/weight_scale"), &m.get("decoder/embeddings/weight_scale"));
  EXPECT_EQ(&m.get("encoder/embeddings_0/weight_scale"), &m.get("decoder/embeddings/weight_scale"));
  EXPECT_EQ(m.get("encoder/layer_0/ffn/linear_1/weight_scale").shape, (std::vector<int64_t>{4}));
}

}  // namespace
}  // namespace trd
