namespace Traductor.Native;

/// <summary>The <c>trd_status_code_t</c> values of the C ABI.</summary>
public enum NativeStatusCode
{
    /// <summary>Success (never carried by an exception).</summary>
    Ok = 0,
    /// <summary>A bad value from the caller: an option out of range, invalid UTF-8, a NULL.</summary>
    InvalidArgument = 1,
    /// <summary>A file or directory does not exist.</summary>
    NotFound = 2,
    /// <summary>A model file is truncated, corrupt or inconsistent.</summary>
    InvalidModel = 3,
    /// <summary>A valid model or option this build does not support.</summary>
    Unsupported = 4,
    /// <summary>The call's cancellation flag was set (surfaces as <see cref="OperationCanceledException"/>).</summary>
    Cancelled = 5,
    /// <summary>The native library ran out of memory.</summary>
    OutOfMemory = 6,
    /// <summary>A bug in the native library.</summary>
    Internal = 7,
}
