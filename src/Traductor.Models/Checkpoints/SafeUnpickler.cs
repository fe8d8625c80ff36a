using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Traductor.Models.Checkpoints;

/// <summary>A storage named by a persistent id: ('storage', torch.XStorage, key, location, numel).</summary>
public sealed record PickledStorage(string StorageType, string Key, long ElementCount);

/// <summary>What <c>torch._utils._rebuild_tensor_v2</c> would build: a view into a storage.</summary>
public sealed record PickledTensor(PickledStorage Storage, long Offset, long[] Shape, long[] Stride);

/// <summary>An <c>OrderedDict</c> (or plain dict) with its insertion order.</summary>
public sealed class PickledDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = [];
}

/// <summary>
/// Reads the pickle of a torch state dict WITHOUT executing anything: only the opcodes such a
/// pickle uses are implemented, and the only globals it may name are <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c> / <c>_rebuild_parameter</c> and the <c>torch.*Storage</c>
/// types. Any other global (<c>os.system</c>, <c>builtins.eval</c>, …) or opcode is refused with a
/// message naming it. The result is plain data; nothing from the file is ever called.
/// </summary>
public static class SafeUnpickler
{
    private static readonly HashSet<string> StorageTypes =
    [
        "FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage", "IntStorage",
        "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    ];

    private sealed record Global(string Module, string Name);
    private sealed class Mark;

    public static object? Load(ReadOnlySpan<byte> data, string description)
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        int pos = 0;

        ModelToolException Bad(string what) => new($"{description}: {what} (at byte {pos}); refusing to load it");
        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> d, int n)
        {
            if (n < 0 || n > d.Length - pos)
                throw Bad("truncated pickle");
            var s = d.Slice(pos, n);
            pos += n;
            return s;
        }
        object? Pop()
        {
            if (stack.Count == 0 || stack[^1] is Mark)
                throw Bad("pickle stack underflow");
            var v = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return v;
        }
        List<object?> PopToMark()
        {
            if (marks.Count == 0)
                throw Bad("pickle MARK missing");
            int m = marks.Pop();
            var items = stack.GetRange(m + 1, stack.Count - m - 1);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
        string ReadLine(ReadOnlySpan<byte> d)
        {
            int end = d[pos..].IndexOf((byte)'\n');
            if (end < 0)
                throw Bad("truncated pickle");
            var s = Encoding.ASCII.GetString(d.Slice(pos, end));
            pos += end + 1;
            return s;
        }
        object? Global(string module, string name)
        {
            if (module == "collections" && name == "OrderedDict")
                return new Global(module, name);
            if (module == "torch._utils" && name is "_rebuild_tensor_v2" or "_rebuild_parameter")
                return new Global(module, name);
            if (module == "torch" && StorageTypes.Contains(name))
                return new Global(module, name);
            throw Bad($"the pickle asks for the global '{module}.{name}', which a state dict never needs");
        }
        void SetItems(object? target, List<object?> kv)
        {
            if (target is not PickledDict dict)
                throw Bad("SETITEM on something that is not a dict");
            for (int i = 0; i + 1 < kv.Count; i += 2)
                dict.Items.Add(new(kv[i], kv[i + 1]));
        }

        while (true)
        {
            if (pos >= data.Length)
                throw Bad("pickle ends without STOP");
            byte op = data[pos++];
            switch (op)
            {
                case 0x80: Take(data, 1); break;                                 // PROTO
                case 0x95: Take(data, 8); break;                                 // FRAME
                case (byte)'.': return Pop();                                    // STOP
                case (byte)'(': marks.Push(stack.Count); stack.Add(new Mark()); break;
                case (byte)'}': stack.Add(new PickledDict()); break;
                case (byte)']': stack.Add(new List<object?>()); break;
                case (byte)')': stack.Add(Array.Empty<object?>()); break;
                case (byte)'t': stack.Add(PopToMark().ToArray()); break;
                case 0x85: stack.Add(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))); break;
                case (byte)'K': stack.Add((long)Take(data, 1)[0]); break;
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(data, 2))); break;
                case 0x8a: stack.Add(ReadLong(Take(data, Take(data, 1)[0]))); break;   // LONG1
                case 0x8b:                                                        // LONG4
                {
                    int n = BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4));
                    if (n > 16) throw Bad("integer too large");
                    stack.Add(ReadLong(Take(data, n)));
                    break;
                }
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(data, 8))); break;
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Take(data, BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))))); break;
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Take(data, Take(data, 1)[0]))); break;
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Take(data, checked((int)BinaryPrimitives.ReadInt64LittleEndian(Take(data, 8)))))); break;
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Take(data, BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))))); break;
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Take(data, Take(data, 1)[0]))); break;
                case (byte)'C': stack.Add(Take(data, Take(data, 1)[0]).ToArray()); break;
                case (byte)'B': stack.Add(Take(data, BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))).ToArray()); break;
                case (byte)'c':
                {
                    string module = ReadLine(data);
                    string name = ReadLine(data);
                    stack.Add(Global(module, name));
                    break;
                }
                case 0x93:                                                        // STACK_GLOBAL
                {
                    var name = Pop() as string;
                    var module = Pop() as string;
                    if (name is null || module is null) throw Bad("STACK_GLOBAL without strings");
                    stack.Add(Global(module, name));
                    break;
                }
                case (byte)'q': memo[Take(data, 1)[0]] = Peek(); break;
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(data, 4))] = Peek(); break;
                case 0x94: memo[memo.Count] = Peek(); break;                      // MEMOIZE
                case (byte)'h': stack.Add(FromMemo(Take(data, 1)[0])); break;
                case (byte)'j': stack.Add(FromMemo(BinaryPrimitives.ReadUInt32LittleEndian(Take(data, 4)))); break;
                case (byte)'a': { var v = Pop(); (Peek() as List<object?> ?? throw Bad("APPEND to a non-list")).Add(v); break; }
                case (byte)'e': { var items = PopToMark(); (Peek() as List<object?> ?? throw Bad("APPENDS to a non-list")).AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Peek(), [k, v]); break; }
                case (byte)'u': { var kv = PopToMark(); SetItems(Peek(), kv); break; }
                case (byte)'Q':                                                   // BINPERSID
                    stack.Add(PersistentStorage(Pop()) ?? throw Bad("persistent id is not a ('storage', torch.*Storage, key, location, numel) tuple"));
                    break;
                case (byte)'R':                                                   // REDUCE
                {
                    var args = Pop() as object?[] ?? throw Bad("REDUCE arguments are not a tuple");
                    var callable = Pop() as Global ?? throw Bad("REDUCE on something that is not an allowed global");
                    stack.Add(Reduce(callable, args) ?? throw Bad($"unexpected arguments to {callable.Module}.{callable.Name}"));
                    break;
                }
                case (byte)'b':                                                   // BUILD: only OrderedDict's _metadata, ignored
                {
                    Pop();
                    if (Peek() is not PickledDict)
                        throw Bad("BUILD on something other than a dict");
                    break;
                }
                default:
                    throw Bad($"unsupported pickle opcode 0x{op:x2}");
            }
            if (stack.Count > 1_000_000 || memo.Count > 10_000_000)
                throw Bad("pickle is unreasonably large");
        }

        object? Peek() => stack.Count > 0 && stack[^1] is not Mark ? stack[^1] : throw Bad("pickle stack underflow");
        object? FromMemo(long key) => memo.TryGetValue(key, out var v) ? v : throw Bad($"memo key {key} was never stored");
    }

    private static long ReadLong(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 8)
            throw new ModelToolException("pickle integer larger than 64 bits");
        return (long)new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
    }

    private static PickledStorage? PersistentStorage(object? pid)
    {
        if (pid is object?[] { Length: 5 } t && t[0] is "storage" && t[1] is Global { Module: "torch" } type
            && t[2] is string key && t[4] is long numel && numel >= 0)
            return new PickledStorage(type.Name, key, numel);
        return null;
    }

    private static object? Reduce(Global callable, object?[] args)
    {
        switch (callable.Name)
        {
            case "OrderedDict" when args.Length == 0:
                return new PickledDict();
            case "_rebuild_tensor_v2" when args.Length >= 4 && args[0] is PickledStorage storage && args[1] is long offset
                && args[2] is object?[] size && args[3] is object?[] stride && size.All(s => s is long) && stride.All(s => s is long) && size.Length == stride.Length:
                return new PickledTensor(storage, offset, size.Cast<long>().ToArray(), stride.Cast<long>().ToArray());
            case "_rebuild_parameter" when args.Length >= 1 && args[0] is PickledTensor tensor:
                return tensor;
            default:
                return null;
        }
    }
}
