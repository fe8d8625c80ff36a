namespace Traductor.Models;

/// <summary>
/// Builds a model directory under a temporary sibling name and renames it into place only when
/// every file is complete, so an interrupted or failed run never leaves a directory that looks
/// like a model. Dispose without <see cref="Commit"/> deletes the temporary directory.
/// </summary>
public sealed class OutputDirectory : IDisposable
{
    private readonly string _final;
    private bool _committed;

    private OutputDirectory(string final, string temporary)
    {
        _final = final;
        TemporaryPath = temporary;
    }

    public string TemporaryPath { get; }

    public static OutputDirectory Create(string path, bool replace)
    {
        string final = Path.GetFullPath(path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (System.IO.File.Exists(final))
            throw new ModelToolException($"{final} exists and is a file");
        if (Directory.Exists(final) && Directory.EnumerateFileSystemEntries(final).Any() && !replace)
            throw new ModelToolException($"{final} already exists and is not empty (pass --force to replace it)");
        string parent = Path.GetDirectoryName(final) ?? throw new ModelToolException($"{final} has no parent directory");
        try
        {
            Directory.CreateDirectory(parent);
            string temporary = Path.Combine(parent, $".{Path.GetFileName(final)}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(temporary);
            return new OutputDirectory(final, temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelToolException($"cannot create the output directory next to {final}: {e.Message}", e);
        }
    }

    public string File(string name) => Path.Combine(TemporaryPath, name);

    public void Commit()
    {
        try
        {
            string? previous = null;
            if (Directory.Exists(_final))
            {
                previous = _final + $".old-{Guid.NewGuid():N}";
                Directory.Move(_final, previous);
            }
            Directory.Move(TemporaryPath, _final);
            _committed = true;
            if (previous is not null)
                Directory.Delete(previous, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelToolException($"cannot move the finished model into {_final}: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        if (_committed)
            return;
        try
        {
            if (Directory.Exists(TemporaryPath))
                Directory.Delete(TemporaryPath, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the partial directory is hidden and clearly named, and the original error matters more.
        }
    }
}
