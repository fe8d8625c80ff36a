using System.Runtime.InteropServices;
using System.Text;
using Traductor.Models.Ct2;

namespace Traductor.Models.Tests;

public sealed class Ct2WriterTests
{
    private static Ct2Variable F32(string name, long[] shape, float[] values, bool quantizable = false) =>
        new(name, ArrayTensorSource.Float32(shape, values), quantizable);

    [Fact]
    public void Writes_sorted_variables_and_reads_them_back()
    {
        using var tmp = new TemporaryDirectory();
        string path = tmp.Combine("model.bin");
        var summary = Ct2ModelWriter.Write(path, "TransformerSpec", 7,
        [
            F32("b/layer_10/x", [2], [1, 2]),
            F32("b/layer_2/x", [2], [3, 4]),
            new("a/scalar", ArrayTensorSource.ScalarInt16(-1)),
        ], Quantization.None);
        using var reader = Ct2ModelReader.Open(path);
        Assert.Equal(6u, reader.BinaryVersion);
        Assert.Equal("TransformerSpec", reader.SpecName);
        Assert.Equal(7u, reader.SpecRevision);
        Assert.Equal(["a/scalar", "b/layer_10/x", "b/layer_2/x"], reader.Variables.Select(v => v.Name));
        Assert.Equal(0, reader.TrailingBytes);
        Assert.Equal(-1, reader.ReadScalar("a/scalar"));
        Assert.Equal([3f, 4f], reader.ReadFloats(reader.Get("b/layer_2/x")));
        Assert.Equal(new FileInfo(path).Length, summary.FileBytes);
    }

    [Fact]
    public void Equal_tensors_become_aliases_of_the_first_name_by_value_and_negative_zero_equals_zero()
    {
        using var tmp = new TemporaryDirectory();
        string path = tmp.Combine("model.bin");
        Ct2ModelWriter.Write(path, "TransformerSpec", 7,
        [
            F32("z/bias", [3], [0, 0, 0]),
            F32("a/bias", [3], [-0f, 0, 0]),
            F32("m/bias", [3], [0, 0, 0]),
            F32("n/bias", [1, 3], [0, 0, 0]),        // same values, other shape: not an alias
            F32("p/nan", [2], [float.NaN, 1]),
            F32("q/nan", [2], [float.NaN, 1]),       // NaN never compares equal
            new("s/one", ArrayTensorSource.ScalarInt8(1)),
            new("t/one", ArrayTensorSource.ScalarInt8(1)),   // scalars are never aliased
        ], Quantization.None);
        using var reader = Ct2ModelReader.Open(path);
        Assert.Equal(["a/bias", "n/bias", "p/nan", "q/nan", "s/one", "t/one"], reader.Variables.Select(v => v.Name));
        Assert.Equal([new("m/bias", "a/bias"), new KeyValuePair<string, string>("z/bias", "a/bias")], reader.Aliases);
        Assert.Equal(0, reader.TrailingBytes);
        Assert.Equal([-0f, 0, 0], reader.ReadFloats(reader.Get("z/bias")));
    }

    [Fact]
    public void Int8_quantization_is_per_row_half_to_even_with_float32_scales_and_no_scale_for_aliases()
    {
        using var tmp = new TemporaryDirectory();
        string path = tmp.Combine("model.bin");
        float[] w = [127f, 0.5f, 1.5f, -2.5f, 0, 0, 0, 0, 254f, 1f, -3f, 0.25f];
        var shared = ArrayTensorSource.Float32([3, 4], w);
        Ct2ModelWriter.Write(path, "TransformerSpec", 7,
        [
            new("a/weight", shared, true),
            new("b/weight", shared, true),
            F32("a/bias", [3], [0.1f, 0.2f, 0.3f]),
        ], Quantization.Int8);
        using var reader = Ct2ModelReader.Open(path);
        Assert.Equal(["a/bias", "a/weight", "a/weight_scale"], reader.Variables.Select(v => v.Name));
        Assert.Equal([new KeyValuePair<string, string>("b/weight", "a/weight")], reader.Aliases);
        var q = reader.Get("a/weight");
        Assert.Equal(Ct2DataType.Int8, q.DataType);
        // Row 0: scale 1 → 0.5 rounds to 0, 1.5 to 2, -2.5 to -2 (half to even).
        // Row 1: all zero → amax 127 → scale 1. Row 2: scale 127/254 = 0.5 → 127, 0.5 → 0, -1.5 → -2, 0.125 → 0.
        Assert.Equal([127f, 0, 2, -2, 0, 0, 0, 0, 127, 0, -2, 0], reader.ReadFloats(q));
        Assert.Equal([1f, 1f, 0.5f], reader.ReadFloats(reader.Get("a/weight_scale")));
        Assert.Equal(Ct2DataType.Float32, reader.Get("a/bias").DataType);
    }

    [Fact]
    public void Float16_quantization_casts_weights_and_other_float_tensors_but_not_scalars()
    {
        using var tmp = new TemporaryDirectory();
        string path = tmp.Combine("model.bin");
        Ct2ModelWriter.Write(path, "TransformerSpec", 7,
        [
            F32("a/weight", [1, 2], [1.0009765625f, 3f], true),
            F32("a/bias", [2], [0.1f, 0.2f]),
            new("a/scale", ArrayTensorSource.ScalarFloat32(8f)),
        ], Quantization.Float16);
        using var reader = Ct2ModelReader.Open(path);
        Assert.Equal(Ct2DataType.Float16, reader.Get("a/weight").DataType);
        Assert.Equal(Ct2DataType.Float16, reader.Get("a/bias").DataType);
        Assert.Equal(Ct2DataType.Float32, reader.Get("a/scale").DataType);
        Assert.Equal([(float)(Half)0.1f, (float)(Half)0.2f], reader.ReadFloats(reader.Get("a/bias")));
    }

    [Fact]
    public void Vocabulary_json_is_written_like_python_json_dump_with_ensure_ascii()
    {
        string json = PythonJson.TokenList(["<s>", "▁año", "a\"b\\c", "\u0001", "😀", "&"]);
        Assert.Equal("[\n  \"<s>\",\n  \"\\u2581a\\u00f1o\",\n  \"a\\\"b\\\\c\",\n  \"\\u0001\",\n  \"\\ud83d\\ude00\",\n  \"&\"\n]", json);
        Assert.Equal("[]", PythonJson.TokenList([]));
    }

    [Fact]
    public void Config_json_is_sorted_indented_with_a_trailing_newline()
    {
        var text = PythonJson.SortedObject(new Dictionary<string, object?> { ["b"] = null, ["a"] = true, ["c"] = "</s>", ["d"] = 1e-5, ["e"] = 2.0 });
        Assert.Equal("{\n  \"a\": true,\n  \"b\": null,\n  \"c\": \"</s>\",\n  \"d\": 1e-05,\n  \"e\": 2.0\n}\n", text);
    }

    [GoldenTheory]
    [InlineData("tiny-f32")]
    [InlineData("tiny-int8")]
    [InlineData("small-f32")]
    public void Reader_then_writer_reproduces_golden_model_bin_byte_for_byte(string model)
    {
        string source = Path.Combine(TestEnvironment.GoldenDir, "models", model, "model.bin");
        using var tmp = new TemporaryDirectory();
        string copy = tmp.Combine("model.bin");
        using (var reader = Ct2ModelReader.Open(source))
        {
            Assert.Equal(0, reader.TrailingBytes);
            var sources = reader.Variables.ToDictionary(v => v.Name, v => (TensorSource)new ArrayTensorSource(v.DataType, v.Shape, reader.ReadBytes(v)));
            var variables = sources.Select(kv => new Ct2Variable(kv.Key, kv.Value)).ToList();
            variables.AddRange(reader.Aliases.Select(a => new Ct2Variable(a.Key, sources[a.Value])));
            Ct2ModelWriter.Write(copy, reader.SpecName, (int)reader.SpecRevision, variables, Quantization.None);
        }
        Assert.True(File.ReadAllBytes(source).AsSpan().SequenceEqual(File.ReadAllBytes(copy)), $"{model}/model.bin differs after a read/write round trip");
    }

    [Fact]
    public void Reader_reports_a_truncated_file_clearly()
    {
        using var tmp = new TemporaryDirectory();
        string path = tmp.Combine("model.bin");
        Ct2ModelWriter.Write(path, "TransformerSpec", 7, [F32("a", [4], [1, 2, 3, 4])], Quantization.None);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        var e = Assert.Throws<ModelToolException>(() => Ct2ModelReader.Open(path));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }
}
