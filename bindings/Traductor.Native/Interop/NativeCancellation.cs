namespace Traductor.Native.Interop;

/// <summary>
/// Bridges a <see cref="CancellationToken"/> to a <c>trd_cancel</c> flag for the duration of one
/// native call. The native side only polls the flag, so no managed code is ever called back from
/// native threads.
/// </summary>
internal sealed class NativeCancellation : IDisposable
{
    private readonly CancelHandle? owned;
    private readonly CancellationTokenRegistration registration;

    private NativeCancellation(CancelHandle handle, CancelHandle? owned, CancellationTokenRegistration registration)
    {
        Handle = handle;
        this.owned = owned;
        this.registration = registration;
    }

    /// <summary>The flag to pass to the call (<see cref="CancelHandle.None"/> = NULL when the token cannot cancel).</summary>
    public CancelHandle Handle { get; }

    /// <summary>Throws <see cref="OperationCanceledException"/> at once if the token is already cancelled.</summary>
    public static NativeCancellation Create(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            return new NativeCancellation(CancelHandle.None, null, default);
        }

        NativeStatus.Check(NativeMethods.trd_cancel_create(out var cancel));
        try
        {
            var registration = cancellationToken.UnsafeRegister(static state => NativeMethods.trd_cancel_set((CancelHandle)state!), cancel);
            return new NativeCancellation(cancel, cancel, registration);
        }
        catch
        {
            cancel.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // Unregistering waits for a running callback, so the flag is never set after it is freed.
        registration.Dispose();
        owned?.Dispose();
    }
}
