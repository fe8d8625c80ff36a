namespace Traductor.Native.Interop;

/// <summary>Builds <c>trd_options</c> and <c>trd_translator_config</c> objects from their records.</summary>
internal static class NativeOptions
{
    public static OptionsHandle Create(DecodingOptions options)
    {
        NativeStatus.Check(NativeMethods.trd_options_create(out var handle));
        try
        {
            // Every value is set, not only those differing from the defaults, so the record is the
            // single source of truth even if a native default ever drifted.
            NativeStatus.Check(NativeMethods.trd_options_set_beam_size(handle, options.BeamSize));
            NativeStatus.Check(NativeMethods.trd_options_set_patience(handle, options.Patience));
            NativeStatus.Check(NativeMethods.trd_options_set_num_hypotheses(handle, options.NumHypotheses));
            NativeStatus.Check(NativeMethods.trd_options_set_length_penalty(handle, options.LengthPenalty));
            NativeStatus.Check(NativeMethods.trd_options_set_coverage_penalty(handle, options.CoveragePenalty));
            NativeStatus.Check(NativeMethods.trd_options_set_repetition_penalty(handle, options.RepetitionPenalty));
            NativeStatus.Check(NativeMethods.trd_options_set_no_repeat_ngram_size(handle, options.NoRepeatNgramSize));
            NativeStatus.Check(NativeMethods.trd_options_set_disable_unk(handle, options.DisableUnk ? 1 : 0));
            NativeStatus.Check(NativeMethods.trd_options_set_return_end_token(handle, options.ReturnEndToken ? 1 : 0));
            NativeStatus.Check(NativeMethods.trd_options_set_max_input_length(handle, options.MaxInputLength));
            NativeStatus.Check(NativeMethods.trd_options_set_max_decoding_length(handle, options.MaxDecodingLength));
            NativeStatus.Check(NativeMethods.trd_options_set_min_decoding_length(handle, options.MinDecodingLength));
            NativeStatus.Check(NativeMethods.trd_options_set_return_scores(handle, options.ReturnScores ? 1 : 0));
            NativeStatus.Check(NativeMethods.trd_options_set_use_vmap(handle, options.UseVmap ? 1 : 0));
            NativeStatus.Check(NativeMethods.trd_options_set_max_batch_size(handle, options.MaxBatchSize));
            ArgumentNullException.ThrowIfNull(options.BatchType, nameof(options.BatchType));
            NativeStatus.Check(NativeMethods.trd_options_set_batch_type(handle, options.BatchType));
            unsafe
            {
                if (options.SuppressSequences is { } sequences)
                {
                    for (var i = 0; i < sequences.Count; i++)
                    {
                        using var sequence = Utf8TokenBatch.Create(sequences[i], $"SuppressSequences[{i}]");
                        NativeStatus.Check(NativeMethods.trd_options_add_suppress_sequence(handle, sequence.Tokens, sequence.TokenCount));
                    }
                }

                if (options.EndTokens is { Count: > 0 } endTokens)
                {
                    using var tokens = Utf8TokenBatch.Create(endTokens, nameof(options.EndTokens));
                    NativeStatus.Check(NativeMethods.trd_options_set_end_tokens(handle, tokens.Tokens, tokens.TokenCount));
                }
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public static TranslatorConfigHandle Create(TranslatorConfig config)
    {
        NativeStatus.Check(NativeMethods.trd_translator_config_create(out var handle));
        try
        {
            ArgumentNullException.ThrowIfNull(config.ComputeType, nameof(config.ComputeType));
            NativeStatus.Check(NativeMethods.trd_translator_config_set_compute_type(handle, config.ComputeType));
            NativeStatus.Check(NativeMethods.trd_translator_config_set_inter_threads(handle, config.InterThreads));
            NativeStatus.Check(NativeMethods.trd_translator_config_set_intra_threads(handle, config.IntraThreads));
            NativeStatus.Check(NativeMethods.trd_translator_config_set_max_queued_batches(handle, config.MaxQueuedBatches));
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
