using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Traductor.Models.Ct2;

public sealed record Ct2StoredVariable(string Name, Ct2DataType DataType, IReadOnlyList<long> Shape, long Offset, long ByteCount)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reads model.bin (binary versions 1–6, fact sheet §1) without loading the payloads: it keeps
/// each variable's offset and reads values on demand, so verifying a 600 MB model stays cheap.
/// </summary>
public sealed class Ct2ModelReader : IDisposable
{
    private readonly FileStream _file;

    private Ct2ModelReader(FileStream file) => _file = file;

    public string Path => _file.Name;
    public uint BinaryVersion { get; private set; }
    public string SpecName { get; private set; } = "";
    public uint SpecRevision { get; private set; }
    public IReadOnlyList<Ct2StoredVariable> Variables { get; private set; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Aliases { get; private set; } = [];
    public long TrailingBytes { get; private set; }

    private Dictionary<string, Ct2StoredVariable> _byName = new(StringComparer.Ordinal);

    public static Ct2ModelReader Open(string path)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelToolException($"cannot open {path}: {e.Message}", e);
        }
        var reader = new Ct2ModelReader(file);
        try
        {
            reader.Parse();
            return reader;
        }
        catch (EndOfStreamException e)
        {
            long length = file.Length;
            file.Dispose();
            throw new ModelToolException($"{path} is truncated: it ends at byte {length} in the middle of a record", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void Parse()
    {
        var r = new BinaryReader(_file, Encoding.UTF8, leaveOpen: true);
        BinaryVersion = r.ReadUInt32();
        if (BinaryVersion is < 1 or > 6)
            throw new ModelToolException($"{Path}: unsupported model binary version {BinaryVersion} (this reader knows 1 to 6)");
        if (BinaryVersion >= 2)
        {
            SpecName = ReadString(r);
            SpecRevision = r.ReadUInt32();
        }
        else
        {
            SpecRevision = 1;
        }
        uint count = r.ReadUInt32();
        var variables = new List<Ct2StoredVariable>();
        for (uint i = 0; i < count; i++)
        {
            string name = ReadString(r);
            int rank = r.ReadByte();
            var shape = new long[rank];
            long elements = 1;
            for (int d = 0; d < rank; d++)
            {
                shape[d] = r.ReadUInt32();
                elements = checked(elements * shape[d]);
            }
            Ct2DataType type;
            long bytes;
            if (BinaryVersion >= 4)
            {
                byte id = r.ReadByte();
                if (!Ct2DataTypes.IsDefined(id))
                    throw new ModelToolException($"{Path}: variable '{name}' has unknown dtype id {id}");
                type = (Ct2DataType)id;
                bytes = r.ReadUInt32();
                if (bytes != elements * type.ItemSize())
                    throw new ModelToolException($"{Path}: variable '{name}' has an invalid payload size {bytes} for shape [{string.Join(", ", shape)}] {type.Name()}");
            }
            else
            {
                byte itemSize = r.ReadByte();
                type = itemSize switch
                {
                    4 => Ct2DataType.Float32,
                    2 => Ct2DataType.Int16,
                    1 => Ct2DataType.Int8,
                    _ => throw new ModelToolException($"{Path}: variable '{name}' has item size {itemSize}"),
                };
                bytes = checked(r.ReadUInt32() * (long)itemSize);
            }
            long offset = _file.Position;
            if (offset + bytes > _file.Length)
                throw new EndOfStreamException();
            _file.Position = offset + bytes;
            variables.Add(new Ct2StoredVariable(name, type, shape, offset, bytes));
        }
        var aliases = new List<KeyValuePair<string, string>>();
        if (BinaryVersion >= 3)
        {
            uint aliasCount = r.ReadUInt32();
            for (uint i = 0; i < aliasCount; i++)
            {
                string alias = ReadString(r);
                string target = ReadString(r);
                aliases.Add(new(alias, target));
            }
        }
        TrailingBytes = _file.Length - _file.Position;
        Variables = variables;
        Aliases = aliases;
        _byName = new Dictionary<string, Ct2StoredVariable>(StringComparer.Ordinal);
        foreach (var v in variables)
            if (!_byName.TryAdd(v.Name, v))
                throw new ModelToolException($"{Path}: variable '{v.Name}' appears twice");
    }

    private string ReadString(BinaryReader r)
    {
        ushort length = r.ReadUInt16();
        if (length == 0)
            throw new ModelToolException($"{Path}: invalid string length 0 at byte {_file.Position - 2}");
        var bytes = r.ReadBytes(length);
        if (bytes.Length != length)
            throw new EndOfStreamException();
        return Encoding.UTF8.GetString(bytes, 0, length - 1);
    }

    /// <summary>A stored variable, or the one an alias points to (as CTranslate2 resolves them).</summary>
    public Ct2StoredVariable? Find(string name)
    {
        if (_byName.TryGetValue(name, out var v))
            return v;
        foreach (var (alias, target) in Aliases)
            if (alias == name)
                return _byName.GetValueOrDefault(target);
        return null;
    }

    public Ct2StoredVariable Get(string name) =>
        Find(name) ?? throw new ModelToolException($"{Path}: no variable '{name}'");

    public byte[] ReadBytes(Ct2StoredVariable variable)
    {
        var data = new byte[variable.ByteCount];
        RandomAccess.Read(_file.SafeFileHandle, data, variable.Offset);
        return data;
    }

    /// <summary>Values as float32 (exact for float16/bfloat16; int types converted numerically).</summary>
    public float[] ReadFloats(Ct2StoredVariable variable)
    {
        var raw = ReadBytes(variable);
        var values = new float[variable.ElementCount];
        switch (variable.DataType)
        {
            case Ct2DataType.Int8:
                for (int i = 0; i < values.Length; i++) values[i] = (sbyte)raw[i];
                break;
            case Ct2DataType.Int16:
                var s16 = MemoryMarshal.Cast<byte, short>(raw);
                for (int i = 0; i < values.Length; i++) values[i] = s16[i];
                break;
            case Ct2DataType.Int32:
                var s32 = MemoryMarshal.Cast<byte, int>(raw);
                for (int i = 0; i < values.Length; i++) values[i] = s32[i];
                break;
            default:
                FloatConversions.ToFloat32(variable.DataType, raw, values);
                break;
        }
        return values;
    }

    public double ReadScalar(string name)
    {
        var v = Get(name);
        if (v.Shape.Count != 0)
            throw new ModelToolException($"{Path}: '{name}' is not a scalar");
        return ReadFloats(v)[0];
    }

    public void Dispose() => _file.Dispose();
}
