using System.Runtime.InteropServices;

namespace Traductor.Native.Interop;

/// <summary>
/// P/Invoke declarations for native/include/traductor/traductor.h, one per C function, in header
/// order. Each notes its C signature. Fallible calls return the raw <c>trd_status*</c> as
/// <see cref="nint"/> so that callers must hand it to <see cref="NativeStatus.Check"/>. Returned
/// <c>const char*</c> are borrowed (never freed by the marshaller), so they are <see cref="nint"/>.
/// </summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>Resolved by <see cref="NativeLibraryLoader"/> to libtraductor.so.</summary>
    public const string LibraryName = "traductor";

    static NativeMethods()
    {
        NativeLibraryLoader.RegisterResolver();
    }

    // ---- Library ------------------------------------------------------------------------------

    // uint32_t trd_abi_version(void)
    [LibraryImport(LibraryName)]
    public static partial uint trd_abi_version();

    // const char* trd_version(void)   (static storage)
    [LibraryImport(LibraryName)]
    public static partial nint trd_version();

    // ---- Status -------------------------------------------------------------------------------

    // int trd_status_code(const trd_status* status)
    [LibraryImport(LibraryName)]
    public static partial int trd_status_code(nint status);

    // const char* trd_status_message(const trd_status* status)   (owned by the status)
    [LibraryImport(LibraryName)]
    public static partial nint trd_status_message(nint status);

    // void trd_status_free(trd_status* status)
    [LibraryImport(LibraryName)]
    public static partial void trd_status_free(nint status);

    // ---- Cancellation -------------------------------------------------------------------------

    // trd_status* trd_cancel_create(trd_cancel** out)
    [LibraryImport(LibraryName)]
    public static partial nint trd_cancel_create(out CancelHandle cancel);

    // void trd_cancel_free(trd_cancel* cancel)
    [LibraryImport(LibraryName)]
    public static partial void trd_cancel_free(nint cancel);

    // void trd_cancel_set(trd_cancel* cancel)
    [LibraryImport(LibraryName)]
    public static partial void trd_cancel_set(CancelHandle cancel);

    // int trd_cancel_is_set(const trd_cancel* cancel)
    [LibraryImport(LibraryName)]
    public static partial int trd_cancel_is_set(CancelHandle cancel);

    // ---- Translator configuration -------------------------------------------------------------

    // trd_status* trd_translator_config_create(trd_translator_config** out)
    [LibraryImport(LibraryName)]
    public static partial nint trd_translator_config_create(out TranslatorConfigHandle config);

    // void trd_translator_config_free(trd_translator_config* config)
    [LibraryImport(LibraryName)]
    public static partial void trd_translator_config_free(nint config);

    // trd_status* trd_translator_config_set_compute_type(trd_translator_config* config, const char* compute_type)
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint trd_translator_config_set_compute_type(TranslatorConfigHandle config, string computeType);

    // trd_status* trd_translator_config_set_inter_threads(trd_translator_config* config, int32_t inter_threads)
    [LibraryImport(LibraryName)]
    public static partial nint trd_translator_config_set_inter_threads(TranslatorConfigHandle config, int interThreads);

    // trd_status* trd_translator_config_set_intra_threads(trd_translator_config* config, int32_t intra_threads)
    [LibraryImport(LibraryName)]
    public static partial nint trd_translator_config_set_intra_threads(TranslatorConfigHandle config, int intraThreads);

    // trd_status* trd_translator_config_set_max_queued_batches(trd_translator_config* config, int32_t max_queued_batches)
    [LibraryImport(LibraryName)]
    public static partial nint trd_translator_config_set_max_queued_batches(TranslatorConfigHandle config, int maxQueuedBatches);

    // ---- Translator ---------------------------------------------------------------------------

    // trd_status* trd_translator_create(const char* model_dir, const trd_translator_config* config, trd_translator** out)
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint trd_translator_create(string modelDir, TranslatorConfigHandle config, out TranslatorHandle translator);

    // void trd_translator_free(trd_translator* translator)
    [LibraryImport(LibraryName)]
    public static partial void trd_translator_free(nint translator);

    // size_t trd_translator_vocabulary_size(const trd_translator* translator)
    [LibraryImport(LibraryName)]
    public static partial nuint trd_translator_vocabulary_size(TranslatorHandle translator);

    // const char* trd_translator_vocabulary_token(const trd_translator* translator, size_t id)   (borrowed)
    [LibraryImport(LibraryName)]
    public static partial nint trd_translator_vocabulary_token(TranslatorHandle translator, nuint id);

    // const char* trd_translator_describe(const trd_translator* translator)   (borrowed)
    [LibraryImport(LibraryName)]
    public static partial nint trd_translator_describe(TranslatorHandle translator);

    // ---- Decoding options ---------------------------------------------------------------------

    // trd_status* trd_options_create(trd_options** out)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_create(out OptionsHandle options);

    // void trd_options_free(trd_options* options)
    [LibraryImport(LibraryName)]
    public static partial void trd_options_free(nint options);

    // trd_status* trd_options_set_beam_size(trd_options* o, int32_t beam_size)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_beam_size(OptionsHandle o, int beamSize);

    // trd_status* trd_options_set_patience(trd_options* o, float patience)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_patience(OptionsHandle o, float patience);

    // trd_status* trd_options_set_num_hypotheses(trd_options* o, int32_t n)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_num_hypotheses(OptionsHandle o, int n);

    // trd_status* trd_options_set_length_penalty(trd_options* o, float penalty)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_length_penalty(OptionsHandle o, float penalty);

    // trd_status* trd_options_set_coverage_penalty(trd_options* o, float penalty)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_coverage_penalty(OptionsHandle o, float penalty);

    // trd_status* trd_options_set_repetition_penalty(trd_options* o, float penalty)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_repetition_penalty(OptionsHandle o, float penalty);

    // trd_status* trd_options_set_no_repeat_ngram_size(trd_options* o, int32_t size)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_no_repeat_ngram_size(OptionsHandle o, int size);

    // trd_status* trd_options_set_disable_unk(trd_options* o, int32_t disable)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_disable_unk(OptionsHandle o, int disable);

    // trd_status* trd_options_add_suppress_sequence(trd_options* o, const char* const* tokens, size_t length)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_add_suppress_sequence(OptionsHandle o, byte** tokens, nuint length);

    // trd_status* trd_options_set_end_tokens(trd_options* o, const char* const* tokens, size_t count)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_end_tokens(OptionsHandle o, byte** tokens, nuint count);

    // trd_status* trd_options_set_return_end_token(trd_options* o, int32_t value)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_return_end_token(OptionsHandle o, int value);

    // trd_status* trd_options_set_max_input_length(trd_options* o, int32_t length)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_max_input_length(OptionsHandle o, int length);

    // trd_status* trd_options_set_max_decoding_length(trd_options* o, int32_t length)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_max_decoding_length(OptionsHandle o, int length);

    // trd_status* trd_options_set_min_decoding_length(trd_options* o, int32_t length)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_min_decoding_length(OptionsHandle o, int length);

    // trd_status* trd_options_set_return_scores(trd_options* o, int32_t value)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_return_scores(OptionsHandle o, int value);

    // trd_status* trd_options_set_use_vmap(trd_options* o, int32_t value)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_use_vmap(OptionsHandle o, int value);

    // trd_status* trd_options_set_max_batch_size(trd_options* o, int32_t size)
    [LibraryImport(LibraryName)]
    public static partial nint trd_options_set_max_batch_size(OptionsHandle o, int size);

    // trd_status* trd_options_set_batch_type(trd_options* o, const char* batch_type)
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint trd_options_set_batch_type(OptionsHandle o, string batchType);

    // ---- Translation --------------------------------------------------------------------------

    // trd_status* trd_translate_batch(trd_translator* translator, const char* const* tokens, const size_t* lengths,
    //     size_t num_examples, const char* const* prefix_tokens, const size_t* prefix_lengths,
    //     const trd_options* options, const trd_cancel* cancel, trd_result** out)
    [LibraryImport(LibraryName)]
    public static partial nint trd_translate_batch(
        TranslatorHandle translator, byte** tokens, nuint* lengths, nuint numExamples,
        byte** prefixTokens, nuint* prefixLengths, OptionsHandle options, CancelHandle cancel, out ResultHandle result);

    // void trd_result_free(trd_result* result)
    [LibraryImport(LibraryName)]
    public static partial void trd_result_free(nint result);

    // size_t trd_result_num_examples(const trd_result* result)
    [LibraryImport(LibraryName)]
    public static partial nuint trd_result_num_examples(ResultHandle result);

    // size_t trd_result_num_hypotheses(const trd_result* result, size_t example)
    [LibraryImport(LibraryName)]
    public static partial nuint trd_result_num_hypotheses(ResultHandle result, nuint example);

    // size_t trd_result_hypothesis_length(const trd_result* result, size_t example, size_t hypothesis)
    [LibraryImport(LibraryName)]
    public static partial nuint trd_result_hypothesis_length(ResultHandle result, nuint example, nuint hypothesis);

    // const char* trd_result_token(const trd_result* result, size_t example, size_t hypothesis, size_t index)   (borrowed)
    [LibraryImport(LibraryName)]
    public static partial nint trd_result_token(ResultHandle result, nuint example, nuint hypothesis, nuint index);

    // int trd_result_has_scores(const trd_result* result)
    [LibraryImport(LibraryName)]
    public static partial int trd_result_has_scores(ResultHandle result);

    // float trd_result_score(const trd_result* result, size_t example, size_t hypothesis)
    [LibraryImport(LibraryName)]
    public static partial float trd_result_score(ResultHandle result, nuint example, nuint hypothesis);

    // ---- Scoring ------------------------------------------------------------------------------

    // trd_status* trd_score_batch(trd_translator* translator, const char* const* source_tokens,
    //     const size_t* source_lengths, const char* const* target_tokens, const size_t* target_lengths,
    //     size_t num_examples, const trd_options* options, const trd_cancel* cancel, trd_score_result** out)
    [LibraryImport(LibraryName)]
    public static partial nint trd_score_batch(
        TranslatorHandle translator, byte** sourceTokens, nuint* sourceLengths, byte** targetTokens,
        nuint* targetLengths, nuint numExamples, OptionsHandle options, CancelHandle cancel, out ScoreResultHandle result);

    // void trd_score_result_free(trd_score_result* result)
    [LibraryImport(LibraryName)]
    public static partial void trd_score_result_free(nint result);

    // size_t trd_score_result_num_examples(const trd_score_result* result)
    [LibraryImport(LibraryName)]
    public static partial nuint trd_score_result_num_examples(ScoreResultHandle result);

    // size_t trd_score_result_length(const trd_score_result* result, size_t example)
    [LibraryImport(LibraryName)]
    public static partial nuint trd_score_result_length(ScoreResultHandle result, nuint example);

    // const char* trd_score_result_token(const trd_score_result* result, size_t example, size_t index)   (borrowed)
    [LibraryImport(LibraryName)]
    public static partial nint trd_score_result_token(ScoreResultHandle result, nuint example, nuint index);

    // float trd_score_result_log_prob(const trd_score_result* result, size_t example, size_t index)
    [LibraryImport(LibraryName)]
    public static partial float trd_score_result_log_prob(ScoreResultHandle result, nuint example, nuint index);

    // ---- Tokenizer ----------------------------------------------------------------------------

    // trd_status* trd_tokenizer_create(const char* model_path, trd_tokenizer** out)
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint trd_tokenizer_create(string modelPath, out TokenizerHandle tokenizer);

    // void trd_tokenizer_free(trd_tokenizer* tokenizer)
    [LibraryImport(LibraryName)]
    public static partial void trd_tokenizer_free(nint tokenizer);

    // trd_status* trd_tokenizer_encode(const trd_tokenizer* tokenizer, const char* text, size_t text_length, trd_pieces** out)
    [LibraryImport(LibraryName)]
    public static partial nint trd_tokenizer_encode(TokenizerHandle tokenizer, byte* text, nuint textLength, out PiecesHandle pieces);

    // trd_status* trd_tokenizer_decode(const trd_tokenizer* tokenizer, const char* const* pieces, size_t count, trd_pieces** out)
    [LibraryImport(LibraryName)]
    public static partial nint trd_tokenizer_decode(TokenizerHandle tokenizer, byte** pieces, nuint count, out PiecesHandle text);

    // size_t trd_tokenizer_piece_count(const trd_tokenizer* tokenizer)
    [LibraryImport(LibraryName)]
    public static partial nuint trd_tokenizer_piece_count(TokenizerHandle tokenizer);

    // const char* trd_tokenizer_piece(const trd_tokenizer* tokenizer, size_t id)   (borrowed)
    [LibraryImport(LibraryName)]
    public static partial nint trd_tokenizer_piece(TokenizerHandle tokenizer, nuint id);

    // void trd_pieces_free(trd_pieces* pieces)
    [LibraryImport(LibraryName)]
    public static partial void trd_pieces_free(nint pieces);

    // size_t trd_pieces_count(const trd_pieces* pieces)
    [LibraryImport(LibraryName)]
    public static partial nuint trd_pieces_count(PiecesHandle pieces);

    // const char* trd_pieces_get(const trd_pieces* pieces, size_t index)   (borrowed)
    [LibraryImport(LibraryName)]
    public static partial nint trd_pieces_get(PiecesHandle pieces, nuint index);
}
