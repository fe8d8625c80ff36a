// The Transformer forward passes: encoder over a batch of sources, decoder one step at a time with
// self-attention and cross-attention caches. One instance per replica holds all scratch memory,
// reused across batches so the decoding loop does not allocate once it has warmed up.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "layers/weights.h"

namespace trd::layers {

// How oneDNN sums q.K^T when CTranslate2 multiplies several query rows by the same keys at once:
// one row is a matrix-vector product (kernels::query_scores), a few rows take its small-N kernel
// (kernels::query_scores_grouped), more rows its general kernel (one FMA chain per product).
enum class ProductOrder { kOneRow, kFewRows, kManyRows };

// The runtime's view of a decoder, also implemented by hand-built models in the decoding tests.
class StepModel {
 public:
  virtual ~StepModel() = default;
  virtual int64_t vocabulary_size() const = 0;
  // Logits [tokens.size(), V] for one step. Hypothesis i feeds `tokens[i]` at position `step` and
  // attends to the source of sentence `sentences[i]` of the current batch.
  virtual void step(int64_t step, const std::vector<int32_t>& tokens, const std::vector<int32_t>& sentences,
                    float* logits) = 0;
  // Hypothesis i of the next step continues hypothesis origin[i] of the last step.
  virtual void reorder(const std::vector<int32_t>& origin) = 0;

  // CTranslate2's translate runs one query row per step; its score_batch runs every position of the
  // padded decoder input at once, and oneDNN's summation order for the attention products depends on
  // that row count (kernels::query_scores, query_scores_grouped). Teacher-forced scoring steps
  // through the target here, so it says how many rows CTranslate2 would have: the padded input
  // length, or 0 while decoding (the default).
  void set_rows_at_once(int64_t rows) { rows_at_once_ = rows; }

 protected:
  int64_t rows_at_once_ = 0;
};

class TransformerRunner : public StepModel {
 public:
  explicit TransformerRunner(std::shared_ptr<const TransformerWeights> weights);

  // Runs the encoder on `sources` (token ids, no padding) and prepares the cross-attention K/V of
  // every layer. Every source must be non-empty. Resets the decoder state.
  void encode(const std::vector<std::vector<int32_t>>& sources);

  int64_t vocabulary_size() const override { return weights_->projection.out(); }
  void step(int64_t step, const std::vector<int32_t>& tokens, const std::vector<int32_t>& sentences,
            float* logits) override;
  void reorder(const std::vector<int32_t>& origin) override;

  const TransformerWeights& weights() const { return *weights_; }

  // CTranslate2's vocabulary map (use_vmap): the output projection is computed for the sorted
  // candidate ids only; step() writes their logits and -FLT_MAX everywhere else, which is what
  // masking the other ids gives, without computing them. An empty list removes the restriction.
  void restrict_output(const std::vector<int32_t>& candidates);

 private:
  void dense(const Dense& layer, const float* x, int64_t rows, float* y,
             std::optional<kernels::Activation> activation = std::nullopt, const float* residual = nullptr);
  void feed_forward(const FeedForwardWeights& f, const StackConfig& cfg, float* x, float* h, float* inner,
                    int64_t rows);
  void embed(const EmbeddingWeights& e, const int32_t* ids, const int64_t* positions, int64_t rows, float* x);
  void ensure_cache(int64_t hyps, int64_t steps);

  std::shared_ptr<const TransformerWeights> weights_;
  int64_t d_;

  // The projection gathered to the vmap candidates (restrict_output), and those ids.
  std::optional<Dense> restricted_projection_;
  std::vector<int32_t> candidates_;
  std::vector<float> restricted_logits_;

  // Encoder output projected to cross-attention keys/values, per decoder layer: [total, 2d], and
  // the keys again transposed per sentence and head ([d, len] per sentence) for attend().
  std::vector<std::vector<float>> memory_kv_, memory_kt_;
  std::vector<int64_t> source_offsets_, source_lengths_;

  // Self-attention cache per layer: keys transposed [slot capacity, d, step capacity] and values
  // [slot capacity, step capacity, d]; hypothesis i of the current step lives in slot slots_[i].
  std::vector<std::vector<float>> cache_kt_, cache_v_;
  std::vector<int32_t> slots_;
  int64_t cache_hyps_ = 0, cache_steps_ = 0, cache_used_steps_ = 0, cache_used_hyps_ = 0;

  // Scratch.
  std::vector<float> x_, h_, qkv_, ctx_, inner_, scores_, kt_;
  std::vector<int8_t> q8_, row8_;
  std::vector<float> qscales_;
  std::vector<int32_t> c32_;
  std::vector<int64_t> positions_;
  std::vector<int64_t> sentence_rows_;  // decoder rows per sentence in the current step
  // reorder(): slots taken, the next step's slots, and the (from, to) slot copies.
  std::vector<char> taken_slots_;
  std::vector<int32_t> next_slots_;
  std::vector<std::pair<int32_t, int32_t>> slot_copies_;
};

}  // namespace trd::layers
