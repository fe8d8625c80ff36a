using System.Globalization;

namespace Traductor.Models.Ct2;

/// <summary>Dimensions of an NLLB/M2M100-style TransformerSpec (pre-norm, ReLU, shared embeddings).</summary>
public sealed record TransformerShape(int EncoderLayers, int DecoderLayers, int DModel, int Heads, int Ffn, int VocabularySize, int PositionRows)
{
    public void Validate()
    {
        if (EncoderLayers < 1 || DecoderLayers < 1)
            throw new ModelToolException($"layer counts must be at least 1 (got {EncoderLayers}/{DecoderLayers})");
        if (DModel < 4 || Heads < 1 || DModel % Heads != 0)
            throw new ModelToolException($"d_model {DModel} must be at least 4 and divisible by the head count {Heads}");
        if (Ffn < 1 || VocabularySize < 5 || PositionRows < 1)
            throw new ModelToolException($"ffn ({Ffn}), vocabulary ({VocabularySize}) and position rows ({PositionRows}) must be positive");
    }
}

/// <summary>
/// The variables CTranslate2's M2M100 loader puts into a <c>TransformerSpec</c> (fact sheet §3.2–§3.4),
/// shared by the converter and the smoke-model generator so both write the same spec. The tensor
/// values come from <paramref name="tensor"/>, keyed by CT2 variable name; the tied names
/// (<c>encoder/embeddings_0/weight</c>, <c>decoder/projection/weight</c>,
/// <c>encoder/position_encodings/encodings</c>) are requested too and become aliases by value,
/// exactly as in CTranslate2.
/// </summary>
public static class TransformerSpec
{
    public const string Name = "TransformerSpec";
    public const int Revision = 7;

    public static List<Ct2Variable> Variables(TransformerShape shape, Func<string, TensorSource> tensor)
    {
        shape.Validate();
        var list = new List<Ct2Variable>();
        void T(string name) => list.Add(new Ct2Variable(name, tensor(name), Quantizable: name.EndsWith("/weight", StringComparison.Ordinal)));
        void S(string name, TensorSource scalar) => list.Add(new Ct2Variable(name, scalar));
        void Linear(string prefix) { T(prefix + "/weight"); T(prefix + "/bias"); }
        void Norm(string prefix) { T(prefix + "/gamma"); T(prefix + "/beta"); }
        float scale = (float)Math.Sqrt(shape.DModel);

        S("encoder/num_heads", ArrayTensorSource.ScalarInt16(checked((short)shape.Heads)));
        S("encoder/pre_norm", ArrayTensorSource.ScalarInt8(1));
        S("encoder/activation", ArrayTensorSource.ScalarInt8(0));
        S("encoder/embeddings_merge", ArrayTensorSource.ScalarInt8(0));
        S("encoder/multi_query_attention", ArrayTensorSource.ScalarInt8(0));
        S("encoder/scale_embeddings", ArrayTensorSource.ScalarFloat32(scale));
        T("encoder/embeddings_0/weight");
        T("encoder/position_encodings/encodings");
        for (int i = 0; i < shape.EncoderLayers; i++)
        {
            string p = "encoder/layer_" + i.ToString(CultureInfo.InvariantCulture);
            Linear(p + "/self_attention/linear_0");
            Linear(p + "/self_attention/linear_1");
            Norm(p + "/self_attention/layer_norm");
            Linear(p + "/ffn/linear_0");
            Linear(p + "/ffn/linear_1");
            Norm(p + "/ffn/layer_norm");
        }
        Norm("encoder/layer_norm");

        S("decoder/num_heads", ArrayTensorSource.ScalarInt16(checked((short)shape.Heads)));
        S("decoder/pre_norm", ArrayTensorSource.ScalarInt8(1));
        S("decoder/activation", ArrayTensorSource.ScalarInt8(0));
        S("decoder/alignment_layer", ArrayTensorSource.ScalarInt16(-1));
        S("decoder/alignment_heads", ArrayTensorSource.ScalarInt16(1));
        S("decoder/alibi", ArrayTensorSource.ScalarInt8(0));
        S("decoder/alibi_use_positive_positions", ArrayTensorSource.ScalarInt8(0));
        S("decoder/scale_alibi", ArrayTensorSource.ScalarInt8(0));
        S("decoder/start_from_zero_embedding", ArrayTensorSource.ScalarInt8(0));
        S("decoder/scale_embeddings", ArrayTensorSource.ScalarFloat32(scale));
        T("decoder/embeddings/weight");
        T("decoder/position_encodings/encodings");
        for (int i = 0; i < shape.DecoderLayers; i++)
        {
            string p = "decoder/layer_" + i.ToString(CultureInfo.InvariantCulture);
            Linear(p + "/self_attention/linear_0");
            Linear(p + "/self_attention/linear_1");
            Norm(p + "/self_attention/layer_norm");
            Linear(p + "/attention/linear_0");
            Linear(p + "/attention/linear_1");
            Linear(p + "/attention/linear_2");
            Norm(p + "/attention/layer_norm");
            Linear(p + "/ffn/linear_0");
            Linear(p + "/ffn/linear_1");
            Norm(p + "/ffn/layer_norm");
        }
        Norm("decoder/layer_norm");
        T("decoder/projection/weight");
        // The position table is never quantized even though its name could suggest a weight.
        return list.Select(v => v.Name.EndsWith("/encodings", StringComparison.Ordinal) ? v with { Quantizable = false } : v).ToList();
    }

    /// <summary>The shape each tensor variable must have (used to check a checkpoint and to generate weights).</summary>
    public static long[] ExpectedShape(TransformerShape shape, string name)
    {
        long d = shape.DModel, f = shape.Ffn;
        if (name.EndsWith("/embeddings/weight", StringComparison.Ordinal) || name.EndsWith("/embeddings_0/weight", StringComparison.Ordinal) || name == "decoder/projection/weight")
            return [shape.VocabularySize, d];
        if (name.EndsWith("/encodings", StringComparison.Ordinal))
            return [shape.PositionRows, d];
        if (name.EndsWith("/gamma", StringComparison.Ordinal) || name.EndsWith("/beta", StringComparison.Ordinal))
            return [d];
        bool weight = name.EndsWith("/weight", StringComparison.Ordinal);
        long rows = name switch
        {
            _ when name.Contains("/self_attention/linear_0/", StringComparison.Ordinal) => 3 * d,
            _ when name.Contains("/attention/linear_1/", StringComparison.Ordinal) && !name.Contains("self_attention", StringComparison.Ordinal) => 2 * d,
            _ when name.Contains("/ffn/linear_0/", StringComparison.Ordinal) => f,
            _ => d,
        };
        long cols = name.Contains("/ffn/linear_1/", StringComparison.Ordinal) ? f : d;
        return weight ? [rows, cols] : [rows];
    }

    /// <summary>config.json of an NLLB/M2M100 model (fact sheet §2.1), plus any extra keys.</summary>
    public static Dictionary<string, object?> Config(Tokenizers.SpecialTokens specials, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var config = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["add_source_bos"] = false,
            ["add_source_eos"] = false,
            ["bos_token"] = specials.Bos,
            ["decoder_start_token"] = specials.DecoderStart,
            ["eos_token"] = specials.Eos,
            ["layer_norm_epsilon"] = null,
            ["multi_query_attention"] = false,
            ["unk_token"] = specials.Unk,
        };
        if (extra is not null)
            foreach (var (k, v) in extra)
                config[k] = v;
        return config;
    }
}

/// <summary>
/// HF M2M100's sinusoidal position table without its first two rows (CT2 row r = HF position r + 2),
/// computed in float32 the way torch does it (golden/convert/README.md, "Position table").
/// </summary>
public sealed class SinusoidalPositionSource : TensorSource
{
    private const int Offset = 2;
    private readonly float[] _frequencies;
    private readonly int _dim;

    public SinusoidalPositionSource(int rows, int dim) : base(Ct2DataType.Float32, [rows, dim])
    {
        _dim = dim;
        int half = dim / 2;
        double step = Math.Log(10000) / (half - 1);
        float negStep = (float)-step;
        _frequencies = new float[half];
        for (int j = 0; j < half; j++)
            _frequencies[j] = (float)Math.Exp(j * negStep);
    }

    public override void ReadRows(long firstRow, int rowCount, Span<byte> destination)
    {
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(destination);
        int half = _frequencies.Length;
        for (int r = 0; r < rowCount; r++)
        {
            float k = firstRow + r + Offset;
            var row = values.Slice(r * _dim, _dim);
            for (int j = 0; j < half; j++)
            {
                float angle = k * _frequencies[j];
                row[j] = (float)Math.Sin(angle);
                row[half + j] = (float)Math.Cos(angle);
            }
            if (_dim % 2 == 1)
                row[_dim - 1] = 0;
        }
    }
}
