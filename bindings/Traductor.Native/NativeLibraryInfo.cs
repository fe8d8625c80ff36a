using System.Runtime.InteropServices;
using Traductor.Native.Interop;

namespace Traductor.Native;

/// <summary>
/// Facts about the loaded native library. The first access loads and version-checks it, so
/// reading <see cref="AbiVersion"/> at start-up turns a missing or mismatched libtraductor.so into a
/// <see cref="NativeLibraryLoadException"/> that says where it looked.
/// </summary>
public static class NativeLibraryInfo
{
    /// <summary>The library's TRD_ABI_VERSION (equal to the one this binding expects once loaded).</summary>
    public static uint AbiVersion
    {
        get
        {
            NativeLibraryLoader.EnsureLoaded();
            return NativeMethods.trd_abi_version();
        }
    }

    /// <summary>The library's version string, e.g. "0.1.0 (builtin engine)".</summary>
    public static string Version
    {
        get
        {
            NativeLibraryLoader.EnsureLoaded();
            return Marshal.PtrToStringUTF8(NativeMethods.trd_version()) ?? string.Empty;
        }
    }

    /// <summary>The file the library was loaded from.</summary>
    public static string LibraryPath => NativeLibraryLoader.LoadedPath;
}
