#include "runtime/translator.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <future>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/batching.h"
#include "layers/transformer.h"

namespace trd::runtime {

struct Translator::Replica {
  explicit Replica(std::shared_ptr<const layers::TransformerWeights> weights) : runner(std::move(weights)) {}
  layers::TransformerRunner runner;
};

namespace {

int32_t resolve_intra_threads(int32_t requested) {
  if (requested > 0) return requested;
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    const int value = std::atoi(env);
    if (value > 0) return value;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int32_t>(std::min(4u, cores));
}

}  // namespace

Translator::Translator(const std::string& model_directory, const TranslatorConfig& config) {
  if (config.inter_threads < 1) fail(TRD_INVALID_ARGUMENT, "inter_threads must be >= 1");
  if (config.intra_threads < 0) fail(TRD_INVALID_ARGUMENT, "intra_threads must be >= 0");
  if (config.max_queued_batches < -1) fail(TRD_INVALID_ARGUMENT, "max_queued_batches must be >= -1");
  ModelFiles files = load_model_directory(model_directory);
  if (!files.target_vocabulary || !files.source_vocabulary)
    fail(TRD_INVALID_MODEL, model_directory + ": no vocabulary was loaded");
  const auto compute_type = layers::resolve_compute_type(config.compute_type, files);
  model_.weights = layers::build_transformer_weights(files, compute_type);
  model_.source_vocabulary = files.source_vocabulary;
  model_.target_vocabulary = files.target_vocabulary;
  model_.config = files.config;
  model_.vocabulary_map = files.vocabulary_map;
  model_.binary_version = files.binary_version;
  model_.spec_name = files.spec_name;
  intra_threads_ = resolve_intra_threads(config.intra_threads);
  const size_t workers = static_cast<size_t>(config.inter_threads);
  queue_limit_ = config.max_queued_batches == 0   ? 4 * workers
                 : config.max_queued_batches < 0 ? 0
                                                 : static_cast<size_t>(config.max_queued_batches);

  const auto& w = *model_.weights;
  nlohmann::json d;
  d["engine"] = "builtin";
  d["compute_type"] = layers::compute_type_name(w.compute_type);
  d["binary_version"] = files.binary_version;
  d["spec"] = files.spec_name;
  d["encoder_layers"] = w.encoder_config.layers;
  d["decoder_layers"] = w.decoder_config.layers;
  d["d_model"] = w.d_model;
  d["heads"] = w.encoder_config.heads;
  d["ffn"] = w.ffn;
  d["vocabulary_size"] = model_.target_vocabulary->size();
  d["position_rows"] = w.decoder_embeddings.position_rows;
  d["parameters"] = w.parameters;
  d["weights_bytes"] = w.weights_bytes;
  d["inter_threads"] = config.inter_threads;
  d["intra_threads"] = intra_threads_;
  describe_ = d.dump();

  for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this, i] { worker(i); });
}

Translator::~Translator() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  not_empty_.notify_all();
  for (auto& t : workers_) t.join();
}

void Translator::worker(size_t) {
  // OpenMP's thread count is per calling thread, so each replica gets its own intra_threads.
  omp_set_num_threads(intra_threads_);
  Replica replica(model_.weights);
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      not_empty_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    not_full_.notify_one();
    job(replica);
  }
}

void Translator::post(Job job) {
  std::unique_lock<std::mutex> lock(mutex_);
  not_full_.wait(lock, [&] { return queue_limit_ == 0 || queue_.size() < queue_limit_; });
  queue_.push_back(std::move(job));
  lock.unlock();
  not_empty_.notify_one();
}

void Translator::run_batches(
    const std::vector<Tokens>& sources, const TranslationOptions& options, const CancelCheck& cancel,
    const std::function<void(Replica&, const std::vector<size_t>&, const decoding::StepCallback&)>& body) {
  std::vector<size_t> lengths;
  for (const auto& s : sources) lengths.push_back(s.size());
  const auto batches = make_batches(lengths, options.max_batch_size, options.batch_type);
  const decoding::StepCallback check = [&cancel] {
    if (cancel && cancel()) fail(TRD_CANCELLED, "the call was cancelled");
  };
  std::vector<std::future<void>> pending;
  for (const auto& batch : batches) {
    auto task = std::make_shared<std::packaged_task<void(Replica&)>>(
        [&body, batch = &batch, &check](Replica& replica) {
          check();
          body(replica, *batch, check);
        });
    pending.push_back(task->get_future());
    post([task](Replica& replica) { (*task)(replica); });
  }
  // Every batch references this frame, so all are awaited before the first error is rethrown.
  std::exception_ptr first_error;
  for (auto& f : pending) {
    try {
      f.get();
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

std::vector<TranslationResult> Translator::translate(const std::vector<Tokens>& sources,
                                                     const std::vector<Tokens>& prefixes,
                                                     const TranslationOptions& options,
                                                     const CancelCheck& cancel) {
  validate(options);
  if (!prefixes.empty() && prefixes.size() != sources.size())
    fail(TRD_INVALID_ARGUMENT, "target_prefix must have one entry per source");
  std::vector<TranslationResult> results(sources.size());
  static const Tokens kNoPrefix;
  run_batches(sources, options, cancel,
              [&](Replica& replica, const std::vector<size_t>& batch, const decoding::StepCallback& check) {
                std::vector<const Tokens*> src, pre;
                for (size_t i : batch) {
                  src.push_back(&sources[i]);
                  pre.push_back(prefixes.empty() ? &kNoPrefix : &prefixes[i]);
                }
                auto out = run_translation(replica.runner, model_, src, pre, options, check);
                for (size_t j = 0; j < batch.size(); ++j) results[batch[j]] = std::move(out[j]);
              });
  return results;
}

std::vector<ScoringResult> Translator::score(const std::vector<Tokens>& sources, const std::vector<Tokens>& targets,
                                             const TranslationOptions& options, const CancelCheck& cancel) {
  if (targets.size() != sources.size()) fail(TRD_INVALID_ARGUMENT, "score_batch needs one target per source");
  if (options.max_input_length < 0) fail(TRD_INVALID_ARGUMENT, "max_input_length must be >= 0");
  if (options.max_batch_size < 0) fail(TRD_INVALID_ARGUMENT, "max_batch_size must be >= 0");
  std::vector<ScoringResult> results(sources.size());
  run_batches(sources, options, cancel,
              [&](Replica& replica, const std::vector<size_t>& batch, const decoding::StepCallback& check) {
                std::vector<const Tokens*> src, tgt;
                for (size_t i : batch) {
                  src.push_back(&sources[i]);
                  tgt.push_back(&targets[i]);
                }
                auto out = run_scoring(replica.runner, model_, src, tgt, options, check);
                for (size_t j = 0; j < batch.size(); ++j) results[batch[j]] = std::move(out[j]);
              });
  return results;
}

}  // namespace trd::runtime
