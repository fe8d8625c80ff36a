using Traductor.Models.Checkpoints;
using Traductor.Models.Ct2;

namespace Traductor.Models.Tests;

/// <summary>Every case of ../shared/golden/convert: our conversion must equal what CTranslate2's converter wrote.</summary>
public sealed class GoldenConversionTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "m2m100-tiny-safetensors", "none", "expected" },
        { "m2m100-tiny-safetensors", "int8", "expected-int8" },
        { "m2m100-tiny-pytorch-bin", "none", "expected" },
        { "m2m100-small-fp16-safetensors", "float32", "expected" },
        { "m2m100-small-fp16-safetensors", "int8", "expected-int8" },
        { "m2m100-sharded", "none", "expected" },
    };

    private const string PositionTable = "decoder/position_encodings/encodings";

    [GoldenTheory]
    [MemberData(nameof(Cases))]
    public void Conversion_equals_the_expected_directory(string caseName, string quantization, string expectedName)
    {
        string caseDir = Path.Combine(TestEnvironment.ConvertDir, caseName);
        string expectedDir = Path.Combine(caseDir, expectedName);
        using var tmp = new TemporaryDirectory();
        string outDir = tmp.Combine("ct2");
        var result = M2M100Converter.Convert(Path.Combine(caseDir, "hf"), outDir, Quantizations.Parse(quantization));
        Assert.Equal(Path.GetFullPath(outDir), result.Directory);

        Assert.Equal(File.ReadAllText(Path.Combine(expectedDir, "config.json")), File.ReadAllText(Path.Combine(outDir, "config.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(expectedDir, "shared_vocabulary.json")), File.ReadAllBytes(Path.Combine(outDir, "shared_vocabulary.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(caseDir, "hf", "sentencepiece.bpe.model")), File.ReadAllBytes(Path.Combine(outDir, "sentencepiece.bpe.model")));

        using var expected = Ct2ModelReader.Open(Path.Combine(expectedDir, "model.bin"));
        using var actual = Ct2ModelReader.Open(Path.Combine(outDir, "model.bin"));
        Assert.Equal((expected.BinaryVersion, expected.SpecName, expected.SpecRevision), (actual.BinaryVersion, actual.SpecName, actual.SpecRevision));
        Assert.Equal(0, actual.TrailingBytes);
        Assert.Equal(expected.Variables.Select(v => $"{v.Name} {v.DataType.Name()} [{string.Join(",", v.Shape)}]"),
                     actual.Variables.Select(v => $"{v.Name} {v.DataType.Name()} [{string.Join(",", v.Shape)}]"));
        Assert.Equal(expected.Aliases, actual.Aliases);

        foreach (var e in expected.Variables)
        {
            var a = actual.Get(e.Name);
            if (e.Name != PositionTable)
            {
                // Weights, fused concatenations, norms, biases, int8 values and scales: bit-identical.
                Assert.True(expected.ReadBytes(e).AsSpan().SequenceEqual(actual.ReadBytes(a)), $"{e.Name} differs from {caseName}/{expectedName}");
                continue;
            }
            // The table cannot match torch's not-correctly-rounded float32 exp bit for bit (see the golden README):
            // 1e-4 overall for float32 tables, one float16 ulp for float16-derived ones, 1e-6 on rows 0-15.
            var ev = expected.ReadFloats(e);
            var av = actual.ReadFloats(a);
            bool fromFloat16 = caseName.Contains("fp16", StringComparison.Ordinal);
            double tolerance = fromFloat16 ? Math.Pow(2, -11) : 1e-4;
            int d = (int)e.Shape[1];
            for (int i = 0; i < ev.Length; i++)
            {
                double diff = Math.Abs(ev[i] - av[i]);
                Assert.True(diff <= tolerance, $"{e.Name}[{i / d},{i % d}] = {av[i]}, expected {ev[i]} (|diff| {diff} > {tolerance})");
                if (i / d < 16 && !fromFloat16)
                    Assert.True(diff <= 1e-6, $"{e.Name}[{i / d},{i % d}] = {av[i]}, expected {ev[i]} within 1e-6 in rows 0-15");
            }
        }
    }
}
