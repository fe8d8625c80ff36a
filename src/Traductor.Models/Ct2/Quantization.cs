namespace Traductor.Models.Ct2;

/// <summary>CTranslate2's conversion-time quantization types (fact sheet §3.7); <see cref="None"/> keeps the load dtype.</summary>
public enum Quantization
{
    None,
    Int8,
    Int8Float32,
    Int8Float16,
    Int8BFloat16,
    Float32,
    Float16,
    BFloat16,
}

public static class Quantizations
{
    public static readonly IReadOnlyList<string> Names = ["int8", "int8_float32", "int8_float16", "int8_bfloat16", "float32", "float16", "bfloat16"];

    public static Quantization Parse(string? name) => name switch
    {
        null or "" or "none" => Quantization.None,
        "int8" => Quantization.Int8,
        "int8_float32" => Quantization.Int8Float32,
        "int8_float16" => Quantization.Int8Float16,
        "int8_bfloat16" => Quantization.Int8BFloat16,
        "float32" => Quantization.Float32,
        "float16" => Quantization.Float16,
        "bfloat16" => Quantization.BFloat16,
        "int16" => throw new ModelToolException("quantization 'int16' is not supported by this converter (use int8, int8_float32, float16 or float32)"),
        _ => throw new ModelToolException($"unknown quantization '{name}' (expected one of: {string.Join(", ", Names)})"),
    };

    public static string Name(this Quantization q) => q switch
    {
        Quantization.None => "none",
        Quantization.Int8 => "int8",
        Quantization.Int8Float32 => "int8_float32",
        Quantization.Int8Float16 => "int8_float16",
        Quantization.Int8BFloat16 => "int8_bfloat16",
        Quantization.Float32 => "float32",
        Quantization.Float16 => "float16",
        Quantization.BFloat16 => "bfloat16",
        _ => q.ToString(),
    };

    public static bool IsInt8(this Quantization q) =>
        q is Quantization.Int8 or Quantization.Int8Float32 or Quantization.Int8Float16 or Quantization.Int8BFloat16;

    /// <summary>
    /// The dtype CTranslate2's HF converter loads the checkpoint in: float16 for the fp16 options,
    /// otherwise the config's torch_dtype (CT2 <c>transformers.py</c> §4.2).
    /// </summary>
    public static Ct2DataType? ForcedLoadType(this Quantization q) =>
        q is Quantization.Float16 or Quantization.Int8Float16 ? Ct2DataType.Float16 : null;

    /// <summary>Output dtype of a tensor that is quantizable (a weight with a <c>_scale</c> slot).</summary>
    public static Ct2DataType QuantizableOutput(this Quantization q, Ct2DataType source) => q switch
    {
        Quantization.None => source,
        Quantization.Float32 => Ct2DataType.Float32,
        Quantization.Float16 => Ct2DataType.Float16,
        Quantization.BFloat16 => Ct2DataType.BFloat16,
        _ => Ct2DataType.Int8,
    };

    /// <summary>Output dtype of any other non-scalar float tensor (CT2's "is_convertible" branch).</summary>
    public static Ct2DataType ConvertibleOutput(this Quantization q, Ct2DataType source)
    {
        if (!source.IsFloat())
            return source;
        return q switch
        {
            Quantization.Float16 or Quantization.Int8Float16 => Ct2DataType.Float16,
            Quantization.BFloat16 or Quantization.Int8BFloat16 => Ct2DataType.BFloat16,
            Quantization.Float32 or Quantization.Int8Float32 => Ct2DataType.Float32,
            _ => source,
        };
    }
}
