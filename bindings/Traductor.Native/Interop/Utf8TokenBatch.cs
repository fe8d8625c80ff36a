using System.Runtime.InteropServices;

namespace Traductor.Native.Interop;

/// <summary>
/// A batch of token lists in the header's flattened form: all tokens back to back as NUL-terminated
/// UTF-8 strings (<see cref="Tokens"/>) and one length per example (<see cref="Lengths"/>). The
/// memory is one unmanaged block per array, valid until <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class Utf8TokenBatch : IDisposable
{
    private byte* bytes;
    private byte** tokens;
    private nuint* lengths;

    private Utf8TokenBatch(nuint exampleCount, nuint tokenCount, nuint byteCount)
    {
        ExampleCount = exampleCount;
        TokenCount = tokenCount;
        // NativeMemory.Alloc(0) may return NULL; the header allows any pointer when counts are 0,
        // but a non-NULL pointer keeps "NULL means absent" (target prefixes) unambiguous.
        bytes = (byte*)NativeMemory.Alloc(Math.Max(byteCount, 1));
        tokens = (byte**)NativeMemory.Alloc(Math.Max(tokenCount, 1), (nuint)sizeof(byte*));
        lengths = (nuint*)NativeMemory.Alloc(Math.Max(exampleCount, 1), (nuint)sizeof(nuint));
    }

    ~Utf8TokenBatch() => Free();

    public nuint ExampleCount { get; }

    public nuint TokenCount { get; }

    public byte** Tokens => tokens;

    public nuint* Lengths => lengths;

    /// <summary>Flattens <paramref name="examples"/>; throws <see cref="ArgumentException"/> naming the bad token.</summary>
    public static Utf8TokenBatch Create(IReadOnlyList<IReadOnlyList<string>> examples, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(examples, parameterName);
        nuint tokenCount = 0;
        nuint byteCount = 0;
        for (var e = 0; e < examples.Count; e++)
        {
            var example = examples[e] ?? throw new ArgumentException($"{parameterName}[{e}] is null", parameterName);
            for (var t = 0; t < example.Count; t++)
            {
                var what = $"{parameterName}[{e}][{t}]";
                var token = example[t] ?? throw new ArgumentException($"{what} is null", parameterName);
                Utf8.RequireNoNul(token, what, parameterName);
                byteCount += (nuint)Utf8.ByteCount(token, what, parameterName) + 1;
                tokenCount++;
            }
        }

        var batch = new Utf8TokenBatch((nuint)examples.Count, tokenCount, byteCount);
        var cursor = batch.bytes;
        var remaining = byteCount;
        nuint index = 0;
        for (var e = 0; e < examples.Count; e++)
        {
            var example = examples[e];
            batch.lengths[e] = (nuint)example.Count;
            foreach (var token in example)
            {
                var written = Utf8.Encode(token, new Span<byte>(cursor, checked((int)remaining)));
                cursor[written] = 0;
                batch.tokens[index++] = cursor;
                cursor += written + 1;
                remaining -= (nuint)written + 1;
            }
        }

        return batch;
    }

    /// <summary>A single token list (the decode input, a suppress sequence, end tokens).</summary>
    public static Utf8TokenBatch Create(IReadOnlyList<string> tokens, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(tokens, parameterName);
        return Create([tokens], parameterName);
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        NativeMemory.Free(bytes);
        NativeMemory.Free(tokens);
        NativeMemory.Free(lengths);
        bytes = null;
        tokens = null;
        lengths = null;
    }
}
