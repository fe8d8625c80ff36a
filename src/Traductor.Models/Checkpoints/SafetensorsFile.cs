using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Traductor.Models.Ct2;

namespace Traductor.Models.Checkpoints;

/// <summary>
/// A .safetensors file: u64 header length, a JSON header {name: {dtype, shape, data_offsets}},
/// then the data. Every entry is validated against the file size before any tensor is read, so a
/// truncated or hostile file fails with one message instead of reading garbage.
/// </summary>
public sealed class SafetensorsFile : ICheckpointWeights
{
    private const long MaxHeaderBytes = 100L << 20;
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, (string DType, long[] Shape, long Begin, long End)> _entries = new(StringComparer.Ordinal);
    private readonly long _dataStart;

    private SafetensorsFile(string path, SafeFileHandle handle, long dataStart)
    {
        Description = Path.GetFileName(path);
        _handle = handle;
        _dataStart = dataStart;
    }

    public string Description { get; }
    public IReadOnlyCollection<string> Names => _entries.Keys;
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    public static SafetensorsFile Open(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelToolException($"cannot open {path}: {e.Message}", e);
        }
        try
        {
            long length = RandomAccess.GetLength(handle);
            string name = Path.GetFileName(path);
            if (length < 8)
                throw new ModelToolException($"{name} is not a safetensors file: {length} bytes, shorter than its 8-byte header length");
            var lenBytes = new byte[8];
            RandomAccess.Read(handle, lenBytes, 0);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
            if (headerLength > (ulong)(length - 8))
                throw new ModelToolException($"{name} is truncated or corrupt: its header claims {headerLength} bytes but the file has only {length - 8} after the length field");
            if (headerLength > MaxHeaderBytes)
                throw new ModelToolException($"{name}: header of {headerLength} bytes is implausibly large (limit {MaxHeaderBytes})");
            var header = new byte[headerLength];
            RandomAccess.Read(handle, header, 8);
            var file = new SafetensorsFile(path, handle, 8 + (long)headerLength);
            file.ParseHeader(header, length - 8 - (long)headerLength);
            return file;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private void ParseHeader(byte[] header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new ModelToolException($"{Description}: header is not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelToolException($"{Description}: header is not a JSON object");
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind == JsonValueKind.Object)
                        Metadata = entry.Value.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!);
                    continue;
                }
                try
                {
                    var v = entry.Value;
                    string dtype = v.GetProperty("dtype").GetString() ?? throw new FormatException("dtype is null");
                    long[] shape = v.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    var offsets = v.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                        throw new FormatException("data_offsets must be [begin, end]");
                    if (offsets[1] > dataLength)
                        throw new ModelToolException($"{Description} is truncated or corrupt: tensor '{entry.Name}' ends at data byte {offsets[1]} but the data section has {dataLength} bytes");
                    if (shape.Any(d => d < 0))
                        throw new FormatException("negative dimension");
                    long elements = shape.Aggregate(1L, (a, b) => checked(a * b));
                    int itemSize = ItemSize(dtype);
                    if (itemSize > 0 && checked(elements * itemSize) != offsets[1] - offsets[0])
                        throw new ModelToolException($"{Description}: tensor '{entry.Name}' has {offsets[1] - offsets[0]} bytes but shape [{string.Join(", ", shape)}] {dtype} needs {elements * itemSize}");
                    _entries[entry.Name] = (dtype, shape, offsets[0], offsets[1]);
                }
                catch (Exception e) when (e is FormatException or KeyNotFoundException or InvalidOperationException or OverflowException)
                {
                    throw new ModelToolException($"{Description}: malformed header entry '{entry.Name}' ({e.Message})", e);
                }
            }
        }
    }

    private static int ItemSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => 0,
    };

    public TensorSource? Find(string name)
    {
        if (!_entries.TryGetValue(name, out var e))
            return null;
        Ct2DataType type = e.DType switch
        {
            "F32" => Ct2DataType.Float32,
            "F16" => Ct2DataType.Float16,
            "BF16" => Ct2DataType.BFloat16,
            _ => throw new ModelToolException($"{Description}: tensor '{name}' has dtype {e.DType}; only F32, F16 and BF16 weights are supported"),
        };
        return new FileRegionTensorSource(Description, (offset, buffer) => RandomAccess.Read(_handle, buffer.Span, offset), type, e.Shape, _dataStart + e.Begin);
    }

    public void Dispose() => _handle.Dispose();
}
