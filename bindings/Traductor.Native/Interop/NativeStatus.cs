using System.Runtime.InteropServices;

namespace Traductor.Native.Interop;

/// <summary>
/// The one place a <c>trd_status*</c> becomes an exception. Every fallible native call goes
/// through <see cref="Check"/>, which frees the status whatever happens.
/// </summary>
internal static class NativeStatus
{
    /// <summary>
    /// Throws for a non-NULL status: <see cref="OperationCanceledException"/> for TRD_CANCELLED
    /// (tied to <paramref name="cancellationToken"/>), <see cref="TraductorNativeException"/> otherwise.
    /// </summary>
    public static void Check(nint status, CancellationToken cancellationToken = default)
    {
        if (status == 0)
        {
            return;
        }

        NativeStatusCode code;
        string message;
        try
        {
            code = (NativeStatusCode)NativeMethods.trd_status_code(status);
            message = Marshal.PtrToStringUTF8(NativeMethods.trd_status_message(status)) ?? string.Empty;
        }
        finally
        {
            NativeMethods.trd_status_free(status);
        }

        if (code == NativeStatusCode.Cancelled)
        {
            throw new OperationCanceledException(message, cancellationToken);
        }

        throw new TraductorNativeException(code, message);
    }
}
