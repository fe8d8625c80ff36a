using System.Buffers.Binary;
using System.Text;

namespace Traductor.Models.Tokenizers;

/// <summary>SentencePiece piece types (sentencepiece_model.proto, SentencePiece.Type).</summary>
public enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

public sealed record SentencePiece(string Piece, float Score, SentencePieceType Type);

/// <summary>
/// The pieces of a SentencePiece <c>.model</c> file. Only <c>ModelProto.pieces</c> (field 1:
/// piece = 1, score = 2, type = 3) is needed for a vocabulary, so this is a minimal protobuf
/// reader that skips every other field rather than a dependency on a protobuf library.
/// </summary>
public sealed class SentencePieceModel
{
    private SentencePieceModel(IReadOnlyList<SentencePiece> pieces) => Pieces = pieces;

    public IReadOnlyList<SentencePiece> Pieces { get; }
    public int Count => Pieces.Count;

    public static SentencePieceModel Load(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelToolException($"cannot read SentencePiece model {path}: {e.Message}", e);
        }
        try
        {
            var model = Parse(data);
            if (model.Count == 0)
                throw new ModelToolException($"{path} holds no SentencePiece pieces; is it a SentencePiece .model file?");
            return model;
        }
        catch (FormatException e)
        {
            throw new ModelToolException($"{path} is not a valid SentencePiece model: {e.Message}", e);
        }
    }

    public static SentencePieceModel Parse(ReadOnlySpan<byte> data)
    {
        var pieces = new List<SentencePiece>();
        int pos = 0;
        while (pos < data.Length)
        {
            var (field, wire) = ReadTag(data, ref pos);
            if (field == 1 && wire == 2)
                pieces.Add(ParsePiece(ReadBytes(data, ref pos)));
            else
                Skip(data, ref pos, wire);
        }
        return new SentencePieceModel(pieces);
    }

    private static SentencePiece ParsePiece(ReadOnlySpan<byte> data)
    {
        string? piece = null;
        float score = 0;
        var type = SentencePieceType.Normal;
        int pos = 0;
        while (pos < data.Length)
        {
            var (field, wire) = ReadTag(data, ref pos);
            switch (field, wire)
            {
                case (1, 2):
                    piece = Encoding.UTF8.GetString(ReadBytes(data, ref pos));
                    break;
                case (2, 5):
                    if (pos + 4 > data.Length) throw new FormatException("truncated score");
                    score = BinaryPrimitives.ReadSingleLittleEndian(data[pos..]);
                    pos += 4;
                    break;
                case (3, 0):
                    type = (SentencePieceType)(int)ReadVarint(data, ref pos);
                    break;
                default:
                    Skip(data, ref pos, wire);
                    break;
            }
        }
        return new SentencePiece(piece ?? throw new FormatException("a piece without its text"), score, type);
    }

    private static (int Field, int Wire) ReadTag(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong tag = ReadVarint(data, ref pos);
        int field = (int)(tag >> 3);
        if (field == 0)
            throw new FormatException($"field number 0 at byte {pos}");
        return (field, (int)(tag & 7));
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length)
                throw new FormatException("truncated varint");
            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new FormatException("varint longer than 10 bytes");
    }

    private static ReadOnlySpan<byte> ReadBytes(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong length = ReadVarint(data, ref pos);
        if (length > (ulong)(data.Length - pos))
            throw new FormatException($"length {length} at byte {pos} runs past the end");
        var slice = data.Slice(pos, (int)length);
        pos += (int)length;
        return slice;
    }

    private static void Skip(ReadOnlySpan<byte> data, ref int pos, int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(data, ref pos); break;
            case 1: pos += 8; break;
            case 2: ReadBytes(data, ref pos); break;
            case 5: pos += 4; break;
            default: throw new FormatException($"unsupported wire type {wire}");
        }
        if (pos > data.Length)
            throw new FormatException("truncated field");
    }
}
