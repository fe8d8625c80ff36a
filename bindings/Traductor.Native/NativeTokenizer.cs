using System.Buffers;
using System.Runtime.InteropServices;
using Traductor.Native.Interop;

namespace Traductor.Native;

/// <summary>
/// A SentencePiece model loaded by the native library (Debian's libsentencepiece). Pieces are
/// exactly those of <c>spm_encode --output_format=piece</c>, for BPE and unigram models alike.
/// Immutable after loading: safe to use from many threads at once.
/// </summary>
public sealed class NativeTokenizer : IDisposable
{
    private readonly TokenizerHandle handle;

    private NativeTokenizer(TokenizerHandle handle)
    {
        this.handle = handle;
        PieceCount = checked((int)NativeMethods.trd_tokenizer_piece_count(handle));
    }

    /// <summary>Number of pieces (ids) in the model.</summary>
    public int PieceCount { get; }

    /// <summary>
    /// Loads a SentencePiece model file. Throws <see cref="TraductorNativeException"/>: NotFound when
    /// the file is missing, InvalidModel when it is not a valid model, InvalidArgument for a directory.
    /// </summary>
    public static NativeTokenizer Load(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        NativeLibraryLoader.EnsureLoaded();
        var status = NativeMethods.trd_tokenizer_create(modelPath, out var handle);
        try
        {
            NativeStatus.Check(status);
            return new NativeTokenizer(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Encodes <paramref name="text"/> into pieces. Throws <see cref="ArgumentException"/> when the
    /// text has an unpaired surrogate or U+0000, neither of which has a place in the model's input.
    /// </summary>
    public IReadOnlyList<string> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Utf8.RequireNoNul(text, "text", nameof(text));
        var byteCount = Utf8.ByteCount(text, "text", nameof(text));
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(byteCount, 1));
        try
        {
            var written = Utf8.Encode(text, buffer);
            PiecesHandle pieces;
            unsafe
            {
                fixed (byte* bytes = buffer)
                {
                    NativeStatus.Check(NativeMethods.trd_tokenizer_encode(handle, bytes, (nuint)written, out pieces));
                }
            }

            using (pieces)
            {
                return ReadPieces(pieces);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes pieces into text (<c>spm_decode</c>). Unknown pieces pass through as written.</summary>
    public string Decode(IReadOnlyList<string> pieces)
    {
        using var batch = Utf8TokenBatch.Create(pieces, nameof(pieces));
        PiecesHandle text;
        unsafe
        {
            NativeStatus.Check(NativeMethods.trd_tokenizer_decode(handle, batch.Tokens, batch.TokenCount, out text));
        }

        using (text)
        {
            return Marshal.PtrToStringUTF8(NativeMethods.trd_pieces_get(text, 0)) ?? string.Empty;
        }
    }

    /// <summary>The piece with id <paramref name="id"/>.</summary>
    public string Piece(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, PieceCount);
        // The string is borrowed from the model: keep the tokenizer alive until it is copied.
        return handle.Borrow(
            (Handle: handle, Id: (nuint)id),
            static s => Marshal.PtrToStringUTF8(NativeMethods.trd_tokenizer_piece(s.Handle, s.Id))!);
    }

    /// <summary>Frees the native model. Calls already running keep it alive until they return.</summary>
    public void Dispose() => handle.Dispose();

    private static string[] ReadPieces(PiecesHandle pieces)
    {
        var count = checked((int)NativeMethods.trd_pieces_count(pieces));
        var result = new string[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = Marshal.PtrToStringUTF8(NativeMethods.trd_pieces_get(pieces, (nuint)i))!;
        }

        return result;
    }
}
