using System.IO.Compression;
using Traductor.Models.Ct2;

namespace Traductor.Models.Checkpoints;

/// <summary>
/// A torch.save zip (<c>pytorch_model.bin</c>): <c>&lt;prefix&gt;/data.pkl</c> names the tensors,
/// <c>&lt;prefix&gt;/data/&lt;key&gt;</c> holds each storage. The pickle goes through
/// <see cref="SafeUnpickler"/>; storages are read one tensor at a time (streamed when the zip entry
/// is stored uncompressed, as torch writes them).
/// </summary>
public sealed class PyTorchCheckpoint : ICheckpointWeights
{
    private readonly FileStream _file;
    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly Dictionary<string, PickledTensor> _tensors = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    private PyTorchCheckpoint(string path, FileStream file, ZipArchive zip, string prefix)
    {
        Description = Path.GetFileName(path);
        _file = file;
        _zip = zip;
        _prefix = prefix;
    }

    public string Description { get; }
    public IReadOnlyCollection<string> Names => _tensors.Keys;

    public static PyTorchCheckpoint Open(string path)
    {
        string name = Path.GetFileName(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelToolException($"cannot open {path}: {e.Message}", e);
        }
        try
        {
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
            }
            catch (InvalidDataException e)
            {
                throw new ModelToolException($"{name} is not a torch zip checkpoint ({e.Message}); legacy (pre-1.6) torch.save files are not supported", e);
            }
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                ?? throw new ModelToolException($"{name} has no data.pkl: not a torch.save checkpoint");
            string prefix = pkl.FullName[..^"data.pkl".Length];
            var byteorder = zip.GetEntry(prefix + "byteorder");
            if (byteorder is not null)
            {
                using var reader = new StreamReader(byteorder.Open());
                string order = reader.ReadToEnd().Trim();
                if (order != "little")
                    throw new ModelToolException($"{name} was saved with byte order '{order}'; only little-endian checkpoints are supported");
            }
            if (pkl.Length > 256L << 20)
                throw new ModelToolException($"{name}: data.pkl is {pkl.Length} bytes, implausibly large for a state dict");
            var bytes = new byte[pkl.Length];
            using (var s = pkl.Open())
                s.ReadExactly(bytes);
            var checkpoint = new PyTorchCheckpoint(path, file, zip, prefix);
            checkpoint.Index(SafeUnpickler.Load(bytes, name));
            return checkpoint;
        }
        catch (InvalidDataException e)
        {
            file.Dispose();
            throw new ModelToolException($"{name} is a corrupt zip file: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            file.Dispose();
            throw new ModelToolException($"{name} is truncated: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void Index(object? root)
    {
        if (root is not PickledDict dict)
            throw new ModelToolException($"{Description} does not hold a state dict (its pickle is not an OrderedDict of tensors)");
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
                throw new ModelToolException($"{Description}: a state-dict key is not a string");
            if (value is not PickledTensor tensor)
                throw new ModelToolException($"{Description}: '{name}' is not a tensor");
            _tensors[name] = tensor;
        }
    }

    private readonly Dictionary<PickledTensorKey, TensorSource> _sources = new();

    private readonly record struct PickledTensorKey(string Storage, long Offset, string Shape, string Stride);

    /// <summary>Names that share a storage view (tied embeddings) get the same source object, as torch gives the same tensor.</summary>
    public TensorSource? Find(string name)
    {
        if (!_tensors.TryGetValue(name, out var t))
            return null;
        var key = new PickledTensorKey(t.Storage.Key, t.Offset, string.Join(',', t.Shape), string.Join(',', t.Stride));
        if (!_sources.TryGetValue(key, out var source))
        {
            source = Create(name, t);
            _sources[key] = source;
        }
        return source;
    }

    private TensorSource Create(string name, PickledTensor t)
    {
        Ct2DataType type = t.Storage.StorageType switch
        {
            "FloatStorage" => Ct2DataType.Float32,
            "HalfStorage" => Ct2DataType.Float16,
            "BFloat16Storage" => Ct2DataType.BFloat16,
            _ => throw new ModelToolException($"{Description}: tensor '{name}' is stored as {t.Storage.StorageType}; only float32, float16 and bfloat16 weights are supported"),
        };
        string entryName = _prefix + "data/" + t.Storage.Key;
        var entry = _zip.GetEntry(entryName) ?? throw new ModelToolException($"{Description}: storage '{entryName}' of tensor '{name}' is missing");
        int size = type.ItemSize();
        if (entry.Length != t.Storage.ElementCount * size)
            throw new ModelToolException($"{Description}: storage '{entryName}' has {entry.Length} bytes, {t.Storage.ElementCount} {type.Name()} elements need {t.Storage.ElementCount * size}");
        long elements = t.Shape.Aggregate(1L, (a, b) => checked(a * b));
        if (t.Shape.Any(d => d < 0) || t.Stride.Any(s => s < 0) || t.Offset < 0)
            throw new ModelToolException($"{Description}: tensor '{name}' has a negative size, stride or offset");
        long lastIndex = t.Offset + t.Shape.Select((d, i) => d == 0 ? 0 : (d - 1) * t.Stride[i]).Sum();
        if (elements > 0 && lastIndex >= t.Storage.ElementCount)
            throw new ModelToolException($"{Description}: tensor '{name}' reaches element {lastIndex} of a storage with {t.Storage.ElementCount}");

        if (IsContiguous(t.Shape, t.Stride))
            return new FileRegionTensorSource(Description, (offset, buffer) => ReadEntry(entry, offset, buffer), type, t.Shape, t.Offset * size);
        // A strided view: gather it once (state dicts practically never hold these).
        var storage = new byte[entry.Length];
        ReadEntry(entry, 0, storage);
        var dense = new byte[elements * size];
        var index = new long[t.Shape.Length];
        for (long e = 0; e < elements; e++)
        {
            long src = t.Offset;
            for (int d = 0; d < index.Length; d++)
                src += index[d] * t.Stride[d];
            Buffer.BlockCopy(storage, (int)(src * size), dense, (int)(e * size), size);
            for (int d = index.Length - 1; d >= 0 && ++index[d] == t.Shape[d]; d--)
                index[d] = 0;
        }
        return new ArrayTensorSource(type, t.Shape, dense);
    }

    private static bool IsContiguous(long[] shape, long[] stride)
    {
        long expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && stride[d] != expected)
                return false;
            expected *= shape[d];
        }
        return true;
    }

    private ZipArchiveEntry? _openEntry;
    private Stream? _openStream;
    private long _openPosition;

    /// <summary>
    /// Reads entry bytes at an offset. Tensors are read front to back, so one stream per entry is
    /// kept open and only reopened to go backwards (an entry stream may not be seekable; reopening and
    /// skipping for every chunk would make a 1 GB tensor quadratic). ZipArchive is not thread-safe,
    /// hence the lock.
    /// </summary>
    private int ReadEntry(ZipArchiveEntry entry, long offset, Memory<byte> buffer)
    {
        lock (_lock)
        {
            if (_openEntry != entry || _openStream is null || (offset < _openPosition && !_openStream.CanSeek))
            {
                _openStream?.Dispose();
                _openStream = entry.Open();
                _openEntry = entry;
                _openPosition = 0;
            }
            var stream = _openStream;
            if (stream.CanSeek)
                stream.Seek(offset, SeekOrigin.Begin);
            else
                SkipForward(stream, offset - _openPosition);
            _openPosition = offset;
            int total = 0;
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer.Span[total..]);
                if (n == 0)
                    break;
                total += n;
            }
            _openPosition += total;
            return total;
        }
    }

    private static void SkipForward(Stream stream, long count)
    {
        var scratch = new byte[81920];
        while (count > 0)
        {
            int n = stream.Read(scratch, 0, (int)Math.Min(scratch.Length, count));
            if (n == 0)
                throw new EndOfStreamException();
            count -= n;
        }
    }

    public void Dispose()
    {
        _openStream?.Dispose();
        _zip.Dispose();
        _file.Dispose();
    }
}
