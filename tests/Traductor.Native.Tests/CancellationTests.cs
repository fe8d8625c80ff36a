using Traductor.Native.Interop;

namespace Traductor.Native.Tests;

public sealed class CancellationTests
{
    [Fact]
    public void Cancelling_the_token_sets_the_native_flag()
    {
        NativeLibraryLoader.EnsureLoaded();
        using var source = new CancellationTokenSource();
        using var scope = NativeCancellation.Create(source.Token);
        Assert.Equal(0, NativeMethods.trd_cancel_is_set(scope.Handle));

        source.Cancel();

        Assert.Equal(1, NativeMethods.trd_cancel_is_set(scope.Handle));
    }

    [Fact]
    public void A_token_that_cannot_cancel_passes_null()
    {
        using var scope = NativeCancellation.Create(CancellationToken.None);
        Assert.True(scope.Handle.IsInvalid);
    }

    [Fact]
    public void The_flag_is_freed_with_the_scope_and_a_later_cancel_is_harmless()
    {
        NativeLibraryLoader.EnsureLoaded();
        using var source = new CancellationTokenSource();
        CancelHandle handle;
        using (var scope = NativeCancellation.Create(source.Token))
        {
            handle = scope.Handle;
        }

        Assert.True(handle.IsClosed);
        source.Cancel();   // the registration is gone, so nothing touches the freed flag
    }
}
