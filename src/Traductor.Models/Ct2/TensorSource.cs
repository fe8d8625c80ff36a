using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Traductor.Models.Ct2;

/// <summary>
/// A tensor that can be produced row by row, any number of times. Writers stream through it in
/// chunks of whole rows, so no tensor (a 1 GB embedding, say) has to exist in memory at once, and a
/// second pass (to confirm a value-based alias) re-reads the source instead of keeping a copy.
/// A "row" is the first dimension; rank-1 tensors have rows of one element and scalars one row.
/// </summary>
public abstract class TensorSource
{
    protected TensorSource(Ct2DataType dataType, IReadOnlyList<long> shape)
    {
        DataType = dataType;
        var dims = shape.ToArray();
        foreach (var d in dims)
            if (d < 0)
                throw new ModelToolException($"negative dimension in shape [{string.Join(", ", dims)}]");
        Shape = dims;
        Rows = dims.Length == 0 ? 1 : dims[0];
        RowLength = 1;
        for (int i = 1; i < dims.Length; i++)
            RowLength = checked(RowLength * dims[i]);
    }

    public Ct2DataType DataType { get; }
    public IReadOnlyList<long> Shape { get; }
    public long Rows { get; }
    public long RowLength { get; }
    public long ElementCount => checked(Rows * RowLength);
    public long ByteCount => checked(ElementCount * DataType.ItemSize());
    public bool IsScalar => Shape.Count == 0;

    /// <summary>Writes rows [firstRow, firstRow + rowCount) as raw little-endian items of <see cref="DataType"/>.</summary>
    public abstract void ReadRows(long firstRow, int rowCount, Span<byte> destination);
}

/// <summary>A tensor already in memory (scalars, small vectors, test data).</summary>
public sealed class ArrayTensorSource : TensorSource
{
    private readonly byte[] _data;

    public ArrayTensorSource(Ct2DataType dataType, IReadOnlyList<long> shape, byte[] data) : base(dataType, shape)
    {
        if (data.LongLength != ByteCount)
            throw new ModelToolException($"tensor data has {data.LongLength} bytes, shape [{string.Join(", ", shape)}] needs {ByteCount}");
        _data = data;
    }

    public static ArrayTensorSource Float32(IReadOnlyList<long> shape, ReadOnlySpan<float> values) =>
        new(Ct2DataType.Float32, shape, MemoryMarshal.AsBytes(values).ToArray());

    public static ArrayTensorSource ScalarInt8(sbyte value) => new(Ct2DataType.Int8, [], [(byte)value]);

    public static ArrayTensorSource ScalarInt16(short value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteInt16LittleEndian(bytes, value);
        return new(Ct2DataType.Int16, [], bytes);
    }

    public static ArrayTensorSource ScalarFloat32(float value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return new(Ct2DataType.Float32, [], bytes);
    }

    public override void ReadRows(long firstRow, int rowCount, Span<byte> destination)
    {
        long rowBytes = RowLength * DataType.ItemSize();
        _data.AsSpan(checked((int)(firstRow * rowBytes)), checked((int)(rowCount * rowBytes))).CopyTo(destination);
    }
}

/// <summary>Rows of several sources with the same row length, one after the other (CT2's fused QKV / KV).</summary>
public sealed class ConcatRowsTensorSource : TensorSource
{
    private readonly TensorSource[] _parts;

    private ConcatRowsTensorSource(TensorSource[] parts, long[] shape) : base(parts[0].DataType, shape) => _parts = parts;

    public static ConcatRowsTensorSource Create(IReadOnlyList<TensorSource> parts)
    {
        if (parts.Count == 0)
            throw new ArgumentException("nothing to concatenate", nameof(parts));
        var first = parts[0];
        long rows = 0;
        foreach (var p in parts)
        {
            if (p.DataType != first.DataType || p.Shape.Count != first.Shape.Count || p.Shape.Count == 0 || !p.Shape.Skip(1).SequenceEqual(first.Shape.Skip(1)))
                throw new ModelToolException($"cannot fuse tensors of shapes [{string.Join(", ", first.Shape)}] {first.DataType.Name()} and [{string.Join(", ", p.Shape)}] {p.DataType.Name()}");
            rows += p.Rows;
        }
        var shape = first.Shape.ToArray();
        shape[0] = rows;
        return new ConcatRowsTensorSource(parts.ToArray(), shape);
    }

    public override void ReadRows(long firstRow, int rowCount, Span<byte> destination)
    {
        long rowBytes = RowLength * DataType.ItemSize();
        long partStart = 0;
        foreach (var part in _parts)
        {
            long partEnd = partStart + part.Rows;
            long from = Math.Max(firstRow, partStart), to = Math.Min(firstRow + rowCount, partEnd);
            if (from < to)
            {
                var slice = destination.Slice(checked((int)((from - firstRow) * rowBytes)), checked((int)((to - from) * rowBytes)));
                part.ReadRows(from - partStart, checked((int)(to - from)), slice);
            }
            partStart = partEnd;
        }
    }
}

/// <summary>
/// Presents a float source in another float dtype, the way torch's <c>.to(dtype)</c> does
/// (round to nearest even). Used for the checkpoint's load dtype and for output casts.
/// </summary>
public sealed class CastTensorSource : TensorSource
{
    private readonly TensorSource _inner;

    private CastTensorSource(TensorSource inner, Ct2DataType target) : base(target, inner.Shape) => _inner = inner;

    public static TensorSource To(TensorSource source, Ct2DataType target)
    {
        if (source.DataType == target)
            return source;
        if (!source.DataType.IsFloat() || !target.IsFloat())
            throw new ModelToolException($"cannot convert {source.DataType.Name()} to {target.Name()}");
        return new CastTensorSource(source, target);
    }

    public override void ReadRows(long firstRow, int rowCount, Span<byte> destination)
    {
        int count = checked((int)(rowCount * RowLength));
        var raw = new byte[checked(count * _inner.DataType.ItemSize())];
        _inner.ReadRows(firstRow, rowCount, raw);
        var floats = new float[count];
        FloatConversions.ToFloat32(_inner.DataType, raw, floats);
        FloatConversions.FromFloat32(floats, DataType, destination);
    }
}

/// <summary>Bulk conversions between raw float storage and float32.</summary>
public static class FloatConversions
{
    public static void ToFloat32(Ct2DataType type, ReadOnlySpan<byte> raw, Span<float> destination)
    {
        switch (type)
        {
            case Ct2DataType.Float32:
                MemoryMarshal.Cast<byte, float>(raw)[..destination.Length].CopyTo(destination);
                break;
            case Ct2DataType.Float16:
                var halves = MemoryMarshal.Cast<byte, ushort>(raw);
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = Ct2DataTypes.FromFloat16(halves[i]);
                break;
            case Ct2DataType.BFloat16:
                var bf = MemoryMarshal.Cast<byte, ushort>(raw);
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = Ct2DataTypes.FromBFloat16(bf[i]);
                break;
            default:
                throw new ModelToolException($"{type.Name()} is not a float type");
        }
    }

    public static void FromFloat32(ReadOnlySpan<float> values, Ct2DataType type, Span<byte> destination)
    {
        switch (type)
        {
            case Ct2DataType.Float32:
                MemoryMarshal.AsBytes(values).CopyTo(destination);
                break;
            case Ct2DataType.Float16:
                var halves = MemoryMarshal.Cast<byte, ushort>(destination);
                for (int i = 0; i < values.Length; i++)
                    halves[i] = Ct2DataTypes.ToFloat16(values[i]);
                break;
            case Ct2DataType.BFloat16:
                var bf = MemoryMarshal.Cast<byte, ushort>(destination);
                for (int i = 0; i < values.Length; i++)
                    bf[i] = Ct2DataTypes.ToBFloat16(values[i]);
                break;
            default:
                throw new ModelToolException($"{type.Name()} is not a float type");
        }
    }
}
