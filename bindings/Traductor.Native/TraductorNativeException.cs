namespace Traductor.Native;

/// <summary>
/// An error status returned by the native library. <see cref="Exception.Message"/> is the native
/// message, which names the file, option or byte offset that was wrong.
/// </summary>
public sealed class TraductorNativeException : Exception
{
    /// <summary>Creates an exception for a native status.</summary>
    public TraductorNativeException(NativeStatusCode code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>The native status code.</summary>
    public NativeStatusCode Code { get; }
}
