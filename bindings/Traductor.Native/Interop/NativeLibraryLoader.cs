using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Traductor.Native.Interop;

/// <summary>
/// Finds, loads and version-checks libtraductor.so once per process. Places are tried in order:
/// the directory of this assembly (where native-library.targets copies it), the path in
/// <c>TRADUCTOR_NATIVE_LIBRARY</c>, then the system's default search. The first library that loads
/// must report <see cref="ExpectedAbiVersion"/>; a mismatch is an error rather than a reason to
/// keep looking, because a stale library next to the assemblies is a deployment bug to surface.
/// </summary>
internal static class NativeLibraryLoader
{
    /// <summary>The TRD_ABI_VERSION of the header this binding was written against.</summary>
    public const uint ExpectedAbiVersion = 1;

    public const string FileName = "libtraductor.so";

    public const string EnvironmentVariable = "TRADUCTOR_NATIVE_LIBRARY";

    private static readonly Lazy<LoadedLibrary> Library = new(
        () => Load(Candidates(AssemblyDirectory(), Environment.GetEnvironmentVariable(EnvironmentVariable))),
        LazyThreadSafetyMode.ExecutionAndPublication);

    private static int resolverRegistered;

    /// <summary>Where the library was loaded from.</summary>
    public static string LoadedPath => EnsureLoaded().Path;

    /// <summary>Installs the DllImport resolver for this assembly (idempotent).</summary>
    public static void RegisterResolver()
    {
        if (Interlocked.Exchange(ref resolverRegistered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
        }
    }

    /// <summary>
    /// Loads and checks the library; throws <see cref="NativeLibraryLoadException"/> (the same one
    /// on every call) when it is missing or mismatched. Every public entry point calls this first.
    /// </summary>
    public static LoadedLibrary EnsureLoaded()
    {
        RegisterResolver();
        return Library.Value;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.LibraryName ? EnsureLoaded().Handle : 0;

    private static string AssemblyDirectory()
    {
        var location = typeof(NativeLibraryLoader).Assembly.Location;
        // Location is empty in single-file deployments; the app directory is then the right place.
        return string.IsNullOrEmpty(location) ? AppContext.BaseDirectory : Path.GetDirectoryName(location)!;
    }

    /// <summary>The places to try, in order.</summary>
    internal static IReadOnlyList<LibraryCandidate> Candidates(string assemblyDirectory, string? environmentValue)
    {
        var candidates = new List<LibraryCandidate>
        {
            new("assembly directory", Path.Combine(assemblyDirectory, FileName), IsPath: true),
        };
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            var path = Directory.Exists(environmentValue) ? Path.Combine(environmentValue, FileName) : environmentValue;
            candidates.Add(new($"{EnvironmentVariable}={environmentValue}", path, IsPath: true));
        }

        candidates.Add(new("default system search (LD_LIBRARY_PATH, ld.so cache, system directories)", FileName, IsPath: false));
        return candidates;
    }

    /// <summary>Loads the first candidate that exists and checks its ABI version.</summary>
    internal static LoadedLibrary Load(IReadOnlyList<LibraryCandidate> candidates, uint expectedAbiVersion = ExpectedAbiVersion)
    {
        var attempts = new List<string>();
        foreach (var candidate in candidates)
        {
            if (candidate.IsPath && !File.Exists(candidate.Target))
            {
                attempts.Add($"{candidate.Description}: {candidate.Target} does not exist");
                continue;
            }

            nint handle;
            try
            {
                handle = NativeLibrary.Load(candidate.Target);
            }
            catch (DllNotFoundException e)
            {
                attempts.Add($"{candidate.Description}: {candidate.Target} could not be loaded: {e.Message}");
                continue;
            }
            catch (BadImageFormatException e)
            {
                attempts.Add($"{candidate.Description}: {candidate.Target} is not a loadable library: {e.Message}");
                continue;
            }

            var problem = CheckAbiVersion(handle, expectedAbiVersion);
            if (problem is null)
            {
                return new LoadedLibrary(handle, candidate.Target);
            }

            NativeLibrary.Free(handle);
            attempts.Add($"{candidate.Description}: {candidate.Target} {problem}");
            throw new NativeLibraryLoadException(Describe(attempts, expectedAbiVersion));
        }

        throw new NativeLibraryLoadException(Describe(attempts, expectedAbiVersion));
    }

    private static unsafe string? CheckAbiVersion(nint handle, uint expectedAbiVersion)
    {
        if (!NativeLibrary.TryGetExport(handle, "trd_abi_version", out var abiVersion))
        {
            return "loaded but does not export trd_abi_version (not a Traductor library?)";
        }

        var actual = ((delegate* unmanaged<uint>)abiVersion)();
        if (actual == expectedAbiVersion)
        {
            return null;
        }

        var version = NativeLibrary.TryGetExport(handle, "trd_version", out var versionExport)
            ? Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)versionExport)()) ?? "?"
            : "?";
        return $"has ABI version {actual} (library {version}) but this binding needs ABI version {expectedAbiVersion}; "
            + "rebuild the native library and the .NET projects from the same commit";
    }

    private static string Describe(List<string> attempts, uint expectedAbiVersion)
    {
        var message = new StringBuilder();
        message.Append("Traductor's native library (").Append(FileName).Append(", ABI version ")
            .Append(expectedAbiVersion).AppendLine(") could not be loaded. Looked in:");
        for (var i = 0; i < attempts.Count; i++)
        {
            message.Append("  ").Append(i + 1).Append(". ").AppendLine(attempts[i]);
        }

        message.Append("Build it with `make native` (the .NET build copies build/native/").Append(FileName)
            .Append(" next to the assemblies) or set ").Append(EnvironmentVariable).Append(" to its path.");
        return message.ToString();
    }
}

/// <summary>One place to look for the library.</summary>
/// <param name="Description">What this place is, for the error message.</param>
/// <param name="Target">A file path, or a bare file name for the system search.</param>
/// <param name="IsPath">Whether <paramref name="Target"/> is a path that must exist.</param>
internal sealed record LibraryCandidate(string Description, string Target, bool IsPath);

/// <summary>A loaded, version-checked library.</summary>
internal sealed record LoadedLibrary(nint Handle, string Path);
