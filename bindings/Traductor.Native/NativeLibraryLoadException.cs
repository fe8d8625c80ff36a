namespace Traductor.Native;

/// <summary>
/// libtraductor.so could not be loaded, or it is a different ABI version than this binding was
/// written for. The message lists every place that was tried and why each failed.
/// </summary>
public sealed class NativeLibraryLoadException : Exception
{
    /// <summary>Creates the exception with the full diagnostic message.</summary>
    public NativeLibraryLoadException(string message)
        : base(message)
    {
    }
}
