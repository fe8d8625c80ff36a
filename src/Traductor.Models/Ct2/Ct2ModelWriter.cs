using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using System.Text;

namespace Traductor.Models.Ct2;

/// <summary>One spec attribute to write. <paramref name="Quantizable"/>: the spec has a <c>&lt;name&gt;_scale</c> slot (linear and embedding weights).</summary>
public sealed record Ct2Variable(string Name, TensorSource Source, bool Quantizable = false);

public sealed record Ct2WrittenVariable(string Name, Ct2DataType DataType, IReadOnlyList<long> Shape, long ByteCount);

public sealed record Ct2WriteSummary(IReadOnlyList<Ct2WrittenVariable> Variables, IReadOnlyList<KeyValuePair<string, string>> Aliases, long FileBytes)
{
    /// <summary>Elements of the stored tensors, not counting the <c>_scale</c> vectors or scalars.</summary>
    public long ParameterCount => Variables.Where(v => v.Shape.Count > 0 && !v.Name.EndsWith("_scale", StringComparison.Ordinal)).Sum(v => v.Shape.Aggregate(1L, (a, b) => a * b));
}

/// <summary>
/// Writes model.bin (binary version 6) the way CTranslate2's <c>ModelSpec._serialize</c> does
/// after <c>optimize()</c>: value-based aliasing first, then quantization, variables and aliases in
/// sorted name order (fact sheet §1, §3.7). Tensors stream through in chunks of rows in a single
/// pass: a tensor that turns out to equal an earlier one is cut off the end of the file again and
/// becomes an alias, and the variable count is patched into the header at the end.
/// </summary>
public static class Ct2ModelWriter
{
    public const int BinaryVersion = 6;
    private const int ChunkBytes = 4 << 20;

    public static Ct2WriteSummary Write(string path, string specName, int specRevision, IReadOnlyList<Ct2Variable> variables,
        Quantization quantization, Action<string>? log = null)
    {
        var byName = new Dictionary<string, Ct2Variable>(StringComparer.Ordinal);
        foreach (var v in variables)
        {
            CheckName(v.Name);
            if (!byName.TryAdd(v.Name, v))
                throw new ModelToolException($"variable '{v.Name}' is defined twice");
        }

        // Scales are named after their weight and written at their own sorted position.
        var emission = new List<(string Name, Ct2Variable? Variable, string? ScaleOf)>();
        foreach (var v in variables)
        {
            emission.Add((v.Name, v, null));
            if (v.Quantizable && quantization.IsInt8())
            {
                string scaleName = v.Name + "_scale";
                if (byName.ContainsKey(scaleName))
                    throw new ModelToolException($"variable '{scaleName}' clashes with the quantization scale of '{v.Name}'");
                emission.Add((scaleName, null, v.Name));
            }
        }
        emission.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        var written = new List<Ct2WrittenVariable>();
        var aliases = new List<KeyValuePair<string, string>>();
        var aliasedWeights = new HashSet<string>(StringComparer.Ordinal);
        var pendingScales = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var candidates = new List<(Ct2Variable Variable, ulong Hash)>();

        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        var header = new MemoryStream();
        WriteUInt32(header, BinaryVersion);
        WriteString(header, specName);
        WriteUInt32(header, (uint)specRevision);
        long countOffset = header.Length;
        WriteUInt32(header, 0);
        header.WriteTo(file);

        foreach (var (name, variable, scaleOf) in emission)
        {
            if (scaleOf is not null)
            {
                if (aliasedWeights.Contains(scaleOf))
                    continue;
                var scale = pendingScales[scaleOf];
                pendingScales.Remove(scaleOf);
                WriteRecordHeader(file, name, Ct2DataType.Float32, [scale.LongLength]);
                file.Write(MemoryMarshal.AsBytes(scale.AsSpan()));
                written.Add(new Ct2WrittenVariable(name, Ct2DataType.Float32, [scale.LongLength], scale.LongLength * 4));
                continue;
            }

            var source = variable!.Source;
            bool quantize = variable.Quantizable && quantization.IsInt8() && !source.IsScalar;
            Ct2DataType output = source.IsScalar ? source.DataType
                : variable.Quantizable ? quantization.QuantizableOutput(source.DataType)
                : quantization.ConvertibleOutput(source.DataType);
            if (quantize && (source.Shape.Count != 2 || !source.DataType.IsFloat()))
                throw new ModelToolException($"cannot quantize '{name}': per-row int8 needs a 2-D float tensor, got [{string.Join(", ", source.Shape)}] {source.DataType.Name()}");
            if (output != source.DataType && !(source.DataType.IsFloat() && (output.IsFloat() || quantize)))
                throw new ModelToolException($"cannot convert '{name}' from {source.DataType.Name()} to {output.Name()}");

            if (!source.IsScalar && candidates.FirstOrDefault(c => ReferenceEquals(c.Variable.Source, source)).Variable is { } same)
            {
                // The same tensor object (tied weights): CT2's `a is b` shortcut, no need to stream it again.
                aliases.Add(new(name, same.Name));
                aliasedWeights.Add(name);
                continue;
            }

            long recordStart = file.Position;
            WriteRecordHeader(file, name, output, source.Shape);
            var result = StreamPayload(file, source, output, quantize);
            long byteCount = checked(source.ElementCount * output.ItemSize());

            if (!source.IsScalar && !result.HasNaN)
            {
                var target = candidates.FirstOrDefault(c => c.Hash == result.Hash && c.Variable.Source.DataType == source.DataType
                    && c.Variable.Source.Shape.SequenceEqual(source.Shape) && SameValues(c.Variable.Source, source)).Variable;
                if (target is not null)
                {
                    file.Flush();
                    file.SetLength(recordStart);
                    file.Position = recordStart;
                    aliases.Add(new(name, target.Name));
                    aliasedWeights.Add(name);
                    continue;
                }
                candidates.Add((variable, result.Hash));
            }
            if (result.Scale is not null)
                pendingScales[name] = result.Scale;
            written.Add(new Ct2WrittenVariable(name, output, source.Shape, byteCount));
            if (byteCount >= 64 << 20)
                log?.Invoke($"{name}: [{string.Join(", ", source.Shape)}] {output.Name()}, {byteCount / 1e6:F0} MB");
        }

        WriteUInt32(file, (uint)aliases.Count);
        foreach (var (alias, target) in aliases)
        {
            WriteString(file, alias);
            WriteString(file, target);
        }
        long length = file.Position;
        file.Position = countOffset;
        WriteUInt32(file, (uint)written.Count);
        file.Flush(flushToDisk: true);
        return new Ct2WriteSummary(written, aliases, length);
    }

    private readonly record struct PayloadResult(ulong Hash, bool HasNaN, float[]? Scale);

    private static PayloadResult StreamPayload(Stream file, TensorSource source, Ct2DataType output, bool quantize)
    {
        int inSize = source.DataType.ItemSize();
        long rowBytes = Math.Max(1, source.RowLength * inSize);
        int rowsPerChunk = (int)Math.Clamp(ChunkBytes / rowBytes, 1, int.MaxValue);
        if (rowBytes > int.MaxValue / 2)
            throw new ModelToolException($"rows of {rowBytes} bytes are too large to stream");
        int maxRows = (int)Math.Min(rowsPerChunk, source.Rows);
        var raw = new byte[checked(Math.Max(1, maxRows) * (int)rowBytes)];
        bool convert = quantize || output != source.DataType;
        float[]? floats = convert && source.DataType != Ct2DataType.Float32 ? new float[checked(Math.Max(1, maxRows) * (int)source.RowLength)] : null;
        byte[]? outBuffer = convert ? new byte[checked(Math.Max(1, maxRows) * (int)source.RowLength * output.ItemSize())] : null;
        float[]? scale = quantize ? new float[source.Rows] : null;
        var hasher = new ValueHasher(source.DataType);

        for (long row = 0; row < source.Rows; row += rowsPerChunk)
        {
            int rows = (int)Math.Min(rowsPerChunk, source.Rows - row);
            int elements = checked(rows * (int)source.RowLength);
            var chunk = raw.AsSpan(0, elements * inSize);
            source.ReadRows(row, rows, chunk);
            if (!source.IsScalar)
                hasher.Add(chunk);
            if (!convert)
            {
                file.Write(chunk);
                continue;
            }
            ReadOnlySpan<float> values;
            if (source.DataType == Ct2DataType.Float32)
            {
                values = MemoryMarshal.Cast<byte, float>(chunk);
            }
            else
            {
                FloatConversions.ToFloat32(source.DataType, chunk, floats.AsSpan(0, elements));
                values = floats.AsSpan(0, elements);
            }
            var dest = outBuffer.AsSpan(0, elements * output.ItemSize());
            if (quantize)
                QuantizeRows(values, (int)source.RowLength, MemoryMarshal.Cast<byte, sbyte>(dest), scale.AsSpan((int)row, rows));
            else
                FloatConversions.FromFloat32(values, output, dest);
            file.Write(dest);
        }
        return new PayloadResult(hasher.Value, hasher.HasNaN, scale);
    }

    /// <summary>CT2's int8 rule: scale = 127 / max|row| (127 for an all-zero row), q = rint(w·scale), all in float32.</summary>
    public static void QuantizeRows(ReadOnlySpan<float> values, int rowLength, Span<sbyte> quantized, Span<float> scales)
    {
        for (int r = 0; r < scales.Length; r++)
        {
            var row = values.Slice(r * rowLength, rowLength);
            float amax = MaxAbs(row);
            if (amax == 0)
                amax = 127f;
            float s = 127f / amax;
            scales[r] = s;
            var q = quantized.Slice(r * rowLength, rowLength);
            for (int i = 0; i < row.Length; i++)
                q[i] = (sbyte)MathF.Round(row[i] * s, MidpointRounding.ToEven);
        }
    }

    private static float MaxAbs(ReadOnlySpan<float> row)
    {
        int i = 0;
        float amax = 0;
        if (Vector256.IsHardwareAccelerated && row.Length >= Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= row.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                acc = Vector256.Max(acc, Vector256.Abs(Vector256.Create(row.Slice(i, Vector256<float>.Count))));
            for (int k = 0; k < Vector256<float>.Count; k++)
                amax = MathF.Max(amax, acc[k]);
        }
        for (; i < row.Length; i++)
            amax = MathF.Max(amax, MathF.Abs(row[i]));
        return amax;
    }

    /// <summary>Element-wise equality like torch.equal / numpy.array_equal: 0.0 == -0.0, NaN equals nothing.</summary>
    private static bool SameValues(TensorSource a, TensorSource b)
    {
        int size = a.DataType.ItemSize();
        long rowBytes = Math.Max(1, a.RowLength * size);
        int rowsPerChunk = (int)Math.Clamp(ChunkBytes / rowBytes, 1, int.MaxValue);
        int maxRows = (int)Math.Min(rowsPerChunk, a.Rows);
        var bufA = new byte[maxRows * rowBytes];
        var bufB = new byte[maxRows * rowBytes];
        var fa = a.DataType.IsFloat() ? new float[maxRows * a.RowLength] : null;
        var fb = a.DataType.IsFloat() ? new float[maxRows * a.RowLength] : null;
        for (long row = 0; row < a.Rows; row += rowsPerChunk)
        {
            int rows = (int)Math.Min(rowsPerChunk, a.Rows - row);
            int n = checked(rows * (int)a.RowLength);
            a.ReadRows(row, rows, bufA.AsSpan(0, n * size));
            b.ReadRows(row, rows, bufB.AsSpan(0, n * size));
            if (fa is null || fb is null)
            {
                if (!bufA.AsSpan(0, n * size).SequenceEqual(bufB.AsSpan(0, n * size)))
                    return false;
                continue;
            }
            FloatConversions.ToFloat32(a.DataType, bufA.AsSpan(0, n * size), fa.AsSpan(0, n));
            FloatConversions.ToFloat32(a.DataType, bufB.AsSpan(0, n * size), fb.AsSpan(0, n));
            for (int i = 0; i < n; i++)
                if (fa[i] != fb[i])
                    return false;
        }
        return true;
    }

    private static void CheckName(string name)
    {
        if (name.Length == 0 || name.Length >= ushort.MaxValue)
            throw new ModelToolException($"invalid variable name length {name.Length}");
        foreach (var c in name)
            if (c is < ' ' or > '~')
                throw new ModelToolException($"variable name '{name}' is not printable ASCII");
    }

    private static void WriteRecordHeader(Stream s, string name, Ct2DataType type, IReadOnlyList<long> shape)
    {
        long bytes = type.ItemSize();
        foreach (var d in shape)
            bytes = checked(bytes * d);
        if (bytes > uint.MaxValue)
            throw new ModelToolException($"'{name}' has {bytes} bytes; model.bin stores sizes as u32 (at most 4 GiB - 1 per tensor)");
        if (shape.Count > byte.MaxValue)
            throw new ModelToolException($"'{name}' has rank {shape.Count}");
        WriteString(s, name);
        s.WriteByte((byte)shape.Count);
        foreach (var d in shape)
            WriteUInt32(s, checked((uint)d));
        s.WriteByte((byte)type);
        WriteUInt32(s, (uint)bytes);
    }

    internal static void WriteString(Stream s, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, checked((ushort)(value.Length + 1)));
        s.Write(len);
        s.Write(bytes);
        s.WriteByte(0);
    }

    internal static void WriteUInt32(Stream s, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        s.Write(b);
    }

    /// <summary>
    /// A fast 64-bit fingerprint of a tensor's values (−0 folded onto +0) that finds alias
    /// candidates; a match is always confirmed by comparing the values, so collisions are harmless.
    /// </summary>
    private sealed class ValueHasher(Ct2DataType type)
    {
        private ulong _h = 0x243F6A8885A308D3;
        private long _count;
        public bool HasNaN { get; private set; }
        public ulong Value => Mix(_h, (ulong)_count);

        public void Add(ReadOnlySpan<byte> data)
        {
            _count += data.Length;
            switch (type)
            {
                case Ct2DataType.Float32:
                {
                    // Four independent lanes so the multiply chains overlap; folded into _h per chunk.
                    var words = MemoryMarshal.Cast<byte, uint>(data);
                    ulong h0 = _h, h1 = ~_h, h2 = _h ^ 0x5555, h3 = _h ^ 0xAAAA;
                    bool nan = false;
                    int i = 0;
                    for (; i + 4 <= words.Length; i += 4)
                    {
                        uint a = words[i], b = words[i + 1], c = words[i + 2], d = words[i + 3];
                        nan |= ((a & 0x7FFFFFFF) > 0x7F800000) | ((b & 0x7FFFFFFF) > 0x7F800000) | ((c & 0x7FFFFFFF) > 0x7F800000) | ((d & 0x7FFFFFFF) > 0x7F800000);
                        h0 = Mix(h0, a == 0x80000000 ? 0 : a);
                        h1 = Mix(h1, b == 0x80000000 ? 0 : b);
                        h2 = Mix(h2, c == 0x80000000 ? 0 : c);
                        h3 = Mix(h3, d == 0x80000000 ? 0 : d);
                    }
                    for (; i < words.Length; i++)
                    {
                        uint u = words[i];
                        nan |= (u & 0x7FFFFFFF) > 0x7F800000;
                        h0 = Mix(h0, u == 0x80000000 ? 0 : u);
                    }
                    _h = Mix(Mix(Mix(h0, h1), h2), h3);
                    HasNaN |= nan;
                    break;
                }
                case Ct2DataType.Float16:
                    foreach (var u in MemoryMarshal.Cast<byte, ushort>(data))
                    {
                        if ((u & 0x7FFF) > 0x7C00) HasNaN = true;
                        _h = Mix(_h, u == 0x8000 ? 0u : u);
                    }
                    break;
                case Ct2DataType.BFloat16:
                    foreach (var u in MemoryMarshal.Cast<byte, ushort>(data))
                    {
                        if ((u & 0x7FFF) > 0x7F80) HasNaN = true;
                        _h = Mix(_h, u == 0x8000 ? 0u : u);
                    }
                    break;
                default:
                    foreach (var b in data)
                        _h = Mix(_h, b);
                    break;
            }
        }

        private static ulong Mix(ulong h, ulong v) => BitOperations.RotateLeft((h ^ v) * 0x9E3779B97F4A7C15, 31);
    }
}
