namespace Traductor.Core;

// Messages never contain the user's text: they end up in logs and HTTP error bodies.

/// <summary>Base of every error Core reports; <see cref="Code"/> is the stable machine-readable code.</summary>
public abstract class TranslationException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected TranslationException(string code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <summary>Stable error code, e.g. "input_too_long".</summary>
    public string Code { get; }
}

/// <summary>The model or tokenizer could not be loaded or does not fit; the message names path and reason.</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : TranslationException("model_load_failed", message, inner);

/// <summary>A text has more tokens than MAX_INPUT_TOKENS (HTTP 413).</summary>
public sealed class InputTooLongException(string message) : TranslationException("input_too_long", message);

/// <summary>A decoding option is out of range (HTTP 422).</summary>
public sealed class InvalidOptionException(string message) : TranslationException("invalid_option", message);

/// <summary>The engine queue cannot take the request's segments now (HTTP 429).</summary>
public sealed class QueueFullException(string message) : TranslationException("queue_full", message);

/// <summary>A text is empty or only whitespace (HTTP 400).</summary>
public sealed class EmptyTextException(string message) : TranslationException("empty_text", message);
