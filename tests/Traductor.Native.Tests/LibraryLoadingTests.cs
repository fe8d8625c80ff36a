using System.Runtime.InteropServices;
using Traductor.Native.Interop;

namespace Traductor.Native.Tests;

public sealed class LibraryLoadingTests
{
    [Fact]
    public void Loads_the_library_next_to_the_assemblies_with_the_expected_abi_version()
    {
        Assert.Equal(NativeLibraryLoader.ExpectedAbiVersion, NativeLibraryInfo.AbiVersion);
        Assert.Contains("0.1.0", NativeLibraryInfo.Version, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "libtraductor.so"), NativeLibraryInfo.LibraryPath);
    }

    [Fact]
    public void Missing_library_message_lists_every_place_it_looked()
    {
        using var empty = new TemporaryDirectory();
        var badEnvironmentPath = Path.Combine(empty.Path, "nowhere", "libtraductor.so");
        var candidates = NativeLibraryLoader.Candidates(empty.Path, badEnvironmentPath).ToList();
        // libtraductor.so is already loaded in this process, and dlopen matches a bare name against
        // loaded sonames, so the system search is pointed at a name that exists nowhere instead.
        Assert.Equal("libtraductor.so", candidates[2].Target);
        candidates[2] = candidates[2] with { Target = "libtraductor-not-installed.so" };

        // Real load attempts: nothing exists at the first two places, and dlopen fails on the third.
        var error = Assert.Throws<NativeLibraryLoadException>(() => NativeLibraryLoader.Load(candidates));

        Assert.Contains("ABI version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(empty.Path, "libtraductor.so") + " does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains($"TRADUCTOR_NATIVE_LIBRARY={badEnvironmentPath}", error.Message, StringComparison.Ordinal);
        Assert.Contains("default system search", error.Message, StringComparison.Ordinal);
        Assert.Contains("libtraductor-not-installed.so could not be loaded", error.Message, StringComparison.Ordinal);
        Assert.Contains("make native", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_variable_naming_a_directory_looks_for_the_file_inside_it()
    {
        using var dir = new TemporaryDirectory();
        var candidates = NativeLibraryLoader.Candidates("/opt/app", dir.Path);
        Assert.Equal(Path.Combine(dir.Path, "libtraductor.so"), candidates[1].Target);
        Assert.Equal("/opt/app/libtraductor.so", candidates[0].Target);
        Assert.False(candidates[2].IsPath);
    }

    [Fact]
    public void A_library_without_the_abi_is_refused_by_name()
    {
        // A real shared library that is not Traductor's: loads fine, exports no trd_abi_version.
        var foreign = new[] { "/usr/lib/x86_64-linux-gnu/libsentencepiece.so.0", "/usr/lib/aarch64-linux-gnu/libsentencepiece.so.0" }
            .First(File.Exists);
        var candidates = new[] { new LibraryCandidate("test", foreign, IsPath: true) };

        var error = Assert.Throws<NativeLibraryLoadException>(() => NativeLibraryLoader.Load(candidates));

        Assert.Contains(foreign, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not export trd_abi_version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_library_with_another_abi_version_is_refused_with_both_versions()
    {
        // The real libtraductor.so checked against a version it does not have.
        var candidates = new[] { new LibraryCandidate("test", NativeLibraryInfo.LibraryPath, IsPath: true) };

        var error = Assert.Throws<NativeLibraryLoadException>(() => NativeLibraryLoader.Load(candidates, expectedAbiVersion: 99));

        Assert.Contains("has ABI version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("needs ABI version 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_declared_entry_point_the_tokenizer_needs_is_exported()
    {
        var handle = NativeLibrary.Load(NativeLibraryInfo.LibraryPath);
        foreach (var name in new[]
                 {
                     "trd_tokenizer_create", "trd_tokenizer_free", "trd_tokenizer_encode", "trd_tokenizer_decode",
                     "trd_tokenizer_piece_count", "trd_tokenizer_piece", "trd_pieces_free", "trd_pieces_count", "trd_pieces_get",
                     "trd_status_code", "trd_status_message", "trd_status_free", "trd_cancel_create", "trd_cancel_free",
                     "trd_cancel_set", "trd_cancel_is_set",
                 })
        {
            Assert.True(NativeLibrary.TryGetExport(handle, name, out _), name);
        }

        NativeLibrary.Free(handle);
    }
}
