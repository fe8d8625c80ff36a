/*
 * traductor.h — the C ABI of Traductor's native library (libtraductor.so).
 *
 * This header is the only public native surface. It is shaped after ONNX Runtime's C API and
 * CTranslate2's translate_batch/score_batch: token strings in, token strings out, so the builtin
 * engine and a CTranslate2-backed build are interchangeable and testable against the same golden
 * data.
 *
 * Conventions (hold for every function unless its comment says otherwise)
 *  - Every fallible call returns trd_status*: NULL on success, otherwise a status the caller owns
 *    and must release with trd_status_free(). No C++ exception ever crosses this boundary.
 *  - Every type is opaque. Every *_create / *_free pair exists, and every *_free accepts NULL.
 *  - Out-parameters are written only on success; on failure they are set to NULL.
 *  - Strings are UTF-8, NUL-terminated. Batches of token lists are passed flattened:
 *    `tokens` holds all tokens of all examples back to back, `lengths[i]` is the number of tokens
 *    of example i, `num_examples` the number of examples.
 *  - Results are caller-owned. Pointers returned by accessors stay valid until the owning object
 *    is freed.
 *
 * Threading contract
 *  - trd_translator: safe to call from many threads at once. Calls are queued onto the
 *    translator's replicas (inter_threads), each running one batch at a time with intra_threads
 *    compute threads; the weights are shared read-only by all replicas.
 *  - trd_tokenizer: immutable after creation; safe to use from many threads.
 *  - trd_options, trd_translator_config: not synchronized; do not mutate one while another thread
 *    passes it to a call. Passing the same options object to concurrent calls is fine.
 *  - trd_cancel: trd_cancel_set / trd_cancel_is_set may be called from any thread at any time.
 *  - trd_result, trd_score_result, trd_pieces, trd_status: immutable; readable from any thread.
 */
#ifndef TRADUCTOR_TRADUCTOR_H
#define TRADUCTOR_TRADUCTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define TRD_API __declspec(dllexport)
#else
#define TRD_API __attribute__((visibility("default")))
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TRD_MUST_USE __attribute__((warn_unused_result))
#else
#define TRD_MUST_USE
#endif

/* Bumped on every incompatible change of this header. The bindings refuse a library whose
 * trd_abi_version() differs from the version they were written for. */
#define TRD_ABI_VERSION 1

/* ---------------------------------------------------------------------------------------------
 * Opaque types
 * ------------------------------------------------------------------------------------------- */
typedef struct trd_status trd_status;
typedef struct trd_translator_config trd_translator_config;
typedef struct trd_translator trd_translator;
typedef struct trd_options trd_options;
typedef struct trd_result trd_result;
typedef struct trd_score_result trd_score_result;
typedef struct trd_cancel trd_cancel;
typedef struct trd_tokenizer trd_tokenizer;
typedef struct trd_pieces trd_pieces;

/* ---------------------------------------------------------------------------------------------
 * Library
 * ------------------------------------------------------------------------------------------- */

/* TRD_ABI_VERSION of the compiled library. Thread-safe, never fails. */
TRD_API uint32_t trd_abi_version(void);

/* Library version string, e.g. "0.1.0 (builtin engine)". Static storage. Thread-safe. */
TRD_API const char* trd_version(void);

/* ---------------------------------------------------------------------------------------------
 * Status
 * ------------------------------------------------------------------------------------------- */
typedef enum trd_status_code_t {
  TRD_OK = 0,
  TRD_INVALID_ARGUMENT = 1, /* a bad value from the caller (option out of range, NULL, ...) */
  TRD_NOT_FOUND = 2,        /* a file or directory does not exist */
  TRD_INVALID_MODEL = 3,    /* a model file is truncated, corrupt or inconsistent */
  TRD_UNSUPPORTED = 4,      /* a valid model or option this build does not support */
  TRD_CANCELLED = 5,        /* the call's trd_cancel flag was set */
  TRD_OUT_OF_MEMORY = 6,
  TRD_INTERNAL = 7          /* a bug: please report it */
} trd_status_code_t;

/* The status code. `status` must not be NULL. */
TRD_API int trd_status_code(const trd_status* status);
/* Human-readable message, owned by the status, valid until trd_status_free. Names the file,
 * variable, byte offset or option that was wrong. */
TRD_API const char* trd_status_message(const trd_status* status);
/* Releases a status. Accepts NULL. */
TRD_API void trd_status_free(trd_status* status);

/* ---------------------------------------------------------------------------------------------
 * Cancellation
 * ------------------------------------------------------------------------------------------- */

/* A flag checked between decoding steps. One flag may be shared by several calls. */
TRD_API TRD_MUST_USE trd_status* trd_cancel_create(trd_cancel** out);
TRD_API void trd_cancel_free(trd_cancel* cancel);
/* Sets the flag; calls observing it stop at the next decoding step with TRD_CANCELLED. */
TRD_API void trd_cancel_set(trd_cancel* cancel);
/* 1 when set, else 0. */
TRD_API int trd_cancel_is_set(const trd_cancel* cancel);

/* ---------------------------------------------------------------------------------------------
 * Translator configuration (how a model is loaded and run)
 * ------------------------------------------------------------------------------------------- */
TRD_API TRD_MUST_USE trd_status* trd_translator_config_create(trd_translator_config** out);
TRD_API void trd_translator_config_free(trd_translator_config* config);
/* "default" (default: the model's own type, int8 -> int8_float32), "float32", "int8",
 * "int8_float32". Anything else: TRD_INVALID_ARGUMENT. */
TRD_API TRD_MUST_USE trd_status* trd_translator_config_set_compute_type(trd_translator_config* config,
                                                                          const char* compute_type);
/* Replicas sharing one copy of the weights. Default 1; must be >= 1. */
TRD_API TRD_MUST_USE trd_status* trd_translator_config_set_inter_threads(trd_translator_config* config,
                                                                           int32_t inter_threads);
/* Compute threads per replica. Default 0 = OMP_NUM_THREADS if set, else min(4, cores). >= 0. */
TRD_API TRD_MUST_USE trd_status* trd_translator_config_set_intra_threads(trd_translator_config* config,
                                                                           int32_t intra_threads);
/* Batches waiting for a replica. Default 0 = 4 x inter_threads; -1 = unbounded; > 0 exact.
 * A call that finds the queue full blocks until there is room (CTranslate2's behaviour). */
TRD_API TRD_MUST_USE trd_status* trd_translator_config_set_max_queued_batches(trd_translator_config* config,
                                                                                int32_t max_queued_batches);

/* ---------------------------------------------------------------------------------------------
 * Translator
 * ------------------------------------------------------------------------------------------- */

/* Loads a CTranslate2 model directory (model.bin, config.json, vocabularies). `config` may be
 * NULL for defaults. Errors: TRD_NOT_FOUND (no such directory or model.bin), TRD_INVALID_MODEL
 * (message names the file and the variable or byte offset), TRD_UNSUPPORTED. */
TRD_API TRD_MUST_USE trd_status* trd_translator_create(const char* model_dir, const trd_translator_config* config,
                                                         trd_translator** out);
/* Waits for running calls to finish, then releases everything. Accepts NULL. */
TRD_API void trd_translator_free(trd_translator* translator);

/* Target vocabulary size, and the token string of id `id` (NULL when out of range). The strings
 * live as long as the translator. Thread-safe. */
TRD_API size_t trd_translator_vocabulary_size(const trd_translator* translator);
TRD_API const char* trd_translator_vocabulary_token(const trd_translator* translator, size_t id);
/* A JSON object describing the loaded model and engine: {"engine", "compute_type",
 * "binary_version", "spec", "encoder_layers", "decoder_layers", "d_model", "heads", "ffn",
 * "vocabulary_size", "position_rows", "parameters", "weights_bytes", "inter_threads",
 * "intra_threads"}. Static for the translator's lifetime. Thread-safe. */
TRD_API const char* trd_translator_describe(const trd_translator* translator);

/* ---------------------------------------------------------------------------------------------
 * Decoding options (CTranslate2 translate_batch / score_batch options, same defaults)
 * ------------------------------------------------------------------------------------------- */
TRD_API TRD_MUST_USE trd_status* trd_options_create(trd_options** out);
TRD_API void trd_options_free(trd_options* options);

/* Each setter validates its value and returns TRD_INVALID_ARGUMENT naming the option when it is
 * out of range. Cross-option checks (num_hypotheses vs beam*patience, min vs max length) are
 * made by trd_translate_batch. */
TRD_API TRD_MUST_USE trd_status* trd_options_set_beam_size(trd_options* o, int32_t beam_size);            /* 2, >= 1 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_patience(trd_options* o, float patience);                /* 1, > 0 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_num_hypotheses(trd_options* o, int32_t n);              /* 1, >= 1 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_length_penalty(trd_options* o, float penalty);          /* 1 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_coverage_penalty(trd_options* o, float penalty);        /* 0 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_repetition_penalty(trd_options* o, float penalty);      /* 1, > 0 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_no_repeat_ngram_size(trd_options* o, int32_t size);     /* 0 = off */
TRD_API TRD_MUST_USE trd_status* trd_options_set_disable_unk(trd_options* o, int32_t disable);           /* 0 */
/* Adds one sequence to suppress (tokens must be in the vocabulary; checked at translate time). */
TRD_API TRD_MUST_USE trd_status* trd_options_add_suppress_sequence(trd_options* o, const char* const* tokens,
                                                                     size_t length);
/* Replaces the end tokens. Default: the vocabulary's EOS (empty list = default). */
TRD_API TRD_MUST_USE trd_status* trd_options_set_end_tokens(trd_options* o, const char* const* tokens,
                                                              size_t count);
TRD_API TRD_MUST_USE trd_status* trd_options_set_return_end_token(trd_options* o, int32_t value);        /* 0 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_max_input_length(trd_options* o, int32_t length);       /* 1024, 0 = off */
TRD_API TRD_MUST_USE trd_status* trd_options_set_max_decoding_length(trd_options* o, int32_t length);    /* 256, >= 1 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_min_decoding_length(trd_options* o, int32_t length);    /* 1, >= 0 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_return_scores(trd_options* o, int32_t value);           /* 0 */
TRD_API TRD_MUST_USE trd_status* trd_options_set_use_vmap(trd_options* o, int32_t value);                /* 0 */
/* Examples (or tokens, see batch_type) per internal batch; 0 = one batch. Default 0. */
TRD_API TRD_MUST_USE trd_status* trd_options_set_max_batch_size(trd_options* o, int32_t size);
/* "examples" (default) or "tokens". */
TRD_API TRD_MUST_USE trd_status* trd_options_set_batch_type(trd_options* o, const char* batch_type);

/* ---------------------------------------------------------------------------------------------
 * Translation (CTranslate2's translate_batch)
 * ------------------------------------------------------------------------------------------- */

/* Translates `num_examples` token lists. The runtime adds nothing to the source (NLLB callers pass
 * `[src_lang] pieces </s>`). `prefix_tokens`/`prefix_lengths` may both be NULL (no target prefix);
 * otherwise one prefix per example, length 0 allowed. `options` NULL = defaults. `cancel` may be
 * NULL. Blocks until every example is done; on TRD_CANCELLED no result is returned.
 * Thread-safe. */
TRD_API TRD_MUST_USE trd_status* trd_translate_batch(trd_translator* translator, const char* const* tokens,
                                                       const size_t* lengths, size_t num_examples,
                                                       const char* const* prefix_tokens,
                                                       const size_t* prefix_lengths, const trd_options* options,
                                                       const trd_cancel* cancel, trd_result** out);

TRD_API void trd_result_free(trd_result* result);
TRD_API size_t trd_result_num_examples(const trd_result* result);
TRD_API size_t trd_result_num_hypotheses(const trd_result* result, size_t example);
TRD_API size_t trd_result_hypothesis_length(const trd_result* result, size_t example, size_t hypothesis);
/* Token `index` of a hypothesis; NULL when any index is out of range. */
TRD_API const char* trd_result_token(const trd_result* result, size_t example, size_t hypothesis, size_t index);
/* 1 when scores were requested (return_scores), else 0. */
TRD_API int trd_result_has_scores(const trd_result* result);
/* The hypothesis score; NaN when there are no scores or an index is out of range. */
TRD_API float trd_result_score(const trd_result* result, size_t example, size_t hypothesis);

/* ---------------------------------------------------------------------------------------------
 * Scoring (CTranslate2's score_batch: teacher-forced log-probabilities)
 * ------------------------------------------------------------------------------------------- */

/* Scores `target` given `source`. Only max_input_length, max_batch_size and batch_type of
 * `options` apply. Thread-safe. */
TRD_API TRD_MUST_USE trd_status* trd_score_batch(trd_translator* translator, const char* const* source_tokens,
                                                   const size_t* source_lengths, const char* const* target_tokens,
                                                   const size_t* target_lengths, size_t num_examples,
                                                   const trd_options* options, const trd_cancel* cancel,
                                                   trd_score_result** out);

TRD_API void trd_score_result_free(trd_score_result* result);
TRD_API size_t trd_score_result_num_examples(const trd_score_result* result);
TRD_API size_t trd_score_result_length(const trd_score_result* result, size_t example);
TRD_API const char* trd_score_result_token(const trd_score_result* result, size_t example, size_t index);
TRD_API float trd_score_result_log_prob(const trd_score_result* result, size_t example, size_t index);

/* ---------------------------------------------------------------------------------------------
 * Tokenizer (SentencePiece, the reference implementation)
 * ------------------------------------------------------------------------------------------- */

/* Loads a SentencePiece model file (e.g. sentencepiece.bpe.model). TRD_NOT_FOUND /
 * TRD_INVALID_MODEL on failure. */
TRD_API TRD_MUST_USE trd_status* trd_tokenizer_create(const char* model_path, trd_tokenizer** out);
TRD_API void trd_tokenizer_free(trd_tokenizer* tokenizer);
/* Encodes `text_length` bytes of UTF-8 text into pieces (spm_encode --output_format=piece).
 * Invalid UTF-8 gives TRD_INVALID_ARGUMENT. Thread-safe. */
TRD_API TRD_MUST_USE trd_status* trd_tokenizer_encode(const trd_tokenizer* tokenizer, const char* text,
                                                        size_t text_length, trd_pieces** out);
/* Decodes pieces into text (spm_decode). The text is returned as a single-element trd_pieces.
 * Thread-safe. */
TRD_API TRD_MUST_USE trd_status* trd_tokenizer_decode(const trd_tokenizer* tokenizer, const char* const* pieces,
                                                        size_t count, trd_pieces** out);
/* Number of pieces in the SentencePiece model, and piece `id` (NULL when out of range). */
TRD_API size_t trd_tokenizer_piece_count(const trd_tokenizer* tokenizer);
TRD_API const char* trd_tokenizer_piece(const trd_tokenizer* tokenizer, size_t id);

TRD_API void trd_pieces_free(trd_pieces* pieces);
TRD_API size_t trd_pieces_count(const trd_pieces* pieces);
/* Piece `index` (NUL-terminated; NULL when out of range). */
TRD_API const char* trd_pieces_get(const trd_pieces* pieces, size_t index);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TRADUCTOR_TRADUCTOR_H */
