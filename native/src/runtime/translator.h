// The translator: `inter_threads` replicas (one worker thread each, with its own scratch state)
// sharing one read-only copy of the weights, `intra_threads` compute threads per replica, and a
// bounded queue of batches in front of them (CTranslate2's ReplicaPool, ct2-format.md §5.15).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/options.h"
#include "runtime/pipeline.h"

namespace trd::runtime {

// Returns true once the call should stop; checked between decoding steps. May be empty.
using CancelCheck = std::function<bool()>;

struct TranslatorConfig {
  std::string compute_type = "default";
  int32_t inter_threads = 1;
  int32_t intra_threads = 0;       // 0: OMP_NUM_THREADS if set, else min(4, cores)
  int32_t max_queued_batches = 0;  // 0: 4 x inter_threads; -1: unbounded
};

class Translator {
 public:
  Translator(const std::string& model_directory, const TranslatorConfig& config);
  ~Translator();
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  // Thread-safe. `prefixes` is empty (no prefix) or has one entry per source. `cancel` may be null.
  std::vector<TranslationResult> translate(const std::vector<Tokens>& sources, const std::vector<Tokens>& prefixes,
                                           const TranslationOptions& options, const CancelCheck& cancel);
  std::vector<ScoringResult> score(const std::vector<Tokens>& sources, const std::vector<Tokens>& targets,
                                   const TranslationOptions& options, const CancelCheck& cancel);

  const Vocabulary& target_vocabulary() const { return *model_.target_vocabulary; }
  const std::string& describe_json() const { return describe_; }
  int32_t intra_threads() const { return intra_threads_; }

 private:
  struct Replica;
  using Job = std::function<void(Replica&)>;

  // Splits a call into batches, queues them and waits for all of them.
  void run_batches(const std::vector<Tokens>& sources, const TranslationOptions& options,
                   const CancelCheck& cancel, const std::function<void(Replica&, const std::vector<size_t>&,
                                                                             const decoding::StepCallback&)>& body);
  void post(Job job);
  void worker(size_t index);

  ModelContext model_;
  std::string describe_;
  int32_t intra_threads_ = 1;
  size_t queue_limit_ = 0;  // 0: unbounded
  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace trd::runtime
