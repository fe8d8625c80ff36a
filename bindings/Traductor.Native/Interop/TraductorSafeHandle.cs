using System.Runtime.InteropServices;

namespace Traductor.Native.Interop;

/// <summary>
/// Base of every handle to a native object: NULL is invalid, and the matching <c>trd_*_free</c>
/// runs exactly once, even when the owner forgets to dispose (the finalizer then releases it).
/// </summary>
internal abstract class TraductorSafeHandle : SafeHandle
{
    protected TraductorSafeHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>
    /// Runs <paramref name="read"/> while this handle is kept alive with DangerousAddRef. Needed when
    /// a native call returns a pointer borrowed from this object (e.g. <c>trd_tokenizer_piece</c>):
    /// the P/Invoke marshaller releases its own reference when the call returns, so without this a
    /// concurrent Dispose could free the memory before the string is copied.
    /// </summary>
    public TResult Borrow<TState, TResult>(TState state, Func<TState, TResult> read)
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            return read(state);
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }
}

/// <summary>Owns a <c>trd_tokenizer*</c>.</summary>
internal sealed class TokenizerHandle : TraductorSafeHandle
{
    protected override bool ReleaseHandle()
    {
        NativeMethods.trd_tokenizer_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>trd_pieces*</c>.</summary>
internal sealed class PiecesHandle : TraductorSafeHandle
{
    protected override bool ReleaseHandle()
    {
        NativeMethods.trd_pieces_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>trd_translator_config*</c>.</summary>
internal sealed class TranslatorConfigHandle : TraductorSafeHandle
{
    protected override bool ReleaseHandle()
    {
        NativeMethods.trd_translator_config_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>trd_translator*</c>. Freeing waits for running calls (native contract).</summary>
internal sealed class TranslatorHandle : TraductorSafeHandle
{
    protected override bool ReleaseHandle()
    {
        NativeMethods.trd_translator_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>trd_options*</c>.</summary>
internal sealed class OptionsHandle : TraductorSafeHandle
{
    protected override bool ReleaseHandle()
    {
        NativeMethods.trd_options_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>trd_result*</c>.</summary>
internal sealed class ResultHandle : TraductorSafeHandle
{
    protected override bool ReleaseHandle()
    {
        NativeMethods.trd_result_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>trd_score_result*</c>.</summary>
internal sealed class ScoreResultHandle : TraductorSafeHandle
{
    protected override bool ReleaseHandle()
    {
        NativeMethods.trd_score_result_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>trd_cancel*</c>. <see cref="None"/> passes NULL (the call cannot be cancelled).</summary>
internal sealed class CancelHandle : TraductorSafeHandle
{
    /// <summary>A never-released invalid handle, marshalled as NULL.</summary>
    public static readonly CancelHandle None = new();

    protected override bool ReleaseHandle()
    {
        NativeMethods.trd_cancel_free(handle);
        return true;
    }
}
