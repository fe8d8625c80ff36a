namespace Traductor.Native.Tests;

public sealed class TokenizerTests
{
    private static readonly string[] Texts =
    [
        "¿Dónde está el niño? ¡Mañana!",
        "Blåbærgrød på Ærø, øl og æbler.",
        "3,5 km — 1.000 € og 12 %",
        "  dos  espacios\ty\ttabuladores  ",
        "Emoji 🙂👍🏽 y ñandú",
        "",
    ];

    [GoldenFact]
    public void Golden_model_encodes_like_spm_encode_in_the_golden_cases()
    {
        using var tokenizer = NativeTokenizer.Load(TestEnvironment.GoldenTokenizer);
        // golden/cases/tiny-f32.jsonl, greedy_scores_b2: the pieces spm_encode produced.
        Assert.Equal(
            ["▁No", "▁enlaza", "▁contra", "▁bibliotecas", "▁compartidas"],
            tokenizer.Encode("No enlaza contra bibliotecas compartidas"));
        Assert.Equal(8000, tokenizer.PieceCount);
        Assert.Equal("<unk>", tokenizer.Piece(0));
    }

    [GoldenFact]
    public void Round_trips_text_that_is_already_normalized()
    {
        using var tokenizer = NativeTokenizer.Load(TestEnvironment.GoldenTokenizer);
        foreach (var text in new[] { "¿Dónde está el niño? ¡Mañana!", "Blåbærgrød på Ærø, øl og æbler.", "3,5 km og 1.000 kr." })
        {
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        }
    }

    [GoldenFact]
    public void Empty_text_has_no_pieces_and_decodes_back_to_empty()
    {
        using var tokenizer = NativeTokenizer.Load(TestEnvironment.GoldenTokenizer);
        Assert.Empty(tokenizer.Encode(string.Empty));
        Assert.Equal(string.Empty, tokenizer.Decode([]));
    }

    [GoldenFact]
    public void Loads_from_a_non_ascii_path()
    {
        using var dir = new TemporaryDirectory("trd-módèl-ñæøå-🙂");
        var path = Path.Combine(dir.Path, "modelo_ñandú_blåbær.model");
        File.Copy(TestEnvironment.GoldenTokenizer, path);

        using var tokenizer = NativeTokenizer.Load(path);

        Assert.Equal(8000, tokenizer.PieceCount);
        Assert.Equal(["▁No"], tokenizer.Encode("No"));
    }

    [Fact]
    public void Missing_model_is_not_found_and_names_the_path()
    {
        using var dir = new TemporaryDirectory();
        var path = Path.Combine(dir.Path, "absent", "sentencepiece.bpe.model");

        var error = Assert.Throws<TraductorNativeException>(() => NativeTokenizer.Load(path));

        Assert.Equal(NativeStatusCode.NotFound, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_model_is_invalid_model()
    {
        using var dir = new TemporaryDirectory();
        var path = Path.Combine(dir.Path, "sentencepiece.bpe.model");
        File.WriteAllBytes(path, [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef]);

        var error = Assert.Throws<TraductorNativeException>(() => NativeTokenizer.Load(path));

        Assert.Equal(NativeStatusCode.InvalidModel, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_instead_of_model_file_is_invalid_argument()
    {
        using var dir = new TemporaryDirectory();
        var error = Assert.Throws<TraductorNativeException>(() => NativeTokenizer.Load(dir.Path));
        Assert.Equal(NativeStatusCode.InvalidArgument, error.Code);
    }

    [GoldenFact]
    public void Text_without_a_utf8_form_is_refused_before_the_native_call()
    {
        using var tokenizer = NativeTokenizer.Load(TestEnvironment.GoldenTokenizer);

        var surrogate = Assert.Throws<ArgumentException>(() => tokenizer.Encode("abc\uD800def"));
        Assert.Contains("unpaired UTF-16 surrogate at index 3", surrogate.Message, StringComparison.Ordinal);
        var nul = Assert.Throws<ArgumentException>(() => tokenizer.Encode("a\0b"));
        Assert.Contains("U+0000 at index 1", nul.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => tokenizer.Decode(["▁ok", "\uDC00"]));
    }

    [GoldenFact]
    public void Piece_ids_out_of_range_throw()
    {
        using var tokenizer = NativeTokenizer.Load(TestEnvironment.GoldenTokenizer);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Piece(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Piece(tokenizer.PieceCount));
        Assert.Equal("▁No", tokenizer.Piece(Array.IndexOf(Enumerable.Range(0, tokenizer.PieceCount).Select(tokenizer.Piece).ToArray(), "▁No")));
    }

    [GoldenFact]
    public void Disposed_tokenizer_throws_object_disposed()
    {
        var tokenizer = NativeTokenizer.Load(TestEnvironment.GoldenTokenizer);
        tokenizer.Dispose();
        tokenizer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tokenizer.Encode("hola"));
        Assert.Throws<ObjectDisposedException>(() => tokenizer.Decode(["▁hola"]));
        Assert.Throws<ObjectDisposedException>(() => tokenizer.Piece(1));
    }

    [GoldenFact]
    public async Task Is_safe_to_use_from_many_threads()
    {
        using var tokenizer = NativeTokenizer.Load(TestEnvironment.GoldenTokenizer);
        var expected = Texts.Select(t => string.Join(" ", tokenizer.Encode(t))).ToArray();

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 300; i++)
            {
                var k = (i + w) % Texts.Length;
                Assert.Equal(expected[k], string.Join(" ", tokenizer.Encode(Texts[k])));
            }
        }));
        await Task.WhenAll(workers);
    }
}
